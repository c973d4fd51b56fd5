#include "commands.h"

#include "access/auditverifier.h"
#include "core/translations.h"

#include "database/connection.h"
#include "database/connectionsettings.h"
#include "database/migrator.h"
#include "demo/democluster.h"
#include "export/listexport.h"
#include "setup.h"
#include "usage/usageimporter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QHash>
#include <QLoggingCategory>

#include <cstdio>

namespace nobill::ctl {

namespace {

enum ExitCode {
    Success = 0,
    Failure = 1,
    BadUsage = 2,
    NotRunning = 3, // `demo status`, as `pg_ctl status` and `systemctl status` do
};

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

void say(const QString &text)
{
    printLine(stdout, text);
}

void complain(const QString &text)
{
    printLine(stderr, QStringLiteral("nobillctl: ") + text);
}

int fail(const Error &error)
{
    complain(error.message);
    return Failure;
}

QString exportUsage();

QString usage()
{
    return tr("Usage:\n"
              "  nobillctl demo up [--dir DIR]     Start the demo database (created and filled "
              "with demo data on first use); prints its address.\n"
              "  nobillctl demo down [--dir DIR]   Stop the demo database; its data stays.\n"
              "  nobillctl demo status [--dir DIR] Show whether the demo database is running "
              "(exit status 3 when it is not).\n"
              "  nobillctl setup --db OWNER_URI --admin-login LOGIN --admin-email EMAIL "
              "[--admin-name NAME] [--office NAME] [--service-login LOGIN] "
              "[--service-password-file FILE]  Prepare a new office database: migrations, the "
              "first platform administrator (one-time password) and the service login.\n"
              "  nobillctl migrate --db URI        Bring a database's schema up to this "
              "version, e.g. --db postgresql://owner@host:5432/nobill\n"
              "  nobillctl audit verify --db URI   Check that the audit trail's hash chain is "
              "intact (exit status 1 when it is broken).\n"
              "  nobillctl usage import FILE --db URI  Import a usage CSV file, all or nothing "
              "(header organization,subscription,metric,quantity,occurred_at,"
              "idempotency_key).\n"
              "  nobillctl export AREA --db URI [--output FILE] [--format csv] [filters]  "
              "Export a list as CSV, streamed, in the order the screen shows it. Areas and "
              "their filters:%2\n"
              "  nobillctl serve --db URI [--listen ADDR:PORT] [--tls-cert FILE --tls-key FILE] "
              "[--body-limit BYTES] [--max-connections N] [--no-listen] [--pull] "
              "[--pull-seconds S] [--worker-name NAME] [--concurrency K] [--check]  Run the office "
              "service until SIGTERM: the Stripe webhook listener (POST /stripe/webhook, default "
              "127.0.0.1:8787, or the office profile's [listener] address and port), the event "
              "processor that applies stored events, with --pull the poller of Stripe's Events "
              "API (for an office Stripe cannot reach; with --no-listen, or mode=poll in the "
              "profile), and the job worker that executes queued Stripe work. The Stripe key "
              "comes from $CREDENTIALS_DIRECTORY/stripe-secret-key or the keychain, the webhook "
              "signing secret(s) from $CREDENTIALS_DIRECTORY/webhook-secret or the keychain; "
              "never from the command line. --check says what would run and exits.\n"
              "  nobillctl stripe set-key          Store the Stripe secret key, read from standard "
              "input, in the keychain (or a file only you can read).\n"
              "  nobillctl stripe set-webhook-secret  Store the webhook signing secret (whsec_...) "
              "read from standard input; a second line keeps the previous one valid while Stripe "
              "rolls it.\n"
              "  nobillctl stripe reconcile --db URI [--repair]  List the drift between NOBill "
              "and Stripe (customers, prices, subscriptions, invoices) as a table; --repair "
              "makes NOBill's side equal to Stripe's where that is safe (never writes to "
              "Stripe). Exit status 0 no drift (left), 1 error, 4 drift found (or left after "
              "--repair). The Stripe key as for serve.\n"
              "  nobillctl help                    Show this help.\n"
              "  nobillctl --version               Show the version.\n"
              "\n"
              "The demo directory defaults to $NOBILL_DEMO_DIR, else %1.\n"
              "A password missing from the URI is taken from PGPASSWORD or ~/.pgpass.")
        .arg(DemoCluster::defaultRootDirectory(), exportUsage());
}

int usageError(const QString &reason)
{
    complain(reason + QLatin1Char(' ') + tr("Run \"nobillctl help\" for the usage."));
    return BadUsage;
}

int demoUp(const QString &directory)
{
    DemoCluster demo(directory);
    Result<ConnectionSettings> settings = demo.up();
    if (!settings)
        return fail(settings.error());
    // The only line on stdout, so that `psql "$(nobillctl demo up)"` works.
    say(settings.value().toUri(true));
    return Success;
}

int demoDown(const QString &directory)
{
    DemoCluster demo(directory);
    const bool wasRunning = demo.status().running;
    if (Status stopped = demo.down(); !stopped)
        return fail(stopped.error());
    say(wasRunning ? tr("The demo database in %1 has stopped.").arg(demo.rootDirectory())
                   : tr("The demo database in %1 was not running.").arg(demo.rootDirectory()));
    return Success;
}

int demoStatus(const QString &directory)
{
    const DemoClusterState state = DemoCluster(directory).status();
    if (!state.initialised) {
        say(tr("No demo database in %1 yet; \"nobillctl demo up\" creates it.")
                .arg(state.directory));
        return NotRunning;
    }
    if (!state.running) {
        say(tr("The demo database in %1 is stopped.").arg(state.directory));
        return NotRunning;
    }
    say(tr("The demo database in %1 is running on 127.0.0.1 port %2.")
            .arg(state.directory)
            .arg(state.port));
    return Success;
}

int migrate(const QString &uri)
{
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-migrate"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error());
    const Migrator migrator(connectionName);
    Result<int> applied = Migrator(connectionName).migrate();
    Result<SchemaStatus> after =
        applied ? migrator.status() : Result<SchemaStatus>(applied.error());
    closeConnection(connectionName);
    if (!applied)
        return fail(applied.error());
    if (!after)
        return fail(after.error());

    const int version = after.value().databaseVersion;
    const int count = applied.value();
    if (count == 0)
        say(tr("Schema is current at version %1.").arg(version));
    else if (count == 1)
        say(tr("Applied 1 migration; schema is at version %1.").arg(version));
    else
        say(tr("Applied %1 migrations; schema is at version %2.").arg(count).arg(version));
    return Success;
}

int auditVerify(const QString &uri)
{
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-audit"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error());
    Result<AuditVerification> verified = verifyAuditTrail(connectionName);
    closeConnection(connectionName);
    if (!verified)
        return fail(verified.error());
    const AuditVerification &v = verified.value();
    if (v.intact) {
        say(tr("intact (%1 rows)").arg(v.rowsChecked));
        return Success;
    }
    say(tr("broken at audit row %1: %2").arg(v.firstBrokenId).arg(v.problem));
    return Failure;
}

int usageImport(const QString &file, const QString &uri)
{
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-usage"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error());
    Result<UsageImportSummary> imported = UsageImporter(connectionName).importFile(file);
    closeConnection(connectionName);
    if (!imported) {
        complain(UsageImporter::describeFailure(imported.error()));
        return Failure;
    }
    say(UsageImporter::describe(imported.value()));
    return Success;
}

// The options of `export` and the areas each applies to: a filter the area's screen has.
struct ExportFilterOption
{
    const char *name;
    const char *valueName;
    const char *help;
    QList<ExportArea> areas;
};

const QList<ExportFilterOption> &exportFilterOptions()
{
    using A = ExportArea;
    static const QList<ExportFilterOption> options{
        {"filter",
         "TEXT",
         QT_TRANSLATE_NOOP("nobillctl", "Only rows matching this text."),
         {A::Tenants, A::Members, A::Plans}},
        {"status",
         "STATUS",
         QT_TRANSLATE_NOOP("nobillctl", "Only rows with this status."),
         {A::Tenants, A::Plans, A::Subscriptions, A::Invoices, A::WebhookEvents, A::Jobs}},
        {"organization",
         "ID",
         QT_TRANSLATE_NOOP("nobillctl", "Only this organization (its id; \"platform\" for rows "
                                        "of no organization where the list offers it)."),
         {A::Members, A::Subscriptions, A::Usage, A::Invoices, A::Audit, A::WebhookEvents,
          A::Jobs}},
        {"product",
         "ID",
         QT_TRANSLATE_NOOP("nobillctl", "Only plans of this product (its id)."),
         {A::Plans}},
        {"currency",
         "CODE",
         QT_TRANSLATE_NOOP("nobillctl", "Only plans in this currency."),
         {A::Plans}},
        {"usage-type",
         "TYPE",
         QT_TRANSLATE_NOOP("nobillctl", "Only licensed or metered plans."),
         {A::Plans}},
        {"plan",
         "ID",
         QT_TRANSLATE_NOOP("nobillctl", "Only subscriptions to this plan (its id)."),
         {A::Subscriptions}},
        {"renewal-within",
         "DAYS",
         QT_TRANSLATE_NOOP("nobillctl", "Only subscriptions renewing within this many days."),
         {A::Subscriptions}},
        {"subscription",
         "ID",
         QT_TRANSLATE_NOOP("nobillctl", "Only rows of this subscription (its id; usage also "
                                        "takes the Stripe id)."),
         {A::Usage, A::Invoices}},
        {"metric",
         "METRIC",
         QT_TRANSLATE_NOOP("nobillctl", "Only usage of this metric."),
         {A::Usage}},
        {"from",
         "TIME",
         QT_TRANSLATE_NOOP("nobillctl", "Only rows at or after this ISO 8601 date or time."),
         {A::Usage, A::Audit}},
        {"to",
         "TIME",
         QT_TRANSLATE_NOOP("nobillctl", "Only rows before this ISO 8601 date or time."),
         {A::Usage, A::Audit}},
        {"actor",
         "LOGIN",
         QT_TRANSLATE_NOOP("nobillctl", "Only changes made by this login."),
         {A::Audit}},
        {"entity",
         "TABLE",
         QT_TRANSLATE_NOOP("nobillctl", "Only changes to this table."),
         {A::Audit}},
        {"action",
         "ACTION",
         QT_TRANSLATE_NOOP("nobillctl", "Only insert, update, delete or import rows."),
         {A::Audit}},
        {"type",
         "TYPE",
         QT_TRANSLATE_NOOP("nobillctl", "Only events of this type, or a prefix ending in \".\"."),
         {A::WebhookEvents}},
        {"kind",
         "KIND",
         QT_TRANSLATE_NOOP("nobillctl", "Only jobs of this kind, or a prefix ending in \".\"."),
         {A::Jobs}},
    };
    return options;
}

QString exportOptionsOf(ExportArea area)
{
    QStringList names;
    for (const ExportFilterOption &option : exportFilterOptions()) {
        if (option.areas.contains(area))
            names << QStringLiteral("[--%1 %2]")
                         .arg(QLatin1String(option.name), QLatin1String(option.valueName));
    }
    return names.join(QLatin1Char(' '));
}

QString exportUsage()
{
    QString text;
    for (const QString &name : exportAreaNames()) {
        const ExportArea area = *exportAreaFromName(name);
        text += QStringLiteral("\n    %1 %2").arg(name, exportOptionsOf(area));
    }
    return text;
}

// A date ("2026-01-31", midnight UTC) or a date and time ("2026-01-31T12:00:00Z").
std::optional<QDateTime> parseTime(const QString &text)
{
    QDateTime time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid()) {
        const QDate date = QDate::fromString(text, Qt::ISODate);
        if (!date.isValid())
            return std::nullopt;
        time = date.startOfDay(Qt::UTC);
    }
    return time;
}

using ExportOptions = QHash<QString, QString>; // option name -> value, only those given

int exportArea(const QString &areaName, const QString &uri, const QString &format,
               const QString &output, const ExportOptions &options)
{
    if (format != QLatin1String("csv"))
        return usageError(tr("Unknown format \"%1\": only csv is supported.").arg(format));
    const std::optional<ExportArea> area = exportAreaFromName(areaName);
    if (!area) {
        return usageError(tr("Unknown area \"%1\"; areas that can be exported: %2.")
                              .arg(areaName, exportAreaNames().join(QStringLiteral(", "))));
    }
    for (auto it = options.cbegin(); it != options.cend(); ++it) {
        for (const ExportFilterOption &option : exportFilterOptions()) {
            if (it.key() == QLatin1String(option.name) && !option.areas.contains(*area)) {
                return usageError(tr("--%1 does not apply to %2; its options: %3")
                                      .arg(it.key(), areaName, exportOptionsOf(*area)));
            }
        }
    }
    const auto value = [&options](const char *name) {
        return options.value(QLatin1String(name));
    };
    std::optional<QDateTime> from;
    std::optional<QDateTime> to;
    for (const char *name : {"from", "to"}) {
        if (!options.contains(QLatin1String(name)))
            continue;
        const std::optional<QDateTime> time = parseTime(value(name));
        if (!time) {
            return usageError(tr("--%1 needs an ISO 8601 date or time, e.g. 2026-01-31 or "
                                 "2026-01-31T12:00:00Z; \"%2\" is neither.")
                                  .arg(QLatin1String(name), value(name)));
        }
        (qstrcmp(name, "from") == 0 ? from : to) = time;
    }
    int renewalDays = 0;
    if (options.contains(QStringLiteral("renewal-within"))) {
        bool ok = false;
        renewalDays = value("renewal-within").toInt(&ok);
        if (!ok || renewalDays <= 0)
            return usageError(tr("--renewal-within needs a number of days greater than 0."));
    }

    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");
    const QString path = output.isEmpty() ? areaName + QStringLiteral(".csv") : output;

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-export"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error());
    Result<qint64> written = makeError(ErrorKind::Internal, QString());
    switch (*area) {
    case ExportArea::Tenants: {
        TenantQuery query;
        query.text = value("filter");
        query.status = value("status");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Members: {
        MemberQuery query;
        query.organizationId = value("organization");
        query.text = value("filter");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Plans: {
        PlanQuery query;
        query.text = value("filter");
        query.status = value("status");
        query.productId = value("product");
        query.currency = value("currency").toUpper();
        query.usageType = value("usage-type");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Subscriptions: {
        SubscriptionQuery query;
        query.organizationId = value("organization");
        query.status = value("status");
        query.planId = value("plan");
        query.renewalWithinDays = renewalDays;
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Usage: {
        UsageQuery query;
        query.organizationId = value("organization");
        query.subscription = value("subscription");
        query.metric = value("metric");
        query.from = from.value_or(QDateTime());
        query.to = to.value_or(QDateTime());
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Invoices: {
        InvoiceQuery query;
        query.organizationId = value("organization");
        query.status = value("status");
        query.subscriptionId = value("subscription");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Audit: {
        AuditQuery query;
        query.organizationId = value("organization");
        query.actor = value("actor");
        query.entity = value("entity");
        query.action = value("action");
        query.from = from.value_or(QDateTime());
        query.to = to.value_or(QDateTime());
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::WebhookEvents: {
        WebhookEventQuery query;
        query.organizationId = value("organization");
        query.status = value("status");
        query.type = value("type");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    case ExportArea::Jobs: {
        JobQuery query;
        query.organizationId = value("organization");
        query.status = value("status");
        query.kind = value("kind");
        written = exportList(connectionName, query, path, {}, nullptr);
        break;
    }
    }
    closeConnection(connectionName);
    if (!written)
        return fail(written.error());
    say(tr("Exported %1 rows to %2.").arg(written.value()).arg(path));
    return Success;
}

} // namespace

int run(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("nobillctl"));
    QCoreApplication::setApplicationVersion(QStringLiteral(NOBILL_VERSION));
    installTranslations();
    // Progress notes of the services stay out of a command line tool's output unless asked
    // for (QT_LOGGING_RULES still overrides this).
    QLoggingCategory::setFilterRules(QStringLiteral("nobill.*.info=false\nnobill.*.debug=false"));

    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption dirOption(QStringLiteral("dir"), tr("Directory of the demo database."),
                                       tr("DIR"));
    const QCommandLineOption dbOption(QStringLiteral("db"), tr("Address of the database."),
                                      tr("URI"));
    const QCommandLineOption versionOption(QStringLiteral("version"), tr("Show the version."));
    const QCommandLineOption helpOption({QStringLiteral("h"), QStringLiteral("help")},
                                        tr("Show this help."));
    const QCommandLineOption formatOption(QStringLiteral("format"), tr("Export format (csv)."),
                                          tr("FORMAT"), QStringLiteral("csv"));
    const QCommandLineOption outputOption(QStringLiteral("output"),
                                          tr("File to export to (default: AREA.csv)."), tr("FILE"));
    parser.addOptions({dirOption, dbOption, versionOption, helpOption, formatOption, outputOption});
    QList<QCommandLineOption> exportFilters;
    for (const ExportFilterOption &option : exportFilterOptions()) {
        exportFilters << QCommandLineOption(QLatin1String(option.name), tr(option.help),
                                            QLatin1String(option.valueName));
    }
    parser.addOptions(exportFilters);
    parser.addPositionalArgument(QStringLiteral("command"),
                                 tr("demo, migrate, audit, usage, export or help."));

    // setup has options of its own.
    if (QCoreApplication::arguments().value(1) == QLatin1String("setup"))
        return runSetup(QCoreApplication::arguments());
    if (!parser.parse(QCoreApplication::arguments()))
        return usageError(parser.errorText());
    if (parser.isSet(versionOption)) {
        say(QStringLiteral("nobillctl %1").arg(QCoreApplication::applicationVersion()));
        return Success;
    }
    const QStringList words = parser.positionalArguments();
    if (parser.isSet(helpOption) || words.value(0) == QLatin1String("help")) {
        if (words.size() > 1 && words.value(0) == QLatin1String("help"))
            return usageError(tr("\"help\" takes no arguments."));
        say(usage());
        return Success;
    }
    if (words.isEmpty())
        return usageError(tr("No command given."));

    const QString command = words.first();
    if (command == QLatin1String("demo")) {
        if (parser.isSet(dbOption))
            return usageError(tr("--db belongs to \"migrate\", not to \"demo\"."));
        if (words.size() != 2)
            return usageError(tr("\"demo\" needs one of up, down or status."));
        const QString directory = parser.value(dirOption);
        if (parser.isSet(dirOption) && directory.isEmpty())
            return usageError(tr("--dir needs a directory."));
        const QString action = words.at(1);
        if (action == QLatin1String("up"))
            return demoUp(directory);
        if (action == QLatin1String("down"))
            return demoDown(directory);
        if (action == QLatin1String("status"))
            return demoStatus(directory);
        return usageError(tr("Unknown demo action \"%1\": use up, down or status.").arg(action));
    }
    if (command == QLatin1String("migrate")) {
        if (parser.isSet(dirOption))
            return usageError(tr("--dir belongs to \"demo\", not to \"migrate\"."));
        if (words.size() != 1)
            return usageError(tr("\"migrate\" takes no further words; give the database with "
                                 "--db URI."));
        if (!parser.isSet(dbOption) || parser.value(dbOption).isEmpty())
            return usageError(tr("\"migrate\" needs the database: --db URI."));
        return migrate(parser.value(dbOption));
    }
    if (command == QLatin1String("audit")) {
        if (parser.isSet(dirOption))
            return usageError(tr("--dir belongs to \"demo\", not to \"audit\"."));
        if (words.size() != 2 || words.at(1) != QLatin1String("verify"))
            return usageError(tr("\"audit\" needs the action verify: audit verify --db URI."));
        if (!parser.isSet(dbOption) || parser.value(dbOption).isEmpty())
            return usageError(tr("\"audit verify\" needs the database: --db URI."));
        return auditVerify(parser.value(dbOption));
    }
    if (command == QLatin1String("usage")) {
        if (parser.isSet(dirOption))
            return usageError(tr("--dir belongs to \"demo\", not to \"usage\"."));
        if (words.size() != 3 || words.at(1) != QLatin1String("import"))
            return usageError(tr("\"usage\" needs the action import and a file: usage import "
                                 "FILE --db URI."));
        if (!parser.isSet(dbOption) || parser.value(dbOption).isEmpty())
            return usageError(tr("\"usage import\" needs the database: --db URI."));
        return usageImport(words.at(2), parser.value(dbOption));
    }
    if (command == QLatin1String("export")) {
        if (words.size() != 2)
            return usageError(tr("\"export\" needs the area: export tenants --db URI."));
        if (!parser.isSet(dbOption))
            return usageError(tr("\"export\" needs the database: --db URI."));
        ExportOptions options;
        for (const QCommandLineOption &option : exportFilters) {
            if (parser.isSet(option))
                options.insert(option.names().constFirst(), parser.value(option));
        }
        return exportArea(words.at(1), parser.value(dbOption), parser.value(formatOption),
                          parser.value(outputOption), options);
    }
    return usageError(tr("Unknown command \"%1\".").arg(command));
}

} // namespace nobill::ctl
