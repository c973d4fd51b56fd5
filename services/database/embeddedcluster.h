#pragma once

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QString>

namespace nobill {

// A private PostgreSQL cluster that the program initialises, starts and stops itself,
// under a directory of its own. Used by `nobill-console --demo`, `nobillctl demo` and by
// every integration test (a throwaway cluster).
//
// Layout under rootDirectory():  data/ (PGDATA), server.log, socket/ (unix socket), port
// (the last port used, tried first on the next start).
//
// Blocking: initdb takes about a second. Call from a worker thread or a command line tool,
// never from the GUI thread.
class EmbeddedCluster
{
public:
    enum class Authentication {
        Trust,       // throwaway test clusters only
        ScramSha256, // every cluster that keeps data: the owner password is required
    };

    struct Options
    {
        QString rootDirectory;
        Authentication authentication = Authentication::ScramSha256;
        // Name of the bootstrap superuser that owns the databases of this cluster.
        QString ownerRole = QStringLiteral("nobill_owner");
        // Required for ScramSha256; set on initdb and used to connect afterwards.
        QString ownerPassword;
        // Skips fsync at initdb and runtime: for throwaway test clusters only.
        bool throwaway = false;
    };

    explicit EmbeddedCluster(Options options);
    ~EmbeddedCluster(); // does not stop the server: a cluster outlives `nobillctl demo up`

    EmbeddedCluster(const EmbeddedCluster &) = delete;
    EmbeddedCluster &operator=(const EmbeddedCluster &) = delete;

    const Options &options() const { return m_options; }
    QString dataDirectory() const;
    bool isInitialised() const;

    // Initialises on first use, then starts the server on 127.0.0.1 and a unix socket in
    // socket/. Picks a free port (the remembered one first), recovers from a stale
    // postmaster.pid (a crashed server, or a pid reused by another process) and from a port
    // taken meanwhile. Already running: returns at once. On success port() is valid.
    Status start();
    // Fast shutdown; waits until the server is gone. Not running: succeeds.
    Status stop();
    bool isRunning() const;
    // The port of the running server (read from postmaster.pid), or 0.
    int port() const;

    // Connection settings for the owner role on `database` (default: the maintenance db).
    ConnectionSettings ownerSettings(const QString &database = QStringLiteral("postgres")) const;
    // Creates a database owned by the owner role if it does not exist yet.
    Status ensureDatabase(const QString &database);

    // Directory of initdb/pg_ctl/postgres: $NOBILL_PG_BINDIR, else pg_config --bindir's
    // answer, else the newest /usr/lib/postgresql/<N>/bin.
    static Result<QString> findServerBinaries();

private:
    Options m_options;
};

} // namespace nobill
