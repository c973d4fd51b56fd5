// The worker's side of the durable job queue (migration 10) as real logins: a service login
// claims with FOR UPDATE SKIP LOCKED under a lease, records outcomes with exponential
// backoff and a limit of attempts, and cannot overwrite the outcome of a job it lost; an
// operator can call none of it, and cannot queue work it has no permission for, even
// through SQL.

#include "testcluster.h"
#include "testoperators.h"

#include "jobs/jobqueue.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString PlanPro = QStringLiteral("00000000-0000-0000-0000-00000000e101");
const QString SubA = QStringLiteral("00000000-0000-0000-0000-00000000c001");

bool exec(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QVariant scalar(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

// The SQLSTATE of a statement that must fail, or "ok" if it did not.
QString refusal(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return QStringLiteral("ok");
    return q.lastError().nativeErrorCode();
}

// The technical text of a failed result, for QVERIFY2 (which evaluates it either way).
template <typename R> QString detailOf(const R &result)
{
    return result ? QString() : result.error().message + QLatin1Char(' ') + result.error().detail;
}

bool seed(const TestDatabase &db, int jobs)
{
    QString sql =
        QStringLiteral(
            "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
            "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
            "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-00000000e001', "
            "'Platform');"
            "INSERT INTO plans (id, product_id, name, amount, currency) VALUES ('%2', "
            "'00000000-0000-0000-0000-00000000e001', 'Pro', 4900, 'EUR');"
            "INSERT INTO subscriptions (id, organization_id, plan_id, status, "
            "stripe_subscription_id) VALUES ('%3', '%1', '%2', 'active', 'sub_a1');")
            .arg(OrgA, PlanPro, SubA);
    for (int i = 0; i < jobs; ++i) {
        sql += QStringLiteral("INSERT INTO jobs (organization_id, kind, idempotency_key, "
                              "max_attempts, created_at, run_after) VALUES ('%1', "
                              "'subscription.cancel', 'key-%2', 3, now() - interval '%2 "
                              "minutes', now() - interval '1 minute');")
                   .arg(OrgA)
                   .arg(i + 1);
    }
    return exec(db.connectionName(), sql);
}
} // namespace

class TestJobQueue : public QObject
{
    Q_OBJECT

private slots:
    void claimSkipsRowsAnotherWorkerIsClaiming()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 2));
        auto service = test::createServiceLogin(db, QStringLiteral("svc"));
        QVERIFY(service);
        ScopedConnection a(service.value());
        ScopedConnection b(service.value());
        QVERIFY2(a.isOpen(), qPrintable(a.error()));
        QVERIFY2(b.isOpen(), qPrintable(b.error()));

        // A holds the oldest job's row lock (as a claim does until it commits; a claim
        // itself would also hold the audit chain, which serialises every audited write).
        QVERIFY(a.database().transaction());
        QSqlQuery lock(a.database());
        QVERIFY(lock.exec(
            QStringLiteral("SELECT id FROM jobs WHERE idempotency_key = 'key-2' FOR UPDATE")));
        auto second = JobQueue(b.name(), QStringLiteral("worker-b")).claim(5, 60);
        QVERIFY2(second, qPrintable(detailOf(second)));
        QCOMPARE(second.value().size(), 1);
        QCOMPARE(second.value().first().idempotencyKey, QStringLiteral("key-1"));
        QVERIFY(a.database().commit());

        // Released, the oldest due job is claimed next; both run, one attempt each.
        auto first = JobQueue(a.name(), QStringLiteral("worker-a")).claim(5, 60);
        QVERIFY2(first, qPrintable(detailOf(first)));
        QCOMPARE(first.value().size(), 1);
        QCOMPARE(first.value().first().idempotencyKey, QStringLiteral("key-2"));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'running' AND "
                                       "attempts = 1 AND lease_until > now()"))
                     .toInt(),
                 2);
        auto third = JobQueue(b.name(), QStringLiteral("worker-b")).claim(5, 60);
        QVERIFY(third);
        QVERIFY(third.value().isEmpty());
    }

    void expiredLeaseIsClaimedAgainAndTheStaleWorkerIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 1));
        auto service = test::createServiceLogin(db, QStringLiteral("svc"));
        QVERIFY(service);
        ScopedConnection conn(service.value());
        QVERIFY(conn.isOpen());
        JobQueue a(conn.name(), QStringLiteral("worker-a"));
        JobQueue b(conn.name(), QStringLiteral("worker-b"));

        auto claimed = a.claim(1, 60);
        QVERIFY(claimed);
        QCOMPARE(claimed.value().size(), 1);
        const ClaimedJob job = claimed.value().first();
        // Not yet expired: nobody else gets it, and A may renew its lease.
        QVERIFY(b.claim(1, 60).value().isEmpty());
        QCOMPARE(a.extendLeases({job.id}, 60).value(), QStringList{job.id});

        // Worker A dies: its lease runs out (moved into the past rather than waited for).
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("UPDATE jobs SET lease_until = now() - interval '1 second'")));
        auto again = b.claim(1, 60);
        QVERIFY(again);
        QCOMPARE(again.value().size(), 1);
        QCOMPARE(again.value().first().id, job.id);
        QCOMPARE(again.value().first().idempotencyKey, job.idempotencyKey);
        QCOMPARE(again.value().first().attempts, 2);

        // A comes back: it can neither renew, nor finish, nor fail, nor release the job.
        QVERIFY(a.extendLeases({job.id}, 60).value().isEmpty());
        Status finished = a.finish(job.id, QJsonObject{{QStringLiteral("by"), QStringLiteral("a")}},
                                   {SqlWrite{QStringLiteral("UPDATE subscriptions SET status = "
                                                            "'canceled' WHERE id = ?::uuid"),
                                             {SubA}}});
        QVERIFY(!finished);
        QCOMPARE(finished.error().subject, JobQueue::leaseLostSubject());
        QVERIFY2(finished.error().message.contains(QLatin1String("worker-b")),
                 qPrintable(detailOf(finished)));
        QVERIFY(!a.fail(job.id, QStringLiteral("late"), true));
        QVERIFY(!a.release(job.id));
        // Its writes were rolled back with the refusal.
        QCOMPARE(
            scalar(db.connectionName(),
                   QStringLiteral("SELECT status FROM subscriptions WHERE id = '%1'").arg(SubA))
                .toString(),
            QStringLiteral("active"));

        // B's outcome counts, with its writes, in one transaction, audited as the worker's.
        QVERIFY(b.finish(job.id, QJsonObject{{QStringLiteral("by"), QStringLiteral("b")}},
                         {SqlWrite{QStringLiteral("UPDATE subscriptions SET status = 'canceled' "
                                                  "WHERE id = ?::uuid"),
                                   {SubA}}}));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT status || ' ' || (result ->> 'by') || ' ' || "
                                       "(locked_by IS NULL) FROM jobs"))
                     .toString(),
                 QStringLiteral("succeeded b true"));
        QCOMPARE(
            scalar(db.connectionName(),
                   QStringLiteral("SELECT status FROM subscriptions WHERE id = '%1'").arg(SubA))
                .toString(),
            QStringLiteral("canceled"));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'jobs' AND "
                                       "action = 'update' AND source = 'worker' AND login = '%1'")
                            .arg(service.value().user))
                     .toInt(),
                 3); // claimed by A, claimed by B, finished by B
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                       "'subscriptions' AND source = 'worker'"))
                     .toInt(),
                 1);
    }

    void backoffGrowsAndAttemptsRunOut()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 1));
        auto service = test::createServiceLogin(db, QStringLiteral("svc"));
        QVERIFY(service);
        ScopedConnection conn(service.value());
        QVERIFY(conn.isOpen());
        JobQueue queue(conn.name(), QStringLiteral("worker-a"), BackoffPolicy{100, 100000});

        QList<double> delays;
        for (int attempt = 1; attempt <= 3; ++attempt) {
            auto claimed = queue.claim(1, 60);
            QVERIFY2(claimed, qPrintable(detailOf(claimed)));
            QCOMPARE(claimed.value().size(), 1);
            QCOMPARE(claimed.value().first().attempts, attempt);
            auto failed = queue.fail(claimed.value().first().id,
                                     QStringLiteral("Stripe is unavailable (503)."), true);
            QVERIFY2(failed, qPrintable(detailOf(failed)));
            if (attempt < 3) {
                QCOMPARE(failed.value(), QStringLiteral("queued"));
                delays << scalar(db.connectionName(),
                                 QStringLiteral("SELECT extract(epoch FROM run_after - now()) "
                                                "FROM jobs"))
                              .toDouble();
                // Not due yet: nobody claims it before its time.
                QVERIFY(queue.claim(1, 60).value().isEmpty());
                QVERIFY(
                    exec(db.connectionName(), QStringLiteral("UPDATE jobs SET run_after = now()")));
            } else {
                QCOMPARE(failed.value(), QStringLiteral("failed"));
            }
        }
        // base 100 s with 50..100 % jitter: the first wait is 50..100 s, the second 100..200 s.
        QVERIFY2(delays.at(0) >= 49 && delays.at(0) <= 101,
                 qPrintable(QString::number(delays.at(0))));
        QVERIFY2(delays.at(1) >= 99 && delays.at(1) <= 201,
                 qPrintable(QString::number(delays.at(1))));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT status || ': ' || last_error FROM jobs"))
                     .toString(),
                 QStringLiteral("failed: Gave up after 3 attempts. Stripe is unavailable (503)."));
        QVERIFY(queue.claim(1, 60).value().isEmpty());
    }

    void permanentFailureAndRelease()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 2));
        auto service = test::createServiceLogin(db, QStringLiteral("svc"));
        QVERIFY(service);
        ScopedConnection conn(service.value());
        QVERIFY(conn.isOpen());
        JobQueue queue(conn.name(), QStringLiteral("worker-a"));
        auto claimed = queue.claim(2, 60);
        QVERIFY(claimed);
        QCOMPARE(claimed.value().size(), 2);
        auto failed = queue.fail(claimed.value().at(0).id,
                                 QStringLiteral("Stripe refused the request: No such "
                                                "subscription."),
                                 false);
        QCOMPARE(failed.value(), QStringLiteral("failed"));
        QVERIFY(queue.release(claimed.value().at(1).id));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT string_agg(status || '/' || attempts, ',' ORDER BY "
                                       "status) FROM jobs"))
                     .toString(),
                 QStringLiteral("failed/1,queued/0"));
        // A job that died on its last attempt is failed, not run once more than allowed.
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("UPDATE jobs SET status = 'running', attempts = 3, "
                                    "locked_by = 'ghost', lease_until = now() - interval '1 s', "
                                    "last_error = 'Stripe timed out.' WHERE status = 'queued'")));
        QVERIFY(queue.claim(5, 60).value().isEmpty());
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'failed' AND "
                                       "last_error LIKE 'The worker ghost stopped%no attempts "
                                       "are left. Last error: Stripe timed out.'"))
                     .toInt(),
                 1);
    }

    void operatorsCannotRunTheQueue()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 1));
        auto admin = test::createOperator(db, QStringLiteral("orgadmin"), false,
                                          {{OrgA, QStringLiteral("admin")}});
        QVERIFY(admin);
        ScopedConnection conn(admin.value().settings);
        QVERIFY(conn.isOpen());
        const QSqlDatabase sql = conn.database();
        const QString job =
            scalar(db.connectionName(), QStringLiteral("SELECT id FROM jobs")).toString();
        QCOMPARE(refusal(sql, QStringLiteral("SELECT * FROM nobill_claim_jobs('x', 1, 60)")),
                 QStringLiteral("42501"));
        QCOMPARE(refusal(sql, QStringLiteral("SELECT nobill_finish_job('%1', 'x', '{}')").arg(job)),
                 QStringLiteral("42501"));
        QCOMPARE(
            refusal(sql, QStringLiteral("SELECT nobill_fail_job('%1', 'x', 'e', true)").arg(job)),
            QStringLiteral("42501"));
        QCOMPARE(refusal(sql, QStringLiteral("SELECT nobill_release_job('%1', 'x')").arg(job)),
                 QStringLiteral("42501"));
        QCOMPARE(refusal(sql, QStringLiteral("SELECT nobill_extend_job_leases('x', "
                                             "ARRAY['%1']::uuid[], 60)")
                                  .arg(job)),
                 QStringLiteral("42501"));
        QCOMPARE(refusal(sql, QStringLiteral("UPDATE jobs SET status = 'succeeded'")),
                 QStringLiteral("42501"));
    }

    void subscriptionWorkNeedsSubscriptionsManageEvenThroughSql()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 0));
        // Support reads subscriptions but may not change them.
        auto support = test::createOperator(db, QStringLiteral("support"), false,
                                            {{OrgA, QStringLiteral("support")}});
        QVERIFY(support);
        ScopedConnection conn(support.value().settings);
        QVERIFY(conn.isOpen());
        const QString payload =
            QStringLiteral("'{\"subscription_id\": \"%1\", \"stripe_subscription_id\": "
                           "\"sub_a1\"}'")
                .arg(SubA);
        QCOMPARE(refusal(conn.database(),
                         QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
                                        "%2, 'k1')")
                             .arg(OrgA, payload)),
                 QStringLiteral("42501"));
        QCOMPARE(refusal(conn.database(),
                         QStringLiteral("INSERT INTO jobs (organization_id, kind, payload, "
                                        "idempotency_key) VALUES ('%1', 'subscription.cancel', "
                                        "%2, 'k2')")
                             .arg(OrgA, payload)),
                 QStringLiteral("42501"));
        // Nor platform work: the catalog is the platform administrators'.
        QCOMPARE(
            refusal(conn.database(), QStringLiteral("SELECT nobill_enqueue_job(NULL, 'plan.sync', "
                                                    "'{\"plan_id\": \"%1\"}', 'k3')")
                                         .arg(PlanPro)),
            QStringLiteral("42501"));
        QCOMPARE(scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(),
                 0);

        // Finance may; a platform administrator queues plan work with no organization.
        auto finance = test::createOperator(db, QStringLiteral("finance"), false,
                                            {{OrgA, QStringLiteral("finance")}});
        QVERIFY(finance);
        ScopedConnection financeConn(finance.value().settings);
        QCOMPARE(refusal(financeConn.database(),
                         QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
                                        "%2, 'k1')")
                             .arg(OrgA, payload)),
                 QStringLiteral("ok"));
        auto platform = test::createOperator(db, QStringLiteral("platform"), true, {});
        QVERIFY(platform);
        ScopedConnection platformConn(platform.value().settings);
        QCOMPARE(refusal(platformConn.database(),
                         QStringLiteral("SELECT nobill_enqueue_job(NULL, 'plan.sync', "
                                        "'{\"plan_id\": \"%1\"}', 'k3')")
                             .arg(PlanPro)),
                 QStringLiteral("ok"));
        QCOMPARE(refusal(platformConn.database(),
                         QStringLiteral("SELECT nobill_enqueue_job('%1', 'plan.sync', "
                                        "'{\"plan_id\": \"%2\"}', 'k4')")
                             .arg(OrgA, PlanPro)),
                 QStringLiteral("42501"));
        QCOMPARE(scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(),
                 2);
    }
};

QTEST_GUILESS_MAIN(TestJobQueue)
#include "tst_jobqueue.moc"
