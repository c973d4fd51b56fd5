#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// Whether a person can sign in to the console, as the console shows it.
enum class ConsoleAccess {
    None,               // no PostgreSQL login (users.login_role is NULL)
    Enabled,            // the login can sign in
    Disabled,           // the login exists but cannot sign in (revoked), or the account is off
    MustChangePassword, // enabled; the one-time password must be replaced at the next sign-in
};

// One person in one organization (memberships joined with users and roles).
struct Member
{
    QString organizationId;
    QString userId;
    QString displayName;
    QString email;
    QString roleId;
    QString roleName;
    bool roleIsBuiltin = false;
    QString login; // the PostgreSQL login, or empty
    ConsoleAccess access = ConsoleAccess::None;
    bool accountDisabled = false; // users.disabled_at is set
    bool isSelf = false;          // the person signed in to this connection
    QDateTime memberSince;
    QDateTime accountDisabledAt;
};

// Someone who already has an account, found by email.
struct UserSummary
{
    QString id;
    QString email;
    QString displayName;
};

enum class MemberSort { Name, Email, Role, MemberSince };

// The list's filter and order as typed values.
struct MemberQuery
{
    QString organizationId; // empty: no organization chosen, no rows
    QString text;           // matches display name or email
    MemberSort sort = MemberSort::Name;
    bool descending = false;
};

struct MemberCursor
{
    QString sortValue;
    QString userId;
};

struct MemberPage
{
    QList<Member> rows;
    bool hasMore = false;
    std::optional<MemberCursor> next;
};

// What an operator types to invite someone new.
struct InviteDraft
{
    QString email;
    QString displayName;
    QString roleId;
};

// A named organization, for pickers and messages.
struct OrganizationRef
{
    QString id;
    QString name;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Member)
