// What a user of `nobillctl demo` or of the test suite relies on: a private cluster that
// initialises itself, survives restarts and crashes, and finds its way around a stale pid
// file or a taken port.

#include "database/connection.h"
#include "database/embeddedcluster.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QScopeGuard>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <sys/types.h>
#include <unistd.h>

using namespace nobill;

namespace {

// As root the server runs as postgres, which must be able to pass through the private
// temporary directory to reach the cluster below it.
void allowTraversal(const QTemporaryDir &dir)
{
    QFile::setPermissions(dir.path(), QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                          QFile::ExeGroup | QFile::ExeOther);
}

// One cluster in its own temporary directory, stopped (or killed) whatever happens to the
// test, so no test leaves a server behind.
class Fixture
{
public:
    explicit Fixture(
        EmbeddedCluster::Authentication authentication = EmbeddedCluster::Authentication::Trust,
        const QString &password = {}, bool throwaway = true)
        : dir(QStringLiteral("/tmp/nobill-test-XXXXXX"))
    {
        allowTraversal(dir);
        EmbeddedCluster::Options options;
        options.rootDirectory = dir.path() + QStringLiteral("/cluster");
        options.authentication = authentication;
        options.ownerPassword = password;
        options.throwaway = throwaway;
        cluster = std::make_unique<EmbeddedCluster>(options);
    }

    ~Fixture()
    {
        for (const QString &name : std::as_const(connections))
            closeConnection(name);
        if (!cluster->stop()) {
            const qint64 pid = postmasterPid();
            if (pid > 0)
                ::kill(static_cast<pid_t>(pid), SIGKILL);
        }
    }

    qint64 postmasterPid() const
    {
        QFile file(cluster->dataDirectory() + QStringLiteral("/postmaster.pid"));
        if (!file.open(QIODevice::ReadOnly))
            return 0;
        return file.readLine().trimmed().toLongLong();
    }

    QString root() const { return cluster->options().rootDirectory; }

    // Opens a connection to `database`; empty string on success, else the reason.
    QString connect(const QString &database, QString *connectionName,
                    const QString &password = QString(), ErrorKind *kind = nullptr)
    {
        ConnectionSettings settings = cluster->ownerSettings(database);
        if (!password.isNull())
            settings.password = password;
        *connectionName = uniqueConnectionName(QStringLiteral("tst-cluster"));
        connections.append(*connectionName);
        const Status opened = openConnection(settings, *connectionName);
        if (opened)
            return {};
        if (kind)
            *kind = opened.error().kind;
        return opened.error().message + QLatin1Char(' ') + opened.error().detail;
    }

    QString exec(const QString &connectionName, const QString &sql, QVariant *firstValue = nullptr)
    {
        QSqlQuery query(QSqlDatabase::database(connectionName, false));
        if (!query.exec(sql))
            return query.lastError().text();
        if (firstValue && query.next())
            *firstValue = query.value(0);
        return {};
    }

    QTemporaryDir dir;
    std::unique_ptr<EmbeddedCluster> cluster;
    QStringList connections;
};

QByteArray statusText(const Status &status)
{
    return status ? QByteArray()
                  : (status.error().message + QLatin1Char(' ') + status.error().detail).toUtf8();
}

} // namespace

#define VERIFY_OK(status)                                                                          \
    do {                                                                                           \
        const Status s_ = (status);                                                                \
        QVERIFY2(s_.isOk(), statusText(s_).constData());                                           \
    } while (false)

class tst_EmbeddedCluster : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase()
    {
        auto binaries = EmbeddedCluster::findServerBinaries();
        QVERIFY2(binaries.isOk(),
                 qPrintable(binaries.isOk() ? QString() : binaries.error().message));
    }

    void freshInitStartConnectStop()
    {
        Fixture f;
        QVERIFY(f.dir.isValid());
        QVERIFY(!f.cluster->isInitialised());
        QVERIFY(!f.cluster->isRunning());
        QCOMPARE(f.cluster->port(), 0);

        VERIFY_OK(f.cluster->start());
        QVERIFY(f.cluster->isInitialised());
        QVERIFY(f.cluster->isRunning());
        QVERIFY(f.cluster->port() > 0);
        QVERIFY(QFile::exists(f.root() + QStringLiteral("/server.log")));

        VERIFY_OK(f.cluster->ensureDatabase(QStringLiteral("app data")));
        VERIFY_OK(f.cluster->ensureDatabase(QStringLiteral("app data"))); // idempotent
        QString connection;
        const QString error = f.connect(QStringLiteral("app data"), &connection);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QVariant user;
        QCOMPARE(f.exec(connection, QStringLiteral("SELECT current_user"), &user), QString());
        QCOMPARE(user.toString(), f.cluster->options().ownerRole);
        closeConnection(connection);

        VERIFY_OK(f.cluster->stop());
        QVERIFY(!f.cluster->isRunning());
        QCOMPARE(f.cluster->port(), 0);
        VERIFY_OK(f.cluster->stop()); // stopping a stopped cluster succeeds
    }

    void startWhenRunningReturnsAtOnce()
    {
        Fixture f;
        VERIFY_OK(f.cluster->start());
        const int port = f.cluster->port();
        const qint64 pid = f.postmasterPid();

        QElapsedTimer timer;
        timer.start();
        VERIFY_OK(f.cluster->start());
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QCOMPARE(f.cluster->port(), port);
        QCOMPARE(f.postmasterPid(), pid);

        // A second object for the same directory (another program) sees the same server.
        EmbeddedCluster other(f.cluster->options());
        QVERIFY(other.isRunning());
        VERIFY_OK(other.start());
        QCOMPARE(other.port(), port);
    }

    void restartKeepsData()
    {
        Fixture f;
        VERIFY_OK(f.cluster->start());
        QString connection;
        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
        QCOMPARE(f.exec(connection, QStringLiteral("CREATE TABLE kept (v int)")), QString());
        QCOMPARE(f.exec(connection, QStringLiteral("INSERT INTO kept VALUES (42)")), QString());
        closeConnection(connection);
        const int port = f.cluster->port();

        VERIFY_OK(f.cluster->stop());
        VERIFY_OK(f.cluster->start());
        QCOMPARE(f.cluster->port(), port); // the remembered port is tried first

        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
        QVariant value;
        QCOMPARE(f.exec(connection, QStringLiteral("SELECT v FROM kept"), &value), QString());
        QCOMPARE(value.toInt(), 42);
    }

    void stalePidFileOfUnrelatedProcess()
    {
        Fixture f;
        VERIFY_OK(f.cluster->start());
        const int port = f.cluster->port();
        VERIFY_OK(f.cluster->stop());

        QProcess sleeper;
        sleeper.start(QStringLiteral("sleep"), {QStringLiteral("30")});
        QVERIFY(sleeper.waitForStarted());
        const qint64 pid = sleeper.processId();
        auto killSleeper = qScopeGuard([&sleeper]() {
            sleeper.kill();
            sleeper.waitForFinished();
        });

        // What a crash followed by pid reuse leaves behind: a pid file and a socket lock file
        // both naming a live process that is not a server.
        const QString socketDir = f.root() + QStringLiteral("/socket");
        QFile pidFile(f.cluster->dataDirectory() + QStringLiteral("/postmaster.pid"));
        QVERIFY(pidFile.open(QIODevice::WriteOnly));
        pidFile.write(QStringLiteral("%1\n%2\n1700000000\n%3\n%4\n127.0.0.1\n  1234 5678\nready\n")
                          .arg(pid)
                          .arg(f.cluster->dataDirectory())
                          .arg(port)
                          .arg(socketDir)
                          .toUtf8());
        pidFile.close();
        QFile socketLock(socketDir + QStringLiteral("/.s.PGSQL.%1.lock").arg(port));
        QVERIFY(socketLock.open(QIODevice::WriteOnly));
        socketLock.write(QStringLiteral("%1\n%2\n1700000000\n%3\n%4\n")
                             .arg(pid)
                             .arg(f.cluster->dataDirectory())
                             .arg(port)
                             .arg(socketDir)
                             .toUtf8());
        socketLock.close();

        QVERIFY(!f.cluster->isRunning());
        QCOMPARE(f.cluster->port(), 0);
        VERIFY_OK(f.cluster->start());
        QVERIFY(f.cluster->isRunning());
        QVERIFY(f.postmasterPid() != pid);
        QCOMPARE(sleeper.state(), QProcess::Running); // the unrelated process was left alone

        QString connection;
        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
    }

    void crashedServerRecovers()
    {
        // A throwaway cluster commits asynchronously and may lose the last commits in a
        // crash by design; a cluster that keeps data must not.
        Fixture f(EmbeddedCluster::Authentication::Trust, {}, false);
        VERIFY_OK(f.cluster->start());
        QString connection;
        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
        QCOMPARE(f.exec(connection, QStringLiteral("CREATE TABLE survivor (v text)")), QString());
        QCOMPARE(f.exec(connection, QStringLiteral("INSERT INTO survivor VALUES ('still here')")),
                 QString());
        closeConnection(connection);

        const qint64 pid = f.postmasterPid();
        QVERIFY(pid > 0);
        QCOMPARE(::kill(static_cast<pid_t>(pid), SIGKILL), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!f.cluster->isRunning(), 10000);

        VERIFY_OK(f.cluster->start());
        QVERIFY(f.cluster->isRunning());
        QVERIFY(f.postmasterPid() != pid);
        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
        QVariant value;
        QCOMPARE(f.exec(connection, QStringLiteral("SELECT v FROM survivor"), &value), QString());
        QCOMPARE(value.toString(), QStringLiteral("still here"));
    }

    void takenPortIsAvoided()
    {
        Fixture f;
        VERIFY_OK(f.cluster->start());
        const int port = f.cluster->port();
        VERIFY_OK(f.cluster->stop());

        QTcpServer squatter;
        QVERIFY2(squatter.listen(QHostAddress::LocalHost, static_cast<quint16>(port)),
                 qPrintable(squatter.errorString()));
        VERIFY_OK(f.cluster->start());
        QVERIFY(f.cluster->port() > 0);
        QVERIFY(f.cluster->port() != port);

        QString connection;
        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection), QString());
        squatter.close();
    }

    void scramRefusesWrongPassword()
    {
        const QString password = QStringLiteral("correct horse battery staple");
        Fixture f(EmbeddedCluster::Authentication::ScramSha256, password);
        VERIFY_OK(f.cluster->start());

        QString connection;
        ErrorKind kind = ErrorKind::Unknown;
        const QString refused =
            f.connect(QStringLiteral("postgres"), &connection, QStringLiteral("wrong"), &kind);
        QVERIFY(!refused.isEmpty());
        QCOMPARE(kind, ErrorKind::AuthenticationFailed);

        QCOMPARE(f.connect(QStringLiteral("postgres"), &connection, password), QString());
        QVariant method;
        QCOMPARE(f.exec(connection, QStringLiteral("SHOW password_encryption"), &method),
                 QString());
        QCOMPARE(method.toString(), QStringLiteral("scram-sha-256"));
    }

    void scramWithoutPasswordIsRefused()
    {
        Fixture f(EmbeddedCluster::Authentication::ScramSha256);
        const Status started = f.cluster->start();
        QVERIFY(!started);
        QCOMPARE(started.error().kind, ErrorKind::InvalidInput);
        QVERIFY(!f.cluster->isInitialised());
    }

    void longDirectoryUsesShortSocketPath()
    {
        QTemporaryDir dir(QStringLiteral("/tmp/nobill-test-XXXXXX"));
        allowTraversal(dir);
        EmbeddedCluster::Options options;
        options.rootDirectory = dir.path() + QLatin1Char('/') + QString(90, QLatin1Char('d'));
        options.authentication = EmbeddedCluster::Authentication::Trust;
        options.throwaway = true;
        EmbeddedCluster cluster(options);
        auto stop = qScopeGuard([&cluster]() { (void)cluster.stop(); });
        VERIFY_OK(cluster.start());
        QVERIFY(cluster.isRunning());
        const QString name = uniqueConnectionName(QStringLiteral("tst-cluster"));
        VERIFY_OK(openConnection(cluster.ownerSettings(), name));
        closeConnection(name);
    }
};

QTEST_GUILESS_MAIN(tst_EmbeddedCluster)
#include "tst_embeddedcluster.moc"
