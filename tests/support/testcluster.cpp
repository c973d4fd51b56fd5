#include "testcluster.h"

#include "database/connection.h"
#include "database/migrator.h"

#include <QCoreApplication>
#include <QDebug>
#include <QMutex>
#include <QMutexLocker>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>

#include <cstdlib>

namespace nobill::test {

namespace {

const QString TemplateDatabase = QStringLiteral("nobill_template");

QMutex &instanceMutex()
{
    static QMutex mutex;
    return mutex;
}

// Heap-allocated and torn down by whichever comes first of the application's shutdown and
// the process's exit, so the server is stopped while Qt is still fully usable.
TestCluster *g_instance = nullptr;

void shutDownInstance()
{
    QMutexLocker locker(&instanceMutex());
    delete g_instance;
    g_instance = nullptr;
}

QString quoteIdentifier(const QString &identifier)
{
    QString quoted = identifier;
    quoted.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

QString describe(const Error &error)
{
    return error.detail.isEmpty()
               ? error.message
               : error.message + QStringLiteral(" (") + error.detail + QLatin1Char(')');
}

// Runs statements on the maintenance database through a short-lived connection of the
// calling thread.
Status runAsOwner(const ConnectionSettings &settings, const QStringList &statements)
{
    const QString name = uniqueConnectionName(QStringLiteral("test-admin"));
    if (Status opened = openConnection(settings, name); !opened)
        return opened;
    Status result;
    {
        QSqlDatabase db = QSqlDatabase::database(name, false);
        QSqlQuery query(db);
        for (const QString &statement : statements) {
            if (!query.exec(statement)) {
                result = makeError(
                    ErrorKind::Internal,
                    QStringLiteral("%1 failed: %2").arg(statement, query.lastError().text()));
                break;
            }
        }
    }
    closeConnection(name);
    return result;
}

} // namespace

TestCluster &TestCluster::instance()
{
    QMutexLocker locker(&instanceMutex());
    if (!g_instance) {
        g_instance = new TestCluster();
        std::atexit(shutDownInstance);
        if (QCoreApplication::instance())
            qAddPostRoutine(shutDownInstance);
        g_instance->m_prepared = g_instance->prepare();
        if (!g_instance->m_prepared)
            qWarning().noquote() << "test cluster:" << describe(g_instance->m_prepared.error());
    }
    return *g_instance;
}

TestCluster::TestCluster()
    : m_dir(QStringLiteral("/tmp/nobill-test-XXXXXX"))
{
    EmbeddedCluster::Options options;
    options.rootDirectory = m_dir.path();
    options.authentication = EmbeddedCluster::Authentication::Trust;
    options.throwaway = true;
    m_cluster = std::make_unique<EmbeddedCluster>(options);
}

TestCluster::~TestCluster()
{
    if (m_cluster) {
        if (Status stopped = m_cluster->stop(); !stopped)
            qWarning().noquote() << "test cluster:" << describe(stopped.error());
    }
}

Status TestCluster::prepare()
{
    if (!m_dir.isValid()) {
        return makeError(ErrorKind::Unavailable,
                         QStringLiteral("Could not create a temporary directory under /tmp: %1")
                             .arg(m_dir.errorString()));
    }
    if (Status started = m_cluster->start(); !started)
        return started;
    if (Status created = m_cluster->ensureDatabase(TemplateDatabase); !created)
        return created;

    // While the schema is still being written the program may carry no migrations yet; the
    // template then stays empty and the tests that need tables fail on their own.
    if (Migrator::knownMigrations().isEmpty()) {
        qWarning() << "test cluster: this build contains no migrations; the template database"
                   << "is empty";
    } else {
        const QString name = uniqueConnectionName(QStringLiteral("test-template"));
        if (Status opened = openConnection(ownerSettings(TemplateDatabase), name); !opened)
            return opened;
        Result<int> migrated = Migrator(name).migrate();
        closeConnection(name);
        if (!migrated)
            return migrated.error();
    }
    // CREATE DATABASE ... TEMPLATE fails while anybody is connected to the template.
    return runAsOwner(
        ownerSettings(QStringLiteral("postgres")),
        {QStringLiteral("ALTER DATABASE %1 WITH IS_TEMPLATE true ALLOW_CONNECTIONS false")
             .arg(quoteIdentifier(TemplateDatabase)),
         QStringLiteral("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                        "WHERE datname = '%1' AND pid <> pg_backend_pid()")
             .arg(TemplateDatabase)});
}

ConnectionSettings TestCluster::ownerSettings(const QString &database) const
{
    ConnectionSettings settings = m_cluster->ownerSettings(database);
    settings.source = QStringLiteral("cli");
    return settings;
}

Result<QString> TestCluster::createDatabase(bool migrated)
{
    if (!m_prepared)
        return m_prepared.error();
    QString name;
    {
        QMutexLocker locker(&instanceMutex());
        name = QStringLiteral("test_%1_%2")
                   .arg(QCoreApplication::applicationPid())
                   .arg(++m_nextDatabase);
    }
    const QString source = migrated ? TemplateDatabase : QStringLiteral("template0");
    if (Status created = runAsOwner(ownerSettings(QStringLiteral("postgres")),
                                    {QStringLiteral("CREATE DATABASE %1 TEMPLATE %2")
                                         .arg(quoteIdentifier(name), quoteIdentifier(source))});
        !created) {
        return created.error();
    }
    return name;
}

Status TestCluster::dropDatabase(const QString &name)
{
    if (!m_prepared)
        return m_prepared.error();
    return runAsOwner(
        ownerSettings(QStringLiteral("postgres")),
        {QStringLiteral("DROP DATABASE IF EXISTS %1 WITH (FORCE)").arg(quoteIdentifier(name))});
}

TestDatabase::TestDatabase(bool migrated)
{
    TestCluster &cluster = TestCluster::instance();
    Result<QString> created = cluster.createDatabase(migrated);
    if (!created) {
        m_error = QStringLiteral("Could not create a test database: ") + describe(created.error());
        return;
    }
    m_name = created.value();
    m_connectionName = uniqueConnectionName(QStringLiteral("test"));
    if (Status opened = openConnection(settings(), m_connectionName); !opened) {
        m_error = QStringLiteral("Could not connect to the test database %1: %2")
                      .arg(m_name, describe(opened.error()));
        m_connectionName.clear();
    }
}

TestDatabase::~TestDatabase()
{
    if (!m_connectionName.isEmpty())
        closeConnection(m_connectionName);
    if (!m_name.isEmpty()) {
        if (Status dropped = TestCluster::instance().dropDatabase(m_name); !dropped)
            qWarning().noquote() << "could not drop test database" << m_name << ":"
                                 << describe(dropped.error());
    }
}

ConnectionSettings TestDatabase::settings() const
{
    return TestCluster::instance().ownerSettings(m_name);
}

} // namespace nobill::test
