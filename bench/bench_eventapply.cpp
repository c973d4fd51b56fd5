// nobill-bench-eventapply: how fast the event processor applies Stripe events.
//
// Builds a throwaway cluster with 1,000 organizations (each linked to a Stripe customer) and
// one plan, then stores N Stripe-shaped events in the inbox (default 50,000; first argument):
// per organization, a subscription created and then updated again and again (status,
// quantity), and its invoice going through created, finalized, payment_failed and paid,
// spread over time, delivered in a shuffled order. Then EventApplier, on a nobill_service
// login as `nobillctl serve` runs it, drains the inbox: one transaction per event with its
// state change, its status and the audit rows. Prints events/s applied, and how many were
// applied and how many were stale. Not a test: it asserts nothing and ctest skips it.
//
// The cluster keeps the production durability settings (fsync on, synchronous_commit on),
// unlike the tests' throwaway clusters, so that a commit's disk flush costs what it costs in
// an office. The applier's session is relaxed as the event processor relaxes it
// (EventApplier::relaxCommitDurability); a second argument "durable" keeps every commit
// waiting for its flush, for the comparison:
//     nobill-bench-eventapply [EVENTS] [durable]

#include "database/connection.h"
#include "database/embeddedcluster.h"
#include "database/migrator.h"
#include "stripeevents/eventapplier.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>

#include <QFile>

#include <cstdio>
#include <ctime>
#include <unistd.h>

using namespace nobill;

namespace {
constexpr int Organizations = 1000;

bool run(QSqlQuery &q, const QString &sql)
{
    if (q.exec(sql))
        return true;
    std::fprintf(stderr, "%s\n", qPrintable(q.lastError().text()));
    return false;
}

// CPU seconds (user + system) a process of this machine has used, from /proc: the load of
// a shared machine changes the wall-clock rate, the CPU spent per event much less.
double processCpuSeconds(qint64 pid)
{
    QFile f(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!f.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray line = f.readAll();
    // Fields after the command name (which is in parentheses and may hold spaces).
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    return (fields.at(11).toDouble() + fields.at(12).toDouble()) / ticks;
}

bool seed(const QString &connection, int events)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    const int perOrg = qMax(2, events / Organizations);
    const int subscriptionEvents = perOrg / 2;
    // Subscription events k = 0 .. subscriptionEvents-1, invoice events the rest; each
    // object's events one minute apart, objects a second apart; received in random order.
    return run(q, QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                 "currency, stripe_customer_id) "
                                 "SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, "
                                 "'0'))::uuid, 'Org ' || g, 'org-' || g, 'b' || g || "
                                 "'@example.com', 'EUR', 'cus_' || g "
                                 "FROM generate_series(1, %1) g")
                      .arg(Organizations)) &&
           run(q, QStringLiteral("INSERT INTO products (name, stripe_product_id) VALUES ('API', "
                                 "'prod_api')")) &&
           run(q, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                                 "stripe_price_id) SELECT id, 'Team', 1500, 'EUR', 'price_team' "
                                 "FROM products")) &&
           run(q,
               QStringLiteral(
                   "INSERT INTO stripe_events (id, type, stripe_created, object_id, payload, "
                   "  received_at) "
                   "SELECT e.id, e.type, to_timestamp(e.created), e.object_id, "
                   "  jsonb_build_object('id', e.id, 'object', 'event', 'type', e.type, "
                   "    'created', e.created, 'api_version', '2025-03-31.basil', "
                   "    'data', jsonb_build_object('object', e.object)), "
                   "  now() - random() * interval '1 hour' "
                   "FROM (SELECT 'evt_b' || o || 'x' || k AS id, "
                   "        1750000000 + k * 60 + o AS created, "
                   "        CASE WHEN k < %2 THEN 'sub_' || o ELSE 'in_' || o END AS object_id, "
                   "        CASE WHEN k = 0 THEN 'customer.subscription.created' "
                   "             WHEN k < %2 THEN 'customer.subscription.updated' "
                   "             ELSE (ARRAY['invoice.created', 'invoice.finalized', "
                   "                   'invoice.payment_failed', 'invoice.paid'])[1 + least(3, "
                   "                   (k - %2) * 4 / greatest(1, %1 - %2))] END AS type, "
                   "        CASE WHEN k < %2 THEN jsonb_build_object('id', 'sub_' || o, "
                   "          'object', 'subscription', 'customer', 'cus_' || o, "
                   "          'status', (ARRAY['active', 'past_due', 'active', 'trialing'])[1 + k "
                   "% 4], "
                   "          'collection_method', 'charge_automatically', "
                   "          'cancel_at_period_end', false, "
                   "          'items', jsonb_build_object('data', jsonb_build_array("
                   "            jsonb_build_object('quantity', 1 + k, "
                   "              'current_period_start', 1750000000, "
                   "              'current_period_end', 1752592000, "
                   "              'price', jsonb_build_object('id', 'price_team'))))) "
                   "        ELSE jsonb_build_object('id', 'in_' || o, 'object', 'invoice', "
                   "          'customer', 'cus_' || o, 'subscription', 'sub_' || o, "
                   "          'status', (ARRAY['draft', 'open', 'open', 'paid'])[1 + least(3, "
                   "            (k - %2) * 4 / greatest(1, %1 - %2))], "
                   "          'currency', 'eur', 'subtotal', 1500, 'tax', 0, 'total', 1500, "
                   "          'amount_due', 1500, 'amount_paid', 0, 'amount_remaining', 1500, "
                   "          'created', 1750000000) END AS object "
                   "      FROM generate_series(1, %3) o, generate_series(0, %1 - 1) k) e")
                   .arg(perOrg)
                   .arg(subscriptionEvents)
                   .arg(Organizations)) &&
           run(q, QStringLiteral("ANALYZE"));
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const int events = argc > 1 ? qMax(Organizations * 2, QByteArray(argv[1]).toInt()) : 50000;

    const bool durable = argc > 2 && QByteArray(argv[2]) == "durable";

    // Under /tmp/nobill-test-* so scripts/test cleans up after a crash.
    QTemporaryDir dir(QStringLiteral("/tmp/nobill-test-bench-XXXXXX"));
    EmbeddedCluster::Options clusterOptions;
    clusterOptions.rootDirectory = dir.path();
    clusterOptions.authentication = EmbeddedCluster::Authentication::Trust;
    clusterOptions.throwaway = false; // fsync and synchronous_commit stay on
    EmbeddedCluster cluster(clusterOptions);
    if (Status started = cluster.start(); !started) {
        std::fprintf(stderr, "cluster: %s\n", qPrintable(started.error().message));
        return 1;
    }
    const auto stopCluster = qScopeGuard([&cluster] { (void)cluster.stop(); });
    const QString database = QStringLiteral("bench");
    if (Status created = cluster.ensureDatabase(database); !created) {
        std::fprintf(stderr, "database: %s\n", qPrintable(created.error().message));
        return 1;
    }
    const QString owner = QStringLiteral("bench-owner");
    if (Status opened = openConnection(cluster.ownerSettings(database), owner); !opened) {
        std::fprintf(stderr, "connect: %s\n", qPrintable(opened.error().message));
        return 1;
    }
    if (Result<int> migrated = Migrator(owner).migrate(); !migrated) {
        std::fprintf(stderr, "migrate: %s\n", qPrintable(migrated.error().message));
        return 1;
    }
    if (!seed(owner, events))
        return 1;
    {
        QSqlQuery role(QSqlDatabase::database(owner));
        if (!run(role, QStringLiteral("CREATE ROLE bench_apply LOGIN IN ROLE nobill_service")))
            return 1;
    }
    ConnectionSettings serviceSettings = cluster.ownerSettings(database);
    serviceSettings.user = QStringLiteral("bench_apply");
    serviceSettings.source = QStringLiteral("webhook");
    const QString serviceName = QStringLiteral("bench-apply");
    if (Status opened = openConnection(serviceSettings, serviceName); !opened) {
        std::fprintf(stderr, "connect: %s\n", qPrintable(opened.error().message));
        return 1;
    }
    if (!durable) {
        if (Status relaxed = EventApplier::relaxCommitDurability(serviceName); !relaxed) {
            std::fprintf(stderr, "%s\n", qPrintable(relaxed.error().message));
            return 1;
        }
    }
    {
        QSqlQuery show(QSqlDatabase::database(serviceName));
        show.exec(QStringLiteral("SELECT current_setting('fsync'), "
                                 "current_setting('synchronous_commit')"));
        show.next();
        std::printf("fsync %s, the applier's synchronous_commit %s\n",
                    qPrintable(show.value(0).toString()), qPrintable(show.value(1).toString()));
    }
    QSqlQuery count(QSqlDatabase::database(owner));
    count.exec(QStringLiteral("SELECT count(*) FROM stripe_events"));
    count.next();
    const qint64 stored = count.value(0).toLongLong();
    std::printf("events in the inbox: %lld (%d organizations)\n", static_cast<long long>(stored),
                Organizations);

    QSqlQuery backend(QSqlDatabase::database(serviceName));
    backend.exec(QStringLiteral("SELECT pg_backend_pid()"));
    backend.next();
    const qint64 backendPid = backend.value(0).toLongLong();
    backend.finish();
    const double serverCpuBefore = processCpuSeconds(backendPid);
    const std::clock_t clientCpuBefore = std::clock();

    EventApplier applier(serviceName);
    DrainStats total;
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        auto stats = applier.processDue(500);
        if (!stats) {
            std::fprintf(stderr, "%s\n", qPrintable(stats.error().message));
            return 1;
        }
        if (stats->total() == 0)
            break;
        total.applied += stats->applied;
        total.stale += stats->stale;
        total.ignored += stats->ignored;
        total.waiting += stats->waiting;
        total.failed += stats->failed;
        // Progress, to see whether the rate holds as the inbox fills with handled events.
        if (total.total() / 10000 != (total.total() - stats->total()) / 10000)
            std::printf("  %d events after %.1f s\n", total.total(),
                        static_cast<double>(timer.nsecsElapsed()) / 1e9);
        std::fflush(stdout);
    }
    const double seconds = static_cast<double>(timer.nsecsElapsed()) / 1e9;
    std::printf("drained in %.2f s: %.0f events/s (applied %d, stale %d, ignored %d, waiting "
                "%d, failed %d)\n",
                seconds, static_cast<double>(stored) / seconds, total.applied, total.stale,
                total.ignored, total.waiting, total.failed);
    const double clientCpu = static_cast<double>(std::clock() - clientCpuBefore) / CLOCKS_PER_SEC;
    const double serverCpu = processCpuSeconds(backendPid) - serverCpuBefore;
#ifdef NDEBUG
    const char *build = "release";
#else
    const char *build = "debug";
#endif
    std::printf("CPU per event: %.2f ms in this process (%s build), %.2f ms in its "
                "PostgreSQL backend; one core's worth: %.0f events/s\n",
                1000.0 * clientCpu / static_cast<double>(stored), build,
                1000.0 * serverCpu / static_cast<double>(stored),
                static_cast<double>(stored) / qMax(1e-9, clientCpu + serverCpu));
    count.exec(QStringLiteral("SELECT count(*) FROM audit_log WHERE source = 'webhook'"));
    count.next();
    std::printf("audit rows from the webhook: %lld\n", count.value(0).toLongLong());
    return 0;
}
