// The Webhook events screen offscreen: an empty inbox says why; events filtered by status
// and type prefix; the payload pretty-printed; another organization's events stay hidden;
// reprocessing an event, confirmed, for platform administrators only (webhooks.manage).

#include "testcluster.h"
#include "testoperators.h"

#include "webhookevents/jsonview.h"
#include "webhookevents/webhookeventlistmodel.h"
#include "webhookevents/webhookeventspage.h"

#include "access/sessionaccess.h"
#include "common/messagebanner.h"
#include "database/changefeed.h"

#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString OrgB = QStringLiteral("00000000-0000-0000-0000-0000000000b1");

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

void seed(const TestDatabase &db)
{
    exec(db, QStringLiteral(
                 "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                 "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'),"
                 "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD');"
                 "INSERT INTO stripe_events (id, type, stripe_created, object_id, payload, "
                 " status, attempts, last_error, received_at, organization_id) VALUES "
                 "('evt_1', 'invoice.paid', now(), 'in_1', "
                 " '{\"id\": \"evt_1\", \"data\": {\"object\": {\"id\": \"in_1\"}}}', "
                 " 'processed', 1, NULL, now() - interval '3 minutes', '%1'),"
                 "('evt_2', 'invoice.payment_failed', now(), 'in_2', '{}', 'failed', 3, "
                 " 'The invoice is not in this database yet.', now() - interval '2 minutes', '%1'),"
                 "('evt_3', 'customer.subscription.updated', now(), 'sub_1', '{}', 'ignored', 1,"
                 " NULL, now() - interval '1 minute', '%2'),"
                 "('evt_4', 'customer.updated', now(), 'cus_1', '{}', 'processed', 1, NULL, "
                 " now(), NULL)")
                 .arg(OrgA, OrgB));
}
} // namespace

class WebhookEventsGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void anEmptyInboxSaysWhy()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        WebhookEventsPage page(db.settings());
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 0, 10000);
        QTRY_COMPARE(page.emptyText(),
                     QStringLiteral("No webhook events yet. Events arrive once the office "
                                    "server's listener or poller runs."));
    }

    void filterAndReadThePayload()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        WebhookEventsPage page(db.settings());
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 4, 10000);
        QCOMPARE(page.model()->eventAt(0).id, QStringLiteral("evt_4")); // newest first
        QCOMPARE(page.model()
                     ->data(page.model()->index(0, WebhookEventListModel::Organization))
                     .toString(),
                 QStringLiteral("Platform"));

        auto *status = page.findChild<QComboBox *>(QStringLiteral("eventStatusFilter"));
        QTRY_VERIFY(status->itemText(status->findData(QStringLiteral("failed")))
                        .contains(QLatin1String("(1)")));
        status->setCurrentIndex(status->findData(QStringLiteral("failed")));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 1, 10000);
        QCOMPARE(page.model()->eventAt(0).id, QStringLiteral("evt_2"));
        QTRY_VERIFY(page.findChild<QLabel *>(QStringLiteral("eventLastError"))
                        ->text()
                        .contains(QLatin1String("not in this database")));

        status->setCurrentIndex(0);
        auto *type = page.findChild<QComboBox *>(QStringLiteral("eventTypeFilter"));
        type->setEditText(QStringLiteral("invoice."));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 2, 10000);
        type->setEditText(QStringLiteral("invoice.paid"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 1, 10000);
        page.view()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(
            page.payloadView()->toPlainText().contains(QLatin1String("\n  \"data\": {")), 10000);

        type->setEditText(QStringLiteral("charge."));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 0, 10000);
        QTRY_COMPARE(page.emptyText(), QStringLiteral("No webhook event matches these filters."));
    }

    void reprocessAFailedEvent()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        WebhookEventsPage page(db.settings()); // the owner: a platform administrator
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 4, 10000);
        auto *reprocess = page.reprocessButton();
        QVERIFY(reprocess);
        int failed = -1;
        for (int row = 0; row < page.model()->rowCount(); ++row) {
            if (page.model()->eventAt(row).status == QLatin1String("failed"))
                failed = row;
        }
        QVERIFY(failed >= 0);
        page.view()->selectRow(failed);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && reprocess->isEnabled(), 10000);

        // Declined: nothing changes.
        reprocess->click();
        auto *box = page.findChild<QMessageBox *>();
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("evt_2")));
        QVERIFY(box->informativeText().contains(QLatin1String("newer event")));
        box->reject();
        QTRY_VERIFY(page.findChild<QMessageBox *>() == nullptr);
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(q.exec(QStringLiteral("SELECT status FROM stripe_events WHERE id = 'evt_2'")) &&
                q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("failed"));

        // Confirmed: queued again, said so, and the button knows it is queued now.
        reprocess->click();
        box = page.findChild<QMessageBox *>();
        QVERIFY(box);
        QAbstractButton *confirm = nullptr;
        for (QAbstractButton *b : box->buttons()) {
            if (box->buttonRole(b) == QMessageBox::AcceptRole)
                confirm = b;
        }
        QVERIFY(confirm);
        confirm->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("queued to be "
                                                                              "applied again")),
                                 10000);
        QVERIFY(q.exec(QStringLiteral("SELECT status, last_error IS NULL FROM stripe_events "
                                      "WHERE id = 'evt_2'")) &&
                q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("received"));
        QVERIFY(q.value(1).toBool());
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 10000);
        QTRY_VERIFY(!reprocess->isEnabled());
        QVERIFY(reprocess->toolTip().contains(QLatin1String("already waiting")));
    }

    void reprocessNeedsWebhooksManage()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto sam = test::createOperator(db, QStringLiteral("sam"), false,
                                        {{OrgA, QStringLiteral("admin")}});
        QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().message));
        WebhookEventsPage page(sam.value().settings);
        SessionAccess access;
        access.login = sam.value().login;
        access.permissionsByOrganization.insert(
            OrgA, {QStringLiteral("webhooks.read"), QStringLiteral("tenants.read")});
        page.setAccess(access);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 2, 10000);
        page.view()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 10000);
        QVERIFY(!page.reprocessButton()->isEnabled());
        QVERIFY(page.reprocessButton()->toolTip().contains(QLatin1String("webhooks.manage")));
    }

    void newAndHandledEventsShowUpInPlace()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QVERIFY(listening.wait(10000));
        WebhookEventsPage page(db.settings());
        page.setChangeFeed(&feed);
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 4, 10000);
        const int failedRow = page.model()->rowOfId(QStringLiteral("evt_2"));
        page.view()->selectRow(failedRow);

        // The listener (another session) stores a new event: it comes first.
        exec(db, QStringLiteral("INSERT INTO stripe_events (id, type, stripe_created, object_id, "
                                "payload, status, received_at) VALUES ('evt_5', 'invoice.paid', "
                                "now(), 'in_5', '{}', 'received', now() + interval '1 second')"));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 5, 5000);
        QCOMPARE(page.model()->eventAt(0).id, QStringLiteral("evt_5"));

        // The processor handles the failed one: its status changes where it is.
        exec(db, QStringLiteral("UPDATE stripe_events SET status = 'processed', last_error = "
                                "NULL, processed_at = now() WHERE id = 'evt_2'"));
        const int row = page.model()->rowOfId(QStringLiteral("evt_2"));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->eventAt(row).status, QStringLiteral("processed"),
                                  5000);
        QCOMPARE(page.model()->rowCount(), 5);
        const QModelIndexList selected = page.view()->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(page.model()->eventAt(selected.first().row()).id, QStringLiteral("evt_2"));
    }

    void anOrganizationsOperatorSeesTheirEventsOnly()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto sam = test::createOperator(db, QStringLiteral("sam"), false,
                                        {{OrgA, QStringLiteral("support")}});
        QVERIFY2(sam, qPrintable(sam ? QString() : sam.error().message));
        WebhookEventsPage page(sam.value().settings);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 2, 10000);
        for (int row = 0; row < page.model()->rowCount(); ++row)
            QCOMPARE(page.model()->eventAt(row).organizationId, OrgA);
    }
};

QTEST_MAIN(WebhookEventsGuiTest)
#include "tst_webhookeventsgui.moc"
