// JobTracker under a live change feed: a job queued as a finance operator is followed from
// queued through running to its outcome as another session (standing in for the office
// server's worker) changes its row; a failed job brings the worker's sentence; a job nobody
// picks up is reported once as waiting long; a refused request fails with the database's
// sentence and no job.

#include "testcluster.h"
#include "testoperators.h"

#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "jobs/jobtracker.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString Sub = QStringLiteral("00000000-0000-0000-0000-00000000d001");

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
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
                        " ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR'),"
                        " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'EUR');"
                        "INSERT INTO products (id, name) VALUES "
                        "('00000000-0000-0000-0000-00000000e001', 'Platform');"
                        "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                        " ('00000000-0000-0000-0000-00000000c001', "
                        "'00000000-0000-0000-0000-00000000e001', 'Pro', 4900, 'EUR');"
                        "INSERT INTO subscriptions (id, organization_id, plan_id, status, "
                        "quantity, stripe_subscription_id) VALUES"
                        " ('%3', '%1', '00000000-0000-0000-0000-00000000c001', 'active', 5, "
                        "'sub_a1');")
                        .arg(Acme, Globex, Sub));
}

QJsonObject payload()
{
    return {{QStringLiteral("subscription_id"), Sub},
            {QStringLiteral("stripe_subscription_id"), QStringLiteral("sub_a1")}};
}
} // namespace

class JobTrackerTest : public QObject
{
    Q_OBJECT
private slots:
    void followsTheJobThroughTheChangeFeed()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY2(fiona, qPrintable(fiona ? QString() : fiona.error().message));

        DatabaseWorker worker(fiona->settings, QStringLiteral("tracker"));
        ChangeFeed feed(fiona->settings);
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QTRY_VERIFY_WITH_TIMEOUT(!listening.isEmpty() && listening.last().first().toBool(), 10000);

        JobTracker tracker(&worker);
        tracker.setChangeFeed(&feed);
        // Only the feed can move it on within the test's wait: the poll is an hour.
        tracker.setPollIntervalMs(3600 * 1000);
        QSignalSpy states(&tracker, &JobTracker::stateChanged);
        QSignalSpy finished(&tracker, &JobTracker::finished);
        tracker.enqueue(Acme, jobkinds::CancelAtPeriodEnd, payload(),
                        QStringLiteral("tracker-test-1"));
        QCOMPARE(tracker.state(), JobTracker::State::Queueing);
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Queued, 10000);
        QVERIFY(!tracker.jobId().isEmpty());
        QTRY_COMPARE_WITH_TIMEOUT(tracker.job().kind, jobkinds::CancelAtPeriodEnd, 10000);
        QCOMPARE(tracker.describe(), QStringLiteral("Waiting for the office server…"));

        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET status = 'running', attempts = 1, "
                                        "locked_by = 'w', lease_until = now() + interval '1 "
                                        "minute' WHERE id = '%1'")
                             .arg(tracker.jobId())));
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Running, 10000);
        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET status = 'succeeded', locked_by = NULL, "
                                        "lease_until = NULL, result = '{\"status\": \"active\", "
                                        "\"cancel_at_period_end\": true}' WHERE id = '%1'")
                             .arg(tracker.jobId())));
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Succeeded, 10000);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().first().toBool(), true);
        QCOMPARE(tracker.result().value(QLatin1String("cancel_at_period_end")).toBool(), true);
        QList<JobTracker::State> seen;
        for (const auto &args : states)
            seen << args.first().value<JobTracker::State>();
        QCOMPARE(seen, (QList<JobTracker::State>{
                           JobTracker::State::Queueing, JobTracker::State::Queued,
                           JobTracker::State::Running, JobTracker::State::Succeeded}));
    }

    void retryThenFailureBringsTheWorkersSentence()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        DatabaseWorker worker(fiona->settings, QStringLiteral("tracker"));
        ChangeFeed feed(fiona->settings);
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QTRY_VERIFY_WITH_TIMEOUT(!listening.isEmpty() && listening.last().first().toBool(), 10000);
        JobTracker tracker(&worker);
        tracker.setChangeFeed(&feed);
        tracker.setPollIntervalMs(3600 * 1000);
        QSignalSpy finished(&tracker, &JobTracker::finished);
        tracker.enqueue(Acme, jobkinds::CancelNow, payload(), QStringLiteral("tracker-test-2"));
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Queued, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!tracker.job().id.isEmpty(), 10000);

        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET attempts = 1, last_error = 'Stripe did "
                                        "not answer in time.' WHERE id = '%1'")
                             .arg(tracker.jobId())));
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Retrying, 10000);
        QVERIFY(tracker.describe().contains(QLatin1String("Stripe did not answer in time.")));
        QVERIFY(exec(db, QStringLiteral("UPDATE jobs SET status = 'failed', last_error = 'Stripe "
                                        "refused: No such subscription: sub_a1' WHERE id = '%1'")
                             .arg(tracker.jobId())));
        QTRY_COMPARE_WITH_TIMEOUT(tracker.state(), JobTracker::State::Failed, 10000);
        QCOMPARE(finished.count(), 1);
        QCOMPARE(finished.first().first().toBool(), false);
        QCOMPARE(tracker.errorMessage(),
                 QStringLiteral("Stripe refused: No such subscription: sub_a1"));
    }

    void unclaimedJobIsReportedOnceAsWaitingLong()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        DatabaseWorker worker(fiona->settings, QStringLiteral("tracker"));
        // No feed: the poll alone follows the job.
        JobTracker tracker(&worker);
        tracker.setPollIntervalMs(100);
        tracker.setStaleAfterMs(300);
        QSignalSpy waiting(&tracker, &JobTracker::waitingLong);
        tracker.enqueue(Acme, jobkinds::Resume, payload(), QStringLiteral("tracker-test-3"));
        QTRY_COMPARE_WITH_TIMEOUT(waiting.count(), 1, 10000);
        QVERIFY(tracker.isWaitingLong());
        QVERIFY(tracker.describe().contains(QLatin1String("may not be running")));
        QTest::qWait(500);
        QCOMPARE(waiting.count(), 1);
        QCOMPARE(tracker.state(), JobTracker::State::Queued);
    }

    void refusedRequestFailsWithTheSentence()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto fiona = test::createOperator(db, QStringLiteral("fiona"), false,
                                          {{Acme, QStringLiteral("finance")}});
        QVERIFY(fiona);
        DatabaseWorker worker(fiona->settings, QStringLiteral("tracker"));
        JobTracker tracker(&worker);
        QSignalSpy finished(&tracker, &JobTracker::finished);
        // Not Fiona's organization: the database refuses to queue it.
        tracker.enqueue(Globex, jobkinds::SyncCustomer, {}, QStringLiteral("tracker-test-4"));
        QTRY_COMPARE_WITH_TIMEOUT(finished.count(), 1, 10000);
        QCOMPARE(tracker.state(), JobTracker::State::Failed);
        QVERIFY(tracker.jobId().isEmpty());
        QVERIFY2(!tracker.errorMessage().isEmpty(), "a sentence");
        qInfo().noquote() << tracker.errorMessage();
    }
};

QTEST_GUILESS_MAIN(JobTrackerTest)
#include "tst_jobtracker.moc"
