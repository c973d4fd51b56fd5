#include "serve.h"
#include "reconcile.h"

#include "core/translations.h"
#include "database/connection.h"
#include "database/connectionsettings.h"
#include "database/officeprofile.h"
#include "jobs/billinghandlers.h"
#include "jobs/jobqueue.h"
#include "jobs/jobworker.h"
#include "jobs/officeworker.h"
#include "secrets/secretstore.h"
#include "stripe/stripeclient.h"
#include "stripeevents/eventpoller.h"
#include "stripeevents/eventprocessor.h"
#include "webhooks/webhooklistener.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSocketNotifier>
#include <QStandardPaths>
#include <QTextStream>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <memory>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcServe, "nobill.serve")

namespace nobill::ctl {

namespace {

enum ExitCode { Success = 0, Failure = 1, BadUsage = 2 };

const QString StripeKeyName = OfficeWorker::stripeKeyName();
const QString WebhookSecretName = OfficeWorker::webhookSecretName();
const QString WebhookCredentialName = QStringLiteral("webhook-secret");
const QString DbPasswordName = QStringLiteral("db-password");

QString tr(const char *text)
{
    return QCoreApplication::translate("nobillctl", text);
}

void printLine(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

int complain(const QString &text, int code = Failure)
{
    printLine(stderr, QStringLiteral("nobillctl: ") + text);
    return code;
}

int usageError(const QString &reason)
{
    return complain(reason + QLatin1Char(' ') + tr("Run \"nobillctl help\" for the usage."),
                    BadUsage);
}

// Where `stripe set-key` keeps the key when no keychain answers (a server without a
// desktop session): a file only this user can read, next to the user's other settings.
SecretStore secretStore()
{
    SecretStore::Options options;
    options.fallbackDirectory =
        QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
            .filePath(QStringLiteral("nobill/secrets"));
    return SecretStore(options);
}

} // namespace

// A credential systemd handed over (LoadCredential), or empty.
QString credential(const QString &name)
{
    const QString directory = qEnvironmentVariable("CREDENTIALS_DIRECTORY");
    if (directory.isEmpty())
        return {};
    QFile file(QDir(directory).filePath(name));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll()).trimmed();
}

namespace {

bool looksLikeStripeKey(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^(sk|rk)_[A-Za-z0-9_]{8,}$"));
    return pattern.match(text).hasMatch();
}

bool looksLikeWebhookSecret(const QString &text)
{
    static const QRegularExpression pattern(QStringLiteral("^whsec_[A-Za-z0-9_]{8,}$"));
    return pattern.match(text).hasMatch();
}

// A secret the office service needs: where systemd hands it over, its name in the secret
// store, how to recognise it, and how many lines it may have (the webhook secret: the current
// one and, while Stripe rolls it, the previous one).
struct SecretKind
{
    QString credentialName;
    QString storeName;
    QString what;       // a noun for sentences ("the Stripe key")
    QString setCommand; // how to store it ("nobillctl stripe set-key")
    QString shape;      // what a valid one looks like
    bool (*valid)(const QString &);
    int maxLines;
};

SecretKind stripeKeyKind()
{
    return {StripeKeyName,
            StripeKeyName,
            tr("the Stripe key"),
            QStringLiteral("nobillctl stripe set-key"),
            tr("a Stripe secret or restricted key (sk_... or rk_...)"),
            looksLikeStripeKey,
            1};
}

SecretKind webhookSecretKind()
{
    return {WebhookCredentialName,
            WebhookSecretName,
            tr("the webhook signing secret"),
            QStringLiteral("nobillctl stripe set-webhook-secret"),
            tr("one or two webhook signing secrets (whsec_...), one a line: the current one, "
               "then the previous one while Stripe rolls it"),
            looksLikeWebhookSecret,
            2};
}

// The lines of a secret's text, or empty when one of them is not of the kind.
QStringList secretLines(const SecretKind &kind, const QString &text)
{
    QStringList lines;
    for (const QString &line : text.split(QLatin1Char('\n'), Qt::SkipEmptyParts)) {
        const QString trimmed = line.trimmed();
        if (!trimmed.isEmpty())
            lines << trimmed;
    }
    if (lines.isEmpty() || lines.size() > kind.maxLines)
        return {};
    for (const QString &line : std::as_const(lines)) {
        if (!kind.valid(line))
            return {};
    }
    return lines;
}

// From the systemd credential if there is one, else from the secret store.
Result<QStringList> loadSecret(const SecretKind &kind)
{
    const QString handed = credential(kind.credentialName);
    if (!handed.isEmpty()) {
        QStringList lines = secretLines(kind, handed);
        if (lines.isEmpty())
            return makeError(
                ErrorKind::InvalidInput,
                tr("The credential %1 does not hold %2.").arg(kind.credentialName, kind.shape));
        return lines;
    }
    SecretStore store = secretStore();
    Result<QString> stored = store.read(kind.storeName);
    if (!stored) {
        if (stored.error().kind == ErrorKind::NotFound)
            return makeError(ErrorKind::NotFound,
                             tr("No %1 is configured. Store it with \"%2\" (it reads standard "
                                "input), or give it to the service as the systemd credential %3.")
                                 .arg(kind.what, kind.setCommand, kind.credentialName));
        return stored.error();
    }
    QStringList lines = secretLines(kind, stored.value());
    if (lines.isEmpty())
        return makeError(ErrorKind::InvalidInput,
                         tr("The stored %1 is not %2; store it again with \"%3\".")
                             .arg(kind.what, kind.shape, kind.setCommand));
    return lines;
}

// A key on the command line would be visible to every user of the machine (ps, /proc).
bool argumentsHoldAKey(const QStringList &arguments)
{
    static const QRegularExpression pattern(
        QStringLiteral("(^|[=\\s])((sk|rk)_(live|test)_|whsec_)"));
    for (const QString &argument : arguments) {
        if (pattern.match(argument).hasMatch())
            return true;
    }
    return false;
}

// ---- graceful stop on SIGTERM / SIGINT ---------------------------------------------------

int signalPipe[2] = {-1, -1};

void onSignal(int)
{
    const char byte = 1;
    // Nothing else is async-signal-safe here; the event loop does the rest.
    [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
}

bool installSignalHandlers()
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, signalPipe) != 0)
        return false;
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    return ::sigaction(SIGTERM, &action, nullptr) == 0 &&
           ::sigaction(SIGINT, &action, nullptr) == 0;
}

// ---- stripe set-key ----------------------------------------------------------------------

int setSecret(const QStringList &words, const SecretKind &kind)
{
    if (words.size() != 2)
        return usageError(tr("\"%1\" takes no further words: it reads the secret from standard "
                             "input, so that it never appears in the process list or the shell "
                             "history.")
                              .arg(kind.setCommand));
    QStringList read;
    std::string line;
    while (read.size() < kind.maxLines + 1 && std::getline(std::cin, line)) {
        const QString text = QString::fromStdString(line).trimmed();
        if (!text.isEmpty())
            read << text;
        if (kind.maxLines == 1 && !read.isEmpty())
            break;
    }
    const QStringList lines = secretLines(kind, read.join(QLatin1Char('\n')));
    if (lines.isEmpty())
        return complain(tr("Standard input does not hold %1. Nothing was stored.").arg(kind.shape));
    SecretStore store = secretStore();
    if (Status written = store.write(kind.storeName, lines.join(QLatin1Char('\n'))); !written)
        return complain(written.error().message);
    printLine(stdout, tr("%1 is stored %2.")
                          .arg(kind.what.left(1).toUpper() + kind.what.mid(1),
                               store.lastBackendDescription()));
    return Success;
}

} // namespace

Result<QString> loadStripeKey()
{
    Result<QStringList> lines = loadSecret(stripeKeyKind());
    if (!lines)
        return lines.error();
    return lines.value().constFirst();
}

Result<QUrl> stripeBaseUrl(const QCommandLineParser &parser)
{
    if (!parser.isSet(QStringLiteral("stripe-base-url")))
        return StripeClientOptions().baseUrl;
    const QUrl url(parser.value(QStringLiteral("stripe-base-url")), QUrl::StrictMode);
    const bool loopback = url.host() == QLatin1String("127.0.0.1") ||
                          url.host() == QLatin1String("localhost") ||
                          url.host() == QLatin1String("::1");
    if (!url.isValid() || url.host().isEmpty() ||
        !(url.scheme() == QLatin1String("https") ||
          (url.scheme() == QLatin1String("http") && loopback)))
        return makeError(ErrorKind::InvalidInput,
                         tr("--stripe-base-url must be an https address (plain http only on this "
                            "machine, for tests)."));
    return url;
}

namespace {

// Signs in once before the worker starts, so that a wrong address, password or schema is
// reported at once and in plain words rather than retried forever in the background.
Status checkDatabase(const ConnectionSettings &settings)
{
    const QString name = uniqueConnectionName(QStringLiteral("serve-check"));
    if (Status opened = openConnection(settings, name); !opened)
        return opened;
    Status result = JobQueue(name, QStringLiteral("check")).checkAccess();
    closeConnection(name);
    return result;
}

// "ADDR:PORT", "[IPv6]:PORT" or a port alone (on loopback).
Result<std::pair<QHostAddress, quint16>> parseListen(const QString &text)
{
    QString host = QStringLiteral("127.0.0.1");
    QString port = text;
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon >= 0) {
        host = text.left(colon);
        port = text.mid(colon + 1);
        if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
            host = host.mid(1, host.size() - 2);
    }
    const QHostAddress address(host == QLatin1String("localhost") ? QStringLiteral("127.0.0.1")
                                                                  : host);
    bool ok = false;
    const uint number = port.toUInt(&ok);
    if (address.isNull() || !ok || number < 1 || number > 65535)
        return makeError(ErrorKind::InvalidInput,
                         tr("--listen needs an address and a port, e.g. 127.0.0.1:8787 or "
                            "[::1]:8787 (an IP address, not a host name)."));
    return std::make_pair(address, static_cast<quint16>(number));
}

int serve(QCommandLineParser &parser, const QStringList &words)
{
    if (words.size() != 1)
        return usageError(tr("\"serve\" takes no further words."));
    const QString uri = parser.value(QStringLiteral("db"));
    if (uri.isEmpty())
        return usageError(tr("\"serve\" needs the database: --db URI (the service login, "
                             "without its password)."));
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("worker");
    if (settings.password.isEmpty())
        settings.password = credential(DbPasswordName); // else libpq: PGPASSFILE, ~/.pgpass

    // The office profile says how Stripe's events reach this office; options override it.
    const OfficeProfile profile = OfficeProfile::load();
    for (const QString &warning : profile.warnings)
        printLine(stderr, tr("office profile: %1").arg(warning));
    const bool profilePolls = profile.listener.mode == QLatin1String("poll");
    const bool listen = parser.isSet(QStringLiteral("listen")) ||
                        (!parser.isSet(QStringLiteral("no-listen")) && !profilePolls);
    const bool pull = parser.isSet(QStringLiteral("pull")) || profilePolls;
    if (parser.isSet(QStringLiteral("listen")) && parser.isSet(QStringLiteral("no-listen")))
        return usageError(tr("--listen and --no-listen contradict each other."));

    JobWorkerOptions options;
    options.workerName = parser.value(QStringLiteral("worker-name"));
    if (options.workerName.isEmpty())
        options.workerName =
            QStringLiteral("%1-%2").arg(QHostInfo::localHostName()).arg(::getpid());
    bool ok = true;
    auto number = [&](const char *name, int fallback, int low, int high) {
        const QString option = QLatin1String(name);
        if (!parser.isSet(option))
            return fallback;
        bool valid = false;
        const int value = parser.value(option).toInt(&valid);
        if (!valid || value < low || value > high) {
            ok = false;
            usageError(
                tr("--%1 must be a whole number from %2 to %3.").arg(option).arg(low).arg(high));
        }
        return value;
    };
    options.concurrency = number("concurrency", 4, 1, 64);
    options.leaseSeconds = number("lease-seconds", 60, 3, 3600);
    options.backoff.baseSeconds = number("backoff-seconds", 10, 1, 3600);
    options.pollIntervalMs = number("poll-ms", 5000, 100, 600000);

    WebhookListenerOptions listenerOptions;
    listenerOptions.address = QHostAddress(profile.listener.address);
    if (listenerOptions.address.isNull() && listen && !parser.isSet(QStringLiteral("listen")))
        return complain(
            tr("The office profile's listener address \"%1\" is not an IP address "
               "(e.g. 127.0.0.1). Correct it in %2, or give --listen ADDR:PORT.")
                .arg(profile.listener.address, profile.files.join(QLatin1String(", "))));
    listenerOptions.port = static_cast<quint16>(profile.listener.port);
    if (parser.isSet(QStringLiteral("listen"))) {
        auto where = parseListen(parser.value(QStringLiteral("listen")));
        if (!where)
            return usageError(where.error().message);
        listenerOptions.address = where.value().first;
        listenerOptions.port = where.value().second;
    }
    listenerOptions.certificateFile = parser.value(QStringLiteral("tls-cert"));
    listenerOptions.privateKeyFile = parser.value(QStringLiteral("tls-key"));
    if (listenerOptions.certificateFile.isEmpty() != listenerOptions.privateKeyFile.isEmpty())
        return usageError(tr("--tls-cert and --tls-key go together."));
    listenerOptions.bodyLimit = number("body-limit", 1024 * 1024, 1024, 64 * 1024 * 1024);
    listenerOptions.maxConnections = number("max-connections", 256, 1, 10000);

    EventProcessorOptions processorOptions;
    processorOptions.pollIntervalMs = number("events-poll-ms", 5000, 100, 600000);
    processorOptions.applier.maxAttempts =
        number("event-attempts", processorOptions.applier.maxAttempts, 1, 100000);
    const int eventBackoff = number("event-backoff-seconds", 5, 1, 3600);
    if (parser.isSet(QStringLiteral("event-backoff-seconds"))) {
        // A short first wait (tests, or an office that wants waiting events back soon) also
        // caps the longest wait, so they are not tried again only hours later.
        processorOptions.applier.backoffBaseSeconds = eventBackoff;
        processorOptions.applier.backoffMaxSeconds = std::min(3600, eventBackoff * 16);
    }
    EventPollerOptions pollerOptions;
    pollerOptions.intervalMs = number("pull-seconds", 10, 1, 3600) * 1000;
    if (!ok)
        return BadUsage;

    StripeClientOptions stripe;
    Result<QUrl> baseUrl = stripeBaseUrl(parser);
    if (!baseUrl)
        return usageError(baseUrl.error().message);
    stripe.baseUrl = baseUrl.value();

    // --check: what would run, from the options and the office profile, without secrets or
    // the database (the packaging test runs the unit's command line this way).
    if (parser.isSet(QStringLiteral("check"))) {
        const QHostAddress &address = listenerOptions.address;
        const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QStringLiteral("[%1]").arg(address.toString())
                                 : address.toString();
        if (!profile.files.isEmpty())
            printLine(stdout,
                      tr("check: office profile %1").arg(profile.files.join(QLatin1String(", "))));
        if (listen)
            printLine(stdout,
                      tr("check: webhook listener on %1://%2:%3/stripe/webhook")
                          .arg(listenerOptions.certificateFile.isEmpty() ? QStringLiteral("http")
                                                                         : QStringLiteral("https"),
                               host)
                          .arg(listenerOptions.port));
        else
            printLine(stdout, tr("check: no webhook listener"));
        printLine(stdout, tr("check: event processor"));
        if (pull)
            printLine(stdout, tr("check: pulling Stripe's events from %1 every %2 s")
                                  .arg(stripe.baseUrl.toString())
                                  .arg(pollerOptions.intervalMs / 1000));
        printLine(stdout, tr("check: job worker %1 with %2 slots on %3")
                              .arg(options.workerName)
                              .arg(options.concurrency)
                              .arg(settings.describe()));
        if (!profile.warnings.isEmpty())
            return complain(tr("The office profile needs attention (see above)."));
        printLine(stdout, tr("The options are valid. Secrets and the database were not looked "
                             "at: start without --check for that."));
        return Success;
    }
    Result<QString> key = loadStripeKey();
    if (!key)
        return complain(key.error().message);
    stripe.secretKey = key.value();

    if (listen) {
        Result<QStringList> secrets = loadSecret(webhookSecretKind());
        if (!secrets)
            return complain(secrets.error().message + QLatin1Char(' ') +
                            tr("(An office Stripe cannot reach runs with --no-listen --pull.)"));
        for (const QString &secret : secrets.value())
            listenerOptions.secrets << secret.toUtf8();
    }

    if (Status checked = checkDatabase(settings); !checked)
        return complain(checked.error().message);

    if (!installSignalHandlers())
        return complain(tr("Could not set up the stop signals."));

    ConnectionSettings eventSettings = settings;
    eventSettings.source = QStringLiteral("webhook");
    std::unique_ptr<WebhookListener> listener;
    int secretCount = 0;
    if (listen) {
        listenerOptions.database = eventSettings;
        listener = std::make_unique<WebhookListener>(listenerOptions);
        if (Status started = listener->start(); !started)
            return complain(started.error().message);
        secretCount = static_cast<int>(listenerOptions.secrets.size());
        listenerOptions.secrets.clear(); // the listener holds the only copies
    }
    if (!profile.files.isEmpty())
        printLine(stdout,
                  tr("serving: office profile %1").arg(profile.files.join(QLatin1String(", "))));
    if (listener) {
        const bool tls = !listenerOptions.certificateFile.isEmpty();
        const QHostAddress address = listener->address();
        const QString host = address.protocol() == QAbstractSocket::IPv6Protocol
                                 ? QStringLiteral("[%1]").arg(address.toString())
                                 : address.toString();
        printLine(stdout,
                  (secretCount > 1 ? tr("serving: webhook listener on %1://%2:%3/stripe/webhook "
                                        "(health at /healthz; the current and the previous "
                                        "signing secret are accepted)")
                                   : tr("serving: webhook listener on %1://%2:%3/stripe/webhook "
                                        "(health at /healthz)"))
                      .arg(tls ? QStringLiteral("https") : QStringLiteral("http"), host)
                      .arg(listener->port()));
        if (!profile.listener.publicUrl.isEmpty())
            printLine(stdout, tr("serving: Stripe posts to %1").arg(profile.listener.publicUrl));
    }

    auto processor = std::make_unique<EventProcessor>(eventSettings, processorOptions);
    QObject::connect(processor.get(), &EventProcessor::problem,
                     [](const QString &message) { qCWarning(lcServe).noquote() << message; });
    QObject::connect(processor.get(), &EventProcessor::batchDone, [](const DrainStats &stats) {
        qCInfo(lcServe).noquote() << "events:" << stats.applied << "applied," << stats.stale
                                  << "stale," << stats.ignored << "ignored," << stats.waiting
                                  << "waiting," << stats.failed << "failed";
    });
    processor->start();
    printLine(stdout, tr("serving: event processor on %1").arg(settings.describe()));

    std::unique_ptr<EventPoller> poller;
    if (pull) {
        poller = std::make_unique<EventPoller>(eventSettings, stripe, pollerOptions);
        QObject::connect(poller.get(), &EventPoller::pollFinished,
                         [](bool succeeded, int stored, int duplicates, const QString &message) {
                             if (!succeeded)
                                 qCWarning(lcServe).noquote() << "pull:" << message;
                             else if (stored > 0)
                                 qCInfo(lcServe).noquote()
                                     << "pull:" << stored << "new events," << duplicates << "known";
                         });
        poller->start();
        printLine(stdout, tr("serving: pulling Stripe's events from %1 every %2 s")
                              .arg(stripe.baseUrl.toString())
                              .arg(pollerOptions.intervalMs / 1000));
    }

    JobWorker worker(settings, stripe, options);
    stripe.secretKey.clear(); // the clients hold the only copies from here on
    for (const auto &handler : billingJobHandlers())
        worker.addHandler(handler);
    QObject::connect(
        &worker, &JobWorker::jobDone,
        [](const QString &id, const QString &kind, const QString &status, const QString &message) {
            qCInfo(lcServe).noquote()
                << "job" << id << kind << status
                << (message.isEmpty() ? QString() : QStringLiteral("- ") + message);
        });
    QObject::connect(&worker, &JobWorker::problem,
                     [](const QString &message) { qCWarning(lcServe).noquote() << message; });
    QObject::connect(&worker, &JobWorker::stopped, qApp, &QCoreApplication::quit);

    QSocketNotifier notifier(signalPipe[0], QSocketNotifier::Read);
    int stopRequests = 0;
    QObject::connect(&notifier, &QSocketNotifier::activated, [&]() {
        char byte = 0;
        [[maybe_unused]] const ssize_t got = ::read(signalPipe[0], &byte, 1);
        if (++stopRequests == 1) {
            // In this order: no new deliveries (Stripe retries what is not acknowledged);
            // the inbox's commits in flight end; the event in hand is applied; then the jobs.
            qCInfo(lcServe).noquote() << "stopping: the listener closes, the event in hand is "
                                         "applied, running jobs finish or go back to the queue";
            if (listener)
                listener->stop();
            if (poller)
                poller->stop();
            processor->stop();
            worker.stop();
        } else {
            qCWarning(lcServe).noquote() << "stopping now; running jobs are taken over by "
                                            "another worker when their lease expires";
            QCoreApplication::exit(Failure);
        }
    });

    worker.start();
    printLine(stdout, tr("serving: job worker %1 with %2 slots on %3")
                          .arg(options.workerName)
                          .arg(options.concurrency)
                          .arg(settings.describe()));
    return QCoreApplication::exec();
}

} // namespace

bool isServeCommand(int argc, char **argv)
{
    if (argc < 2)
        return false;
    const std::string first = argv[1];
    return first == "serve" || first == "stripe";
}

int serveCommand(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("nobillctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NOBILL_VERSION));
    installTranslations();
    // A service's log is its progress: one line per job outcome (journald keeps them).
    QLoggingCategory::setFilterRules(QStringLiteral("nobill.*.debug=false\nnobill.sql.*=false"));

    const QStringList arguments = QCoreApplication::arguments();
    if (argumentsHoldAKey(arguments))
        return usageError(tr("A Stripe secret was given on the command line, where every user of "
                             "this machine can read it. Nothing was started. Roll that key or "
                             "signing secret in the Stripe dashboard, then store the new one "
                             "with \"nobillctl stripe set-key\" or \"nobillctl stripe "
                             "set-webhook-secret\" (they read standard input)."));

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addOptions({
        {QStringLiteral("db"), tr("Address of the database (the service login)."), tr("URI")},
        {QStringLiteral("worker-name"), tr("Name of this worker in the job list."), tr("NAME")},
        {QStringLiteral("concurrency"), tr("Jobs run at the same time (default 4)."), tr("K")},
        {QStringLiteral("stripe-base-url"), tr("Stripe's address (tests only)."), tr("URL")},
        {QStringLiteral("lease-seconds"), tr("How long a claimed job is held (default 60)."),
         tr("S")},
        {QStringLiteral("backoff-seconds"), tr("First wait before a retry (default 10)."), tr("S")},
        {QStringLiteral("poll-ms"), tr("How often to look for due jobs (default 5000)."), tr("MS")},
        {QStringLiteral("repair"), tr("stripe reconcile: make ours equal to Stripe.")},
        {QStringLiteral("check"), tr("serve: check the options and office profile, run "
                                     "nothing.")},
        {QStringLiteral("listen"), tr("Webhook listener address (default 127.0.0.1:8787)."),
         tr("ADDR:PORT")},
        {QStringLiteral("no-listen"), tr("Run without the webhook listener.")},
        {QStringLiteral("tls-cert"), tr("The listener's certificate chain (PEM)."), tr("FILE")},
        {QStringLiteral("tls-key"), tr("The listener's private key (PEM)."), tr("FILE")},
        {QStringLiteral("body-limit"), tr("Largest webhook body in bytes."), tr("BYTES")},
        {QStringLiteral("max-connections"), tr("Open connections at most."), tr("N")},
        {QStringLiteral("pull"), tr("Poll Stripe's Events API.")},
        {QStringLiteral("pull-seconds"), tr("Seconds between polls (default 10)."), tr("S")},
        {QStringLiteral("events-poll-ms"), tr("How often to look for due events."), tr("MS")},
        {QStringLiteral("event-backoff-seconds"), tr("First wait of a waiting event."), tr("S")},
        {QStringLiteral("event-attempts"), tr("Attempts before a waiting event fails."), tr("N")},
    });
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    const QStringList words = parser.positionalArguments();
    if (words.value(0) == QLatin1String("stripe")) {
        if (words.value(1) == QLatin1String("reconcile"))
            return reconcileCommand(parser, words);
        if (words.value(1) == QLatin1String("set-key"))
            return setSecret(words, stripeKeyKind());
        if (words.value(1) == QLatin1String("set-webhook-secret"))
            return setSecret(words, webhookSecretKind());
        return usageError(
            tr("\"stripe\" needs the action set-key, set-webhook-secret or reconcile."));
    }
    return serve(parser, words);
}

} // namespace nobill::ctl
