#pragma once

#include "core/result.h"

#include <QString>

namespace nobill {

// Where and as whom to connect. The password is held only in memory: it comes from the
// keychain, a dialog or a URI, and is never written to settings files.
struct ConnectionSettings
{
    QString host = QStringLiteral("127.0.0.1");
    int port = 5432;
    QString database = QStringLiteral("nobill");
    QString user;
    QString password;
    QString sslMode = QStringLiteral("prefer");
    // The certificate authority that signed the server's certificate (libpq's sslrootcert),
    // for verify-ca / verify-full; empty: libpq's default (~/.postgresql/root.crt).
    QString sslRootCert;
    // Recorded as `nobill.source` on every session, so the audit trail says where a change
    // came from (console, cli, webhook, worker).
    QString source = QStringLiteral("console");

    // postgresql://user:password@host:port/database?sslmode=require&sslrootcert=/path
    static Result<ConnectionSettings> fromUri(const QString &uri);
    QString toUri(bool includePassword) const;
    // "user@host:port/database", for status bars and messages.
    QString describe() const;
    // The libpq connect options QPSQL passes through (sslmode, application_name, timeout).
    QString connectOptions() const;

    friend bool operator==(const ConnectionSettings &a, const ConnectionSettings &b);
};

} // namespace nobill
