#include "members/memberservice.h"

#include "access/permissioncheck.h"

#include "access/passwordpolicy.h"
#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QRegularExpression>
#include <QSqlDatabase>
#include <QUuid>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::MemberService", text);
}

const QString MemberColumns = QStringLiteral(
    "m.organization_id::text, u.id::text, u.display_name, u.email, r.id::text, r.name, "
    "r.is_builtin, u.login_role, coalesce(pr.rolcanlogin, false), u.must_change_password, "
    "u.disabled_at, m.created_at, coalesce(u.login_role = session_user::text, false)");
constexpr int MemberColumnCount = 13;

// pg_roles is readable by every login; whether a login may sign in lives there.
const QString MemberFrom = QStringLiteral(
    " FROM memberships m JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id "
    "LEFT JOIN pg_catalog.pg_roles pr ON pr.rolname = u.login_role");

Member readMember(const QSqlQuery &q)
{
    Member m;
    m.organizationId = q.value(0).toString();
    m.userId = q.value(1).toString();
    m.displayName = q.value(2).toString();
    m.email = q.value(3).toString();
    m.roleId = q.value(4).toString();
    m.roleName = q.value(5).toString();
    m.roleIsBuiltin = q.value(6).toBool();
    m.login = q.value(7).toString();
    const bool canLogin = q.value(8).toBool();
    const bool mustChange = q.value(9).toBool();
    m.accountDisabledAt = q.value(10).toDateTime();
    m.accountDisabled = !q.value(10).isNull();
    m.memberSince = q.value(11).toDateTime();
    m.isSelf = q.value(12).toBool();
    if (m.login.isEmpty())
        m.access = ConsoleAccess::None;
    else if (!canLogin || m.accountDisabled)
        m.access = ConsoleAccess::Disabled;
    else if (mustChange)
        m.access = ConsoleAccess::MustChangePassword;
    else
        m.access = ConsoleAccess::Enabled;
    return m;
}

struct SortColumn
{
    QString expression;
    QString castType;
};

SortColumn sortColumn(MemberSort sort)
{
    switch (sort) {
    case MemberSort::Name:
        return {QStringLiteral("u.display_name"), QStringLiteral("text")};
    case MemberSort::Email:
        return {QStringLiteral("u.email"), QStringLiteral("text")};
    case MemberSort::Role:
        return {QStringLiteral("r.name"), QStringLiteral("text")};
    case MemberSort::MemberSince:
        return {QStringLiteral("m.created_at"), QStringLiteral("timestamptz")};
    }
    return {QStringLiteral("u.display_name"), QStringLiteral("text")};
}

void appendFilters(const MemberQuery &query, QStringList &conditions, QVariantList &values)
{
    conditions << QStringLiteral("m.organization_id = ?::uuid");
    values << query.organizationId;
    const QString text = query.text.simplified();
    if (!text.isEmpty()) {
        conditions << QStringLiteral("(u.display_name || ' ' || u.email) ILIKE ?");
        values << containsPattern(text);
    }
}

Error roleNotChosen()
{
    return makeError(ErrorKind::InvalidInput, tr("Choose a role."));
}

// A refusal by row-level security reads better with the organization's name in it.
Error refusedIn(const Error &error, const QString &organizationName)
{
    if (error.kind != ErrorKind::PermissionDenied)
        return error;
    Error named = error;
    named.message = tr("You don't have permission to change members of %1.").arg(organizationName);
    return named;
}
// Whether the signed-in login may give this role in the organization: a role of the
// organization (or built-in) whose permissions the login holds there itself.
Status requireAssignable(const QSqlDatabase &db, const QString &organizationId,
                         const QString &organizationName, const QString &roleId)
{
    auto q =
        execSql(db,
                QStringLiteral("SELECT r.name, coalesce(nobill_may_assign_role(?::uuid, "
                               "r.id), false), r.organization_id IS NULL OR "
                               "r.organization_id = ?::uuid FROM roles r WHERE r.id = ?::uuid"),
                {organizationId, organizationId, roleId});
    if (!q)
        return q.error();
    if (!q.value().next())
        return makeError(ErrorKind::NotFound,
                         tr("This role no longer exists. Choose another one."));
    const QString role = q.value().value(0).toString();
    if (!q.value().value(2).toBool())
        return makeError(ErrorKind::InvalidInput,
                         tr("%1 is a role of another organization. Choose a built-in role or "
                            "one of %2's own roles.")
                             .arg(role, organizationName));
    if (!q.value().value(1).toBool())
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot give the role %1 in %2: it has permissions you don't "
                            "hold there yourself. Choose another role.")
                             .arg(role, organizationName));
    return {};
}

// Whether the signed-in login may set or take away this person's console login.
Status requireManagePerson(const QSqlDatabase &db, const Member &member)
{
    auto q =
        execSql(db, QStringLiteral("SELECT coalesce(nobill_may_manage_person(?::uuid), false)"),
                {member.userId});
    if (!q)
        return q.error();
    q.value().next();
    if (!q.value().value(0).toBool())
        return makeError(ErrorKind::PermissionDenied,
                         tr("You don't have permission to change the console access of %1: that "
                            "needs the right to manage members in every organization they "
                            "belong to.")
                             .arg(member.displayName));
    return {};
}
} // namespace

MemberService::MemberService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<MemberPage> MemberService::page(const MemberQuery &query,
                                       const std::optional<MemberCursor> &after, int limit) const
{
    if (query.organizationId.isEmpty())
        return MemberPage{};
    if (!isUuid(query.organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    const SortColumn sort = sortColumn(query.sort);
    const QString direction = query.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");

    QStringList conditions;
    QVariantList values;
    appendFilters(query, conditions, values);
    if (after) {
        if (!isUuid(after->userId))
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(%1, u.id) %2 (?::%3, ?::uuid)")
                          .arg(sort.expression,
                               query.descending ? QStringLiteral("<") : QStringLiteral(">"),
                               sort.castType);
        values << after->sortValue << after->userId;
    }
    const QString sql = QStringLiteral("SELECT %1, %2::text%3 WHERE %4 "
                                       "ORDER BY %2 %5, u.id %5 LIMIT %6")
                            .arg(MemberColumns, sort.expression, MemberFrom,
                                 conditions.join(QStringLiteral(" AND ")), direction)
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    MemberPage page;
    QString lastSortKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readMember(q.value()));
        lastSortKey = q.value().value(MemberColumnCount).toString();
    }
    if (page.hasMore)
        page.next = MemberCursor{lastSortKey, page.rows.last().userId};
    return page;
}

Result<int> MemberService::count(const MemberQuery &query) const
{
    if (query.organizationId.isEmpty())
        return 0;
    if (!isUuid(query.organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    appendFilters(query, conditions, values);
    auto q = execSql(db,
                     QStringLiteral("SELECT count(*) FROM memberships m "
                                    "JOIN users u ON u.id = m.user_id WHERE ") +
                         conditions.join(QStringLiteral(" AND ")),
                     values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<Member> MemberService::get(const QString &organizationId, const QString &userId) const
{
    const Error gone =
        makeError(ErrorKind::NotFound, tr("This person is no longer a member of the organization. "
                                          "Refresh the list."));
    if (!isUuid(organizationId) || !isUuid(userId))
        return gone;
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1%2 WHERE m.organization_id = ?::uuid "
                                    "AND m.user_id = ?::uuid")
                         .arg(MemberColumns, MemberFrom),
                     {organizationId, userId});
    if (!q)
        return q.error();
    if (!q.value().next())
        return gone;
    return readMember(q.value());
}

Result<std::optional<UserSummary>> MemberService::findUser(const QString &email) const
{
    const QString wanted = email.trimmed();
    if (!isValidEmail(wanted))
        return makeError(ErrorKind::InvalidInput,
                         tr("Enter an email address such as anna@example.com."));
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT id::text, email, display_name FROM "
                                    "nobill_find_user(?)"),
                     {wanted});
    if (!q)
        return q.error();
    if (!q.value().next())
        return std::optional<UserSummary>();
    return std::optional<UserSummary>(UserSummary{q.value().value(0).toString(),
                                                  q.value().value(1).toString(),
                                                  q.value().value(2).toString()});
}

bool MemberService::isValidEmail(const QString &email)
{
    // The same rule as the users_email_format constraint.
    static const QRegularExpression pattern(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"));
    return email.size() <= 254 && pattern.match(email).hasMatch();
}

QList<QString> MemberService::inviteProblems(const InviteDraft &draft)
{
    QList<QString> problems;
    const QString email = draft.email.trimmed();
    if (email.isEmpty())
        problems << tr("Enter the person's email address.");
    else if (!isValidEmail(email))
        problems << tr("Enter an email address such as anna@example.com.");
    const QString name = draft.displayName.simplified();
    if (name.isEmpty())
        problems << tr("Enter the person's name as colleagues know it.");
    else if (name.size() > MaxDisplayNameLength)
        problems << tr("A name can have at most %1 characters.").arg(MaxDisplayNameLength);
    if (!isUuid(draft.roleId))
        problems << tr("Choose a role.");
    return problems;
}

Result<bool> MemberService::hasPermission(const QString &organizationId,
                                          const QString &permission) const
{
    if (!isUuid(organizationId))
        return organizationNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q =
        execSql(db, QStringLiteral("SELECT coalesce(nobill_has_permission(?::uuid, ?), false)"),
                {organizationId, permission});
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toBool();
}

Result<QString> MemberService::requireManage(const QString &organizationId) const
{
    return requireOrganizationPermission(m_connectionName, organizationId,
                                         QStringLiteral("members.manage"),
                                         tr("You don't have permission to change members of %1."));
}

Result<Member> MemberService::addExisting(const QString &organizationId, const QString &email,
                                          const QString &roleId)
{
    if (!isUuid(roleId))
        return roleNotChosen();
    auto found = findUser(email);
    if (!found)
        return found.error();
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    if (!found.value())
        return makeError(ErrorKind::NotFound,
                         tr("Nobody with the email address %1 has an account yet. Invite them "
                            "instead.")
                             .arg(email.trimmed()));
    const UserSummary user = *found.value();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (Status assignable = requireAssignable(db, organizationId, organization.value(), roleId);
        !assignable)
        return assignable.error();
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                    "VALUES (?::uuid, ?::uuid, ?::uuid)"),
                     {organizationId, user.id, roleId});
    if (!q) {
        if (q.error().subject == QLatin1String("memberships_pkey"))
            return makeError(
                ErrorKind::Conflict,
                tr("%1 is already a member of %2.").arg(user.displayName, organization.value()));
        return refusedIn(q.error(), organization.value());
    }
    return get(organizationId, user.id);
}

Result<Member> MemberService::invite(const QString &organizationId, const InviteDraft &draft)
{
    const QList<QString> problems = inviteProblems(draft);
    if (!problems.isEmpty())
        return makeError(ErrorKind::InvalidInput, problems.join(QLatin1Char(' ')));
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (Status assignable =
            requireAssignable(db, organizationId, organization.value(), draft.roleId);
        !assignable)
        return assignable.error();
    auto q = execSql(
        db, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)::text"),
        {organizationId, draft.email.trimmed(), draft.displayName.simplified(), draft.roleId});
    if (!q) {
        if (q.error().subject == QLatin1String("memberships_pkey"))
            return makeError(ErrorKind::Conflict,
                             tr("%1 is already a member of %2.")
                                 .arg(draft.email.trimmed(), organization.value()));
        return refusedIn(q.error(), organization.value());
    }
    if (!q.value().next() || q.value().value(0).isNull())
        return makeError(ErrorKind::Internal,
                         tr("The invitation was not recorded. Details were written to the log."));
    return get(organizationId, q.value().value(0).toString());
}

Result<Member> MemberService::changeRole(const QString &organizationId, const QString &userId,
                                         const QString &roleId)
{
    if (!isUuid(roleId))
        return roleNotChosen();
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    auto current = get(organizationId, userId);
    if (!current)
        return current.error();
    if (current.value().isSelf)
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot change your own role. Ask another administrator of %1.")
                             .arg(organization.value()));
    if (current.value().roleId == roleId)
        return current;
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (Status assignable = requireAssignable(db, organizationId, organization.value(), roleId);
        !assignable)
        return assignable.error();
    auto q = execSql(db,
                     QStringLiteral("UPDATE memberships SET role_id = ?::uuid "
                                    "WHERE organization_id = ?::uuid AND user_id = ?::uuid "
                                    "RETURNING user_id"),
                     {roleId, organizationId, userId});
    if (!q)
        return refusedIn(q.error(), organization.value());
    if (!q.value().next()) {
        // Row-level security hides rows one may not change: the update found nothing.
        return makeError(ErrorKind::PermissionDenied,
                         tr("The role of %1 was not changed: you don't have permission to "
                            "change members of %2, or the membership has just ended.")
                             .arg(current.value().displayName, organization.value()));
    }
    return get(organizationId, userId);
}

Status MemberService::remove(const QString &organizationId, const QString &userId)
{
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    auto current = get(organizationId, userId);
    if (!current)
        return current.error();
    if (current.value().isSelf)
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot remove yourself from %1. Ask another administrator.")
                             .arg(organization.value()));
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("DELETE FROM memberships WHERE organization_id = ?::uuid "
                                    "AND user_id = ?::uuid RETURNING user_id"),
                     {organizationId, userId});
    if (!q)
        return refusedIn(q.error(), organization.value());
    if (!q.value().next())
        return makeError(ErrorKind::PermissionDenied,
                         tr("%1 was not removed: you don't have permission to change members "
                            "of %2, or the membership has already ended.")
                             .arg(current.value().displayName, organization.value()));
    return {};
}

Result<Member> MemberService::grantConsoleAccess(const QString &organizationId,
                                                 const QString &userId, const QString &login,
                                                 const QString &password)
{
    const QString name = login.trimmed();
    if (!PasswordPolicy::isValidLogin(name))
        return makeError(ErrorKind::InvalidInput,
                         tr("A login name starts with a lower-case letter and has 3 to 63 "
                            "lower-case letters, digits or underscores."));
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    auto current = get(organizationId, userId);
    if (!current)
        return current.error();
    const Member &member = current.value();
    if (member.isSelf)
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot change your own console access."));
    if (member.access == ConsoleAccess::Enabled ||
        member.access == ConsoleAccess::MustChangePassword)
        return makeError(
            ErrorKind::Conflict,
            tr("%1 already has console access as %2.").arg(member.displayName, member.login));
    // A login that exists keeps its name; the password is checked against that name.
    const QString effectiveLogin = member.login.isEmpty() ? name : member.login;
    const QList<QString> problems =
        PasswordPolicy::problems(password, effectiveLogin, member.email);
    if (!problems.isEmpty())
        return makeError(ErrorKind::InvalidInput, problems.join(QLatin1Char(' ')));

    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (Status allowed = requireManagePerson(db, member); !allowed)
        return allowed.error();
    auto taken = execSql(db,
                         QStringLiteral("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_roles "
                                        "WHERE rolname = ?) AND ?::text IS DISTINCT FROM ?::text"),
                         {effectiveLogin, effectiveLogin,
                          member.login.isEmpty() ? QStringLiteral("") : member.login});
    if (!taken)
        return taken.error();
    taken.value().next();
    if (taken.value().value(0).toBool())
        return makeError(ErrorKind::Conflict,
                         tr("The login name %1 is already taken on this server. Choose another "
                            "one.")
                             .arg(effectiveLogin));

    auto verifier = scramVerifier(m_connectionName, effectiveLogin, password);
    if (!verifier)
        return verifier.error();
    auto q = execSql(db, QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)"),
                     {userId, effectiveLogin, verifier.value()});
    if (!q) {
        if (q.error().kind == ErrorKind::PermissionDenied)
            return makeError(
                ErrorKind::PermissionDenied,
                tr("You don't have permission to give %1 console access.").arg(member.displayName));
        return q.error();
    }
    return get(organizationId, userId);
}

Result<Member> MemberService::revokeConsoleAccess(const QString &organizationId,
                                                  const QString &userId)
{
    auto organization = requireManage(organizationId);
    if (!organization)
        return organization.error();
    auto current = get(organizationId, userId);
    if (!current)
        return current.error();
    const Member &member = current.value();
    if (member.isSelf)
        return makeError(ErrorKind::PermissionDenied,
                         tr("You cannot revoke your own console access. Ask another "
                            "administrator."));
    if (member.access == ConsoleAccess::None)
        return makeError(ErrorKind::Conflict,
                         tr("%1 has no console access to revoke.").arg(member.displayName));
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (Status allowed = requireManagePerson(db, member); !allowed)
        return allowed.error();
    auto q = execSql(db, QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"), {userId});
    if (!q) {
        if (q.error().kind == ErrorKind::PermissionDenied)
            return makeError(ErrorKind::PermissionDenied,
                             tr("You don't have permission to revoke the console access of %1.")
                                 .arg(member.displayName));
        return q.error();
    }
    return get(organizationId, userId);
}

} // namespace nobill
