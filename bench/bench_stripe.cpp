// nobill-bench-stripe: the Stripe client against the in-process fake Stripe on loopback.
// Prints requests per second and latency percentiles without faults, then drives
// operations through injected faults (as the job worker would: a failed operation is tried
// again later with the same idempotency key) and checks that every object exists exactly
// once. The figures measure the client and the fake, not Stripe.
#include "fakestripeserver.h"
#include "stripe/stripeclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QMap>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

using namespace nobill;
using nobill::test::FakeStripeServer;

namespace {
struct Run
{
    int operations = 0;
    int concurrency = 16;
    double faultRate = 0.0;
    double retryDelayScale = 1.0;
    int timeoutMs = 2000;
};

struct Outcome
{
    double seconds = 0;
    std::vector<double> latenciesMs; // per operation, first send to final success
    QMap<int, int> attempts;         // HTTP attempts per client call -> calls
    int clientCalls = 0;
    int redriven = 0; // calls that failed and were sent again with the same key
    QMap<QString, int> failures;
};

double percentile(std::vector<double> values, double p)
{
    if (values.empty())
        return 0;
    std::sort(values.begin(), values.end());
    const auto index = static_cast<size_t>(p * double(values.size() - 1));
    return values.at(index);
}

QString typeName(StripeErrorType type)
{
    switch (type) {
    case StripeErrorType::Card:
        return QStringLiteral("card");
    case StripeErrorType::InvalidRequest:
        return QStringLiteral("invalid_request");
    case StripeErrorType::Idempotency:
        return QStringLiteral("idempotency");
    case StripeErrorType::Authentication:
        return QStringLiteral("authentication");
    case StripeErrorType::Permission:
        return QStringLiteral("permission");
    case StripeErrorType::RateLimit:
        return QStringLiteral("rate_limit");
    case StripeErrorType::Api:
        return QStringLiteral("api");
    case StripeErrorType::Network:
        return QStringLiteral("network");
    case StripeErrorType::Malformed:
        return QStringLiteral("malformed");
    }
    return QStringLiteral("?");
}

// Runs `run.operations` customer creations, `run.concurrency` at a time, each retried with
// its key until it succeeds (a retryable failure) or gives up (any other).
Outcome drive(FakeStripeServer &fake, const Run &run, const QString &tag)
{
    StripeClientOptions options;
    options.baseUrl = fake.baseUrl();
    options.secretKey = QStringLiteral("sk_test_bench");
    options.retryDelayScale = run.retryDelayScale;
    options.timeoutMs = run.timeoutMs;
    StripeClient client(options);

    Outcome outcome;
    int next = 0;
    int finished = 0;
    QElapsedTimer total;
    total.start();
    QEventLoop loop;
    std::function<void()> startOne;
    std::function<void(int, qint64)> send = [&](int index, qint64 startedAt) {
        const QString key = QStringLiteral("%1-%2").arg(tag).arg(index);
        const QVariantMap params{
            {QStringLiteral("email"), QStringLiteral("bench%1@example.com").arg(index)},
            {QStringLiteral("metadata"), QVariantMap{{QStringLiteral("bench"), tag}}}};
        client.post(QStringLiteral("/v1/customers"), params, key,
                    [&, index, startedAt](const StripeReply &reply) {
                        ++outcome.clientCalls;
                        ++outcome.attempts[reply.attempts];
                        if (!reply.ok) {
                            ++outcome.failures[typeName(reply.error.type)];
                            if (reply.error.retryable) {
                                ++outcome.redriven;
                                send(index, startedAt);
                                return;
                            }
                        }
                        outcome.latenciesMs.push_back(double(total.nsecsElapsed() - startedAt) /
                                                      1e6);
                        ++finished;
                        if (finished == run.operations)
                            loop.quit();
                        else
                            startOne();
                    });
    };
    startOne = [&] {
        if (next < run.operations) {
            const int index = next++;
            send(index, total.nsecsElapsed());
        }
    };
    for (int i = 0; i < run.concurrency; ++i)
        startOne();
    if (run.operations > 0)
        loop.exec();
    outcome.seconds = double(total.nsecsElapsed()) / 1e9;
    return outcome;
}

void print(const char *title, const Run &run, const Outcome &o)
{
    std::printf("%s: %d operations, %d at a time, fault rate %.0f%%\n", title, run.operations,
                run.concurrency, run.faultRate * 100);
    std::printf("  %.2f s, %.0f operations/s; latency ms p50 %.1f p95 %.1f p99 %.1f max %.1f\n",
                o.seconds, run.operations / o.seconds, percentile(o.latenciesMs, 0.5),
                percentile(o.latenciesMs, 0.95), percentile(o.latenciesMs, 0.99),
                percentile(o.latenciesMs, 1.0));
    QStringList attempts;
    for (auto it = o.attempts.constBegin(); it != o.attempts.constEnd(); ++it)
        attempts.append(QStringLiteral("%1:%2").arg(it.key()).arg(it.value()));
    QStringList failures;
    for (auto it = o.failures.constBegin(); it != o.failures.constEnd(); ++it)
        failures.append(QStringLiteral("%1:%2").arg(it.key()).arg(it.value()));
    std::printf("  client calls %d (attempts per call %s); calls sent again later with the "
                "same key %d (%s)\n",
                o.clientCalls, qPrintable(attempts.join(u' ')), o.redriven,
                qPrintable(failures.join(u' ')));
}
} // namespace

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Stripe client throughput and exactly-once under faults, against the fake Stripe."));
    parser.addHelpOption();
    const QCommandLineOption countOption(QStringLiteral("operations"),
                                         QStringLiteral("Operations per run (default 2000)."),
                                         QStringLiteral("n"), QStringLiteral("2000"));
    const QCommandLineOption faultOption(QStringLiteral("fault-rate"),
                                         QStringLiteral("Share of requests failed (default 0.3)."),
                                         QStringLiteral("rate"), QStringLiteral("0.3"));
    const QCommandLineOption scaleOption(
        QStringLiteral("retry-delay-scale"),
        QStringLiteral("Multiplies the SDK retry waits (default 1: the real policy)."),
        QStringLiteral("scale"), QStringLiteral("1"));
    parser.addOptions({countOption, faultOption, scaleOption});
    parser.process(app);
    // The client logs every retry; a benchmark full of injected faults would drown in them.
    QLoggingCategory::setFilterRules(QStringLiteral("nobill.stripe.info=false\n"
                                                    "nobill.stripe.warning=false"));

    FakeStripeServer fake;
    if (!fake.start()) {
        std::fprintf(stderr, "cannot start the fake Stripe: %s\n", qPrintable(fake.errorString()));
        return 1;
    }

    Run clean;
    clean.operations = parser.value(countOption).toInt();
    for (int concurrency : {1, 16}) {
        clean.concurrency = concurrency;
        const Outcome o = drive(fake, clean, QStringLiteral("clean%1").arg(concurrency));
        print("no faults", clean, o);
    }

    Run faulty;
    faulty.operations = std::max(1, clean.operations / 4);
    faulty.faultRate = parser.value(faultOption).toDouble();
    faulty.retryDelayScale = parser.value(scaleOption).toDouble();
    faulty.timeoutMs = 1000;
    FakeStripeServer::Faults faults;
    faults.rate = faulty.faultRate;
    faults.seed = 42;
    faults.kinds = FakeStripeServer::defaultFaultKinds();
    faults.kinds.append(QStringLiteral("lost_slow"));
    faults.slowMs = 1500; // past the client's 1 s timeout
    fake.reset();
    fake.setFaults(faults);
    const Outcome o = drive(fake, faulty, QStringLiteral("faulty"));
    print("with faults", faulty, o);
    const QJsonObject stats = fake.stats();
    std::printf("  fake: %d requests, %d faults injected, %d replays; customers created %d for "
                "%d operations: %s\n",
                stats.value(QLatin1String("requests_total")).toInt(),
                stats.value(QLatin1String("faults_total")).toInt(),
                stats.value(QLatin1String("replays")).toInt(),
                fake.createdCount(QStringLiteral("customer")), faulty.operations,
                fake.createdCount(QStringLiteral("customer")) == faulty.operations ? "exactly once"
                                                                                   : "MISMATCH");
    // Let replies still held by "lost_slow" go out before the fake is destroyed.
    return fake.createdCount(QStringLiteral("customer")) == faulty.operations ? 0 : 1;
}
