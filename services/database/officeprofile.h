#pragma once

#include "database/connectionsettings.h"

#include <QList>
#include <QString>
#include <QStringList>

namespace nobill {

// A database server an operator of this office may sign in to, as the office profile
// names it. Never holds a user's password: only where the server is and how to trust it.
struct OfficeServer
{
    QString id;    // the section [server.ID]
    QString label; // what the sign-in window shows; the host when the profile names none
    ConnectionSettings connection; // host, port, database, sslmode, sslrootcert; no user
};

// How the office service (`nobillctl serve`) receives Stripe's events.
struct OfficeListener
{
    QString mode = QStringLiteral("webhook"); // webhook | poll
    QString address = QStringLiteral("127.0.0.1");
    int port = 8787;
    QString publicUrl;
};

// The office profile: settings an office installs once for every workstation and its
// office service, so nobody types server details. An INI file, system-wide in
// /etc/xdg/NOBill/office.conf (or $NOBILL_OFFICE_PROFILE); an operator's own
// ~/.config/NOBill/office.conf overrides it key by key and may add servers. Passwords found
// in either are ignored and reported: they belong in the keychain and in systemd
// credentials, never in a file.
struct OfficeProfile
{
    QString officeName;
    QString defaultServerId;
    QList<OfficeServer> servers; // the default server first, then by id
    OfficeListener listener;
    // Sentences about what was ignored and why (a password, an unknown sslmode, ...).
    QStringList warnings;
    QStringList files; // the files that were read, system first

    bool isEmpty() const { return servers.isEmpty() && officeName.isEmpty(); }
    // The server called `id`, or nullptr.
    const OfficeServer *server(const QString &id) const;
    // The server whose host, port and database match `settings`, or nullptr.
    const OfficeServer *matching(const ConnectionSettings &settings) const;
    // The default server, else the first; nullptr without servers.
    const OfficeServer *defaultServer() const;

    // $NOBILL_OFFICE_PROFILE if set, else the first NOBill/office.conf in $XDG_CONFIG_DIRS
    // (default /etc/xdg), else the place it would be installed.
    static QString systemPath();
    // The operator's own overrides: $XDG_CONFIG_HOME/NOBill/office.conf.
    static QString userPath();
    // Reads the system profile, then the operator's overrides.
    static OfficeProfile load();
    // The same from explicit files; either may be empty or missing.
    static OfficeProfile load(const QString &systemFile, const QString &userFile);
};

} // namespace nobill
