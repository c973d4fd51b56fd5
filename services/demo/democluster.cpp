#include "demo/democluster.h"

#include "database/connection.h"
#include "database/embeddedcluster.h"
#include "database/migrator.h"
#include "secrets/secretstore.h"

#include "demo/demooperators.h"
#include "demo/demoseeder.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>
#include <QStandardPaths>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcDemoCluster, "nobill.demo")

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::DemoCluster", text);
}

const QString DemoDatabase = QStringLiteral("nobill");
const QString PasswordKey = QStringLiteral("demo-owner-password");

QString generatePassword()
{
    // Letters and digits only: the password ends up in URIs and connection strings.
    static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    constexpr int alphabetSize = sizeof alphabet - 1;
    QString password;
    for (int i = 0; i < 32; ++i)
        password += QLatin1Char(alphabet[QRandomGenerator::system()->bounded(alphabetSize)]);
    return password;
}

EmbeddedCluster::Options clusterOptions(const QString &root, const QString &password)
{
    EmbeddedCluster::Options options;
    options.rootDirectory = root;
    options.authentication = EmbeddedCluster::Authentication::ScramSha256;
    options.ownerPassword = password;
    return options;
}

QString seededMarker(const QString &root)
{
    return root + QStringLiteral("/seeded");
}

} // namespace

DemoCluster::DemoCluster(const QString &rootDirectory)
{
    QString root = rootDirectory;
    if (root.isEmpty())
        root = qEnvironmentVariable("NOBILL_DEMO_DIR");
    if (root.isEmpty())
        root = defaultRootDirectory();
    m_root = QDir::cleanPath(QDir(root).absolutePath());
}

QString DemoCluster::defaultRootDirectory()
{
    if (::geteuid() == 0)
        return QStringLiteral("/var/lib/nobill-console/demo-cluster");
    // Named explicitly rather than through the application's own name, so that
    // nobill-console and nobillctl find the same cluster.
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/nobill-console/demo-cluster");
}

QString DemoCluster::secretKey() const
{
    // Demo clusters in other directories each have a password of their own.
    if (m_root == QDir::cleanPath(defaultRootDirectory()))
        return PasswordKey;
    const QByteArray hash = QCryptographicHash::hash(m_root.toUtf8(), QCryptographicHash::Sha256);
    return PasswordKey + QLatin1Char('-') + QString::fromLatin1(hash.toHex().left(12));
}

QString DemoCluster::secretDirectory() const
{
    // Next to the cluster, not inside it: as root the cluster belongs to `postgres`, and the
    // password file must stay readable only by the user who runs the demo.
    return QFileInfo(m_root).absolutePath();
}

Result<QString> DemoCluster::ownerPassword(bool createIfMissing, bool *created)
{
    *created = false;
    SecretStore::Options options;
    options.fallbackDirectory = secretDirectory();
    SecretStore store(options);
    Result<QString> stored = store.read(secretKey());
    if (stored) {
        m_passwordLocation = store.lastBackendDescription();
        return stored;
    }
    if (stored.error().kind != ErrorKind::NotFound)
        return stored.error();
    if (!createIfMissing) {
        return makeError(ErrorKind::NotFound,
                         tr("The password of the demo database in %1 is missing from the "
                            "keychain and from %2. Stop the demo, remove %1 and start it again "
                            "to get a fresh demo.")
                             .arg(m_root, store.fallbackFilePath(secretKey())));
    }
    const QString password = generatePassword();
    if (Status written = store.write(secretKey(), password); !written)
        return written.error();
    m_passwordLocation = store.lastBackendDescription();
    *created = true;
    qCInfo(lcDemoCluster).noquote()
        << "generated the demo owner password, kept" << m_passwordLocation;
    return password;
}

void DemoCluster::forgetPassword()
{
    SecretStore::Options options;
    options.fallbackDirectory = secretDirectory();
    SecretStore store(options);
    (void)store.remove(secretKey());
}

Result<ConnectionSettings> DemoCluster::up()
{
    // The parents exist before the secret file is written, with ordinary permissions: as
    // root, `postgres` must be able to pass through them to the cluster.
    const QString parent = secretDirectory();
    if (!QFileInfo::exists(parent)) {
        if (!QDir().mkpath(parent)) {
            return makeError(ErrorKind::PermissionDenied,
                             tr("Could not create the directory %1 for the demo. Choose another "
                                "directory with --dir or NOBILL_DEMO_DIR.")
                                 .arg(parent));
        }
        QFile::setPermissions(parent, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner |
                                          QFile::ExeGroup | QFile::ExeOther);
    }

    const bool initialised = EmbeddedCluster(clusterOptions(m_root, {})).isInitialised();
    // A password left by an initialisation that failed half-way is used again.
    bool createdPassword = false;
    Result<QString> password = ownerPassword(!initialised, &createdPassword);
    if (!password)
        return password.error();

    EmbeddedCluster cluster(clusterOptions(m_root, password.value()));
    if (Status started = cluster.start(); !started) {
        // Nothing was created with the new password (a directory the server cannot reach,
        // say): leave no secret behind for a cluster that does not exist.
        if (createdPassword && !cluster.isInitialised())
            forgetPassword();
        return started.error();
    }
    if (Status created = cluster.ensureDatabase(DemoDatabase); !created)
        return created.error();

    ConnectionSettings settings = cluster.ownerSettings(DemoDatabase);
    settings.source = QStringLiteral("cli");
    const QString connectionName = uniqueConnectionName(QStringLiteral("demo-setup"));
    if (Status opened = openConnection(settings, connectionName); !opened)
        return opened.error();
    Result<int> migrated = Migrator(connectionName).migrate();
    if (!migrated) {
        closeConnection(connectionName);
        return migrated.error();
    }
    if (migrated.value() > 0)
        qCInfo(lcDemoCluster) << "applied" << migrated.value() << "migrations to the demo database";

    if (!QFileInfo::exists(seededMarker(m_root))) {
        qCInfo(lcDemoCluster) << "loading the demo data";
        Status seeded = seedDemoData(connectionName);
        if (!seeded) {
            closeConnection(connectionName);
            return seeded.error();
        }
        QFile marker(seededMarker(m_root));
        if (!marker.open(QIODevice::WriteOnly) || marker.write("seeded\n") < 0)
            qCWarning(lcDemoCluster)
                << "could not record that the demo data was loaded:" << marker.errorString();
    }
    // Every start, not only the first: a demo database made by an older version gets the
    // operators its migrations now allow.
    if (Status operators = ensureDemoOperators(connectionName); !operators) {
        closeConnection(connectionName);
        return operators.error();
    }
    closeConnection(connectionName);

    ConnectionSettings result = cluster.ownerSettings(DemoDatabase);
    return result;
}

Status DemoCluster::down()
{
    // Stopping needs no password.
    EmbeddedCluster cluster(clusterOptions(m_root, {}));
    return cluster.stop();
}

DemoClusterState DemoCluster::status() const
{
    const EmbeddedCluster cluster(clusterOptions(m_root, {}));
    DemoClusterState state;
    state.directory = m_root;
    state.initialised = cluster.isInitialised();
    state.running = cluster.isRunning();
    state.port = cluster.port();
    state.seeded = QFileInfo::exists(seededMarker(m_root));
    return state;
}

} // namespace nobill
