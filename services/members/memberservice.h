#pragma once

#include "core/result.h"
#include "members/member.h"

#include <optional>

namespace nobill {

// The people of one organization: their membership and role, and their access to the
// console. Synchronous: call it on a thread that owns the named connection.
//
// Row-level security is the guard. Before each write the service asks the database whether
// the signed-in login holds members.manage in the organization, so that a refusal reads as a
// sentence naming the organization; a write that then affects no row is reported as refused
// or gone, never as a success.
class MemberService
{
public:
    explicit MemberService(QString connectionName);

    static constexpr int DefaultPageSize = 200;
    static constexpr int MaxDisplayNameLength = 200;

    Result<MemberPage> page(const MemberQuery &query, const std::optional<MemberCursor> &after,
                            int limit = DefaultPageSize) const;
    Result<int> count(const MemberQuery &query) const;
    Result<Member> get(const QString &organizationId, const QString &userId) const;

    // Someone with an account, by email (any case); std::nullopt when nobody has it.
    Result<std::optional<UserSummary>> findUser(const QString &email) const;

    // Plain sentences for what is wrong with an invitation; empty when it can be sent.
    static QList<QString> inviteProblems(const InviteDraft &draft);
    static bool isValidEmail(const QString &email);

    // Adds someone who already has an account. NotFound (with a sentence suggesting an
    // invitation) when nobody has this email.
    Result<Member> addExisting(const QString &organizationId, const QString &email,
                               const QString &roleId);
    // Creates the account (or finds it, if the email is known) and the membership.
    Result<Member> invite(const QString &organizationId, const InviteDraft &draft);
    Result<Member> changeRole(const QString &organizationId, const QString &userId,
                              const QString &roleId);
    // Ends the membership; the account stays (other organizations, the audit trail).
    Status remove(const QString &organizationId, const QString &userId);

    // Gives the person a console login with a one-time password, which they must change at
    // their first sign-in. The password is checked against PasswordPolicy and turned into a
    // SCRAM verifier here; the plaintext is never sent to the server.
    Result<Member> grantConsoleAccess(const QString &organizationId, const QString &userId,
                                      const QString &login, const QString &password);
    // Disables the login and ends its open sessions.
    Result<Member> revokeConsoleAccess(const QString &organizationId, const QString &userId);

    // Whether the signed-in login holds `permission` in the organization.
    Result<bool> hasPermission(const QString &organizationId, const QString &permission) const;

private:
    // The organization's name if the signed-in login may change its members; a sentence
    // otherwise.
    Result<QString> requireManage(const QString &organizationId) const;

    QString m_connectionName;
};

} // namespace nobill
