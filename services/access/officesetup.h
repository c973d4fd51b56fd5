#pragma once

#include "core/result.h"

#include <QString>
#include <QStringList>

namespace nobill {

struct OfficeSetupRequest
{
    QString adminLogin;
    QString adminEmail;
    QString adminName;                                     // empty: the login
    QString serviceLogin = QStringLiteral("nobill_serve"); // empty: no service login
};

// What `nobillctl setup` did, and what it found already there.
struct OfficeSetupReport
{
    int migrationsApplied = 0;
    int schemaVersion = 0;
    bool adminCreated = false;
    // Set only when the admin's login was created now: shown once, never stored. The admin
    // must choose a new password at the first sign-in.
    QString adminOneTimePassword;
    bool serviceLoginCreated = false;
    QString servicePassword; // only when the service login was created now
    QStringList steps;       // one sentence per step, in order
};

// Prepares an office database: migrations, the first platform administrator with a console
// login and a one-time password, and the login `nobillctl serve` uses (a member of
// nobill_service). Idempotent: a second run changes nothing that exists and says so,
// passwords included. Run as the database owner (CREATEROLE), on the calling thread's
// connection `connectionName`.
Result<OfficeSetupReport> setUpOffice(const QString &connectionName,
                                      const OfficeSetupRequest &request);

} // namespace nobill
