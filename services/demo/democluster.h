#pragma once

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QString>

namespace nobill {

struct DemoClusterState
{
    QString directory;
    bool initialised = false;
    bool running = false;
    int port = 0; // 0 when not running
    bool seeded = false;
};

// The private PostgreSQL cluster behind `nobill-console --demo` and `nobillctl demo`: an
// EmbeddedCluster with a generated owner password (kept in the keychain, or in a private
// file next to the cluster directory), a migrated `nobill` database and demo data loaded
// once, on first creation.
//
// Directory: the constructor's argument, else $NOBILL_DEMO_DIR, else
// ~/.local/share/nobill-console/demo-cluster (for root /var/lib/nobill-console/demo-cluster,
// because the server then runs as `postgres`, which cannot enter /root).
//
// Blocking (initdb, migrations, seeding take seconds): call from a worker thread or from
// nobillctl, never from the GUI thread. The password lookup may use the keychain, whose
// jobs run on the main thread, so the main thread must keep its event loop running while a
// worker calls up().
class DemoCluster
{
public:
    explicit DemoCluster(const QString &rootDirectory = {});

    static QString defaultRootDirectory();
    QString rootDirectory() const { return m_root; }

    // Initialises (first use), starts, migrates and, the first time only, seeds. Returns the
    // owner's connection settings for the `nobill` database, password included.
    Result<ConnectionSettings> up();
    // Stops the server; the data stays. Not running: succeeds.
    Status down();
    DemoClusterState status() const;

    // After up(): where the owner password is kept, as a phrase ("in the system keychain").
    QString passwordLocation() const { return m_passwordLocation; }

private:
    QString secretKey() const;
    QString secretDirectory() const;
    Result<QString> ownerPassword(bool createIfMissing, bool *created);
    void forgetPassword();

    QString m_root;
    QString m_passwordLocation;
};

} // namespace nobill
