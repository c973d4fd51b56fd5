// nobill-bench-webhooks: the webhook listener under load, durably.
//
// Starts its own PostgreSQL cluster with the production durability settings (fsync on,
// synchronous_commit on: unlike the tests' throwaway clusters), migrates a database, creates a
// nobill_service login and 100 organizations with Stripe customers, and runs the listener on
// a thread of its own on loopback. A generator on this machine keeps C keep-alive connections
// busy (default 16), each posting Stripe-shaped invoice.paid events (~1 KiB) signed as Stripe
// signs them, one request at a time per connection. After one second of warm-up it measures
// for S seconds (default 10) and prints events/s acknowledged (each verified and committed
// before its 200), latency percentiles, and how the inbox grouped the commits. Finally it
// checks that the inbox holds exactly the acknowledged events, and lets the event worker
// (EventApplier, as `nobillctl serve` runs it) apply the inbox for up to 30 s, printing the
// rate and the outcomes (bench/bench_eventapply.cpp measures the applier in depth).
//
//   nobill-bench-webhooks [seconds] [connections] [writers] [nosync]
//
// Before the run it times single-row durable commits: with every request waiting for a
// flush, C connections can never be acknowledged faster than C / (flush time) (Little's law),
// whatever the listener does. The bench prints that ceiling beside the result.
//
// Not a test: it asserts nothing and ctest skips it.

#include "database/connection.h"
#include "database/embeddedcluster.h"
#include "database/migrator.h"
#include "stripeevents/eventapplier.h"
#include "webhooks/stripesignature.h"
#include "webhooks/webhooklistener.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QThread>
#include <QTimer>

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <vector>

using namespace nobill;

namespace {

const QByteArray Secret = "whsec_bench_0123456789abcdef";

QByteArray eventBody(quint64 n)
{
    // Shaped like a real invoice.paid delivery (abridged), about 1 KiB.
    const QByteArray id = "evt_bench" + QByteArray::number(n);
    const QByteArray customer = "cus_bench" + QByteArray::number(n % 100);
    const QByteArray created = QByteArray::number(QDateTime::currentSecsSinceEpoch());
    return "{\"id\":\"" + id +
           "\",\"object\":\"event\",\"api_version\":\"2025-03-31.basil\","
           "\"created\":" +
           created +
           ",\"livemode\":false,\"pending_webhooks\":1,"
           "\"request\":{\"id\":null,\"idempotency_key\":null},\"type\":\"invoice.paid\","
           "\"data\":{\"object\":{\"id\":\"in_" +
           id +
           "\",\"object\":\"invoice\","
           "\"account_country\":\"DE\",\"amount_due\":4900,\"amount_paid\":4900,"
           "\"amount_remaining\":0,\"attempt_count\":1,\"attempted\":true,"
           "\"billing_reason\":\"subscription_cycle\",\"collection_method\":"
           "\"charge_automatically\",\"created\":" +
           created +
           ",\"currency\":\"eur\","
           "\"customer\":\"" +
           customer +
           "\",\"customer_email\":\"billing@example.com\","
           "\"hosted_invoice_url\":\"https://invoice.stripe.com/i/acct_1/test_" +
           id +
           "\","
           "\"lines\":{\"object\":\"list\",\"data\":[{\"id\":\"il_1\",\"object\":\"line_item\","
           "\"amount\":4900,\"currency\":\"eur\",\"description\":\"1 x Pro (at EUR 49.00 / "
           "month)\",\"period\":{\"end\":1767225600,\"start\":1764547200},\"quantity\":1}],"
           "\"has_more\":false,\"total_count\":1},\"number\":\"NB-0001\",\"paid\":true,"
           "\"period_end\":1764547200,\"period_start\":1761955200,\"status\":\"paid\","
           "\"subtotal\":4900,\"tax\":0,\"total\":4900}},\"previous_attributes\":null}";
}

QByteArray request(quint64 n)
{
    const QByteArray body = eventBody(n);
    return "POST /stripe/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: Stripe/1.0 "
           "(+https://stripe.com/docs/webhooks)\r\nContent-Type: application/json; "
           "charset=utf-8\r\nContent-Length: " +
           QByteArray::number(body.size()) + "\r\nStripe-Signature: " +
           stripeSignatureHeader(body, QDateTime::currentSecsSinceEpoch(), Secret) + "\r\n\r\n" +
           body;
}

bool exec(const QString &connection, const QString &sql, QString *value = nullptr)
{
    QSqlQuery query(QSqlDatabase::database(connection, false));
    if (!query.exec(sql)) {
        std::fprintf(stderr, "%s: %s\n", qPrintable(sql), qPrintable(query.lastError().text()));
        return false;
    }
    if (value && query.next())
        *value = query.value(0).toString();
    return true;
}

// One keep-alive connection posting events one after another.
class Poster
{
public:
    Poster(quint16 port, QElapsedTimer &clock, quint64 &next, std::vector<qint64> &latencies)
        : m_clock(clock)
        , m_next(next)
        , m_latencies(latencies)
    {
        QObject::connect(&m_socket, &QTcpSocket::connected, [this] { send(); });
        QObject::connect(&m_socket, &QTcpSocket::readyRead, [this] { read(); });
        m_socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
    }

    bool recording = false;
    bool sending = true;
    bool busy = false;
    quint64 ok = 0;
    quint64 failed = 0;

private:
    void send()
    {
        if (!sending)
            return;
        busy = true;
        const QByteArray bytes = request(m_next++);
        m_sentAt = m_clock.nsecsElapsed();
        m_socket.write(bytes);
    }

    void read()
    {
        m_buffer += m_socket.readAll();
        for (;;) {
            const qsizetype end = m_buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const qsizetype lengthAt = m_buffer.indexOf("Content-Length: ");
            if (lengthAt < 0 || lengthAt > end)
                return;
            const qsizetype lengthEnd = m_buffer.indexOf("\r\n", lengthAt);
            const qsizetype length = m_buffer.mid(lengthAt + 16, lengthEnd - lengthAt - 16).toInt();
            if (m_buffer.size() < end + 4 + length)
                return;
            const bool success = m_buffer.startsWith("HTTP/1.1 200");
            m_buffer.remove(0, end + 4 + length);
            busy = false;
            if (recording) {
                if (success) {
                    ++ok;
                    m_latencies.push_back((m_clock.nsecsElapsed() - m_sentAt) / 1000);
                } else {
                    ++failed;
                }
            }
            send();
        }
    }

    QElapsedTimer &m_clock;
    quint64 &m_next;
    std::vector<qint64> &m_latencies;
    QTcpSocket m_socket;
    QByteArray m_buffer;
    qint64 m_sentAt = 0;
};

// CPU time (user + system) in seconds, from /proc: of one thread (pid == tid for the main
// thread), or summed over processes. The machine may be shared, so events/s alone says
// little; CPU seconds per event say what the work costs.
double cpuSeconds(const QString &statPath)
{
    QFile file(statPath);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    const QByteArray stat = file.readAll();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    const QList<QByteArray> fields = stat.mid(stat.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) /
           double(sysconf(_SC_CLK_TCK));
}

// The cluster's postmaster and all its children.
double clusterCpuSeconds(qint64 postmaster)
{
    double total = cpuSeconds(QStringLiteral("/proc/%1/stat").arg(postmaster));
    QFile children(QStringLiteral("/proc/%1/task/%1/children").arg(postmaster));
    if (children.open(QIODevice::ReadOnly)) {
        for (const QByteArray &pid : children.readAll().trimmed().split(' ')) {
            if (!pid.isEmpty())
                total += cpuSeconds(QStringLiteral("/proc/%1/stat").arg(QString::fromLatin1(pid)));
        }
    }
    return total;
}

struct CpuSample
{
    double process = 0;   // this process: listener, inbox writers and generator
    double generator = 0; // the main thread: the load generator
    double database = 0;  // the PostgreSQL cluster
};

CpuSample sampleCpu(qint64 postmaster)
{
    return CpuSample{cpuSeconds(QStringLiteral("/proc/self/stat")),
                     cpuSeconds(QStringLiteral("/proc/self/task/%1/stat").arg(getpid())),
                     clusterCpuSeconds(postmaster)};
}

qint64 percentile(std::vector<qint64> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    const size_t index = std::min(sorted.size() - 1, size_t(p * double(sorted.size())));
    return sorted[index];
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const int seconds = args.size() > 1 ? qBound(1, args.at(1).toInt(), 300) : 10;
    const int connections = args.size() > 2 ? qBound(1, args.at(2).toInt(), 256) : 16;
    // For comparison only: the listener's own cost without waiting for the disk. Not durable,
    // so not what the listener is for.
    const int writers = args.size() > 3 ? qBound(1, args.at(3).toInt(), 8) : 2;
    const bool noSync = args.size() > 4 && args.at(4) == QLatin1String("nosync");

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
    QString fsync;
    QString synchronousCommit;
    if (!exec(owner, QStringLiteral("CREATE ROLE bench_hook LOGIN IN ROLE nobill_service")) ||
        !exec(owner,
              QStringLiteral(
                  "INSERT INTO organizations (name, slug, billing_email, currency, "
                  "stripe_customer_id) SELECT 'Org ' || g, 'org-' || g, 'b' || g || "
                  "'@example.com', 'EUR', 'cus_bench' || g FROM generate_series(0, 99) g")) ||
        (noSync &&
         !exec(owner, QStringLiteral("ALTER ROLE bench_hook SET synchronous_commit = off"))) ||
        !exec(owner, QStringLiteral("SHOW fsync"), &fsync))
        return 1;
    synchronousCommit =
        noSync ? QStringLiteral("OFF (comparison only, not durable)") : QStringLiteral("on");

    WebhookListenerOptions options;
    options.database = cluster.ownerSettings(database);
    options.database.user = QStringLiteral("bench_hook");
    options.secrets = {Secret};
    options.maxConnections = connections + 16;
    options.inboxWriters = writers;

    // What one durable commit costs on this disk, as the service login sees it.
    double flushMs = 0;
    {
        const QString probe = QStringLiteral("bench-flush");
        if (Status opened = openConnection(options.database, probe); !opened)
            return 1;
        if (!exec(owner, QStringLiteral("CREATE TABLE bench_flush (n int); GRANT INSERT ON "
                                        "bench_flush TO bench_hook")))
            return 1;
        QElapsedTimer flush;
        flush.start();
        constexpr int Commits = 100;
        for (int i = 0; i < Commits; ++i)
            exec(probe, QStringLiteral("INSERT INTO bench_flush VALUES (%1)").arg(i));
        flushMs = double(flush.nsecsElapsed()) / 1e6 / Commits;
        closeConnection(probe);
    }

    QThread listenerThread;
    listenerThread.setObjectName(QStringLiteral("listener"));
    auto *listener = new WebhookListener(options);
    listener->moveToThread(&listenerThread);
    listenerThread.start();
    Status listening;
    QMetaObject::invokeMethod(
        listener, [&] { listening = listener->start(); }, Qt::BlockingQueuedConnection);
    if (!listening) {
        std::fprintf(stderr, "listener: %s\n", qPrintable(listening.error().message));
        return 1;
    }
    quint16 port = 0;
    QMetaObject::invokeMethod(
        listener, [&] { port = listener->port(); }, Qt::BlockingQueuedConnection);

    std::printf("nobill-bench-webhooks: %d connections, %d inbox writers, %d s measured after "
                "1 s warm-up, fsync=%s synchronous_commit=%s, %d cores\n",
                connections, writers, seconds, qPrintable(fsync), qPrintable(synchronousCommit),
                QThread::idealThreadCount());
    if (!noSync) {
        std::printf("one durable single-row commit: %.2f ms, so at most %.0f events/s at %d "
                    "connections if each waits for one flush\n",
                    flushMs, double(connections) / flushMs * 1000.0, connections);
    }
    std::fflush(stdout);

    QElapsedTimer clock;
    clock.start();
    quint64 next = 0;
    std::vector<qint64> latencies;
    latencies.reserve(size_t(seconds) * 40000);
    std::vector<std::unique_ptr<Poster>> posters;
    for (int i = 0; i < connections; ++i)
        posters.push_back(std::make_unique<Poster>(port, clock, next, latencies));

    const WebhookMetrics &metrics = listener->metrics();
    quint64 batchesAtStart = 0;
    quint64 batchedAtStart = 0;
    quint64 commitUsAtStart = 0;
    qint64 measureStart = 0;
    qint64 measureEnd = 0;
    QFile pidFile(cluster.dataDirectory() + QStringLiteral("/postmaster.pid"));
    const qint64 postmaster =
        pidFile.open(QIODevice::ReadOnly) ? pidFile.readLine().trimmed().toLongLong() : 0;
    CpuSample cpuAtStart;
    CpuSample cpuAtEnd;
    QTimer::singleShot(1000, [&] {
        cpuAtStart = sampleCpu(postmaster);
        batchesAtStart = metrics.batches.load();
        batchedAtStart = metrics.batchedEvents.load();
        commitUsAtStart = metrics.commitMicroseconds.load();
        measureStart = clock.nsecsElapsed();
        for (auto &poster : posters)
            poster->recording = true;
    });
    QTimer::singleShot(1000 + seconds * 1000, [&] {
        measureEnd = clock.nsecsElapsed();
        cpuAtEnd = sampleCpu(postmaster);
        for (auto &poster : posters) {
            poster->recording = false;
            poster->sending = false;
        }
    });
    // Waits for the answers still in flight, bounded.
    QTimer drain;
    drain.setInterval(50);
    QObject::connect(&drain, &QTimer::timeout, [&] {
        const bool done = measureEnd > 0 && std::none_of(posters.begin(), posters.end(),
                                                         [](const auto &p) { return p->busy; });
        if (done || clock.elapsed() > (seconds + 30) * 1000)
            app.quit();
    });
    drain.start();
    app.exec();

    const quint64 batches = metrics.batches.load() - batchesAtStart;
    const quint64 batched = metrics.batchedEvents.load() - batchedAtStart;
    const quint64 commitUs = metrics.commitMicroseconds.load() - commitUsAtStart;
    quint64 ok = 0;
    quint64 failed = 0;
    for (const auto &poster : posters) {
        ok += poster->ok;
        failed += poster->failed;
    }
    posters.clear();
    const double measured = double(measureEnd - measureStart) / 1e9;
    std::sort(latencies.begin(), latencies.end());

    std::printf("acknowledged (200, verified and committed): %llu in %.2f s = %.0f events/s\n",
                static_cast<unsigned long long>(ok), measured, double(ok) / measured);
    std::printf("not 200: %llu\n", static_cast<unsigned long long>(failed));
    std::printf("latency us: p50 %lld  p90 %lld  p99 %lld  p99.9 %lld  max %lld\n",
                static_cast<long long>(percentile(latencies, 0.50)),
                static_cast<long long>(percentile(latencies, 0.90)),
                static_cast<long long>(percentile(latencies, 0.99)),
                static_cast<long long>(percentile(latencies, 0.999)),
                static_cast<long long>(latencies.empty() ? 0 : latencies.back()));
    std::printf("inbox commits: %llu, mean batch %.1f events, largest %llu, mean commit %.2f ms\n",
                static_cast<unsigned long long>(batches),
                batches ? double(batched) / double(batches) : 0.0,
                static_cast<unsigned long long>(metrics.largestBatch.load()),
                batches ? double(commitUs) / double(batches) / 1000.0 : 0.0);

    if (ok > 0) {
        const double perEvent = 1e6 / double(ok);
        const double generatorUs = (cpuAtEnd.generator - cpuAtStart.generator) * perEvent;
        const double listenerUs = (cpuAtEnd.process - cpuAtStart.process) * perEvent - generatorUs;
        const double databaseUs = (cpuAtEnd.database - cpuAtStart.database) * perEvent;
        std::printf("CPU per acknowledged event: listener and inbox %.0f us, PostgreSQL %.0f us, "
                    "generator %.0f us; without the generator, %d otherwise idle cores would "
                    "carry at most %.0f events/s\n",
                    listenerUs, databaseUs, generatorUs, QThread::idealThreadCount(),
                    QThread::idealThreadCount() * 1e6 / (listenerUs + databaseUs));
    }

    const quint64 stored = metrics.stored.load();
    QMetaObject::invokeMethod(
        listener, [listener] { delete listener; }, Qt::BlockingQueuedConnection);
    listenerThread.quit();
    listenerThread.wait();

    QString rows;
    exec(owner, QStringLiteral("SELECT count(*) FROM stripe_events"), &rows);
    std::printf("inbox rows: %s (listener stored %llu)%s\n", qPrintable(rows),
                static_cast<unsigned long long>(stored),
                rows.toULongLong() == stored ? "" : "  MISMATCH");

    // The worker's side: how fast the stored events are applied (or set aside).
    const QString worker = QStringLiteral("bench-worker");
    if (Status opened = openConnection(options.database, worker); !opened) {
        std::fprintf(stderr, "worker: %s\n", qPrintable(opened.error().message));
        return 1;
    }
    DrainStats applied;
    QElapsedTimer applyClock;
    applyClock.start();
    {
        EventApplier applier(worker);
        while (applyClock.elapsed() < 30000) {
            Result<DrainStats> round = applier.processDue(500);
            if (!round) {
                std::fprintf(stderr, "worker: %s\n", qPrintable(round.error().message));
                break;
            }
            if (round->total() == 0)
                break;
            applied.applied += round->applied;
            applied.stale += round->stale;
            applied.ignored += round->ignored;
            applied.waiting += round->waiting;
            applied.failed += round->failed;
            applied.skipped += round->skipped;
        }
        applier.releaseStatements();
    }
    const double applySeconds = double(applyClock.nsecsElapsed()) / 1e9;
    closeConnection(worker);
    QString left;
    exec(owner, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status = 'received'"),
         &left);
    std::printf("worker: %d events handled in %.2f s = %.0f events/s (applied %d, stale %d, "
                "ignored %d, waiting %d, failed %d, skipped %d); %s still received\n",
                applied.total(), applySeconds, double(applied.total()) / applySeconds,
                applied.applied, applied.stale, applied.ignored, applied.waiting, applied.failed,
                applied.skipped, qPrintable(left));
    closeConnection(owner);
    return 0;
}
