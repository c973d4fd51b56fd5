// The console's billing flows end to end, offscreen: an operator's action is queued, a job
// worker running in-process executes it against the in-process fake Stripe, and the screen
// follows the job through the change feed to its outcome. Covered: pausing collection
// (with the chosen behaviour) and resuming it, shown as done in Stripe in the banner; a plan
// change previewed (lines and amount due from Stripe) and confirmed with the preview's
// moment, ending with the subscription on the new plan; and the hint that the office
// server may not be running when nobody picks the preview up.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "access/sessionaccess.h"
#include "common/messagebanner.h"
#include "common/stripeactions.h"
#include "core/translations.h"
#include "database/changefeed.h"
#include "invoices/invoicelistmodel.h"
#include "invoices/invoicespage.h"
#include "jobs/billinghandlers.h"
#include "jobs/jobkinds.h"
#include "jobs/jobtracker.h"
#include "jobs/jobworker.h"
#include "plans/planlistmodel.h"
#include "plans/planspage.h"
#include "stripe/stripeclient.h"
#include "subscriptions/changeplandialog.h"
#include "subscriptions/newsubscriptiondialog.h"
#include "subscriptions/subscriptiondetailpanel.h"
#include "subscriptions/subscriptionlistmodel.h"
#include "subscriptions/subscriptionspage.h"
#include "tenants/tenantlistmodel.h"
#include "tenants/tenantspage.h"
#include "usage/usagepage.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QDialog>
#include <QJsonDocument>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPointer>
#include <QPushButton>
#include <QRadioButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTableWidget>
#include <QTest>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-00000000e001");
const QString PlanPro = QStringLiteral("00000000-0000-0000-0000-00000000e101");
const QString PlanTeam = QStringLiteral("00000000-0000-0000-0000-00000000e102");
const QString Sub = QStringLiteral("00000000-0000-0000-0000-00000000c001");
const QString TestKey = QStringLiteral("sk_test_billingflows0123456789");

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QString enqueue(const TestDatabase &db, const QString &organization, const QString &kind,
                const QJsonObject &payload)
{
    static int counter = 0;
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    q.prepare(QStringLiteral("SELECT nobill_enqueue_job(?::uuid, ?, ?::jsonb, ?)::text"));
    q.addBindValue(organization.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                          : QVariant(organization));
    q.addBindValue(kind);
    q.addBindValue(QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
    q.addBindValue(QStringLiteral("seed-%1-%2").arg(kind).arg(++counter));
    if (!q.exec() || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0).toString();
}

QString statusOf(const TestDatabase &db, const QString &job)
{
    return scalar(db, QStringLiteral("SELECT status FROM jobs WHERE id = '%1'").arg(job))
        .toString();
}

bool seed(const TestDatabase &db)
{
    return exec(
        db, QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
                "INSERT INTO products (id, name) VALUES ('%2', 'Platform');"
                "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                " ('%3', '%2', 'Pro', 4900, 'EUR'), ('%4', '%2', 'Team', 9900, 'EUR');"
                "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity) VALUES"
                " ('%5', '%1', '%3', 'incomplete', 3);")
                .arg(Acme, Product, PlanPro, PlanTeam, Sub));
}

SessionAccess accessOf(const ConnectionSettings &settings)
{
    ScopedConnection connection(settings);
    auto access = loadSessionAccess(connection.name());
    return access ? access.value() : SessionAccess();
}

template <typename T> T *openDialog(QWidget *parent, const QString &name)
{
    T *dialog = nullptr;
    (void)QTest::qWaitFor(
        [&]() {
            dialog = parent->findChild<T *>(name);
            return dialog && dialog->isVisible();
        },
        5000);
    return dialog;
}
} // namespace

class BillingFlowsGuiTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<JobWorker> makeWorker(const TestDatabase &db, FakeStripeServer &fake)
    {
        auto service = test::createServiceLogin(db, QStringLiteral("office"));
        if (!service)
            return nullptr;
        StripeClientOptions stripe;
        stripe.baseUrl = fake.baseUrl();
        stripe.secretKey = TestKey;
        stripe.timeoutMs = 5000;
        JobWorkerOptions options;
        options.workerName = QStringLiteral("office");
        options.concurrency = 2;
        options.pollIntervalMs = 300;
        options.stopTimeoutMs = 500;
        options.backoff.baseSeconds = 1;
        options.backoff.capSeconds = 2;
        auto worker = std::make_unique<JobWorker>(service.value(), stripe, options);
        for (const auto &handler : billingJobHandlers())
            worker->addHandler(handler);
        return worker;
    }

    // The tenant a customer, both plans prices, and the subscription live in Stripe.
    bool intoStripe(const TestDatabase &db)
    {
        QStringList jobs{
            enqueue(db, Acme, jobkinds::SyncCustomer, {}),
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), PlanPro}}),
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), PlanTeam}})};
        for (const QString &job : jobs)
            if (!QTest::qWaitFor([&]() { return statusOf(db, job) == QLatin1String("succeeded"); },
                                 20000))
                return false;
        const QString create =
            enqueue(db, Acme, jobkinds::CreateSubscription,
                    {{QStringLiteral("subscription_id"), Sub},
                     {QStringLiteral("collection"), QStringLiteral("send_invoice")},
                     {QStringLiteral("days_until_due"), 14}});
        return QTest::qWaitFor([&]() { return statusOf(db, create) == QLatin1String("succeeded"); },
                               20000);
    }

    bool selectSub(SubscriptionsPage &page)
    {
        if (!QTest::qWaitFor([&]() { return !page.isBusy() && page.model()->rowOfId(Sub) >= 0; },
                             10000))
            return false;
        page.view()->selectRow(page.model()->rowOfId(Sub));
        return QTest::qWaitFor(
            [&]() {
                return page.details()->details() &&
                       page.details()->details()->subscription.id == Sub &&
                       !page.details()->details()->subscription.stripeSubscriptionId.isEmpty() &&
                       !page.isBusy();
            },
            10000);
    }

private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedKingdom));
    }

    void pauseAndResumeCollectionFollowedToStripe()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake);
        QVERIFY(worker);
        worker->start();
        QVERIFY(intoStripe(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);

        ChangeFeed feed(fiona->settings);
        SubscriptionsPage page(fiona->settings);
        page.setAccess(accessOf(fiona->settings));
        page.setChangeFeed(&feed);
        page.resize(1200, 800);
        page.show();
        page.activate();
        QVERIFY(selectSub(page));

        QPushButton *pause = page.details()->actionButton(SubscriptionAction::PauseCollection);
        QVERIFY2(pause->isEnabled(), qPrintable(pause->toolTip()));
        pause->click();
        auto *dialog = openDialog<QDialog>(&page, QStringLiteral("pauseCollectionDialog"));
        QVERIFY(dialog);
        auto *behavior = dialog->findChild<QComboBox *>(QStringLiteral("pauseBehavior"));
        behavior->setCurrentIndex(behavior->findData(QStringLiteral("keep_as_draft")));
        dialog->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(QStringLiteral("Done in Stripe")),
                                 20000);
        QVERIFY2(page.banner()->text().contains(QStringLiteral("pause of collection")),
                 qPrintable(page.banner()->text()));
        QCOMPARE(scalar(db, QStringLiteral("SELECT result ->> 'pause_collection_behavior' FROM "
                                           "jobs WHERE kind = 'subscription.pause_collection'"))
                     .toString(),
                 QStringLiteral("keep_as_draft"));

        QTRY_VERIFY_WITH_TIMEOUT(
            page.details()->actionButton(SubscriptionAction::ResumeCollection)->isEnabled(), 10000);
        page.details()->actionButton(SubscriptionAction::ResumeCollection)->click();
        auto *box =
            openDialog<QMessageBox>(&page, QStringLiteral("subscriptionActionConfirmation"));
        QVERIFY(box);
        box->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            page.banner()->text().contains(QStringLiteral("resumption of collection")), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(QStringLiteral("Done in Stripe")),
                                 20000);

        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!stopped.isEmpty(), 10000);
    }

    void planChangePreviewedThenConfirmed()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake);
        QVERIFY(worker);
        worker->start();
        QVERIFY(intoStripe(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);

        ChangeFeed feed(fiona->settings);
        SubscriptionsPage page(fiona->settings);
        page.setAccess(accessOf(fiona->settings));
        page.setChangeFeed(&feed);
        page.resize(1200, 800);
        page.show();
        page.activate();
        QVERIFY(selectSub(page));

        QVERIFY2(page.details()->changePlanButton()->isEnabled(),
                 qPrintable(page.details()->changePlanButton()->toolTip()));
        page.details()->changePlanButton()->click();
        auto *dialog = openDialog<ChangePlanDialog>(&page, QStringLiteral("changePlanDialog"));
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading(), 10000);
        QCOMPARE(dialog->planBox()->count(), 2);
        QVERIFY(!dialog->previewButton()->isEnabled()); // nothing chosen yet
        QVERIFY(!dialog->confirmButton()->isEnabled());
        dialog->planBox()->setCurrentIndex(dialog->planBox()->findData(PlanTeam));
        dialog->quantityBox()->setValue(4);
        dialog->prorationBox()->setCurrentIndex(
            dialog->prorationBox()->findData(QStringLiteral("always_invoice")));
        QVERIFY(dialog->previewButton()->isEnabled());
        QVERIFY(!dialog->confirmButton()->isEnabled()); // preview first
        dialog->previewButton()->click();
        QVERIFY(dialog->previewStatus()->text().startsWith(QStringLiteral("Asking Stripe")));
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->amountDue()->text().isEmpty(), 20000);
        QVERIFY2(dialog->amountDue()->text().startsWith(
                     QStringLiteral("Amount due on the next invoice: ")) &&
                     dialog->amountDue()->text().endsWith(QStringLiteral(" EUR")),
                 qPrintable(dialog->amountDue()->text()));
        QVERIFY(dialog->previewLines()->rowCount() > 0);
        QVERIFY(dialog->confirmButton()->isEnabled());
        const qint64 prorationDate = qint64(
            dialog->previewTracker()->result().value(QLatin1String("proration_date")).toDouble());
        QVERIFY(prorationDate > 0);

        // Another choice needs its own preview.
        dialog->quantityBox()->setValue(5);
        QVERIFY(!dialog->confirmButton()->isEnabled());
        QVERIFY(dialog->amountDue()->text().isEmpty());
        dialog->quantityBox()->setValue(4);
        dialog->previewButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(dialog->confirmButton()->isEnabled(), 20000);
        QPointer<ChangePlanDialog> open(dialog);
        dialog->confirmButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(!open, 10000); // closed (and gone) once the change is queued
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(QStringLiteral("Done in Stripe")),
                                 20000);
        QVERIFY2(
            page.banner()->text().contains(QStringLiteral("change of plan to Team, quantity 4")),
            qPrintable(page.banner()->text()));
        QCOMPARE(
            scalar(
                db,
                QStringLiteral("SELECT plan_id::text FROM subscriptions WHERE id = '%1'").arg(Sub))
                .toString(),
            PlanTeam);
        QCOMPARE(scalar(db, QStringLiteral("SELECT payload ->> 'proration_behavior' FROM jobs "
                                           "WHERE kind = 'subscription.change_plan'"))
                     .toString(),
                 QStringLiteral("always_invoice"));
        QVERIFY(scalar(db, QStringLiteral("SELECT (payload ->> 'proration_date')::bigint > 0 FROM "
                                          "jobs WHERE kind = 'subscription.change_plan'"))
                    .toBool());

        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!stopped.isEmpty(), 10000);
    }

    void newSubscriptionSyncsThenGivesACheckoutLink()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake);
        QVERIFY(worker);
        worker->start();
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        auto ada = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY(ada);

        {
            // Finance may start subscriptions but not make the tenant a Stripe customer.
            SubscriptionsPage page(fiona->settings);
            page.setAccess(accessOf(fiona->settings));
            page.show();
            page.activate();
            QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 10000);
            QVERIFY(page.newSubscriptionButton()->isEnabled());
            page.newSubscriptionButton()->click();
            auto *dialog =
                openDialog<NewSubscriptionDialog>(&page, QStringLiteral("newSubscriptionDialog"));
            QVERIFY(dialog);
            QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading(), 10000);
            QCOMPARE(dialog->readiness()->text(),
                     QStringLiteral("Acme Ltd is not a Stripe customer yet. Sync the tenant to "
                                    "Stripe first."));
            QVERIFY(!dialog->createButton()->isEnabled());
            QVERIFY(dialog->syncButton()->isVisible());
            QVERIFY(!dialog->syncButton()->isEnabled());
            QVERIFY(dialog->syncButton()->toolTip().contains(QStringLiteral("tenants.manage")));
            dialog->reject();
        }

        ChangeFeed feed(ada->settings);
        SubscriptionsPage page(ada->settings);
        page.setAccess(accessOf(ada->settings));
        page.setChangeFeed(&feed);
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy(), 10000);
        page.newSubscriptionButton()->click();
        auto *dialog =
            openDialog<NewSubscriptionDialog>(&page, QStringLiteral("newSubscriptionDialog"));
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading(), 10000);
        dialog->planBox()->setCurrentIndex(dialog->planBox()->findData(PlanTeam));
        // The tenant first, then the plan: each synced through the worker from here.
        QVERIFY(dialog->syncButton()->isEnabled());
        QCOMPARE(dialog->syncButton()->text(), QStringLiteral("Sync tenant to Stripe"));
        dialog->syncButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(dialog->syncButton()->text(),
                                  QStringLiteral("Publish plan to Stripe"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading() && dialog->syncButton()->isEnabled(), 10000);
        QVERIFY(!scalar(db, QStringLiteral("SELECT stripe_customer_id FROM organizations WHERE id "
                                           "= '%1'")
                                .arg(Acme))
                     .toString()
                     .isEmpty());
        dialog->syncButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading() && dialog->readiness()->text().isEmpty() &&
                                     dialog->planBox()->currentData().toString() == PlanTeam,
                                 20000);

        dialog->quantityBox()->setValue(7);
        dialog->trialDaysBox()->setValue(14);
        dialog->checkoutButton()->setChecked(true);
        QVERIFY(!dialog->createButton()->isEnabled()); // no return address yet
        QVERIFY(dialog->createButton()->toolTip().contains(QStringLiteral("https")));
        dialog->successUrlEdit()->setText(QStringLiteral("https://acme.example/thanks"));
        QVERIFY2(dialog->createButton()->isEnabled(),
                 qPrintable(dialog->createButton()->toolTip()));
        dialog->createButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(dialog->checkoutLink()->isVisible(), 20000);
        QVERIFY2(dialog->checkoutLink()->text().startsWith(QStringLiteral("https://")),
                 qPrintable(dialog->checkoutLink()->text()));
        dialog->copyButton()->click();
        QCOMPARE(QGuiApplication::clipboard()->text(), dialog->checkoutLink()->text());
        QVERIFY(!dialog->createButton()->isEnabled()); // once per opening
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions WHERE plan_id = "
                                           "'%1' AND quantity = 7 AND status = 'incomplete'")
                                .arg(PlanTeam))
                     .toInt(),
                 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT payload ->> 'trial_days' FROM jobs WHERE kind "
                                           "= 'subscription.create'"))
                     .toString(),
                 QStringLiteral("14"));
        dialog->reject();

        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!stopped.isEmpty(), 10000);
    }

    void tenantSyncPlanPublishAndInvoiceVoid()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake);
        QVERIFY(worker);
        worker->start();
        auto ada = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY(ada);
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        ChangeFeed feed(ada->settings);

        {
            TenantsPage page(ada->settings);
            page.setAccess(accessOf(ada->settings));
            page.setChangeFeed(&feed);
            page.resize(1100, 700);
            page.show();
            page.activate();
            QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowOfId(Acme) >= 0, 10000);
            page.view()->selectRow(page.model()->rowOfId(Acme));
            QPushButton *sync = page.stripeActions()->button(QStringLiteral("syncToStripe"));
            QVERIFY(sync);
            QVERIFY2(sync->isEnabled(), qPrintable(sync->toolTip()));
            sync->click();
            QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(
                                         QStringLiteral("Acme Ltd is Stripe customer cus_")),
                                     20000);
            // The detail follows the change feed.
            auto *stripe = page.findChild<QLabel *>(QStringLiteral("detailStripe"));
            QTRY_VERIFY_WITH_TIMEOUT(stripe->text().startsWith(QStringLiteral("cus_")), 10000);
        }
        {
            PlansPage page(ada->settings);
            page.setAccess(accessOf(ada->settings));
            page.setChangeFeed(&feed);
            page.resize(1100, 700);
            page.show();
            page.activate();
            QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowOfId(PlanPro) >= 0, 10000);
            page.view()->selectRow(page.model()->rowOfId(PlanPro));
            QPushButton *publish = page.stripeActions()->button(QStringLiteral("publishToStripe"));
            QVERIFY(publish);
            QTRY_VERIFY_WITH_TIMEOUT(publish->isEnabled(), 5000);
            publish->click();
            QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(QStringLiteral(
                                         "The plan Pro is in Stripe: product prod_")),
                                     20000);
            QVERIFY2(page.banner()->text().contains(QStringLiteral(", price price_")),
                     qPrintable(page.banner()->text()));
        }
        {
            // A finance operator sees plan publishing refused with the reason.
            PlansPage page(fiona->settings);
            page.setAccess(accessOf(fiona->settings));
            page.show();
            page.activate();
            QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowOfId(PlanPro) >= 0, 10000);
            page.view()->selectRow(page.model()->rowOfId(PlanPro));
            QPushButton *publish = page.stripeActions()->button(QStringLiteral("publishToStripe"));
            QVERIFY(publish);
            QVERIFY(!publish->isEnabled());
            QCOMPARE(publish->toolTip(),
                     QStringLiteral("Only platform administrators can do this."));
        }

        // An invoiced subscription: Stripe opens its first invoice.
        const QString create =
            enqueue(db, Acme, jobkinds::CreateSubscription,
                    {{QStringLiteral("subscription_id"), Sub},
                     {QStringLiteral("collection"), QStringLiteral("send_invoice")},
                     {QStringLiteral("days_until_due"), 30}});
        QTRY_COMPARE_WITH_TIMEOUT(statusOf(db, create), QStringLiteral("succeeded"), 20000);
        QString stripeInvoice;
        for (const QJsonObject &invoice : fake.objects(QStringLiteral("invoice")))
            if (invoice.value(QLatin1String("status")).toString() == QLatin1String("open"))
                stripeInvoice = invoice.value(QLatin1String("id")).toString();
        QVERIFY(!stripeInvoice.isEmpty());
        const QString invoiceId = QStringLiteral("00000000-0000-0000-0000-00000000f001");
        QVERIFY(exec(db, QStringLiteral("INSERT INTO invoices (id, organization_id, "
                                        "subscription_id, number, status, currency, total, "
                                        "amount_due, amount_remaining, stripe_invoice_id) VALUES "
                                        "('%1', '%2', '%3', 'ACME-0001', 'open', 'EUR', 14700, "
                                        "14700, 14700, '%4')")
                             .arg(invoiceId, Acme, Sub, stripeInvoice)));

        ChangeFeed fionaFeed(fiona->settings);
        InvoicesPage page(fiona->settings);
        page.setAccess(accessOf(fiona->settings));
        page.setChangeFeed(&fionaFeed);
        page.resize(1100, 700);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowOfId(invoiceId) >= 0, 10000);
        page.view()->selectRow(page.model()->rowOfId(invoiceId));
        QPushButton *voidButton = page.stripeActions()->button(QStringLiteral("voidInvoice"));
        QVERIFY(voidButton);
        QVERIFY2(voidButton->isEnabled(), qPrintable(voidButton->toolTip()));
        voidButton->click();
        auto *box = openDialog<QMessageBox>(&page, QStringLiteral("stripeActionConfirmation"));
        QVERIFY(box);
        QCOMPARE(box->text(), QStringLiteral("Void invoice ACME-0001 of Acme Ltd (147.00 EUR)?"));
        // Keeping it as is queues nothing.
        box->button(QMessageBox::Cancel)->click();
        QTest::qWait(200);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE kind = "
                                           "'invoice.void'"))
                     .toInt(),
                 0);
        voidButton->click();
        box = openDialog<QMessageBox>(&page, QStringLiteral("stripeActionConfirmation"));
        QVERIFY(box);
        box->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().startsWith(QStringLiteral("Done in Stripe")),
                                 20000);
        QVERIFY2(page.banner()->text().contains(QStringLiteral("voiding of invoice ACME-0001")),
                 qPrintable(page.banner()->text()));
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT status FROM invoices WHERE id = '%1'").arg(invoiceId))
                .toString(),
            QStringLiteral("void"));
        // Once void, nothing more can be done to it.
        QTRY_VERIFY_WITH_TIMEOUT(!voidButton->isEnabled(), 10000);
        QVERIFY(voidButton->toolTip().startsWith(QStringLiteral("Only an open invoice")));

        {
            // Usage: reported per organization; with nothing unreported, Stripe gets nothing.
            UsagePage usage(fiona->settings);
            usage.setAccess(accessOf(fiona->settings));
            usage.setChangeFeed(&fionaFeed);
            usage.resize(1100, 700);
            usage.show();
            usage.activate();
            QPushButton *report = usage.stripeActions()->button(QStringLiteral("reportToStripe"));
            QVERIFY(report);
            auto *organization = usage.findChild<QComboBox *>(QStringLiteral("usageOrganization"));
            QTRY_VERIFY_WITH_TIMEOUT(!usage.isBusy() && organization->findData(Acme) >= 0, 10000);
            QVERIFY(!report->isEnabled());
            QVERIFY(report->toolTip().contains(QStringLiteral("Choose an organization")));
            organization->setCurrentIndex(organization->findData(Acme));
            QTRY_VERIFY_WITH_TIMEOUT(report->isEnabled(), 5000);
            report->click();
            auto *confirm =
                openDialog<QMessageBox>(&usage, QStringLiteral("stripeActionConfirmation"));
            QVERIFY(confirm);
            confirm->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
            QTRY_COMPARE_WITH_TIMEOUT(usage.banner()->text(),
                                      QStringLiteral("Acme Ltd had no unreported usage; nothing "
                                                     "was sent to Stripe."),
                                      20000);
        }

        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QTRY_VERIFY_WITH_TIMEOUT(!stopped.isEmpty(), 10000);
    }

    void previewWithoutAnOfficeServerSaysSo()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET status = 'active', "
                                        "stripe_subscription_id = 'sub_x1'; UPDATE plans SET "
                                        "stripe_price_id = 'price_' || name")));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        SubscriptionsPage page(fiona->settings);
        page.setAccess(accessOf(fiona->settings));
        page.resize(1200, 800);
        page.show();
        page.activate();
        QVERIFY(selectSub(page));
        page.details()->changePlanButton()->click();
        auto *dialog = openDialog<ChangePlanDialog>(&page, QStringLiteral("changePlanDialog"));
        QVERIFY(dialog);
        dialog->setWaitingHintAfterMs(300);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog->isLoading(), 10000);
        dialog->planBox()->setCurrentIndex(dialog->planBox()->findData(PlanTeam));
        dialog->previewButton()->click();
        QTRY_VERIFY_WITH_TIMEOUT(
            dialog->previewStatus()->text().contains(QStringLiteral("may not be running")), 10000);
        QVERIFY(!dialog->confirmButton()->isEnabled());
        dialog->reject();
    }
};

QTEST_MAIN(BillingFlowsGuiTest)
#include "tst_billingflowsgui.moc"
