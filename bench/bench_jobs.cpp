// nobill-bench-jobs: the job worker's throughput and latency through the fake Stripe.
//
// A throwaway cluster and database (tests/support), a service login, the in-process fake
// Stripe (tests/fakestripe) and one JobWorker with the billing handlers, as `nobillctl serve`
// runs it (K slots, change feed + poll). Work: customer.sync jobs, one Stripe POST each that
// creates a customer.
//
//   1. Throughput: N jobs queued at once; jobs/s from the first enqueue to the last outcome,
//      with 0 % and 30 % of the API calls failing (the client's retries and the queue's
//      backoff at work).
//   2. Latency: jobs queued one at a time, as operators confirm actions (one every 50 ms);
//      the time from the enqueue's commit to the fake receiving the job's Stripe call,
//      p50 / p95 / max, at 0 % faults.
//
//   nobill-bench-jobs [jobs (default 500)] [concurrency (default 8)]
//
// Not a test: it asserts nothing and ctest skips it.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "jobs/billinghandlers.h"
#include "jobs/jobkinds.h"
#include "jobs/jobworker.h"
#include "stripe/stripeclient.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>
#include <QUrlQuery>

#include <algorithm>
#include <cstdio>
#include <vector>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {

bool exec(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql)) {
        std::fprintf(stderr, "%s\n", qPrintable(q.lastError().text()));
        return false;
    }
    return true;
}

int scalar(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql) || !q.next())
        return -1;
    return q.value(0).toInt();
}

void spin(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

QString orgId(int n)
{
    return QStringLiteral("00000000-0000-0000-0000-%1").arg(n, 12, 10, QLatin1Char('0'));
}

// The organization a customer creation was for, from the request body's metadata.
QString organizationOf(const QJsonObject &request)
{
    const QUrlQuery form(request.value(QLatin1String("body")).toString());
    return form.queryItemValue(QStringLiteral("metadata[nobill_organization_id]"),
                               QUrl::FullyDecoded);
}

struct Run
{
    double seconds = 0;
    int succeeded = 0;
    int failed = 0;
};

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    // The figures only: a line per job (and per injected fault) would swamp them.
    QLoggingCategory::setFilterRules(QStringLiteral("nobill.*.debug=false\nnobill.*.info=false\n"
                                                    "nobill.stripe.warning=false"));
    const int jobs = argc > 1 ? QString::fromLocal8Bit(argv[1]).toInt() : 500;
    const int concurrency = argc > 2 ? QString::fromLocal8Bit(argv[2]).toInt() : 8;
    const int latencySamples = 100;

    TestDatabase db;
    if (!db.isValid()) {
        std::fprintf(stderr, "no database: %s\n", qPrintable(db.error()));
        return 1;
    }
    const QString conn = db.connectionName();
    const int orgs = jobs * 2 + latencySamples;
    if (!exec(conn, QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                   "currency) SELECT ('00000000-0000-0000-0000-' || lpad(g::text, "
                                   "12, '0'))::uuid, 'Tenant ' || g, 'tenant-' || g, 'billing@t' "
                                   "|| g || '.example', 'EUR' FROM generate_series(1, %1) g")
                        .arg(orgs)))
        return 1;
    auto service = test::createServiceLogin(db, QStringLiteral("bench"));
    if (!service)
        return 1;

    FakeStripeServer fake;
    if (!fake.start())
        return 1;
    QHash<QString, qint64> firstCall; // organization -> ms on the bench clock
    QElapsedTimer clock;
    clock.start();
    QObject::connect(&fake, &FakeStripeServer::requestHandled,
                     [&](const QString &method, const QString &path, int) {
                         if (method != QLatin1String("POST") ||
                             path != QLatin1String("/v1/customers"))
                             return;
                         const QString org = organizationOf(fake.recentRequests().constLast());
                         if (!firstCall.contains(org))
                             firstCall.insert(org, clock.elapsed());
                     });

    StripeClientOptions stripe;
    stripe.baseUrl = fake.baseUrl();
    stripe.secretKey = QStringLiteral("sk_test_bench0123456789");
    JobWorkerOptions options;
    options.workerName = QStringLiteral("bench");
    options.concurrency = concurrency;
    options.pollIntervalMs = 1000;
    options.backoff.baseSeconds = 1;
    options.backoff.capSeconds = 4;
    JobWorker worker(service.value(), stripe, options);
    for (const auto &handler : billingJobHandlers())
        worker.addHandler(handler);
    worker.start();
    spin(500); // the change feed is listening

    int nextOrg = 0;
    auto enqueue = [&](int n) {
        QSqlQuery q(QSqlDatabase::database(conn));
        q.prepare(QStringLiteral("SELECT nobill_enqueue_job(?::uuid, ?, '{}'::jsonb, ?)"));
        q.addBindValue(orgId(n));
        q.addBindValue(jobkinds::SyncCustomer);
        q.addBindValue(QStringLiteral("bench-%1").arg(n));
        return q.exec();
    };
    auto throughput = [&](double rate) {
        FakeStripeServer::Faults faults;
        faults.rate = rate;
        faults.seed = 5;
        fake.setFaults(faults);
        const int from = nextOrg + 1;
        const qint64 start = clock.elapsed();
        for (int i = 0; i < jobs; ++i)
            enqueue(++nextOrg);
        const QString range = QStringLiteral("idempotency_key IN (SELECT 'bench-' || g FROM "
                                             "generate_series(%1, %2) g)")
                                  .arg(from)
                                  .arg(nextOrg);
        while (scalar(conn, QStringLiteral("SELECT count(*) FROM jobs WHERE status IN "
                                           "('queued', 'running') AND ") +
                                range) > 0)
            spin(20);
        Run run;
        run.seconds = double(clock.elapsed() - start) / 1000.0;
        run.succeeded = scalar(conn, QStringLiteral("SELECT count(*) FROM jobs WHERE status = "
                                                    "'succeeded' AND ") +
                                         range);
        run.failed = scalar(conn, QStringLiteral("SELECT count(*) FROM jobs WHERE status = "
                                                 "'failed' AND ") +
                                      range);
        fake.clearFaults();
        return run;
    };

    std::printf("nobill-bench-jobs: %d customer.sync jobs per run, %d slots, one worker, "
                "in-process fake Stripe\n",
                jobs, concurrency);
    for (const double rate : {0.0, 0.3}) {
        const Run run = throughput(rate);
        std::printf("  %2.0f %% faults: %d jobs in %.2f s = %.1f jobs/s (%d succeeded, %d "
                    "failed)\n",
                    rate * 100, jobs, run.seconds, double(jobs) / run.seconds, run.succeeded,
                    run.failed);
    }

    // Latency: one job at a time, as an operator confirms an action.
    std::vector<double> latencies;
    QHash<QString, qint64> enqueuedAt;
    for (int i = 0; i < latencySamples; ++i) {
        const int n = ++nextOrg;
        enqueue(n); // autocommit: committed when exec() returns
        enqueuedAt.insert(orgId(n), clock.elapsed());
        spin(50);
    }
    spin(2000);
    for (auto it = enqueuedAt.cbegin(); it != enqueuedAt.cend(); ++it) {
        if (firstCall.contains(it.key()))
            latencies.push_back(double(firstCall.value(it.key()) - it.value()));
    }
    std::sort(latencies.begin(), latencies.end());
    if (!latencies.empty()) {
        auto pct = [&](double p) {
            return latencies[std::min(latencies.size() - 1, size_t(p * double(latencies.size())))];
        };
        std::printf("  enqueue -> Stripe call, one job at a time (%zu samples): p50 %.0f ms, "
                    "p95 %.0f ms, max %.0f ms\n",
                    latencies.size(), pct(0.5), pct(0.95), latencies.back());
    }
    std::printf("  fake Stripe: %d customers created for %d intended\n",
                fake.createdCount(QStringLiteral("customer")), jobs * 2 + latencySamples);

    QEventLoop loop;
    QObject::connect(&worker, &JobWorker::stopped, &loop, &QEventLoop::quit);
    worker.stop();
    loop.exec();
    return 0;
}
