// The office profile: what an office presets for every workstation, and the operator's own
// file overriding it key by key. No database needed.

#include "database/officeprofile.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;

namespace {
QString write(const QTemporaryDir &dir, const QString &name, const QByteArray &text)
{
    const QString path = dir.filePath(name);
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly))
        return {};
    file.write(text);
    return path;
}

const QByteArray kOffice = "[office]\n"
                           "name=Head office Berlin\n"
                           "defaultServer=main\n"
                           "\n"
                           "[server.archive]\n"
                           "label=Archive\n"
                           "host=archive.office.example\n"
                           "database=nobill_2025\n"
                           "\n"
                           "[server.main]\n"
                           "label=Head office\n"
                           "host=db.office.example\n"
                           "port=6432\n"
                           "database=nobill\n"
                           "sslmode=verify-full\n"
                           "sslrootcert=/etc/nobill/office-ca.pem\n"
                           "\n"
                           "[listener]\n"
                           "mode=poll\n"
                           "address=0.0.0.0\n"
                           "port=9000\n"
                           "publicUrl=https://hooks.office.example/stripe\n";
} // namespace

class OfficeProfileTest : public QObject
{
    Q_OBJECT
private slots:
    void noFilesGiveAnEmptyProfile()
    {
        QTemporaryDir dir;
        const OfficeProfile profile =
            OfficeProfile::load(dir.filePath(QStringLiteral("none.conf")), QString());
        QVERIFY(profile.isEmpty());
        QVERIFY(profile.warnings.isEmpty());
        QVERIFY(profile.files.isEmpty());
        QCOMPARE(profile.defaultServer(), nullptr);
        QCOMPARE(profile.listener.mode, QStringLiteral("webhook"));
        QCOMPARE(profile.listener.address, QStringLiteral("127.0.0.1"));
    }

    void systemProfileIsRead()
    {
        QTemporaryDir dir;
        const QString system = write(dir, QStringLiteral("office.conf"), kOffice);
        const OfficeProfile profile = OfficeProfile::load(system, QString());
        QVERIFY2(profile.warnings.isEmpty(), qPrintable(profile.warnings.join(QLatin1Char('\n'))));
        QCOMPARE(profile.officeName, QStringLiteral("Head office Berlin"));
        QCOMPARE(profile.servers.size(), 2);
        // The default server comes first, whatever the order of the sections.
        QCOMPARE(profile.servers.at(0).id, QStringLiteral("main"));
        QCOMPARE(profile.defaultServer()->id, QStringLiteral("main"));
        const ConnectionSettings &main = profile.servers.at(0).connection;
        QCOMPARE(profile.servers.at(0).label, QStringLiteral("Head office"));
        QCOMPARE(main.host, QStringLiteral("db.office.example"));
        QCOMPARE(main.port, 6432);
        QCOMPARE(main.database, QStringLiteral("nobill"));
        QCOMPARE(main.sslMode, QStringLiteral("verify-full"));
        QCOMPARE(main.sslRootCert, QStringLiteral("/etc/nobill/office-ca.pem"));
        QVERIFY(main.user.isEmpty());
        QVERIFY(main.password.isEmpty());
        // Keys a server leaves out take the defaults.
        const OfficeServer *archive = profile.server(QStringLiteral("archive"));
        QVERIFY(archive);
        QCOMPARE(archive->connection.port, 5432);
        QCOMPARE(archive->connection.sslMode, QStringLiteral("prefer"));
        QCOMPARE(profile.listener.mode, QStringLiteral("poll"));
        QCOMPARE(profile.listener.address, QStringLiteral("0.0.0.0"));
        QCOMPARE(profile.listener.port, 9000);
        QCOMPARE(profile.listener.publicUrl, QStringLiteral("https://hooks.office.example/stripe"));

        ConnectionSettings typed;
        typed.host = QStringLiteral("archive.office.example");
        typed.database = QStringLiteral("nobill_2025");
        QCOMPARE(profile.matching(typed), archive);
        typed.port = 5433;
        QCOMPARE(profile.matching(typed), nullptr);
    }

    void operatorsOwnFileOverridesKeyByKey()
    {
        QTemporaryDir dir;
        const QString system = write(dir, QStringLiteral("office.conf"), kOffice);
        const QString user = write(dir, QStringLiteral("user.conf"),
                                   "[office]\n"
                                   "defaultServer=home\n"
                                   "[server.main]\n"
                                   "host=10.0.0.5\n"
                                   "[server.home]\n"
                                   "label=My test database\n"
                                   "host=127.0.0.1\n"
                                   "database=nobill_dev\n"
                                   "sslmode=disable\n");
        const OfficeProfile profile = OfficeProfile::load(system, user);
        QVERIFY2(profile.warnings.isEmpty(), qPrintable(profile.warnings.join(QLatin1Char('\n'))));
        QCOMPARE(profile.files, QStringList({system, user}));
        QCOMPARE(profile.officeName, QStringLiteral("Head office Berlin")); // not overridden
        QCOMPARE(profile.servers.size(), 3);
        QCOMPARE(profile.defaultServer()->id, QStringLiteral("home"));
        QCOMPARE(profile.servers.first().id, QStringLiteral("home"));
        const OfficeServer *main = profile.server(QStringLiteral("main"));
        QVERIFY(main);
        QCOMPARE(main->connection.host, QStringLiteral("10.0.0.5"));       // the operator's
        QCOMPARE(main->connection.port, 6432);                             // the office's
        QCOMPARE(main->connection.sslMode, QStringLiteral("verify-full")); // the office's
        QCOMPARE(main->label, QStringLiteral("Head office"));
        QCOMPARE(profile.server(QStringLiteral("home"))->connection.sslMode,
                 QStringLiteral("disable"));
    }

    void passwordsAreIgnoredAndReported()
    {
        QTemporaryDir dir;
        const QString system = write(dir, QStringLiteral("office.conf"),
                                     "[server.main]\n"
                                     "host=db.office.example\n"
                                     "password=hunter2hunter2\n");
        const OfficeProfile profile = OfficeProfile::load(system, QString());
        QCOMPARE(profile.servers.size(), 1);
        QVERIFY(profile.servers.first().connection.password.isEmpty());
        QCOMPARE(profile.warnings.size(), 1);
        QVERIFY(profile.warnings.first().contains(QLatin1String("has a password")));
        QVERIFY(profile.warnings.first().contains(system)); // says which file to fix
        QVERIFY(!profile.warnings.first().contains(QLatin1String("hunter2")));
    }

    void badValuesFallBackWithAReason()
    {
        QTemporaryDir dir;
        const QString system = write(dir, QStringLiteral("office.conf"),
                                     "[office]\n"
                                     "defaultServer=missing\n"
                                     "[server.main]\n"
                                     "port=99999\n"
                                     "sslmode=always\n"
                                     "sslrootcert=\"/tmp/a;b.pem\"\n"
                                     "[listener]\n"
                                     "mode=carrier-pigeon\n"
                                     "port=-1\n");
        const OfficeProfile profile = OfficeProfile::load(system, QString());
        QCOMPARE(profile.warnings.size(), 6);
        const ConnectionSettings &main = profile.servers.first().connection;
        QCOMPARE(main.port, 5432);
        QCOMPARE(main.sslMode, QStringLiteral("prefer"));
        QVERIFY(main.sslRootCert.isEmpty());
        QCOMPARE(profile.defaultServer()->id, QStringLiteral("main"));
        QCOMPARE(profile.listener.mode, QStringLiteral("webhook"));
        QCOMPARE(profile.listener.port, 8787);
        const QString all = profile.warnings.join(QLatin1Char('\n'));
        QVERIFY(all.contains(QLatin1String("99999")));
        QVERIFY(all.contains(QLatin1String("always")));
        QVERIFY(all.contains(QLatin1String("carrier-pigeon")));
        QVERIFY(all.contains(QLatin1String("missing")));
    }

    void environmentNamesTheSystemProfile()
    {
        QTemporaryDir dir;
        const QString system = write(dir, QStringLiteral("office.conf"), kOffice);
        qputenv("NOBILL_OFFICE_PROFILE", system.toLocal8Bit());
        QCOMPARE(OfficeProfile::systemPath(), system);
        qunsetenv("NOBILL_OFFICE_PROFILE");
        qputenv("XDG_CONFIG_DIRS", QByteArray("/nonexistent:") + dir.path().toLocal8Bit());
        QVERIFY(QDir().mkpath(dir.filePath(QStringLiteral("NOBill"))));
        QVERIFY(QFile::copy(system, dir.filePath(QStringLiteral("NOBill/office.conf"))));
        QCOMPARE(OfficeProfile::systemPath(), dir.filePath(QStringLiteral("NOBill/office.conf")));
        qunsetenv("XDG_CONFIG_DIRS");
        QCOMPARE(OfficeProfile::systemPath(), QStringLiteral("/etc/xdg/NOBill/office.conf"));
    }

    void certificateAuthorityTravelsToTheDriver()
    {
        auto parsed = ConnectionSettings::fromUri(
            QStringLiteral("postgresql://ann@db:5432/nobill?sslmode=verify-full&sslrootcert=/etc/"
                           "nobill/office-ca.pem"));
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        QCOMPARE(parsed.value().sslRootCert, QStringLiteral("/etc/nobill/office-ca.pem"));
        QVERIFY(parsed.value().connectOptions().contains(
            QLatin1String(";sslrootcert=/etc/nobill/office-ca.pem")));
        auto again = ConnectionSettings::fromUri(parsed.value().toUri(false));
        QVERIFY(again);
        QCOMPARE(again.value(), parsed.value());
        QVERIFY(!ConnectionSettings::fromUri(
            QStringLiteral("postgresql://ann@db/nobill?sslrootcert=/tmp/a%3Bb.pem")));
    }
};

QTEST_GUILESS_MAIN(OfficeProfileTest)
#include "tst_officeprofile.moc"
