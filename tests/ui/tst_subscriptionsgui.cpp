// The Subscriptions screen offscreen, driven as an operator would: filter the list, cancel
// a subscription at the end of its period through the confirmation, and see the change
// shown as pending in Stripe while the subscription itself stays as it is. A Viewer sees the
// actions disabled, with the missing permission named.

#include "testcluster.h"
#include "testoperators.h"

#include "access/sessionaccess.h"
#include "common/messagebanner.h"
#include "core/translations.h"
#include "database/changefeed.h"
#include "subscriptions/subscriptiondetailpanel.h"
#include "subscriptions/subscriptionlistmodel.h"
#include "subscriptions/subscriptionspage.h"

#include <QApplication>
#include <QComboBox>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString AcmeActive = QStringLiteral("00000000-0000-0000-0000-00000000d001");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(
        q.exec(
            QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
                " ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR'),"
                " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'EUR');"
                "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-00000000e001', "
                "'Platform');"
                "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                " ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000e001',"
                "  'Pro', 4900, 'EUR');"
                "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity,"
                "  current_period_start, current_period_end, stripe_subscription_id) VALUES"
                " ('%3', '%1', '00000000-0000-0000-0000-00000000c001', 'active', 5,"
                "  now() - interval '25 days', now() + interval '5 days', 'sub_a1'),"
                " (gen_random_uuid(), '%1', '00000000-0000-0000-0000-00000000c001', 'past_due', 2,"
                "  now() - interval '25 days', now() + interval '6 days', 'sub_a2'),"
                " (gen_random_uuid(), '%2', '00000000-0000-0000-0000-00000000c001', 'active', 1,"
                "  now() - interval '5 days', now() + interval '25 days', 'sub_b1');"
                "INSERT INTO invoices (organization_id, subscription_id, number, status, currency,"
                "  subtotal, total, amount_due, amount_remaining) VALUES"
                " ('%1', '%3', 'ACME-0001', 'open', 'EUR', 24500, 24500, 24500, 24500);")
                .arg(Acme, Globex, AcmeActive)),
        qPrintable(q.lastError().text()));
}

SessionAccess accessOf(const ConnectionSettings &settings)
{
    ScopedConnection connection(settings);
    auto access = loadSessionAccess(connection.name());
    return access ? access.value() : SessionAccess();
}

bool waitLoaded(SubscriptionsPage &page)
{
    return QTest::qWaitFor([&page]() { return !page.isBusy() && page.model()->totalCount() >= 0; },
                           10000);
}

// The open confirmation, once it is shown.
QMessageBox *confirmation(QWidget *page)
{
    QMessageBox *box = nullptr;
    (void)QTest::qWaitFor(
        [&]() {
            box = page->findChild<QMessageBox *>(QStringLiteral("subscriptionActionConfirmation"));
            return box && box->isVisible();
        },
        5000);
    return box;
}
} // namespace

class SubscriptionsGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedKingdom));
    }

    void cancelAtPeriodEndThroughTheConfirmationShowsPending()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                            {{Acme, QStringLiteral("finance")}});
        QVERIFY2(finance, qPrintable(finance ? QString() : finance.error().message));

        SubscriptionsPage page(finance->settings);
        page.setAccess(accessOf(finance->settings));
        page.resize(1200, 760);
        page.show();
        page.activate();
        QVERIFY(waitLoaded(page));
        QCOMPARE(page.model()->rowCount(), 2); // Globex is not Fiona's

        // Filters: status narrows the list.
        page.statusFilter()->setCurrentIndex(
            page.statusFilter()->findData(QStringLiteral("past_due")));
        QVERIFY(waitLoaded(page));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        page.statusFilter()->setCurrentIndex(0);
        QVERIFY(waitLoaded(page));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 10000);

        const int row = page.model()->rowOfId(AcmeActive);
        QVERIFY(row >= 0);
        page.view()->selectRow(row);
        QTRY_VERIFY_WITH_TIMEOUT(page.details()->details() &&
                                     page.details()->details()->subscription.id == AcmeActive,
                                 10000);
        auto *invoices = page.details()->findChild<QLabel *>(QStringLiteral("detailInvoiceCount"));
        QCOMPARE(invoices->text(), QStringLiteral("1 invoice"));
        auto *pending = page.details()->findChild<QLabel *>(QStringLiteral("detailPending"));
        QVERIFY(!pending->isVisibleTo(&page));

        QPushButton *cancel = page.details()->actionButton(SubscriptionAction::CancelAtPeriodEnd);
        QTRY_VERIFY_WITH_TIMEOUT(cancel->isEnabled(), 5000);
        // Cancelled once: nothing is queued.
        cancel->click();
        QMessageBox *box = confirmation(&page);
        QVERIFY(box);
        QVERIFY(
            box->informativeText().contains(QStringLiteral("office server sends it to Stripe")));
        box->button(QMessageBox::Cancel)->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            !page.findChild<QMessageBox *>(QStringLiteral("subscriptionActionConfirmation")), 5000);
        QSqlQuery count(QSqlDatabase::database(db.connectionName()));
        QVERIFY(count.exec(QStringLiteral("SELECT count(*) FROM jobs")) && count.next());
        QCOMPARE(count.value(0).toInt(), 0);

        // Confirmed: queued, and shown as pending.
        QTRY_VERIFY_WITH_TIMEOUT(cancel->isEnabled(), 5000);
        cancel->click();
        box = confirmation(&page);
        QVERIFY(box);
        auto *confirm = box->findChild<QPushButton *>(QStringLiteral("confirmButton"));
        QVERIFY(confirm);
        QVERIFY(box->text().contains(QStringLiteral("Acme Ltd")));
        confirm->click();
        QTRY_VERIFY_WITH_TIMEOUT(pending->isVisibleTo(&page), 10000);
        QVERIFY2(pending->text().startsWith(
                     QStringLiteral("Pending in Stripe: cancel at period end (queued ")),
                 qPrintable(pending->text()));
        QVERIFY2(pending->text().endsWith(QStringLiteral(" by fiona)")),
                 qPrintable(pending->text()));
        QVERIFY(page.banner()->text().contains(QStringLiteral("office server")));
        // The same change cannot be queued twice; the subscription waits for Stripe.
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 5000);
        QVERIFY(!cancel->isEnabled());
        QVERIFY(cancel->toolTip().contains(QStringLiteral("already queued")));
        auto *flag = page.details()->findChild<QLabel *>(QStringLiteral("detailCancelAtPeriodEnd"));
        QCOMPARE(flag->text(), QStringLiteral("No"));

        QSqlQuery jobs(QSqlDatabase::database(db.connectionName()));
        QVERIFY(jobs.exec(QStringLiteral("SELECT kind, status, requested_by, payload ->> "
                                         "'subscription_id' FROM jobs")));
        QVERIFY(jobs.next());
        QCOMPARE(jobs.value(0).toString(), QStringLiteral("subscription.cancel_at_period_end"));
        QCOMPARE(jobs.value(1).toString(), QStringLiteral("queued"));
        QCOMPARE(jobs.value(2).toString(), finance->login);
        QCOMPARE(jobs.value(3).toString(), AcmeActive);
        QVERIFY(!jobs.next());
        QSqlQuery sub(QSqlDatabase::database(db.connectionName()));
        QVERIFY(sub.exec(QStringLiteral("SELECT cancel_at_period_end FROM subscriptions WHERE "
                                        "id = '%1'")
                             .arg(AcmeActive)) &&
                sub.next());
        QCOMPARE(sub.value(0).toBool(), false);
    }

    void viewerSeesTheActionsDisabledWithTheReason()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto viewer = test::createOperator(db, QStringLiteral("vera"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY(viewer);
        SubscriptionsPage page(viewer->settings);
        page.setAccess(accessOf(viewer->settings));
        page.show();
        page.activate();
        QVERIFY(waitLoaded(page));
        QTRY_VERIFY_WITH_TIMEOUT(page.details()->details().has_value(), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 5000);
        for (SubscriptionAction action :
             {SubscriptionAction::CancelAtPeriodEnd, SubscriptionAction::CancelNow,
              SubscriptionAction::Resume, SubscriptionAction::ChangeQuantity}) {
            QPushButton *button = page.details()->actionButton(action);
            QVERIFY(!button->isEnabled());
            QVERIFY2(button->toolTip().contains(QStringLiteral("subscriptions.manage")) &&
                         button->toolTip().contains(QStringLiteral("Acme Ltd")),
                     qPrintable(button->toolTip()));
        }
    }

    void changesElsewhereRefreshTheRowAndTheDetail()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        ChangeFeed feed(db.settings());
        SubscriptionsPage page(db.settings());
        page.setChangeFeed(&feed);
        page.show();
        page.activate();
        QVERIFY(waitLoaded(page));
        const int row = page.model()->rowOfId(AcmeActive);
        page.view()->selectRow(row);
        QTRY_VERIFY_WITH_TIMEOUT(page.details()->details().has_value(), 10000);
        QTest::qWait(500); // the feed is listening
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        // What the worker writes once Stripe confirms.
        QVERIFY(q.exec(QStringLiteral("UPDATE subscriptions SET quantity = 9, "
                                      "cancel_at_period_end = true WHERE id = '%1'")
                           .arg(AcmeActive)));
        QTRY_COMPARE_WITH_TIMEOUT(
            page.model()
                ->data(page.model()->index(row, SubscriptionListModel::Quantity))
                .toString(),
            QStringLiteral("9"), 10000);
        QCOMPARE(page.view()->selectionModel()->selectedRows().first().row(), row);
        auto *flag = page.details()->findChild<QLabel *>(QStringLiteral("detailCancelAtPeriodEnd"));
        QTRY_COMPARE_WITH_TIMEOUT(flag->text(), QStringLiteral("Yes"), 10000);
    }

    void aSubscriptionChosenInTheSearchIsShown()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        SubscriptionsPage page(db.settings());
        page.show();
        page.showSubscription(AcmeActive);
        QTRY_VERIFY_WITH_TIMEOUT(page.details()->details() &&
                                     page.details()->details()->subscription.id == AcmeActive,
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!page.view()->selectionModel()->selectedRows().isEmpty(), 10000);
        QCOMPARE(page.model()
                     ->subscriptionAt(page.view()->selectionModel()->selectedRows().first().row())
                     .id,
                 AcmeActive);
    }
};

QTEST_MAIN(SubscriptionsGuiTest)
#include "tst_subscriptionsgui.moc"
