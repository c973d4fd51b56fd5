#include "database/embeddedcluster.h"

#include "database/connection.h"
#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QLockFile>
#include <QLoggingCategory>
#include <QProcess>
#include <QProcessEnvironment>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryFile>
#include <QThread>
#include <QVersionNumber>

#include <algorithm>
#include <limits>
#include <optional>

#include <cerrno>
#include <csignal>
#include <pwd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

Q_LOGGING_CATEGORY(lcCluster, "nobill.cluster")

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::EmbeddedCluster", text);
}

// sizeof(sockaddr_un::sun_path) is 108 on Linux, including the terminating NUL.
constexpr int MaxSocketPathBytes = 107;
constexpr int StartAttempts = 5;
constexpr int InitdbTimeoutMs = 180 * 1000;
// pg_ctl gets -t 30; our own bound is a little longer so pg_ctl reports its own failure.
constexpr int PgCtlWaitSeconds = 30;
constexpr int PgCtlTimeoutMs = (PgCtlWaitSeconds + 15) * 1000;
constexpr int OrphanWaitMs = 10 * 1000;
const QString SystemUser = QStringLiteral("postgres");

bool runningAsRoot()
{
    return ::geteuid() == 0;
}

struct SystemUserIds
{
    uid_t uid = 0;
    gid_t gid = 0;
};

Result<SystemUserIds> postgresUser()
{
    struct passwd entry
    {
    };
    struct passwd *found = nullptr;
    char buffer[4096];
    const QByteArray name = SystemUser.toLocal8Bit();
    if (::getpwnam_r(name.constData(), &entry, buffer, sizeof buffer, &found) != 0 || !found) {
        return makeError(ErrorKind::Unavailable,
                         tr("PostgreSQL refuses to run as root, and this system has no "
                            "\"postgres\" user to run it as. Install the PostgreSQL server "
                            "package, or run this program as a normal user."));
    }
    return SystemUserIds{found->pw_uid, found->pw_gid};
}

struct ToolRun
{
    bool started = false;
    bool timedOut = false;
    int exitCode = -1;
    QString output;
    bool ok() const { return started && !timedOut && exitCode == 0; }
};

// Runs a program with an argument list (never through a shell). As root, through
// `runuser -u postgres --`, because initdb and postgres refuse to run as root.
ToolRun runTool(const QString &program, const QStringList &arguments, int timeoutMs,
                const QString &workingDirectory = {})
{
    QProcess process;
    process.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    // Our command lines say everything; inherited PG* settings must not change their meaning.
    for (const QString &name :
         {QStringLiteral("PGDATA"), QStringLiteral("PGPORT"), QStringLiteral("PGHOST"),
          QStringLiteral("PGOPTIONS"), QStringLiteral("PGUSER"), QStringLiteral("PGDATABASE")}) {
        environment.remove(name);
    }
    process.setProcessEnvironment(environment);
    if (!workingDirectory.isEmpty())
        process.setWorkingDirectory(workingDirectory);
    if (runningAsRoot()) {
        QStringList wrapped{QStringLiteral("-u"), SystemUser, QStringLiteral("--"), program};
        wrapped += arguments;
        process.start(QStringLiteral("runuser"), wrapped);
    } else {
        process.start(program, arguments);
    }
    ToolRun run;
    if (!process.waitForStarted(10000)) {
        run.output = process.errorString();
        return run;
    }
    run.started = true;
    if (!process.waitForFinished(timeoutMs)) {
        run.timedOut = true;
        process.kill();
        process.waitForFinished(5000);
    }
    run.output = QString::fromLocal8Bit(process.readAll()).trimmed();
    if (!run.timedOut)
        run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    return run;
}

QString lastLines(const QString &text, int count)
{
    QStringList lines = text.split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    if (lines.size() > count)
        lines = lines.mid(lines.size() - count);
    return lines.join(QLatin1Char('\n'));
}

// The part of server.log written since `offset` (this attempt), last lines only.
QString logTail(const QString &logPath, qint64 offset, int count = 12)
{
    QFile file(logPath);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    if (offset > 0 && offset <= file.size())
        file.seek(offset);
    return lastLines(QString::fromUtf8(file.readAll()), count);
}

qint64 fileSize(const QString &path)
{
    const QFileInfo info(path);
    return info.exists() ? info.size() : 0;
}

struct PidFile
{
    qint64 pid = 0;
    int port = 0;
    QString socketDirectory;
};

// postmaster.pid: pid, data directory, start time, port, socket directory, listen address,
// shared memory key, status.
std::optional<PidFile> readPidFile(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QStringList lines = QString::fromLocal8Bit(file.readAll()).split(QLatin1Char('\n'));
    PidFile pidFile;
    bool ok = false;
    pidFile.pid = lines.value(0).trimmed().toLongLong(&ok);
    if (!ok || pidFile.pid <= 0)
        return std::nullopt;
    pidFile.port = lines.value(3).trimmed().toInt();
    pidFile.socketDirectory = lines.value(4).trimmed();
    return pidFile;
}

QString procEntry(qint64 pid, const char *entry)
{
    return QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(entry));
}

// Alive and not a zombie: a killed postmaster whose parent never reaps it is gone for us.
bool isProcessAlive(qint64 pid)
{
    if (pid <= 0 || pid > std::numeric_limits<pid_t>::max())
        return false;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno != EPERM)
        return false;
    QFile stat(procEntry(pid, "stat"));
    if (!stat.open(QIODevice::ReadOnly))
        return true; // no /proc: trust kill()
    const QByteArray text = stat.readAll();
    const int afterName = text.lastIndexOf(')');
    if (afterName < 0 || afterName + 2 >= text.size())
        return true;
    const char state = text.at(afterName + 2);
    return state != 'Z' && state != 'X';
}

QString canonical(const QString &path)
{
    const QString resolved = QFileInfo(path).canonicalFilePath();
    return resolved.isEmpty() ? QDir::cleanPath(path) : resolved;
}

bool isPostgresExecutable(qint64 pid)
{
    const QString exe = QFileInfo(procEntry(pid, "exe")).symLinkTarget();
    if (!exe.isEmpty()) {
        const QString name = QFileInfo(exe).fileName();
        return name == QLatin1String("postgres") || name == QLatin1String("postmaster");
    }
    // Not allowed to read the link (another user's process): fall back to its name.
    QFile comm(procEntry(pid, "comm"));
    if (!comm.open(QIODevice::ReadOnly))
        return false;
    const QByteArray name = comm.readAll().trimmed();
    return name == "postgres" || name == "postmaster";
}

// A postgres process working in this data directory: a postmaster changes into its data
// directory, and so do all of its children.
bool isPostgresOfDataDirectory(qint64 pid, const QString &canonicalDataDirectory)
{
    if (!isProcessAlive(pid) || !isPostgresExecutable(pid))
        return false;
    const QString cwd = QFileInfo(procEntry(pid, "cwd")).symLinkTarget();
    if (!cwd.isEmpty())
        return QDir::cleanPath(cwd) == canonicalDataDirectory;
    // No access to its working directory: compare the -D argument pg_ctl gave it.
    QFile cmdline(procEntry(pid, "cmdline"));
    if (!cmdline.open(QIODevice::ReadOnly))
        return false;
    const QList<QByteArray> arguments = cmdline.readAll().split('\0');
    for (int i = 0; i + 1 < arguments.size(); ++i) {
        if (arguments.at(i) == "-D")
            return canonical(QString::fromLocal8Bit(arguments.at(i + 1))) == canonicalDataDirectory;
    }
    return false;
}

QList<qint64> processesInDataDirectory(const QString &canonicalDataDirectory)
{
    QList<qint64> found;
    const QStringList entries = QDir(QStringLiteral("/proc")).entryList(QDir::Dirs);
    for (const QString &entry : entries) {
        bool ok = false;
        const qint64 pid = entry.toLongLong(&ok);
        if (!ok || pid == QCoreApplication::applicationPid())
            continue;
        const QString cwd = QFileInfo(procEntry(pid, "cwd")).symLinkTarget();
        if (cwd.isEmpty() || QDir::cleanPath(cwd) != canonicalDataDirectory)
            continue;
        if (isProcessAlive(pid) && isPostgresExecutable(pid))
            found.append(pid);
    }
    return found;
}

bool isPortFree(int port)
{
    if (port <= 0 || port > 65535)
        return false;
    QTcpServer probe;
    const bool free = probe.listen(QHostAddress::LocalHost, static_cast<quint16>(port));
    probe.close();
    return free;
}

int pickFreePort(const QSet<int> &avoid)
{
    for (int i = 0; i < 20; ++i) {
        QTcpServer probe;
        if (!probe.listen(QHostAddress::LocalHost, 0))
            return 0;
        const int port = probe.serverPort();
        probe.close();
        if (!avoid.contains(port))
            return port;
    }
    return 0;
}

// pg_ctl builds a shell command line from the data directory, the log path and -o, quoting
// them in double quotes: these characters would change that command's meaning.
bool isSafeForPgCtl(const QString &path)
{
    static const QString unsafe = QStringLiteral("\"$`\\\n\r");
    return std::none_of(path.cbegin(), path.cend(), [](QChar c) { return unsafe.contains(c); });
}

bool looksLikePortTaken(const QString &log)
{
    return log.contains(QLatin1String("could not bind")) ||
           log.contains(QLatin1String("Address already in use")) ||
           log.contains(QLatin1String("could not create any TCP/IP sockets"));
}

QString quoteIdentifier(const QString &identifier)
{
    QString quoted = identifier;
    quoted.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + quoted + QLatin1Char('"');
}

} // namespace

// --- paths -----------------------------------------------------------------------------

namespace {

struct Paths
{
    QString root;
    QString data;
    QString log;
    QString socket;
    QString portFile;
    QString pidFile;
    QString lockFile;
};

Paths pathsFor(const QString &rootDirectory)
{
    Paths paths;
    paths.root = QDir::cleanPath(QDir(rootDirectory).absolutePath());
    paths.data = paths.root + QStringLiteral("/data");
    paths.log = paths.root + QStringLiteral("/server.log");
    paths.portFile = paths.root + QStringLiteral("/port");
    paths.pidFile = paths.data + QStringLiteral("/postmaster.pid");
    paths.lockFile = paths.root + QStringLiteral("/.cluster.lock");
    paths.socket = paths.root + QStringLiteral("/socket");
    const QString longestSocket = paths.socket + QStringLiteral("/.s.PGSQL.65535.lock");
    if (longestSocket.toLocal8Bit().size() > MaxSocketPathBytes) {
        // The same root always maps to the same short directory, so a later start finds the
        // lock files a crashed server left there.
        const QByteArray hash =
            QCryptographicHash::hash(paths.root.toUtf8(), QCryptographicHash::Sha256).toHex();
        paths.socket = QStringLiteral("/tmp/nobill-pg-%1").arg(QString::fromLatin1(hash.left(16)));
    }
    return paths;
}

// The socket directory may live under /tmp, where anybody could have created it first:
// use it only if it is ours (or the server user's), and private.
Status prepareSocketDirectory(const QString &socketDirectory)
{
    QDir().mkpath(socketDirectory);
    struct stat info
    {
    };
    const QByteArray path = QFile::encodeName(socketDirectory);
    if (::lstat(path.constData(), &info) != 0 || !S_ISDIR(info.st_mode)) {
        return makeError(ErrorKind::Unavailable,
                         tr("Could not create the socket directory %1. Check that the disk is "
                            "writable.")
                             .arg(socketDirectory));
    }
    uid_t expectedOwner = ::geteuid();
    if (runningAsRoot()) {
        auto user = postgresUser();
        if (!user)
            return user.error();
        if (info.st_uid != user.value().uid &&
            ::chown(path.constData(), user.value().uid, user.value().gid) != 0) {
            return makeError(ErrorKind::PermissionDenied,
                             tr("Could not hand the socket directory %1 to the postgres user.")
                                 .arg(socketDirectory));
        }
        expectedOwner = user.value().uid;
        ::lstat(path.constData(), &info);
    }
    if (info.st_uid != expectedOwner) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("The socket directory %1 belongs to another user. Remove it, or use "
                            "a shorter cluster directory.")
                             .arg(socketDirectory));
    }
    ::chmod(path.constData(), 0700);
    return {};
}

} // namespace

EmbeddedCluster::EmbeddedCluster(Options options)
    : m_options(std::move(options))
{}

EmbeddedCluster::~EmbeddedCluster() = default;

QString EmbeddedCluster::dataDirectory() const
{
    return pathsFor(m_options.rootDirectory).data;
}

bool EmbeddedCluster::isInitialised() const
{
    return QFileInfo::exists(dataDirectory() + QStringLiteral("/PG_VERSION"));
}

Result<QString> EmbeddedCluster::findServerBinaries()
{
    auto hasTools = [](const QString &dir) {
        return !dir.isEmpty() && QFileInfo(dir + QStringLiteral("/initdb")).isExecutable() &&
               QFileInfo(dir + QStringLiteral("/pg_ctl")).isExecutable();
    };
    const QString fromEnvironment = qEnvironmentVariable("NOBILL_PG_BINDIR");
    if (!fromEnvironment.isEmpty()) {
        if (hasTools(fromEnvironment))
            return QDir::cleanPath(fromEnvironment);
        return makeError(ErrorKind::NotFound,
                         tr("NOBILL_PG_BINDIR is set to %1, but initdb and pg_ctl are not there. "
                            "Point it at the directory that contains them, or unset it.")
                             .arg(fromEnvironment));
    }
    const QString pgConfig = QStandardPaths::findExecutable(QStringLiteral("pg_config"));
    if (!pgConfig.isEmpty()) {
        QProcess process;
        process.start(pgConfig, {QStringLiteral("--bindir")});
        if (process.waitForStarted(5000) && process.waitForFinished(5000) &&
            process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0) {
            const QString dir = QString::fromLocal8Bit(process.readAllStandardOutput()).trimmed();
            if (hasTools(dir))
                return QDir::cleanPath(dir);
        } else {
            process.kill();
            process.waitForFinished(1000);
        }
    }
    // Debian and Ubuntu keep one directory per major version and put none of it on PATH.
    const QDir versions(QStringLiteral("/usr/lib/postgresql"));
    QStringList candidates = versions.entryList(QDir::Dirs | QDir::NoDotAndDotDot);
    std::sort(candidates.begin(), candidates.end(), [](const QString &a, const QString &b) {
        return QVersionNumber::fromString(a) > QVersionNumber::fromString(b);
    });
    for (const QString &version : candidates) {
        const QString dir = versions.filePath(version) + QStringLiteral("/bin");
        if (hasTools(dir))
            return dir;
    }
    const QString onPath = QStandardPaths::findExecutable(QStringLiteral("pg_ctl"));
    if (!onPath.isEmpty() && hasTools(QFileInfo(onPath).absolutePath()))
        return QFileInfo(onPath).absolutePath();
    return makeError(ErrorKind::NotFound,
                     tr("The PostgreSQL server programs (initdb, pg_ctl) were not found. Install "
                        "the PostgreSQL server package (on Debian: apt install postgresql), or "
                        "set NOBILL_PG_BINDIR to the directory that contains them."));
}

namespace {

// As root the server runs as `postgres`: it must own the cluster directory and be able to
// reach it through every parent directory.
Status prepareRootDirectory(const Paths &paths)
{
    const bool existed = QFileInfo::exists(paths.root);
    if (!QDir().mkpath(paths.root)) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("Could not create the cluster directory %1. Check that its parent "
                            "exists and is writable, or choose another directory.")
                             .arg(paths.root));
    }
    const QByteArray rootPath = QFile::encodeName(paths.root);
    if (!existed)
        ::chmod(rootPath.constData(), 0700);
    if (!runningAsRoot())
        return {};

    auto user = postgresUser();
    if (!user)
        return user.error();
    struct stat info
    {
    };
    if (::stat(rootPath.constData(), &info) == 0 && info.st_uid != user.value().uid) {
        QProcess chown;
        chown.start(QStringLiteral("chown"),
                    {QStringLiteral("-R"), SystemUser + QLatin1Char(':') + SystemUser,
                     QStringLiteral("--"), paths.root});
        if (!chown.waitForFinished(120 * 1000) || chown.exitStatus() != QProcess::NormalExit ||
            chown.exitCode() != 0) {
            chown.kill();
            return makeError(
                ErrorKind::PermissionDenied,
                tr("Could not hand the cluster directory %1 to the postgres user: "
                   "%2")
                    .arg(paths.root,
                         QString::fromLocal8Bit(chown.readAllStandardError()).trimmed()));
        }
    }
    const ToolRun reachable =
        runTool(QStringLiteral("test"),
                {QStringLiteral("-r"), paths.root, QStringLiteral("-a"), QStringLiteral("-w"),
                 paths.root, QStringLiteral("-a"), QStringLiteral("-x"), paths.root},
                10000, QStringLiteral("/"));
    if (!reachable.ok()) {
        if (!existed)
            QDir().rmdir(paths.root);
        return makeError(ErrorKind::PermissionDenied,
                         tr("The PostgreSQL server runs as the system user \"postgres\" when "
                            "started by root, and that user cannot reach %1 (a parent directory "
                            "such as /root is private). Use a directory under /var/lib instead, "
                            "for example /var/lib/nobill-console/%2.")
                             .arg(paths.root, QFileInfo(paths.root).fileName()),
                         reachable.output);
    }
    return {};
}

// Hands a file we (root) wrote inside the cluster to the server's user.
void giveToServerUser(const QString &path)
{
    if (!runningAsRoot())
        return;
    if (auto user = postgresUser()) {
        const QByteArray name = QFile::encodeName(path);
        if (::chown(name.constData(), user.value().uid, user.value().gid) != 0)
            qCWarning(lcCluster) << "could not chown" << path << "to postgres";
    }
}

// Removes what a server that is gone left behind, so the next one can start: postmaster.pid
// and socket lock files naming a dead process, or a live process that is not our server
// (its pid was reused).
void removeStaleFiles(const Paths &paths, const QString &canonicalData)
{
    if (auto pidFile = readPidFile(paths.pidFile)) {
        qCInfo(lcCluster) << "removing stale" << paths.pidFile << "of pid" << pidFile->pid;
        QFile::remove(paths.pidFile);
    } else if (QFileInfo::exists(paths.pidFile)) {
        QFile::remove(paths.pidFile); // unreadable or empty: a crash while writing it
    }
    const QDir socketDir(paths.socket);
    const QStringList locks =
        socketDir.entryList({QStringLiteral(".s.PGSQL.*.lock")}, QDir::Files | QDir::Hidden);
    for (const QString &lock : locks) {
        QFile file(socketDir.filePath(lock));
        qint64 pid = 0;
        if (file.open(QIODevice::ReadOnly))
            pid = QString::fromLocal8Bit(file.readLine()).trimmed().toLongLong();
        file.close();
        if (pid > 0 && isPostgresOfDataDirectory(pid, canonicalData))
            continue;
        qCInfo(lcCluster) << "removing stale socket lock" << file.fileName();
        QFile::remove(file.fileName());
        QFile::remove(file.fileName().chopped(5));
    }
}

void rememberPort(const Paths &paths, int port)
{
    QFile file(paths.portFile);
    if (file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        file.write(QByteArray::number(port) + '\n');
        file.close();
        giveToServerUser(paths.portFile);
    }
}

int rememberedPort(const Paths &paths)
{
    QFile file(paths.portFile);
    if (!file.open(QIODevice::ReadOnly))
        return 0;
    return file.readAll().trimmed().toInt();
}

} // namespace

Status EmbeddedCluster::start()
{
    const Paths paths = pathsFor(m_options.rootDirectory);
    if (m_options.rootDirectory.isEmpty()) {
        return makeError(ErrorKind::InvalidInput,
                         tr("No directory was given for the database cluster."));
    }
    if (!isSafeForPgCtl(paths.root)) {
        return makeError(ErrorKind::InvalidInput,
                         tr("The cluster directory %1 contains a quote, backslash, dollar sign "
                            "or line break, which PostgreSQL's tools cannot handle. Choose a "
                            "directory with a plainer name.")
                             .arg(paths.root));
    }
    if (m_options.authentication == Authentication::ScramSha256 &&
        m_options.ownerPassword.isEmpty()) {
        return makeError(ErrorKind::InvalidInput,
                         tr("A password for the database owner is required to create or start "
                            "this cluster."));
    }

    auto binaries = findServerBinaries();
    if (!binaries)
        return binaries.error();
    const QString initdb = binaries.value() + QStringLiteral("/initdb");
    const QString pgCtl = binaries.value() + QStringLiteral("/pg_ctl");

    if (Status prepared = prepareRootDirectory(paths); !prepared)
        return prepared;

    // Two programs starting the same cluster at once (the console and nobillctl) would race
    // on the pid file and the port.
    QLockFile lock(paths.lockFile);
    lock.setStaleLockTime(0);
    if (!lock.tryLock(60 * 1000)) {
        return makeError(ErrorKind::Unavailable,
                         tr("Another program is starting or stopping the cluster in %1. Try "
                            "again in a minute.")
                             .arg(paths.root));
    }

    if (!isInitialised()) {
        if (QDir(paths.data).exists() &&
            !QDir(paths.data).isEmpty(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden)) {
            return makeError(ErrorKind::Conflict,
                             tr("%1 exists but is not a PostgreSQL data directory. Move it "
                                "away, or choose another cluster directory.")
                                 .arg(paths.data));
        }
        QStringList arguments{QStringLiteral("-D"),        paths.data,
                              QStringLiteral("-U"),        m_options.ownerRole,
                              QStringLiteral("-E"),        QStringLiteral("UTF8"),
                              QStringLiteral("--locale=C")};
        if (m_options.throwaway)
            arguments << QStringLiteral("--no-sync");
        QTemporaryFile passwordFile(paths.root + QStringLiteral("/.pwfile-XXXXXX"));
        if (m_options.authentication == Authentication::Trust) {
            arguments << QStringLiteral("-A") << QStringLiteral("trust");
        } else {
            if (m_options.ownerPassword.contains(QLatin1Char('\n')) ||
                m_options.ownerPassword.contains(QLatin1Char('\r'))) {
                return makeError(ErrorKind::InvalidInput,
                                 tr("The database owner's password may not contain a line "
                                    "break."));
            }
            // QTemporaryFile creates the file with mode 0600.
            if (!passwordFile.open()) {
                return makeError(ErrorKind::PermissionDenied,
                                 tr("Could not write a temporary file in %1. Check that the disk "
                                    "is writable.")
                                     .arg(paths.root));
            }
            passwordFile.write(m_options.ownerPassword.toUtf8() + '\n');
            passwordFile.flush();
            giveToServerUser(passwordFile.fileName());
            arguments << QStringLiteral("--auth=scram-sha-256")
                      << QStringLiteral("--pwfile=") + passwordFile.fileName();
        }
        qCInfo(lcCluster) << "initialising a cluster in" << paths.data;
        const ToolRun run = runTool(initdb, arguments, InitdbTimeoutMs, paths.root);
        if (passwordFile.isOpen())
            passwordFile.remove();
        if (!run.ok()) {
            return makeError(ErrorKind::Unavailable,
                             run.timedOut
                                 ? tr("Creating the database cluster in %1 took too long and was "
                                      "stopped.")
                                       .arg(paths.data)
                                 : tr("Creating the database cluster in %1 failed. initdb "
                                      "said:\n%2")
                                       .arg(paths.data, lastLines(run.output, 12)),
                             run.output);
        }
    }

    const QString canonicalData = canonical(paths.data);
    if (auto pidFile = readPidFile(paths.pidFile)) {
        if (isPostgresOfDataDirectory(pidFile->pid, canonicalData)) {
            qCDebug(lcCluster) << "already running, pid" << pidFile->pid;
            return {};
        }
    }
    // A crashed server's children notice within moments that their postmaster is gone; a new
    // server refuses to start while they still hold the old shared memory.
    QDeadlineTimer orphansGone(OrphanWaitMs);
    while (!processesInDataDirectory(canonicalData).isEmpty() && !orphansGone.hasExpired())
        QThread::msleep(100);
    if (const auto left = processesInDataDirectory(canonicalData); !left.isEmpty())
        qCWarning(lcCluster) << "server processes of a previous run still alive:" << left;

    if (Status socket = prepareSocketDirectory(paths.socket); !socket)
        return socket;
    removeStaleFiles(paths, canonicalData);

    QSet<int> tried;
    int port = rememberedPort(paths);
    if (!isPortFree(port))
        port = pickFreePort(tried);
    QString lastLog;
    for (int attempt = 1; attempt <= StartAttempts; ++attempt) {
        if (port == 0) {
            return makeError(ErrorKind::Unavailable,
                             tr("No free network port was found on 127.0.0.1 for the database "
                                "server."));
        }
        tried.insert(port);
        QString serverOptions = QStringLiteral("-c listen_addresses=127.0.0.1 -p %1 -k \"%2\"")
                                    .arg(port)
                                    .arg(paths.socket);
        if (m_options.throwaway) {
            serverOptions +=
                QStringLiteral(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off");
        }
        const qint64 logOffset = fileSize(paths.log);
        qCInfo(lcCluster) << "starting the server in" << paths.data << "on port" << port;
        const ToolRun run =
            runTool(pgCtl,
                    {QStringLiteral("-D"), paths.data, QStringLiteral("-l"), paths.log,
                     QStringLiteral("-w"), QStringLiteral("-t"), QString::number(PgCtlWaitSeconds),
                     QStringLiteral("-o"), serverOptions, QStringLiteral("start")},
                    PgCtlTimeoutMs, paths.root);
        if (run.ok()) {
            rememberPort(paths, port);
            return {};
        }
        lastLog = logTail(paths.log, logOffset);
        if (lastLog.isEmpty())
            lastLog = lastLines(run.output, 12);
        if (!looksLikePortTaken(lastLog) && isPortFree(port))
            break;
        qCInfo(lcCluster) << "port" << port << "was taken meanwhile; trying another";
        removeStaleFiles(paths, canonicalData);
        port = pickFreePort(tried);
    }
    return makeError(ErrorKind::Unavailable,
                     tr("The database server in %1 did not start. The end of its log (%2) "
                        "says:\n%3")
                         .arg(paths.data, paths.log, lastLog),
                     lastLog);
}

Status EmbeddedCluster::stop()
{
    const Paths paths = pathsFor(m_options.rootDirectory);
    if (!isRunning())
        return {};
    auto binaries = findServerBinaries();
    if (!binaries)
        return binaries.error();
    QLockFile lock(paths.lockFile);
    lock.setStaleLockTime(0);
    if (!lock.tryLock(60 * 1000)) {
        return makeError(ErrorKind::Unavailable,
                         tr("Another program is starting or stopping the cluster in %1. Try "
                            "again in a minute.")
                             .arg(paths.root));
    }
    const qint64 logOffset = fileSize(paths.log);
    const ToolRun run = runTool(binaries.value() + QStringLiteral("/pg_ctl"),
                                {QStringLiteral("-D"), paths.data, QStringLiteral("-m"),
                                 QStringLiteral("fast"), QStringLiteral("-w"), QStringLiteral("-t"),
                                 QString::number(PgCtlWaitSeconds), QStringLiteral("stop")},
                                PgCtlTimeoutMs, paths.root);
    if (run.ok() || !isRunning()) {
        // A private directory under /tmp stands for nothing once the server is gone.
        if (!paths.socket.startsWith(paths.root))
            QDir().rmdir(paths.socket);
        return {};
    }
    QString log = logTail(paths.log, logOffset);
    if (log.isEmpty())
        log = lastLines(run.output, 12);
    return makeError(ErrorKind::Unavailable,
                     tr("The database server in %1 did not stop. The end of its log (%2) "
                        "says:\n%3")
                         .arg(paths.data, paths.log, log),
                     run.output);
}

bool EmbeddedCluster::isRunning() const
{
    const Paths paths = pathsFor(m_options.rootDirectory);
    const auto pidFile = readPidFile(paths.pidFile);
    return pidFile && isPostgresOfDataDirectory(pidFile->pid, canonical(paths.data));
}

int EmbeddedCluster::port() const
{
    const Paths paths = pathsFor(m_options.rootDirectory);
    const auto pidFile = readPidFile(paths.pidFile);
    if (!pidFile || !isPostgresOfDataDirectory(pidFile->pid, canonical(paths.data)))
        return 0;
    return pidFile->port;
}

ConnectionSettings EmbeddedCluster::ownerSettings(const QString &database) const
{
    ConnectionSettings settings;
    settings.host = QStringLiteral("127.0.0.1");
    settings.port = port();
    if (settings.port == 0)
        settings.port = rememberedPort(pathsFor(m_options.rootDirectory));
    settings.database = database;
    settings.user = m_options.ownerRole;
    settings.password =
        m_options.authentication == Authentication::Trust ? QString() : m_options.ownerPassword;
    // The server listens on loopback only and has no certificate.
    settings.sslMode = QStringLiteral("disable");
    return settings;
}

Status EmbeddedCluster::ensureDatabase(const QString &database)
{
    if (database.isEmpty() || database.size() > 63) {
        return makeError(
            ErrorKind::InvalidInput,
            tr("\"%1\" cannot be a database name: use 1 to 63 characters.").arg(database.left(80)));
    }
    const QString connectionName = uniqueConnectionName(QStringLiteral("cluster-admin"));
    if (Status opened = openConnection(ownerSettings(), connectionName); !opened)
        return opened;
    Status result;
    {
        const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
        auto exists =
            execSql(db, QStringLiteral("SELECT 1 FROM pg_database WHERE datname = ?"), {database});
        if (!exists) {
            result = exists.error();
        } else if (!exists.value().next()) {
            QSqlQuery create(db);
            if (!create.exec(QStringLiteral("CREATE DATABASE %1").arg(quoteIdentifier(database)))) {
                // Someone else created it between our check and now: that is what we wanted.
                if (sqlState(create.lastError()) != QLatin1String("42P04"))
                    result = translateSqlError(create.lastError());
            } else {
                qCInfo(lcCluster) << "created database" << database;
            }
        }
    }
    closeConnection(connectionName);
    return result;
}

} // namespace nobill
