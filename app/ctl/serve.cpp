#include "serve.h"
#include "reconcile.h"

#include "core/translations.h"
#include "database/connection.h"
#include "database/connectionsettings.h"
#include "jobs/billinghandlers.h"
#include "jobs/jobqueue.h"
#include "jobs/jobworker.h"
#include "jobs/officeworker.h"
#include "secrets/secretstore.h"
#include "stripe/stripeclient.h"

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

#include <csignal>
#include <cstdio>
#include <fcntl.h>
#include <iostream>
#include <string>
#include <sys/socket.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcServe, "nobill.serve")

namespace nobill::ctl {

namespace {

enum ExitCode { Success = 0, Failure = 1, BadUsage = 2 };

const QString StripeKeyName = OfficeWorker::stripeKeyName();
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

// A key on the command line would be visible to every user of the machine (ps, /proc).
bool argumentsHoldAKey(const QStringList &arguments)
{
    static const QRegularExpression pattern(QStringLiteral("(^|[=\\s])(sk|rk)_(live|test)_"));
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

int setKey(const QStringList &words)
{
    if (words.size() != 2)
        return usageError(tr("\"stripe set-key\" takes no further words: it reads the key from "
                             "standard input, so that the key never appears in the process "
                             "list or the shell history."));
    std::string line;
    std::getline(std::cin, line);
    const QString key = QString::fromStdString(line).trimmed();
    if (!looksLikeStripeKey(key))
        return complain(tr("That is not a Stripe secret or restricted key (they start with sk_ "
                           "or rk_). Nothing was stored."));
    SecretStore store = secretStore();
    if (Status written = store.write(StripeKeyName, key); !written)
        return complain(written.error().message);
    printLine(stdout, tr("The Stripe key is stored %1.").arg(store.lastBackendDescription()));
    return Success;
}

} // namespace

Result<QString> loadStripeKey()
{
    QString key = credential(StripeKeyName);
    if (!key.isEmpty()) {
        if (!looksLikeStripeKey(key))
            return makeError(ErrorKind::InvalidInput,
                             tr("The credential %1 does not hold a Stripe secret or restricted "
                                "key (sk_... or rk_...).")
                                 .arg(StripeKeyName));
        return key;
    }
    SecretStore store = secretStore();
    Result<QString> stored = store.read(StripeKeyName);
    if (!stored) {
        if (stored.error().kind == ErrorKind::NotFound)
            return makeError(ErrorKind::NotFound,
                             tr("No Stripe key is configured. Store one with \"nobillctl stripe "
                                "set-key\" (it reads the key from standard input), or give it to "
                                "the service as the systemd credential %1.")
                                 .arg(StripeKeyName));
        return stored.error();
    }
    if (!looksLikeStripeKey(stored.value().trimmed()))
        return makeError(ErrorKind::InvalidInput,
                         tr("The stored Stripe key is not a secret or restricted key; store it "
                            "again with \"nobillctl stripe set-key\"."));
    return stored.value().trimmed();
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
    if (!ok)
        return BadUsage;

    StripeClientOptions stripe;
    Result<QUrl> baseUrl = stripeBaseUrl(parser);
    if (!baseUrl)
        return usageError(baseUrl.error().message);
    stripe.baseUrl = baseUrl.value();
    Result<QString> key = loadStripeKey();
    if (!key)
        return complain(key.error().message);
    stripe.secretKey = key.value();

    if (Status checked = checkDatabase(settings); !checked)
        return complain(checked.error().message);

    if (!installSignalHandlers())
        return complain(tr("Could not set up the stop signals."));

    JobWorker worker(settings, stripe, options);
    stripe.secretKey.clear(); // the client holds the only copy from here on
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
            qCInfo(lcServe).noquote() << "stopping: running jobs finish or go back to the queue";
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
        return usageError(tr("A Stripe key was given on the command line, where every user of "
                             "this machine can read it. Nothing was started. Revoke that key in "
                             "the Stripe dashboard, then store the new one with \"nobillctl "
                             "stripe set-key\" (it reads standard input)."));

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
    });
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    const QStringList words = parser.positionalArguments();
    if (words.value(0) == QLatin1String("stripe")) {
        if (words.value(1) == QLatin1String("reconcile"))
            return reconcileCommand(parser, words);
        if (words.value(1) != QLatin1String("set-key"))
            return usageError(tr("\"stripe\" needs the action set-key or reconcile."));
        return setKey(words);
    }
    return serve(parser, words);
}

} // namespace nobill::ctl
