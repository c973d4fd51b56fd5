// `nobillctl setup` prepares a new office database and says what it did: migrations, the
// first platform administrator with a one-time password, and the office service's login. A
// second run changes nothing and says what already existed. Runs the built nobillctl against
// a throwaway cluster.

#include "testcluster.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
struct Run
{
    int exitCode = -1;
    QString out;
    QString err;
};

Run nobillctl(const QStringList &arguments)
{
    QProcess process;
    process.setProgram(QStringLiteral(NOBILLCTL));
    process.setArguments(arguments);
    process.start();
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("nobillctl did not finish within 60 s");
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    run.err = QString::fromLocal8Bit(process.readAllStandardError());
    return run;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

// The line after `heading`, trimmed: where nobillctl prints a password.
QString lineAfter(const QString &text, const QString &heading)
{
    const QStringList lines = text.split(QLatin1Char('\n'));
    for (int i = 0; i + 1 < lines.size(); ++i) {
        if (lines.at(i).contains(heading))
            return lines.at(i + 1).trimmed();
    }
    return {};
}
} // namespace

class OfficeSetupTest : public QObject
{
    Q_OBJECT
private slots:
    void setsUpANewOfficeOnceAndSaysWhatItDid()
    {
        TestDatabase db(false); // a new, empty database
        NOBILL_REQUIRE_DB(db);
        const QString uri = db.settings().toUri(true);
        QTemporaryDir dir;
        const QString secretFile = dir.filePath(QStringLiteral("db-password"));
        const QStringList arguments{QStringLiteral("setup"),
                                    QStringLiteral("--db"),
                                    uri,
                                    QStringLiteral("--admin-login"),
                                    QStringLiteral("office_ada"),
                                    QStringLiteral("--admin-email"),
                                    QStringLiteral("ada@office.example"),
                                    QStringLiteral("--admin-name"),
                                    QStringLiteral("Ada Lindqvist"),
                                    QStringLiteral("--office"),
                                    QStringLiteral("Head office Berlin"),
                                    QStringLiteral("--service-login"),
                                    QStringLiteral("office_serve"),
                                    QStringLiteral("--service-password-file"),
                                    secretFile};

        const Run first = nobillctl(arguments);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err + first.out));
        QVERIFY2(first.out.contains(QLatin1String("Applied ")), qPrintable(first.out));
        QVERIFY(first.out.contains(QLatin1String("Created platform administrator office_ada")));
        QVERIFY(first.out.contains(QLatin1String("Created service login office_serve")));
        const QString oneTime = lineAfter(first.out, QStringLiteral("One-time password"));
        QVERIFY2(oneTime.size() >= 12, qPrintable(first.out));
        QVERIFY(first.out.contains(QLatin1String("name=Head office Berlin")));
        QVERIFY(first.out.contains(QLatin1String("database=") + db.name()));

        // The schema is current; the admin is a platform admin with a console login who must
        // choose a password; the server holds only a SCRAM verifier.
        QVERIFY(
            scalar(db, QStringLiteral("SELECT count(*) FROM nobill_schema_migrations")).toInt() >
            0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT is_platform_admin AND must_change_password "
                                           "AND login_role = 'office_ada' FROM users WHERE "
                                           "email = 'ada@office.example'"))
                     .toBool(),
                 true);
        QCOMPARE(scalar(db, QStringLiteral("SELECT pg_has_role('office_ada', 'nobill_operator', "
                                           "'MEMBER')"))
                     .toBool(),
                 true);
        QCOMPARE(scalar(db, QStringLiteral("SELECT rolpassword LIKE 'SCRAM-SHA-256$%' FROM "
                                           "pg_authid WHERE rolname = 'office_ada'"))
                     .toBool(),
                 true);
        QCOMPARE(scalar(db, QStringLiteral("SELECT pg_has_role('office_serve', 'nobill_service', "
                                           "'MEMBER') AND NOT pg_has_role('office_serve', "
                                           "'nobill_operator', 'MEMBER')"))
                     .toBool(),
                 true);
        QCOMPARE(scalar(db, QStringLiteral("SELECT rolsuper OR rolcreaterole OR rolbypassrls "
                                           "FROM pg_roles WHERE rolname = 'office_serve'"))
                     .toBool(),
                 false);

        // The service password went to the file, owner-only, and nowhere else.
        QFile secret(secretFile);
        QVERIFY(secret.open(QIODevice::ReadOnly));
        const QString servicePassword = QString::fromUtf8(secret.readAll());
        QVERIFY(servicePassword.size() >= 12);
        QCOMPARE(secret.permissions() &
                     (QFile::ReadGroup | QFile::ReadOther | QFile::WriteGroup | QFile::WriteOther),
                 QFileDevice::Permissions());
        QVERIFY(!first.out.contains(servicePassword));
        QVERIFY(!first.err.contains(oneTime));

        // Again: nothing changes, and it says so; no password is shown or written.
        const Run second = nobillctl(arguments);
        QVERIFY2(second.exitCode == 0, qPrintable(second.err + second.out));
        QVERIFY2(second.out.contains(QLatin1String("Schema was already current")),
                 qPrintable(second.out));
        QVERIFY(second.out.contains(
            QLatin1String("office_ada (ada@office.example) already existed; their password is "
                          "unchanged")));
        QVERIFY(second.out.contains(QLatin1String("Service login office_serve already existed")));
        QVERIFY(!second.out.contains(QLatin1String("One-time password")));
        QVERIFY(!second.out.contains(oneTime));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM users")).toInt(), 1);
    }

    void refusesWhatItCannotDoSafely()
    {
        TestDatabase db(false);
        NOBILL_REQUIRE_DB(db);
        const QString uri = db.settings().toUri(true);
        const auto setup = [&](const QString &login, const QString &email,
                               const QString &serviceLogin) {
            return nobillctl({QStringLiteral("setup"), QStringLiteral("--db"), uri,
                              QStringLiteral("--admin-login"), login,
                              QStringLiteral("--admin-email"), email,
                              QStringLiteral("--service-login"), serviceLogin});
        };

        const Run missing = nobillctl({QStringLiteral("setup"), QStringLiteral("--db"), uri});
        QCOMPARE(missing.exitCode, 2);
        QVERIFY2(missing.err.contains(QLatin1String("--admin-login")), qPrintable(missing.err));

        const Run badEmail = setup(QStringLiteral("office_bea"), QStringLiteral("bea"),
                                   QStringLiteral("office_serve2"));
        QCOMPARE(badEmail.exitCode, 1);
        QVERIFY2(badEmail.err.contains(QLatin1String("is not an email address")),
                 qPrintable(badEmail.err));

        // A role that exists but is no service login is never taken over.
        const Run notService =
            setup(QStringLiteral("office_bea"), QStringLiteral("bea@office.example"),
                  QStringLiteral("nobill_operator"));
        QCOMPARE(notService.exitCode, 1);
        QVERIFY2(notService.err.contains(QLatin1String("is not a service login")),
                 qPrintable(notService.err));
        // ... and nothing of that run is left: the administrator was rolled back with it.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM users")).toInt(), 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM pg_roles WHERE rolname = "
                                           "'office_bea'"))
                     .toInt(),
                 0);

        const Run made = setup(QStringLiteral("office_bea"), QStringLiteral("bea@office.example"),
                               QStringLiteral("office_serve3"));
        QVERIFY2(made.exitCode == 0, qPrintable(made.err));
        // The same person under another login is a conflict, named with the way out.
        const Run otherLogin =
            setup(QStringLiteral("office_bea2"), QStringLiteral("BEA@office.example"),
                  QStringLiteral("office_serve3"));
        QCOMPARE(otherLogin.exitCode, 1);
        QVERIFY2(otherLogin.err.contains(QLatin1String("--admin-login office_bea")),
                 qPrintable(otherLogin.err));
    }
};

QTEST_GUILESS_MAIN(OfficeSetupTest)
#include "tst_officesetup.moc"
