#include "commands.h"

#include "access/auditverifier.h"
#include "core/translations.h"

#include "database/connection.h"
#include "database/connectionsettings.h"
#include "database/migrator.h"
#include "demo/democluster.h"
#include "tenants/tenantexport.h"
#include "usage/usageimporter.h"

#include <QCommandLineParser>
#include <QCoreApplication>
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

QString usage()
{
    return tr("Usage:\n"
              "  nobillctl demo up [--dir DIR]     Start the demo database (created and filled "
              "with demo data on first use); prints its address.\n"
              "  nobillctl demo down [--dir DIR]   Stop the demo database; its data stays.\n"
              "  nobillctl demo status [--dir DIR] Show whether the demo database is running "
              "(exit status 3 when it is not).\n"
              "  nobillctl migrate --db URI        Bring a database's schema up to this "
              "version, e.g. --db postgresql://owner@host:5432/nobill\n"
              "  nobillctl audit verify --db URI   Check that the audit trail's hash chain is "
              "intact (exit status 1 when it is broken).\n"
              "  nobillctl usage import FILE --db URI  Import a usage CSV file, all or nothing "
              "(header organization,subscription,metric,quantity,occurred_at,"
              "idempotency_key).\n"
              "  nobillctl export tenants --db URI [--output FILE] [--filter TEXT] "
              "[--status STATUS] [--format csv]  Export a list as CSV, streamed.\n"
              "  nobillctl help                    Show this help.\n"
              "  nobillctl --version               Show the version.\n"
              "\n"
              "The demo directory defaults to $NOBILL_DEMO_DIR, else %1.\n"
              "A password missing from the URI is taken from PGPASSWORD or ~/.pgpass.")
        .arg(DemoCluster::defaultRootDirectory());
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

int exportArea(const QString &area, const QString &uri, const QString &format,
               const QString &output, const QString &filter, const QString &status)
{
    if (format != QLatin1String("csv"))
        return usageError(tr("Unknown format \"%1\": only csv is supported.").arg(format));
    if (area != QLatin1String("tenants")) {
        return usageError(tr("Exporting \"%1\" from the command line is not available yet; "
                             "areas that can be exported: tenants.")
                              .arg(area));
    }
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");
    const QString path = output.isEmpty() ? area + QStringLiteral(".csv") : output;

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-export"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error());
    TenantQuery query;
    query.text = filter;
    query.status = status;
    Result<qint64> written = exportTenants(connectionName, query, path, {}, nullptr);
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
    const QCommandLineOption filterOption(QStringLiteral("filter"),
                                          tr("Export only rows matching this text."), tr("TEXT"));
    const QCommandLineOption statusOption(QStringLiteral("status"),
                                          tr("Export only rows with this status."), tr("STATUS"));
    parser.addOptions({dirOption, dbOption, versionOption, helpOption, formatOption, outputOption,
                       filterOption, statusOption});
    parser.addPositionalArgument(QStringLiteral("command"),
                                 tr("demo, migrate, audit, usage, export or help."));

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
        return exportArea(words.at(1), parser.value(dbOption), parser.value(formatOption),
                          parser.value(outputOption), parser.value(filterOption),
                          parser.value(statusOption));
    }
    return usageError(tr("Unknown command \"%1\".").arg(command));
}

} // namespace nobill::ctl
