// nobill-console: the desktop console. Parses the command line and hands over to
// ConsoleStartup; everything else lives in the libraries.

#include "common/appicon.h"
#include "core/translations.h"
#include "database/connectionsettings.h"
#include "startup/consolestartup.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QTextStream>

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    QApplication::setOrganizationName(QStringLiteral("NOBill"));
    QApplication::setOrganizationDomain(QStringLiteral("nobill.example"));
    QApplication::setApplicationName(QStringLiteral("NOBill Console"));
    QApplication::setApplicationVersion(QStringLiteral(NOBILL_VERSION));
    QApplication::setDesktopFileName(QStringLiteral("org.nobill.Console"));
    QApplication::setWindowIcon(nobill::applicationIcon());
    nobill::installTranslations();

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QApplication::translate("main", "Admin console for the NOBill billing platform."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QCommandLineOption demo(
        QStringLiteral("demo"),
        QApplication::translate("main", "Run on the embedded demo database (created on first "
                                        "use)."));
    const QCommandLineOption demoDir(
        QStringLiteral("demo-dir"),
        QApplication::translate("main", "Keep the demo database in <dir>."),
        QApplication::translate("main", "dir"));
    const QCommandLineOption as(
        QStringLiteral("as"),
        QApplication::translate("main", "With --demo: sign in as the demo operator <login> "
                                        "(demo_admin, demo_orgadmin, demo_finance, demo_support, "
                                        "demo_viewer)."),
        QApplication::translate("main", "login"));
    const QCommandLineOption screenshots(
        QStringLiteral("screenshots"),
        QApplication::translate("main", "Save every screen as <dir>/<area>.png, then quit."),
        QApplication::translate("main", "dir"));
    const QCommandLineOption connectTo(
        QStringLiteral("connect"),
        QApplication::translate("main", "Connect to <uri> (postgresql://user@host:port/db)."),
        QApplication::translate("main", "uri"));
    parser.addOptions({demo, demoDir, as, screenshots, connectTo});
    parser.process(app);

    nobill::ConsoleStartup::Options options;
    options.demo = parser.isSet(demo);
    options.demoDirectory = parser.value(demoDir);
    options.demoLogin = parser.value(as);
    options.screenshotDirectory = parser.value(screenshots);
    if (parser.isSet(connectTo)) {
        auto settings = nobill::ConnectionSettings::fromUri(parser.value(connectTo));
        if (!settings) {
            QTextStream(stderr) << settings.error().message << Qt::endl;
            return 2;
        }
        options.connection = settings.value();
    }

    nobill::ConsoleStartup startup(options);
    QObject::connect(&startup, &nobill::ConsoleStartup::finished, &app, &QApplication::exit,
                     Qt::QueuedConnection);
    QApplication::setQuitOnLastWindowClosed(false); // ConsoleStartup decides when we are done
    startup.start();
    const int exitCode = app.exec();
    startup.stopDemoIfStarted();
    return exitCode;
}
