// Reconciliation with Stripe (issue 5, part 5) against the in-process fake Stripe: objects are
// made on both sides by the worker's own flows (customer.sync, plan.sync,
// subscription.create), drift is introduced on one side (the fake through its API, ours by
// SQL as the owner), and the report must list exactly that drift. A repair makes ours equal
// to Stripe with audit rows and leaves no repairable drift; `nobillctl stripe reconcile` does
// the same from the command line with its exit codes.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "jobs/billinghandlers.h"
#include "jobs/jobkinds.h"
#include "jobs/jobworker.h"
#include "reconciliation/reconciler.h"
#include "stripe/stripeclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-00000000e001");
const QString PlanPro = QStringLiteral("00000000-0000-0000-0000-00000000e101");
const QString PlanTeam = QStringLiteral("00000000-0000-0000-0000-00000000e102");
const QString SubA = QStringLiteral("00000000-0000-0000-0000-00000000c001");
const QString TestKey = QStringLiteral("sk_test_reconcile0123456789");

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
        db, QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
                "INSERT INTO products (id, name) VALUES ('%2', 'Platform');"
                "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                " ('%3', '%2', 'Pro', 4900, 'EUR'), ('%4', '%2', 'Team', 9900, 'EUR');"
                "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity) VALUES"
                " ('%5', '%1', '%3', 'incomplete', 3);")
                .arg(OrgA, Product, PlanPro, PlanTeam, SubA));
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

// Queued as the console does it: by a platform administrator, through the function of
// migration 17. An empty optional: compare only.
QString enqueueReconcile(const QSqlDatabase &as, const std::optional<QStringList> &drift)
{
    static int counter = 0;
    QSqlQuery q(as);
    q.prepare(QStringLiteral("SELECT nobill_enqueue_stripe_reconcile(?::text[], ?)::text"));
    q.addBindValue(drift ? QVariant(QStringLiteral("{%1}").arg(drift->join(QLatin1Char(','))))
                         : QVariant(QMetaType::fromType<QString>()));
    q.addBindValue(QStringLiteral("test-reconcile-%1").arg(++counter));
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

QStringList driftIds(const QJsonObject &result)
{
    QStringList ids;
    const QJsonArray drift = result.value(QLatin1String("drift")).toArray();
    for (const QJsonValue &item : drift)
        ids << item.toObject().value(QLatin1String("id")).toString();
    ids.sort();
    return ids;
}

#define WAIT_DONE(db, job)                                                                         \
    QTRY_VERIFY_WITH_TIMEOUT(statusOf(db, job) == QLatin1String("succeeded") ||                    \
                                 statusOf(db, job) == QLatin1String("failed"),                     \
                             30000)
} // namespace

class TestReconciler : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<JobWorker> makeWorker(const TestDatabase &db, FakeStripeServer &fake,
                                          const QString &name)
    {
        auto service = test::createServiceLogin(db, name);
        if (!service)
            return nullptr;
        StripeClientOptions stripe;
        stripe.baseUrl = fake.baseUrl();
        stripe.secretKey = TestKey;
        stripe.timeoutMs = 5000;
        JobWorkerOptions options;
        options.workerName = name;
        options.pollIntervalMs = 200;
        options.stopTimeoutMs = 500;
        options.backoff.baseSeconds = 1;
        options.backoff.capSeconds = 2;
        auto worker = std::make_unique<JobWorker>(service.value(), stripe, options);
        for (const auto &handler : billingJobHandlers())
            worker->addHandler(handler);
        return worker;
    }

    // The tenant, both plans and one subscription made in Stripe by the worker's own jobs.
    bool syncEverything(const TestDatabase &db)
    {
        QStringList jobs{enqueue(db, OrgA, jobkinds::SyncCustomer, {})};
        for (const QString &plan : {PlanPro, PlanTeam})
            jobs << enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), plan}});
        for (const QString &job : jobs) {
            if (!QTest::qWaitFor([&] { return statusOf(db, job) == QLatin1String("succeeded"); },
                                 30000))
                return false;
        }
        const QString create = enqueue(db, OrgA, jobkinds::CreateSubscription,
                                       {{QStringLiteral("subscription_id"), SubA}});
        return QTest::qWaitFor([&] { return statusOf(db, create) == QLatin1String("succeeded"); },
                               30000);
    }

    // A Stripe change made as the dashboard would, through the fake's API.
    bool stripePost(FakeStripeServer &fake, const QString &path, const QVariantMap &params)
    {
        StripeClientOptions options;
        options.baseUrl = fake.baseUrl();
        options.secretKey = TestKey;
        StripeClient client(options);
        std::optional<bool> ok;
        static int counter = 0;
        client.post(path, params, QStringLiteral("dashboard-%1").arg(++counter),
                    [&](const StripeReply &reply) { ok = reply.ok; });
        return QTest::qWaitFor([&] { return ok.has_value(); }, 10000) && *ok;
    }

    QString ours(const TestDatabase &db, const QString &sql) { return scalar(db, sql).toString(); }

private slots:
    void driftListedAndRepairedByTheWorker()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("rw1"));
        QVERIFY(worker);
        worker->start();
        QVERIFY(syncEverything(db));

        auto admin = test::createOperator(db, QStringLiteral("recadmin"), true, {});
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().message));
        test::ScopedConnection adminDb(admin.value().settings);
        QVERIFY2(adminDb.isOpen(), qPrintable(adminDb.error()));

        const QString cus =
            ours(db, QStringLiteral("SELECT stripe_customer_id FROM organizations"));
        const QString sub = ours(
            db, QStringLiteral("SELECT stripe_subscription_id FROM subscriptions WHERE id = '%1'")
                    .arg(SubA));
        const QString teamPrice = ours(
            db, QStringLiteral("SELECT stripe_price_id FROM plans WHERE id = '%1'").arg(PlanTeam));
        QVERIFY(sub.startsWith(QLatin1String("sub_")));
        // The subscription's first invoice exists only in Stripe (no webhook in this test).
        QCOMPARE(fake.objects(QStringLiteral("invoice")).size(), 1);
        const QString invoice =
            fake.objects(QStringLiteral("invoice")).first().value(QLatin1String("id")).toString();

        // Drift on both sides.
        QVERIFY(stripePost(fake, QStringLiteral("/v1/customers/") + cus,
                           {{QStringLiteral("name"), QStringLiteral("Acme GmbH")}}));
        QVERIFY(stripePost(fake, QStringLiteral("/v1/subscriptions/") + sub,
                           {{QStringLiteral("cancel_at_period_end"), true}}));
        QVERIFY(stripePost(fake, QStringLiteral("/v1/prices/") + teamPrice,
                           {{QStringLiteral("active"), false}}));
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET quantity = 7")));

        // Non-admins cannot ask; the admin's comparison lists exactly that drift.
        auto viewer = test::createOperator(db, QStringLiteral("recviewer"), false,
                                           {{OrgA, QStringLiteral("admin")}});
        QVERIFY(viewer);
        test::ScopedConnection viewerDb(viewer.value().settings);
        QVERIFY(enqueueReconcile(viewerDb.database(), std::nullopt).isEmpty());

        const QString compare = enqueueReconcile(adminDb.database(), std::nullopt);
        QVERIFY(!compare.isEmpty());
        WAIT_DONE(db, compare);
        QCOMPARE(statusOf(db, compare), QStringLiteral("succeeded"));
        const QJsonObject report = resultOf(db, compare);
        QStringList expected{QStringLiteral("customer:%1:name").arg(cus),
                             QStringLiteral("subscription:%1:cancel_at_period_end").arg(sub),
                             QStringLiteral("subscription:%1:quantity").arg(sub),
                             QStringLiteral("price:%1:active").arg(teamPrice),
                             QStringLiteral("invoice:%1:missing").arg(invoice)};
        expected.sort();
        QCOMPARE(driftIds(report), expected);
        const DriftReport parsed = DriftReport::fromJson(report);
        QCOMPARE(parsed.subscriptions, 1);
        QCOMPARE(parsed.repairableCount(), 4); // the tenant's name is the console's
        for (const DriftItem &item : parsed.items) {
            if (item.field == QLatin1String("quantity")) {
                QCOMPARE(item.ours, QStringLiteral("7"));
                QCOMPARE(item.stripe, QStringLiteral("3"));
                QCOMPARE(item.ourId, SubA);
            }
            if (item.object == QLatin1String("customer")) {
                QCOMPARE(item.stripe, QStringLiteral("Acme GmbH"));
                QVERIFY(!item.repairable);
            }
        }

        // The repair of what was shown: ours equals Stripe, audited as the worker's.
        const QString auditSql =
            QStringLiteral("SELECT count(*) FROM audit_log WHERE source = 'worker' AND entity IN "
                           "('subscriptions', 'plans', 'invoices')");
        const int auditBefore = scalar(db, auditSql).toInt();
        const QString repair = enqueueReconcile(adminDb.database(), parsed.repairableIds());
        QVERIFY(!repair.isEmpty());
        WAIT_DONE(db, repair);
        QCOMPARE(statusOf(db, repair), QStringLiteral("succeeded"));
        QCOMPARE(resultOf(db, repair).value(QLatin1String("repaired")).toInt(), 4);
        QCOMPARE(scalar(db, QStringLiteral("SELECT quantity FROM subscriptions")).toInt(), 3);
        QVERIFY(
            scalar(db, QStringLiteral("SELECT cancel_at_period_end FROM subscriptions")).toBool());
        QVERIFY(scalar(db, QStringLiteral("SELECT archived_at IS NOT NULL FROM plans WHERE id = "
                                          "'%1'")
                               .arg(PlanTeam))
                    .toBool());
        QCOMPARE(ours(db, QStringLiteral("SELECT organization_id::text || ' ' || "
                                         "subscription_id::text || ' ' || status FROM invoices "
                                         "WHERE stripe_invoice_id = '%1'")
                              .arg(invoice)),
                 QStringLiteral("%1 %2 paid").arg(OrgA, SubA));
        QCOMPARE(ours(db, QStringLiteral("SELECT name FROM organizations")),
                 QStringLiteral("Acme Ltd"));
        const int auditAfter = scalar(db, auditSql).toInt();
        QVERIFY2(auditAfter - auditBefore >= 3, qPrintable(QString::number(auditAfter)));

        // Compared again: only what a repair leaves alone.
        const QString again = enqueueReconcile(adminDb.database(), std::nullopt);
        WAIT_DONE(db, again);
        QCOMPARE(driftIds(resultOf(db, again)),
                 QStringList{QStringLiteral("customer:%1:name").arg(cus)});

        // A repair that names drift that is gone does nothing and says so.
        const QString stale =
            enqueueReconcile(adminDb.database(), QStringList{QStringLiteral("subscription:%1:"
                                                                            "quantity")
                                                                 .arg(sub)});
        WAIT_DONE(db, stale);
        QCOMPARE(resultOf(db, stale).value(QLatin1String("repaired")).toInt(), 0);
        QCOMPARE(resultOf(db, stale).value(QLatin1String("no_longer_drifting")).toInt(), 1);
        worker->stop();
        QTRY_COMPARE_WITH_TIMEOUT(worker->runningCount(), 0, 5000);
    }

    void linksAndAddsWhatStripeNamesAsOurs()
    {
        // A subscription made through Checkout whose webhook never came: Stripe's object names
        // our row in its metadata, ours has no link yet.
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake, QStringLiteral("rw2"));
        QVERIFY(worker);
        worker->start();
        QVERIFY(syncEverything(db));
        worker->stop();
        QTRY_COMPARE_WITH_TIMEOUT(worker->runningCount(), 0, 5000);
        const QString sub =
            ours(db, QStringLiteral("SELECT stripe_subscription_id FROM subscriptions"));
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = NULL, "
                                        "status = 'incomplete'")));

        auto service = test::createServiceLogin(db, QStringLiteral("rsvc"));
        QVERIFY(service);
        test::ScopedConnection serviceDb(service.value());
        auto ourState = Reconciler::readOurs(serviceDb.name());
        QVERIFY2(ourState, qPrintable(ourState ? QString() : ourState.error().message));
        StripeClientOptions options;
        options.baseUrl = fake.baseUrl();
        options.secretKey = TestKey;
        StripeClient client(options);
        std::optional<Result<StripeState>> stripe;
        Reconciler::fetchStripe(client, [&](Result<StripeState> s) { stripe = std::move(s); });
        QTRY_VERIFY_WITH_TIMEOUT(stripe.has_value(), 10000);
        QVERIFY(stripe->isOk());
        const DriftReport report = Reconciler::compare(stripe->value(), ourState.value());
        QStringList kinds;
        for (const DriftItem &item : report.items)
            kinds << item.object + QLatin1Char('/') + driftKindKey(item.kind);
        kinds.sort();
        QCOMPARE(kinds, (QStringList{QStringLiteral("invoice/missing_in_ours"),
                                     QStringLiteral("subscription/not_linked")}));
        QCOMPARE(report.repairableCount(), 2);
        // The invoice needs the subscription linked first: one transaction, in order.
        QVERIFY(Reconciler::applyWrites(serviceDb.name(), Reconciler::repairWrites(report)));
        QCOMPARE(ours(db, QStringLiteral("SELECT stripe_subscription_id || ' ' || status FROM "
                                         "subscriptions")),
                 sub + QStringLiteral(" active"));
        QCOMPARE(ours(db, QStringLiteral("SELECT subscription_id::text FROM invoices")), SubA);
        auto after = Reconciler::readOurs(serviceDb.name());
        QVERIFY(after);
        QVERIFY(Reconciler::compare(stripe->value(), after.value()).isEmpty());

        // Both rows gone from ours: added again from Stripe's objects, the subscription first.
        QVERIFY(exec(db, QStringLiteral("DELETE FROM invoices; DELETE FROM subscriptions")));
        auto emptied = Reconciler::readOurs(serviceDb.name());
        QVERIFY(emptied);
        const DriftReport missing = Reconciler::compare(stripe->value(), emptied.value());
        kinds.clear();
        for (const DriftItem &item : missing.items)
            kinds << item.object + QLatin1Char('/') + driftKindKey(item.kind);
        kinds.sort();
        QCOMPARE(kinds, (QStringList{QStringLiteral("invoice/missing_in_ours"),
                                     QStringLiteral("subscription/missing_in_ours")}));
        QCOMPARE(missing.repairableCount(), 2);
        QVERIFY(Reconciler::applyWrites(serviceDb.name(), Reconciler::repairWrites(missing)));
        QCOMPARE(ours(db, QStringLiteral("SELECT o.name || ' ' || p.name || ' ' || s.status || ' ' "
                                         "|| s.quantity FROM subscriptions s JOIN organizations o "
                                         "ON o.id = s.organization_id JOIN plans p ON p.id = "
                                         "s.plan_id WHERE s.stripe_subscription_id = '%1'")
                              .arg(sub)),
                 QStringLiteral("Acme Ltd Pro active 3"));
        auto refilled = Reconciler::readOurs(serviceDb.name());
        QVERIFY(refilled);
        QVERIFY(Reconciler::compare(stripe->value(), refilled.value()).isEmpty());
    }

    void commandLineExitCodes()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        {
            auto worker = makeWorker(db, fake, QStringLiteral("rw3"));
            QVERIFY(worker);
            worker->start();
            QVERIFY(syncEverything(db));
            worker->stop();
            QTRY_COMPARE_WITH_TIMEOUT(worker->runningCount(), 0, 5000);
        }
        auto service = test::createServiceLogin(db, QStringLiteral("rcli"));
        QVERIFY(service);
        QTemporaryDir credentials;
        QVERIFY(credentials.isValid());
        {
            QFile key(credentials.filePath(QStringLiteral("stripe-secret-key")));
            QVERIFY(key.open(QIODevice::WriteOnly));
            key.write(TestKey.toUtf8());
        }
        // Runs nobillctl while this thread's event loop keeps the fake answering.
        auto run = [&](const QStringList &extra, const QString &baseUrl, QString *out) {
            QProcess p;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), credentials.path());
            p.setProcessEnvironment(env);
            p.start(QStringLiteral(NOBILLCTL),
                    QStringList{QStringLiteral("stripe"), QStringLiteral("reconcile"),
                                QStringLiteral("--db"), service.value().toUri(true),
                                QStringLiteral("--stripe-base-url"), baseUrl} +
                        extra);
            if (!QTest::qWaitFor([&] { return p.state() == QProcess::NotRunning; }, 40000)) {
                p.kill();
                p.waitForFinished();
                return -1;
            }
            *out = QString::fromUtf8(p.readAllStandardOutput() + p.readAllStandardError());
            return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        };
        const QString url = fake.baseUrl().toString();
        QString out;
        // The first invoice is only in Stripe: drift (4), repaired (0), then none (0).
        QCOMPARE(run({}, url, &out), 4);
        QVERIFY2(out.contains(QLatin1String("Not in NOBill")), qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("--repair")), qPrintable(out));
        QCOMPARE(run({QStringLiteral("--repair")}, url, &out), 0);
        QVERIFY2(out.contains(QLatin1String("No drift is left")), qPrintable(out));
        QCOMPARE(run({}, url, &out), 0);
        QVERIFY2(out.contains(QLatin1String("No drift")), qPrintable(out));

        // Ours changed behind Stripe's back.
        QVERIFY(exec(db, QStringLiteral("UPDATE subscriptions SET status = 'past_due'")));
        QCOMPARE(run({}, url, &out), 4);
        QVERIFY2(out.contains(QLatin1String("past_due")) && out.contains(QLatin1String("status")),
                 qPrintable(out));
        QCOMPARE(run({QStringLiteral("--repair")}, url, &out), 0);
        QCOMPARE(ours(db, QStringLiteral("SELECT status FROM subscriptions")),
                 QStringLiteral("active"));
        QVERIFY(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE source = 'cli' "
                                          "AND entity = 'subscriptions'"))
                    .toInt() >= 1);

        // Errors: Stripe unreachable (1), bad usage (2).
        QCOMPARE(run({}, QStringLiteral("http://127.0.0.1:1"), &out), 1);
        QCOMPARE(run({QStringLiteral("extra")}, url, &out), 2);
    }
};

QTEST_MAIN(TestReconciler)
#include "tst_reconciler.moc"
