#pragma once

#include "core/result.h"

#include <QList>
#include <QString>

namespace nobill {

// The minimum rules for a console password, shared by the grant dialog, the change-password
// dialog, nobillctl and the services (which check again before anything is sent).
class PasswordPolicy
{
public:
    static constexpr int MinimumLength = 12;
    static constexpr int GeneratedLength = 20;

    // Sentences saying what is wrong with `password`; empty when it is acceptable. `login` and
    // `email` may be empty when not known yet.
    static QList<QString> problems(const QString &password, const QString &login,
                                   const QString &email);
    // A random one-time password from an alphabet without look-alike characters (no 0/O,
    // 1/l/I), mixing upper case, lower case and digits.
    static QString generate();
    // Whether `login` is acceptable as a PostgreSQL login name for the console.
    static bool isValidLogin(const QString &login);
    // A login name derived from an email address ("Anna.Whitfield@x" -> "anna_whitfield").
    static QString suggestLogin(const QString &email);
};

// The SCRAM-SHA-256 verifier of `password`, computed by libpq on the client over the named
// (QPSQL) connection, so that the plaintext never reaches the server or its logs.
Result<QString> scramVerifier(const QString &connectionName, const QString &login,
                              const QString &password);

} // namespace nobill
