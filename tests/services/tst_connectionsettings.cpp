// Database addresses as operators and nobillctl type them.

#include "database/connectionsettings.h"

#include <QTest>

using namespace nobill;

class ConnectionSettingsTest : public QObject
{
    Q_OBJECT
private slots:
    void parsesUris_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("database");
        QTest::addColumn<QString>("user");
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("sslMode");
        QTest::newRow("full") << "postgresql://ann:s3cret@db.office:6432/billing?sslmode=require"
                              << "db.office" << 6432 << "billing"
                              << "ann"
                              << "s3cret"
                              << "require";
        QTest::newRow("defaults") << "postgres://ann@localhost"
                                  << "localhost" << 5432 << "nobill"
                                  << "ann"
                                  << ""
                                  << "prefer";
        QTest::newRow("escaped password") << "postgresql://ann:p%40ss%3Aw%2Fd@h/db"
                                          << "h" << 5432 << "db"
                                          << "ann"
                                          << "p@ss:w/d"
                                          << "prefer";
        QTest::newRow("socket directory") << "postgresql://ann@/db?host=%2Ftmp%2Fpg"
                                          << "/tmp/pg" << 5432 << "db"
                                          << "ann"
                                          << ""
                                          << "prefer";
    }

    void parsesUris()
    {
        QFETCH(QString, uri);
        auto parsed = ConnectionSettings::fromUri(uri);
        QVERIFY2(parsed, qPrintable(parsed ? QString() : parsed.error().message));
        QTEST(parsed->host, "host");
        QTEST(parsed->port, "port");
        QTEST(parsed->database, "database");
        QTEST(parsed->user, "user");
        QTEST(parsed->password, "password");
        QTEST(parsed->sslMode, "sslMode");
        // What we print can be read back to the same settings.
        auto again = ConnectionSettings::fromUri(parsed->toUri(true));
        QVERIFY(again);
        QVERIFY(again.value() == parsed.value());
        QVERIFY(!parsed->toUri(false).contains(QLatin1String("s3cret")));
    }

    void refusesBadUris_data()
    {
        QTest::addColumn<QString>("uri");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("not a uri") << "db.office:5432"
                                   << "not a database address";
        QTest::newRow("wrong scheme") << "mysql://ann@h/db"
                                      << "not a database address";
        QTest::newRow("no user") << "postgresql://h/db"
                                 << "names no user";
        QTest::newRow("bad sslmode") << "postgresql://ann@h/db?sslmode=maybe"
                                     << "sslmode";
    }

    void refusesBadUris()
    {
        QFETCH(QString, uri);
        QFETCH(QString, messagePart);
        auto parsed = ConnectionSettings::fromUri(uri);
        QVERIFY(!parsed);
        QCOMPARE(parsed.error().kind, ErrorKind::InvalidInput);
        QVERIFY2(parsed.error().message.contains(messagePart), qPrintable(parsed.error().message));
    }

    void connectOptionsCannotBeInjected()
    {
        ConnectionSettings s;
        s.source = QStringLiteral("console");
        s.sslMode = QStringLiteral("require");
        QCOMPARE(
            s.connectOptions(),
            QStringLiteral("connect_timeout=5;application_name=nobill-console;sslmode=require"));
    }
};

QTEST_GUILESS_MAIN(ConnectionSettingsTest)
#include "tst_connectionsettings.moc"
