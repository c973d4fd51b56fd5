#include "setup.h"

#include "access/officesetup.h"
#include "database/connection.h"
#include "database/connectionsettings.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QFileInfo>

#include <cstdio>

namespace nobill::ctl {

namespace {
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

int usageError(const QString &reason)
{
    printLine(stderr, QStringLiteral("nobillctl: ") + reason + QLatin1Char(' ') +
                          tr("Run \"nobillctl help\" for the usage."));
    return 2;
}

int fail(const QString &reason)
{
    printLine(stderr, QStringLiteral("nobillctl: ") + reason);
    return 1;
}

// Owner-only from the first byte (created with mode 0600), and never over an existing file:
// that could be another service's credential.
bool writeSecretFile(const QString &path, const QString &secret, QString *problem)
{
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate | QIODevice::NewOnly,
                   QFileDevice::ReadOwner | QFileDevice::WriteOwner)) {
        *problem = file.exists() ? tr("%1 already exists. Remove it first, or leave out "
                                      "--service-password-file to have the password printed.")
                                       .arg(path)
                                 : tr("%1 cannot be written: %2").arg(path, file.errorString());
        return false;
    }
    if (file.write(secret.toUtf8()) < 0 || !file.flush()) {
        *problem = tr("%1 cannot be written: %2").arg(path, file.errorString());
        file.remove();
        return false;
    }
    return true;
}

// The office profile section for this database, to paste into /etc/xdg/NOBill/office.conf.
QString officeProfileSnippet(const QString &office, const ConnectionSettings &db)
{
    QString text =
        QStringLiteral("[office]\nname=%1\ndefaultServer=main\n\n[server.main]\n").arg(office);
    text += QStringLiteral("label=%1\nhost=%2\nport=%3\ndatabase=%4\nsslmode=%5\n")
                .arg(office, db.host)
                .arg(db.port)
                .arg(db.database, db.sslMode);
    if (!db.sslRootCert.isEmpty())
        text += QStringLiteral("sslrootcert=%1\n").arg(db.sslRootCert);
    return text;
}
} // namespace

int runSetup(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption db(QStringLiteral("db"),
                                tr("The office database, as its owner (a role with CREATEROLE)."),
                                tr("URI"));
    const QCommandLineOption adminLogin(QStringLiteral("admin-login"),
                                        tr("Login of the first platform administrator."),
                                        tr("LOGIN"));
    const QCommandLineOption adminEmail(QStringLiteral("admin-email"),
                                        tr("Email of the first platform administrator."),
                                        tr("EMAIL"));
    const QCommandLineOption adminName(QStringLiteral("admin-name"),
                                       tr("Name of the first platform administrator."), tr("NAME"));
    const QCommandLineOption office(QStringLiteral("office"), tr("Name of the office."),
                                    tr("NAME"));
    const QCommandLineOption serviceLogin(QStringLiteral("service-login"),
                                          tr("Login of the office service (default "
                                             "nobill_serve)."),
                                          tr("LOGIN"), QStringLiteral("nobill_serve"));
    const QCommandLineOption passwordFile(
        QStringLiteral("service-password-file"),
        tr("Write the new service login's password to FILE (mode 0600), e.g. "
           "/etc/nobill/credentials/db-password, instead of printing it."),
        tr("FILE"));
    parser.addOptions({db, adminLogin, adminEmail, adminName, office, serviceLogin, passwordFile});
    parser.addPositionalArgument(QStringLiteral("setup"), tr("The command."));
    if (!parser.parse(arguments))
        return usageError(parser.errorText());
    if (parser.positionalArguments() != QStringList{QStringLiteral("setup")})
        return usageError(tr("\"setup\" takes no further words; everything is given as options."));
    for (const QCommandLineOption &required : {db, adminLogin, adminEmail}) {
        if (parser.value(required).isEmpty())
            return usageError(tr("\"setup\" needs --%1.").arg(required.names().constFirst()));
    }
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(parser.value(db));
    if (!parsed)
        return usageError(parsed.error().message);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");

    OfficeSetupRequest request;
    request.adminLogin = parser.value(adminLogin);
    request.adminEmail = parser.value(adminEmail);
    request.adminName = parser.value(adminName);
    request.serviceLogin = parser.value(serviceLogin);
    const QString secretFile = parser.value(passwordFile);
    if (!secretFile.isEmpty() && QFileInfo::exists(secretFile) && !QFileInfo(secretFile).isFile())
        return usageError(tr("--service-password-file must name a file: %1").arg(secretFile));

    const QString connectionName = uniqueConnectionName(QStringLiteral("ctl-setup"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return fail(opened.error().message);
    Result<OfficeSetupReport> done = setUpOffice(connectionName, request);
    closeConnection(connectionName);
    if (!done)
        return fail(done.error().message);
    const OfficeSetupReport &report = done.value();

    printLine(stdout, tr("Office database %1:").arg(settings.describe()));
    for (const QString &step : report.steps)
        printLine(stdout, QStringLiteral("  - ") + step);
    if (report.adminCreated) {
        printLine(stdout, QString());
        printLine(stdout, tr("One-time password for %1 (shown only now; they choose their own "
                             "at the first sign-in):")
                              .arg(request.adminLogin));
        printLine(stdout, QStringLiteral("  ") + report.adminOneTimePassword);
    }
    if (report.serviceLoginCreated) {
        printLine(stdout, QString());
        QString problem;
        if (secretFile.isEmpty()) {
            printLine(stdout, tr("Password of the service login %1 (shown only now; put it in "
                                 "/etc/nobill/credentials/db-password, mode 0600):")
                                  .arg(request.serviceLogin));
            printLine(stdout, QStringLiteral("  ") + report.servicePassword);
        } else if (writeSecretFile(secretFile, report.servicePassword, &problem)) {
            printLine(stdout,
                      tr("The service login's password is in %1 (mode 0600).").arg(secretFile));
        } else {
            // The login exists now; its password is still shown once so it is not lost.
            printLine(stderr, QStringLiteral("nobillctl: ") + problem);
            printLine(
                stdout,
                tr("Password of the service login %1 (shown only now):").arg(request.serviceLogin));
            printLine(stdout, QStringLiteral("  ") + report.servicePassword);
            return 1;
        }
    }
    const QString officeName =
        parser.value(office).isEmpty() ? settings.database : parser.value(office);
    printLine(stdout, QString());
    printLine(stdout, tr("Office profile for the workstations (/etc/xdg/NOBill/office.conf):"));
    ConnectionSettings forOperators = settings;
    printLine(stdout, officeProfileSnippet(officeName, forOperators).trimmed());
    return 0;
}

} // namespace nobill::ctl
