#include "database/officeprofile.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QProcessEnvironment>
#include <QSettings>
#include <QStandardPaths>

#include <memory>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::OfficeProfile", text);
}

const QString kServerPrefix = QStringLiteral("server.");

// Both files, the operator's first: a key the operator set wins over the office's.
class Layers
{
public:
    void add(const QString &path)
    {
        if (path.isEmpty() || !QFileInfo(path).isFile())
            return;
        m_files.prepend(std::make_shared<QSettings>(path, QSettings::IniFormat));
        m_paths.append(path);
    }

    QVariant value(const QString &key, const QVariant &fallback = {}) const
    {
        for (const auto &file : m_files) {
            if (file->contains(key))
                return file->value(key);
        }
        return fallback;
    }

    // Which file a key comes from, for warnings that say where to look.
    QString source(const QString &key) const
    {
        for (const auto &file : m_files) {
            if (file->contains(key))
                return file->fileName();
        }
        return {};
    }

    QStringList serverIds() const
    {
        QStringList ids;
        for (const auto &file : m_files) {
            const QStringList groups = file->childGroups();
            for (const QString &group : groups) {
                if (group.startsWith(kServerPrefix) && group.size() > kServerPrefix.size() &&
                    !ids.contains(group.mid(kServerPrefix.size())))
                    ids.append(group.mid(kServerPrefix.size()));
            }
        }
        ids.sort();
        return ids;
    }

    QStringList paths() const { return m_paths; }

private:
    QList<std::shared_ptr<QSettings>> m_files; // highest precedence first
    QStringList m_paths;                       // in reading order, system first
};

bool isSslMode(const QString &mode)
{
    static const QStringList modes{QStringLiteral("disable"),   QStringLiteral("allow"),
                                   QStringLiteral("prefer"),    QStringLiteral("require"),
                                   QStringLiteral("verify-ca"), QStringLiteral("verify-full")};
    return modes.contains(mode);
}

OfficeServer readServer(const Layers &layers, const QString &id, QStringList &warnings)
{
    const QString group = kServerPrefix + id + QLatin1Char('/');
    const auto text = [&](const char *key, const QString &fallback = {}) {
        return layers.value(group + QLatin1String(key), fallback).toString().trimmed();
    };
    OfficeServer server;
    server.id = id;
    ConnectionSettings &c = server.connection;
    c.user.clear();
    c.host = text("host", c.host);
    c.database = text("database", c.database);
    bool portOk = false;
    const int port = text("port", QString::number(c.port)).toInt(&portOk);
    if (portOk && port > 0 && port < 65536)
        c.port = port;
    else
        warnings << tr("Server \"%1\" in %2: the port \"%3\" is not a number from 1 to 65535; "
                       "5432 is used.")
                        .arg(id, layers.source(group + QLatin1String("port")), text("port"));
    const QString mode = text("sslmode", c.sslMode);
    if (isSslMode(mode))
        c.sslMode = mode;
    else
        warnings << tr("Server \"%1\" in %2: unknown sslmode \"%3\"; use disable, allow, "
                       "prefer, require, verify-ca or verify-full. \"%4\" is used.")
                        .arg(id, layers.source(group + QLatin1String("sslmode")), mode, c.sslMode);
    const QString rootCert = text("sslrootcert");
    // QPSQL passes options as "key=value;..." to libpq: a ';' would cut the path.
    if (rootCert.contains(QLatin1Char(';')))
        warnings << tr("Server \"%1\": the certificate path \"%2\" contains \";\", which "
                       "PostgreSQL's driver cannot pass on; it was ignored.")
                        .arg(id, rootCert);
    else
        c.sslRootCert = rootCert;
    server.label = text("label", c.host);
    if (layers.value(group + QLatin1String("password")).isValid())
        warnings << tr("Server \"%1\" in %2 has a password: it was ignored. Passwords are kept "
                       "in each operator's system keychain, never in the office profile; "
                       "remove the line.")
                        .arg(id, layers.source(group + QLatin1String("password")));
    return server;
}
} // namespace

const OfficeServer *OfficeProfile::server(const QString &id) const
{
    for (const OfficeServer &s : servers) {
        if (s.id == id)
            return &s;
    }
    return nullptr;
}

const OfficeServer *OfficeProfile::matching(const ConnectionSettings &settings) const
{
    for (const OfficeServer &s : servers) {
        if (s.connection.host == settings.host && s.connection.port == settings.port &&
            s.connection.database == settings.database)
            return &s;
    }
    return nullptr;
}

const OfficeServer *OfficeProfile::defaultServer() const
{
    if (const OfficeServer *chosen = server(defaultServerId))
        return chosen;
    return servers.isEmpty() ? nullptr : &servers.first();
}

QString OfficeProfile::systemPath()
{
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    const QString explicitPath = env.value(QStringLiteral("NOBILL_OFFICE_PROFILE"));
    if (!explicitPath.isEmpty())
        return explicitPath;
    const QString relative = QStringLiteral("/NOBill/office.conf");
    QStringList dirs =
        env.value(QStringLiteral("XDG_CONFIG_DIRS")).split(QLatin1Char(':'), Qt::SkipEmptyParts);
    if (dirs.isEmpty())
        dirs << QStringLiteral("/etc/xdg");
    for (const QString &dir : dirs) {
        if (QFileInfo(dir + relative).isFile())
            return dir + relative;
    }
    return dirs.first() + relative;
}

QString OfficeProfile::userPath()
{
    return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
           QStringLiteral("/NOBill/office.conf");
}

OfficeProfile OfficeProfile::load()
{
    return load(systemPath(), userPath());
}

OfficeProfile OfficeProfile::load(const QString &systemFile, const QString &userFile)
{
    Layers layers;
    layers.add(systemFile);
    if (QFileInfo(userFile).canonicalFilePath() != QFileInfo(systemFile).canonicalFilePath())
        layers.add(userFile);

    OfficeProfile profile;
    profile.files = layers.paths();
    profile.officeName = layers.value(QStringLiteral("office/name")).toString().trimmed();
    profile.defaultServerId =
        layers.value(QStringLiteral("office/defaultServer")).toString().trimmed();
    const QStringList ids = layers.serverIds();
    for (const QString &id : ids)
        profile.servers.append(readServer(layers, id, profile.warnings));
    if (!profile.defaultServerId.isEmpty()) {
        if (const OfficeServer *chosen = profile.server(profile.defaultServerId)) {
            const OfficeServer first = *chosen;
            profile.servers.removeIf([&](const OfficeServer &s) { return s.id == first.id; });
            profile.servers.prepend(first);
        } else {
            profile.warnings << tr("The default server \"%1\" has no [server.%1] section; the "
                                   "first server is used.")
                                    .arg(profile.defaultServerId);
        }
    }

    OfficeListener &listener = profile.listener;
    const QString mode =
        layers.value(QStringLiteral("listener/mode"), listener.mode).toString().trimmed();
    if (mode == QLatin1String("webhook") || mode == QLatin1String("poll"))
        listener.mode = mode;
    else
        profile.warnings << tr("Unknown listener mode \"%1\": use webhook or poll. \"%2\" is used.")
                                .arg(mode, listener.mode);
    listener.address =
        layers.value(QStringLiteral("listener/address"), listener.address).toString().trimmed();
    bool portOk = false;
    const int port = layers.value(QStringLiteral("listener/port"), listener.port).toInt(&portOk);
    if (portOk && port > 0 && port < 65536)
        listener.port = port;
    else
        profile.warnings << tr("The listener port is not a number from 1 to 65535; %1 is used.")
                                .arg(listener.port);
    listener.publicUrl = layers.value(QStringLiteral("listener/publicUrl")).toString().trimmed();
    return profile;
}

} // namespace nobill
