// The job worker with the billing handlers against the in-process fake Stripe: each kind
// makes the Stripe calls it should (counted in the fake) and records Stripe's answer in our
// tables with the job's outcome; a re-claimed job repeats its calls with the same keys and
// creates nothing twice; refusals and malformed replies end as failed jobs with a sentence;
// a graceful stop hands unfinished jobs back to the queue.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "jobs/billinghandlers.h"
#include "jobs/jobkinds.h"
#include "jobs/jobworker.h"
#include "stripe/stripeclient.h"

#include <QJsonDocument>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-00000000e001");
const QString PlanPro = QStringLiteral("00000000-0000-0000-0000-00000000e101");
const QString PlanTeam = QStringLiteral("00000000-0000-0000-0000-00000000e102");
const QString PlanApi = QStringLiteral("00000000-0000-0000-0000-00000000e103");
const QString SubA = QStringLiteral("00000000-0000-0000-0000-00000000c001");
const QString SubB = QStringLiteral("00000000-0000-0000-0000-00000000c002");
const QString SubMetered = QStringLiteral("00000000-0000-0000-0000-00000000c003");
const QString TestKey = QStringLiteral("sk_test_workerunit0123456789");

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

bool seed(const TestDatabase &db)
{
    return exec(
        db,
        QStringLiteral(
            "INSERT INTO organizations (id, name, slug, billing_email, currency, tax_id) VALUES "
            "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR', 'DE123456789');"
            "INSERT INTO products (id, name) VALUES ('%2', 'Platform');"
            "INSERT INTO plans (id, product_id, name, amount, currency, usage_type, metric) VALUES"
            " ('%3', '%2', 'Pro', 4900, 'EUR', 'licensed', NULL),"
            " ('%4', '%2', 'Team', 9900, 'EUR', 'licensed', NULL),"
            " ('%5', '%2', 'API', 2, 'EUR', 'metered', 'api_calls');"
            "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity) VALUES"
            " ('%6', '%1', '%3', 'incomplete', 3), ('%7', '%1', '%3', 'incomplete', 1),"
            " ('%8', '%1', '%5', 'incomplete', 1);")
            .arg(OrgA, Product, PlanPro, PlanTeam, PlanApi, SubA, SubB, SubMetered));
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
    q.addBindValue(QStringLiteral("test-%1-%2").arg(kind).arg(++counter));
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

QJsonObject resultOf(const TestDatabase &db, const QString &job)
{
    return QJsonDocument::fromJson(
               scalar(db, QStringLiteral("SELECT result::text FROM jobs WHERE id = '%1'").arg(job))
                   .toString()
                   .toUtf8())
        .object();
}

QString stripeSub(const TestDatabase &db, const QString &subscription)
{
    return scalar(db, QStringLiteral("SELECT stripe_subscription_id FROM subscriptions WHERE id = "
                                     "'%1'")
                          .arg(subscription))
        .toString();
}

QJsonObject subscriptionPayload(const TestDatabase &db, const QString &subscription)
{
    return {{QStringLiteral("subscription_id"), subscription},
            {QStringLiteral("stripe_subscription_id"), stripeSub(db, subscription)}};
}
} // namespace

// Waits (running the event loop) until the job has an outcome; a job left queued for its
// backoff does not count.
#define WAIT_DONE(db, job)                                                                         \
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(db, job) == QLatin1String("succeeded") ||                    \
                                 statusOf(db, job) == QLatin1String("failed"),                     \
                             30000)

class TestJobWorker : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<JobWorker> makeWorker(const TestDatabase &db, FakeStripeServer &fake,
                                          const QString &name, int concurrency = 2,
                                          int leaseSeconds = 30)
    {
        auto service = test::createServiceLogin(db, name);
        if (!service)
            return nullptr;
        StripeClientOptions stripe;
        stripe.baseUrl = fake.baseUrl();
        stripe.secretKey = TestKey;
        stripe.timeoutMs = 2000;
        JobWorkerOptions options;
        options.workerName = name;
        options.concurrency = concurrency;
        options.pollIntervalMs = 200;
        options.leaseSeconds = leaseSeconds;
        options.stopTimeoutMs = 500;
        options.backoff.baseSeconds = 1;
        options.backoff.capSeconds = 2;
        auto worker = std::make_unique<JobWorker>(service.value(), stripe, options);
        for (const auto &handler : billingJobHandlers())
            worker->addHandler(handler);
        return worker;
    }

private slots:
    void billingOperationsEndToEnd()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("w1"));
        QVERIFY(worker);
        worker->start();

        // The tenant becomes a Stripe customer, once; a second sync updates it.
        const QString customer = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        WAIT_DONE(db, customer);
        QCOMPARE(statusOf(db, customer), QStringLiteral("succeeded"));
        const QString cus =
            scalar(db, QStringLiteral("SELECT stripe_customer_id FROM organizations")).toString();
        QVERIFY(cus.startsWith(QLatin1String("cus_")));
        QCOMPARE(fake.object(cus).value(QLatin1String("email")).toString(),
                 QStringLiteral("ap@acme.example"));
        QCOMPARE(fake.object(cus)
                     .value(QLatin1String("metadata"))
                     .toObject()
                     .value(QLatin1String("tax_id"))
                     .toString(),
                 QStringLiteral("DE123456789"));
        // The address travels too (address[line1], ... as Stripe takes it).
        QVERIFY(exec(db, QStringLiteral("UPDATE organizations SET billing_email = "
                                        "'billing@acme.example', address_line1 = 'Hauptstr. 1', "
                                        "postal_code = '10115', city = 'Berlin', country = 'DE'")));
        const QString resync = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        WAIT_DONE(db, resync);
        QCOMPARE(statusOf(db, resync), QStringLiteral("succeeded"));
        QCOMPARE(fake.createdCount(QStringLiteral("customer")), 1);
        QCOMPARE(fake.object(cus).value(QLatin1String("email")).toString(),
                 QStringLiteral("billing@acme.example"));
        const QJsonObject address = fake.object(cus).value(QLatin1String("address")).toObject();
        QCOMPARE(address.value(QLatin1String("line1")).toString(), QStringLiteral("Hauptstr. 1"));
        QCOMPARE(address.value(QLatin1String("city")).toString(), QStringLiteral("Berlin"));
        QCOMPARE(address.value(QLatin1String("postal_code")).toString(), QStringLiteral("10115"));
        QCOMPARE(address.value(QLatin1String("country")).toString(), QStringLiteral("DE"));
        QVERIFY(address.value(QLatin1String("line2")).isNull());

        // Plans: one product for both, a price each, a meter for the metered plan.
        QStringList plans;
        for (const QString &plan : {PlanPro, PlanTeam, PlanApi})
            plans << enqueue(db, QString(), jobkinds::SyncPlan,
                             {{QStringLiteral("plan_id"), plan}});
        for (const QString &job : plans) {
            WAIT_DONE(db, job);
            QCOMPARE(statusOf(db, job), QStringLiteral("succeeded"));
        }
        QCOMPARE(fake.createdCount(QStringLiteral("product")), 1);
        QCOMPARE(fake.createdCount(QStringLiteral("price")), 3);
        QCOMPARE(fake.createdCount(QStringLiteral("billing.meter")), 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM plans WHERE stripe_price_id IS "
                                           "NOT NULL"))
                     .toInt(),
                 3);
        QVERIFY(
            scalar(db,
                   QStringLiteral("SELECT stripe_meter_id FROM plans WHERE id = '%1'").arg(PlanApi))
                .toString()
                .startsWith(QLatin1String("mtr_")));

        // Subscriptions: charged automatically, invoiced with 14 days, a checkout link.
        const QString automatic =
            enqueue(db, OrgA, jobkinds::CreateSubscription,
                    {{QStringLiteral("subscription_id"), SubA},
                     {QStringLiteral("collection"), QStringLiteral("automatic")},
                     {QStringLiteral("trial_days"), 14}});
        const QString invoiced =
            enqueue(db, OrgA, jobkinds::CreateSubscription,
                    {{QStringLiteral("subscription_id"), SubB},
                     {QStringLiteral("collection"), QStringLiteral("send_invoice")},
                     {QStringLiteral("days_until_due"), 14}});
        const QString checkout =
            enqueue(db, OrgA, jobkinds::CreateSubscription,
                    {{QStringLiteral("subscription_id"), SubMetered},
                     {QStringLiteral("collection"), QStringLiteral("checkout")},
                     {QStringLiteral("success_url"), QStringLiteral("https://acme.example/ok")}});
        for (const QString &job : {automatic, invoiced, checkout}) {
            WAIT_DONE(db, job);
            QVERIFY2(statusOf(db, job) == QLatin1String("succeeded"),
                     qPrintable(scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id "
                                                          "= '%1'")
                                               .arg(job))
                                    .toString()));
        }
        const QString subA = stripeSub(db, SubA);
        QVERIFY(subA.startsWith(QLatin1String("sub_")));
        QCOMPARE(scalar(db, QStringLiteral("SELECT status || '/' || quantity FROM subscriptions "
                                           "WHERE id = '%1'")
                                .arg(SubA))
                     .toString(),
                 QStringLiteral("trialing/3"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT collection_method || '/' || days_until_due "
                                           "FROM subscriptions WHERE id = '%1'")
                                .arg(SubB))
                     .toString(),
                 QStringLiteral("send_invoice/14"));
        QVERIFY(resultOf(db, checkout)
                    .value(QLatin1String("checkout_url"))
                    .toString()
                    .startsWith(QLatin1String("https://")));
        QCOMPARE(fake.createdCount(QStringLiteral("subscription")), 2);

        // Quantity, cancel at period end, resume, pause and resume collection.
        const QString quantity = enqueue(db, OrgA, jobkinds::UpdateQuantity, [&] {
            QJsonObject p = subscriptionPayload(db, SubA);
            p.insert(QStringLiteral("quantity"), 7);
            p.insert(QStringLiteral("previous_quantity"), 3);
            return p;
        }());
        WAIT_DONE(db, quantity);
        QCOMPARE(statusOf(db, quantity), QStringLiteral("succeeded"));
        QCOMPARE(
            scalar(db,
                   QStringLiteral("SELECT quantity FROM subscriptions WHERE id = '%1'").arg(SubA))
                .toInt(),
            7);
        QCOMPARE(firstQuantity(fake.object(subA)), 7);

        const QString cancelLater =
            enqueue(db, OrgA, jobkinds::CancelAtPeriodEnd, subscriptionPayload(db, SubA));
        WAIT_DONE(db, cancelLater);
        QVERIFY(scalar(db, QStringLiteral("SELECT cancel_at_period_end FROM subscriptions WHERE "
                                          "id = '%1'")
                               .arg(SubA))
                    .toBool());
        QVERIFY(fake.object(subA).value(QLatin1String("cancel_at_period_end")).toBool());
        QJsonObject resume = subscriptionPayload(db, SubA);
        resume.insert(QStringLiteral("mode"), QStringLiteral("keep_renewing"));
        const QString resumed = enqueue(db, OrgA, jobkinds::Resume, resume);
        WAIT_DONE(db, resumed);
        QVERIFY(!scalar(db, QStringLiteral("SELECT cancel_at_period_end FROM subscriptions WHERE "
                                           "id = '%1'")
                                .arg(SubA))
                     .toBool());

        QJsonObject pause = subscriptionPayload(db, SubB);
        pause.insert(QStringLiteral("behavior"), QStringLiteral("keep_as_draft"));
        const QString paused = enqueue(db, OrgA, jobkinds::PauseCollection, pause);
        WAIT_DONE(db, paused);
        QCOMPARE(statusOf(db, paused), QStringLiteral("succeeded"));
        QCOMPARE(fake.object(stripeSub(db, SubB))
                     .value(QLatin1String("pause_collection"))
                     .toObject()
                     .value(QLatin1String("behavior"))
                     .toString(),
                 QStringLiteral("keep_as_draft"));
        const QString unpaused =
            enqueue(db, OrgA, jobkinds::ResumeCollection, subscriptionPayload(db, SubB));
        WAIT_DONE(db, unpaused);
        QCOMPARE(statusOf(db, unpaused), QStringLiteral("succeeded"));
        QVERIFY(fake.object(stripeSub(db, SubB)).value(QLatin1String("pause_collection")).isNull());

        // Change of plan: a preview first, then the change at the preview's moment.
        QJsonObject change = subscriptionPayload(db, SubA);
        change.insert(QStringLiteral("plan_id"), PlanTeam);
        change.insert(QStringLiteral("proration_behavior"), QStringLiteral("create_prorations"));
        const QString preview = enqueue(db, OrgA, jobkinds::PreviewChange, change);
        WAIT_DONE(db, preview);
        QVERIFY2(statusOf(db, preview) == QLatin1String("succeeded"),
                 qPrintable(scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'")
                                           .arg(preview))
                                .toString()));
        const QJsonObject previewed = resultOf(db, preview);
        QCOMPARE(previewed.value(QLatin1String("currency")).toString(), QStringLiteral("EUR"));
        QVERIFY(previewed.value(QLatin1String("amount_due")).isDouble());
        change.insert(QStringLiteral("proration_date"),
                      previewed.value(QLatin1String("proration_date")));
        const QString changed = enqueue(db, OrgA, jobkinds::ChangePlan, change);
        WAIT_DONE(db, changed);
        QCOMPARE(statusOf(db, changed), QStringLiteral("succeeded"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT plan_id::text FROM subscriptions WHERE id = "
                                           "'%1'")
                                .arg(SubA))
                     .toString(),
                 PlanTeam);

        // Usage: reported per subscription and metric with identifiers from our records;
        // reporting again sends nothing new, and the fake counts each event once.
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = "
                                        "'sub_metered1', status = 'active' WHERE id = '%1'")
                             .arg(SubMetered)));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO usage_records (organization_id, "
                                        "subscription_id, metric, quantity, occurred_at, "
                                        "idempotency_key) SELECT '%1', '%2', 'api_calls', g, now() "
                                        "- interval '1 hour', 'u' || g FROM generate_series(1, 10) "
                                        "g")
                             .arg(OrgA, SubMetered)));
        const QString usage = enqueue(db, OrgA, jobkinds::ReportUsage, {});
        WAIT_DONE(db, usage);
        QCOMPARE(statusOf(db, usage), QStringLiteral("succeeded"));
        QCOMPARE(resultOf(db, usage).value(QLatin1String("events")).toInt(), 1);
        QCOMPARE(resultOf(db, usage).value(QLatin1String("records")).toInt(), 10);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records WHERE "
                                           "reported_state = 'reported'"))
                     .toInt(),
                 10);
        const QString again = enqueue(db, OrgA, jobkinds::ReportUsage, {});
        WAIT_DONE(db, again);
        QCOMPARE(resultOf(db, again).value(QLatin1String("events")).toInt(), 0);
        QCOMPARE(fake.createdCount(QStringLiteral("billing.meter_event")), 1);

        // Cancel now.
        const QString cancel =
            enqueue(db, OrgA, jobkinds::CancelNow, subscriptionPayload(db, SubB));
        WAIT_DONE(db, cancel);
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT status FROM subscriptions WHERE id = '%1'").arg(SubB))
                .toString(),
            QStringLiteral("canceled"));

        // Everything the worker changed is in the audit trail as the worker's (the test's own
        // changes are the owner's).
        QCOMPARE(scalar(db, QStringLiteral(
                                "SELECT count(DISTINCT source) || '/' || min(source) "
                                "FROM audit_log WHERE entity IN ('jobs', "
                                "'subscriptions') AND action = 'update' AND login <> session_user"))
                     .toString(),
                 QStringLiteral("1/worker"));

        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QVERIFY(stopped.wait(10000));
    }

    void refusalsAndMalformedRepliesFailWithASentence()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET max_attempts = 2")));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("w2"), 1);
        QVERIFY(worker);
        worker->start();

        // A subscription Stripe does not know: refused for good, in Stripe's words.
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = "
                                        "'sub_unknown', status = 'active' WHERE id = '%1'")
                             .arg(SubA)));
        const QString missing =
            enqueue(db, OrgA, jobkinds::CancelAtPeriodEnd, subscriptionPayload(db, SubA));
        WAIT_DONE(db, missing);
        QCOMPARE(statusOf(db, missing), QStringLiteral("failed"));
        const QString reason =
            scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'").arg(missing))
                .toString();
        QVERIFY2(reason.startsWith(QLatin1String("Stripe refused the request")),
                 qPrintable(reason));
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT attempts FROM jobs WHERE id = '%1'").arg(missing))
                .toInt(),
            1);

        // Garbage instead of JSON on every attempt: failed after its attempts, not a crash.
        fake.failNext(1000, QStringLiteral("malformed"));
        const QString garbled = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        QVERIFY(exec(
            db, QStringLiteral("UPDATE jobs SET max_attempts = 2 WHERE id = '%1'").arg(garbled)));
        WAIT_DONE(db, garbled);
        QCOMPARE(statusOf(db, garbled), QStringLiteral("failed"));
        const QString garbledReason =
            scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'").arg(garbled))
                .toString();
        QVERIFY2(!garbledReason.isEmpty() && !garbledReason.contains(TestKey),
                 qPrintable(garbledReason));
        fake.clearFaults();

        // A job the worker does not know.
        QVERIFY(exec(db, QStringLiteral("INSERT INTO jobs (organization_id, kind, "
                                        "idempotency_key) VALUES ('%1', 'invoice.teleport', "
                                        "'k-unknown')")
                             .arg(OrgA)));
        const QString unknown =
            scalar(db, QStringLiteral("SELECT id FROM jobs WHERE idempotency_key = 'k-unknown'"))
                .toString();
        WAIT_DONE(db, unknown);
        QVERIFY(
            scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'").arg(unknown))
                .toString()
                .contains(QLatin1String("does not know how to run \"invoice.teleport\"")));

        // A subscription job whose tenant is not a customer yet waits (retried), then fails
        // with the reason after its attempts.
        const QString early = enqueue(db, OrgA, jobkinds::CreateSubscription,
                                      {{QStringLiteral("subscription_id"), SubB}});
        QVERIFY(exec(
            db, QStringLiteral("UPDATE jobs SET max_attempts = 2 WHERE id = '%1'").arg(early)));
        WAIT_DONE(db, early);
        QVERIFY(scalar(db, QStringLiteral("SELECT last_error FROM jobs WHERE id = '%1'").arg(early))
                    .toString()
                    .startsWith(QLatin1String("Gave up after 2 attempts. The tenant is not a "
                                              "Stripe customer yet.")));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'running'"))
                     .toInt(),
                 0);
        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QVERIFY(stopped.wait(10000));
    }

    void gracefulStopReleasesWhatIsStillRunning()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        FakeStripeServer::Faults faults;
        faults.next = 1;
        faults.nextKind = QStringLiteral("slow");
        faults.slowMs = 1500;
        fake.setFaults(faults);
        auto worker = makeWorker(db, fake, QStringLiteral("w3"), 1);
        QVERIFY(worker);
        QSignalSpy started(worker.get(), &JobWorker::jobStarted);
        worker->start();
        const QString job = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        QVERIFY(started.wait(10000));
        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop(); // stopTimeoutMs 500: shorter than the slow reply
        QVERIFY(stopped.wait(10000));
        QCOMPARE(scalar(db, QStringLiteral("SELECT status || '/' || attempts || '/' || "
                                           "(locked_by IS NULL) FROM jobs WHERE id = '%1'")
                                .arg(job))
                     .toString(),
                 QStringLiteral("queued/0/true"));

        // The next worker does it, with the same key: one customer in Stripe.
        auto next = makeWorker(db, fake, QStringLiteral("w4"), 1);
        QVERIFY(next);
        next->start();
        WAIT_DONE(db, job);
        QCOMPARE(statusOf(db, job), QStringLiteral("succeeded"));
        QCOMPARE(fake.createdCount(QStringLiteral("customer")), 1);
        QSignalSpy nextStopped(next.get(), &JobWorker::stopped);
        next->stop();
        QVERIFY(nextStopped.wait(10000));
    }

    void aNewAmountIsANewPriceAndTheOldOneIsArchived()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("w7"), 2);
        QVERIFY(worker);
        worker->start();
        const QString first =
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), PlanPro}});
        WAIT_DONE(db, first);
        const QString oldPrice =
            scalar(db,
                   QStringLiteral("SELECT stripe_price_id FROM plans WHERE id = '%1'").arg(PlanPro))
                .toString();
        QVERIFY(oldPrice.startsWith(QLatin1String("price_")));

        // The plan service's way to change an amount: a new version replaces the old plan,
        // which is archived.
        const QString v2 = QStringLiteral("00000000-0000-0000-0000-00000000e201");
        QVERIFY(exec(db, QStringLiteral("UPDATE plans SET archived_at = now() WHERE id = '%1';"
                                        "INSERT INTO plans (id, product_id, name, amount, "
                                        "currency, replaces_plan_id) VALUES ('%2', '%3', 'Pro', "
                                        "5900, 'EUR', '%1')")
                             .arg(PlanPro, v2, Product)));
        const QString second =
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), v2}});
        WAIT_DONE(db, second);
        QCOMPARE(statusOf(db, second), QStringLiteral("succeeded"));
        const QJsonObject result = resultOf(db, second);
        QCOMPARE(result.value(QLatin1String("archived_price_id")).toString(), oldPrice);
        const QString newPrice = result.value(QLatin1String("stripe_price_id")).toString();
        QVERIFY(newPrice != oldPrice);
        QCOMPARE(fake.object(newPrice).value(QLatin1String("unit_amount")).toInt(), 5900);
        QCOMPARE(fake.object(oldPrice).value(QLatin1String("active")).toBool(true), false);
        QCOMPARE(fake.createdCount(QStringLiteral("product")), 1);
        QCOMPARE(fake.createdCount(QStringLiteral("price")), 2);
        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QVERIFY(stopped.wait(10000));
    }

    void aJobTakenOverIsNotRecordedByTheOldWorker()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        FakeStripeServer::Faults faults;
        faults.next = 1;
        faults.nextKind = QStringLiteral("slow");
        faults.slowMs = 1500; // within the client's timeout: the call succeeds, late
        fake.setFaults(faults);
        auto worker = makeWorker(db, fake, QStringLiteral("w6"), 1, 3);
        QVERIFY(worker);
        QSignalSpy started(worker.get(), &JobWorker::jobStarted);
        QSignalSpy done(worker.get(), &JobWorker::jobDone);
        QSignalSpy answered(&fake, &FakeStripeServer::requestHandled);
        worker->start();
        const QString job = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        QVERIFY(started.wait(10000));
        // Meanwhile another worker holds the job (as after this one's lease expired).
        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET locked_by = 'other', lease_until = "
                                        "now() + interval '1 hour' WHERE id = '%1'")
                             .arg(job)));
        QTRY_VERIFY_WITH_TIMEOUT(!done.isEmpty(), 10000);
        QCOMPARE(done.first().at(2).toString(), QStringLiteral("lost"));
        // Whatever the old worker got from Stripe, the job is still the other worker's.
        QTRY_VERIFY_WITH_TIMEOUT(!answered.isEmpty(), 10000);
        QTest::qWait(100); // the reply reaches the client
        QCOMPARE(scalar(db, QStringLiteral("SELECT status || '/' || locked_by FROM jobs WHERE "
                                           "id = '%1'")
                                .arg(job))
                     .toString(),
                 QStringLiteral("running/other"));
        QVERIFY(scalar(db, QStringLiteral("SELECT stripe_customer_id IS NULL FROM organizations"))
                    .toBool());
        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QVERIFY(stopped.wait(10000));
    }

    void invoiceActions()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("w5"), 2);
        QVERIFY(worker);
        worker->start();
        const QString customer = enqueue(db, OrgA, jobkinds::SyncCustomer, {});
        WAIT_DONE(db, customer);
        const QString cus =
            scalar(db, QStringLiteral("SELECT stripe_customer_id FROM organizations")).toString();

        // Two subscriptions invoiced by e-mail: Stripe opens an invoice for each.
        QStringList plans;
        for (const QString &plan : {PlanPro})
            plans << enqueue(db, QString(), jobkinds::SyncPlan,
                             {{QStringLiteral("plan_id"), plan}});
        WAIT_DONE(db, plans.first());
        for (const QString &sub : {SubA, SubB}) {
            const QString created =
                enqueue(db, OrgA, jobkinds::CreateSubscription,
                        {{QStringLiteral("subscription_id"), sub},
                         {QStringLiteral("collection"), QStringLiteral("send_invoice")},
                         {QStringLiteral("days_until_due"), 30}});
            WAIT_DONE(db, created);
            QCOMPARE(statusOf(db, created), QStringLiteral("succeeded"));
        }
        QStringList invoices;
        for (const QJsonObject &invoice : fake.objects(QStringLiteral("invoice"))) {
            if (invoice.value(QLatin1String("status")).toString() == QLatin1String("open") &&
                invoice.value(QLatin1String("customer")).toString() == cus)
                invoices.prepend(invoice.value(QLatin1String("id")).toString());
        }
        QCOMPARE(invoices.size(), 2);
        for (int i = 0; i < 2; ++i)
            QVERIFY(exec(db, QStringLiteral("INSERT INTO invoices (id, organization_id, status, "
                                            "currency, stripe_invoice_id) VALUES "
                                            "('00000000-0000-0000-0000-00000000d00%1', '%2', "
                                            "'open', 'EUR', '%3')")
                                 .arg(i)
                                 .arg(OrgA, invoices.at(i))));
        auto run = [&](const QString &kind, int invoice) {
            const QString job =
                enqueue(db, OrgA, kind,
                        {{QStringLiteral("invoice_id"),
                          QStringLiteral("00000000-0000-0000-0000-00000000d00%1").arg(invoice)},
                         {QStringLiteral("stripe_invoice_id"), invoices.at(invoice)}});
            [[maybe_unused]] const bool ended = QTest::qWaitFor(
                [&]() {
                    return statusOf(db, job) == QLatin1String("succeeded") ||
                           statusOf(db, job) == QLatin1String("failed");
                },
                30000);
            return scalar(db, QStringLiteral("SELECT status || ' ' || coalesce(last_error, '') "
                                             "FROM jobs WHERE id = '%1'")
                                  .arg(job))
                .toString()
                .trimmed();
        };
        QCOMPARE(run(jobkinds::SendInvoice, 0), QStringLiteral("succeeded"));
        QCOMPARE(run(jobkinds::MarkInvoiceUncollectible, 0), QStringLiteral("succeeded"));
        QCOMPARE(run(jobkinds::VoidInvoice, 1), QStringLiteral("succeeded"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(status, ',' ORDER BY id) FROM "
                                           "invoices"))
                     .toString(),
                 QStringLiteral("uncollectible,void"));
        QCOMPARE(fake.object(invoices.at(1)).value(QLatin1String("status")).toString(),
                 QStringLiteral("void"));
        QSignalSpy stopped(worker.get(), &JobWorker::stopped);
        worker->stop();
        QVERIFY(stopped.wait(10000));
    }

private:
    static int firstQuantity(const QJsonObject &subscription)
    {
        return subscription.value(QLatin1String("items"))
            .toObject()
            .value(QLatin1String("data"))
            .toArray()
            .first()
            .toObject()
            .value(QLatin1String("quantity"))
            .toInt();
    }
};

QTEST_GUILESS_MAIN(TestJobWorker)
#include "tst_jobworker.moc"
