#include "demo/demooperators.h"

#include "database/sql.h"

namespace nobill {

namespace {
QString s(const char *text)
{
    return QString::fromUtf8(text);
}
} // namespace

QList<DemoOperator> demoOperators()
{
    // Names are not translated: they are people in the demo data.
    return {
        {s("demo_admin"),
         s("demo-admin-2026"),
         s("Ada Lindqvist"),
         s("ada@nobill.example"),
         true,
         {}},
        {s("demo_orgadmin"),
         s("demo-orgadmin-2026"),
         s("Omar Haddad"),
         s("omar@brightwave.de"),
         false,
         {{s("brightwave"), s("admin")}, {s("nordlicht-logistik"), s("admin")}}},
        {s("demo_finance"),
         s("demo-finance-2026"),
         s("Fiona Walsh"),
         s("fiona@redwoodrobotics.com"),
         false,
         {{s("brightwave"), s("finance")},
          {s("redwood-robotics"), s("finance")},
          {s("thistle-and-thorn"), s("finance")}}},
        {s("demo_support"),
         s("demo-support-2026"),
         s("Sam Okafor"),
         s("sam@oberkampf.fr"),
         false,
         {{s("cafe-oberkampf"), s("support")}, {s("lumen-health"), s("support")}}},
        {s("demo_viewer"),
         s("demo-viewer-2026"),
         s("Vera Novak"),
         s("vera@kuusilabs.fi"),
         false,
         {{s("kuusi-labs"), s("viewer")}}},
    };
}

std::optional<DemoOperator> findDemoOperator(const QString &login)
{
    for (const DemoOperator &op : demoOperators()) {
        if (op.login == login)
            return op;
    }
    return std::nullopt;
}

QString defaultDemoLogin()
{
    return QStringLiteral("demo_admin");
}

Status ensureDemoOperators(const QString &connectionName)
{
    QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    Result<int> done = inTransaction(db, [&]() -> Result<int> {
        for (const DemoOperator &op : demoOperators()) {
            auto user = execSql(db,
                                QStringLiteral("SELECT id::text FROM users WHERE lower(email) = "
                                               "lower(?)"),
                                {op.email});
            if (!user)
                return user.error();
            QString userId;
            if (user.value().next()) {
                userId = user.value().value(0).toString();
            } else {
                auto created = execSql(db,
                                       QStringLiteral("INSERT INTO users (email, display_name) "
                                                      "VALUES (?, ?) RETURNING id::text"),
                                       {op.email, op.displayName});
                if (!created)
                    return created.error();
                created.value().next();
                userId = created.value().value(0).toString();
            }
            for (const auto &membership : op.memberships) {
                auto member = execSql(
                    db,
                    QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                   "SELECT o.id, ?::uuid, r.id FROM organizations o, roles r "
                                   "WHERE o.slug = ? AND r.key = ? AND r.is_builtin "
                                   "ON CONFLICT (organization_id, user_id) DO UPDATE SET role_id = "
                                   "EXCLUDED.role_id"),
                    {userId, membership.first, membership.second});
                if (!member)
                    return member.error();
            }
            // As the owner, the server hashes the (public) demo password itself; operators'
            // real passwords are hashed by the console before they leave it.
            auto statement = execSql(
                db,
                QStringLiteral(
                    "SELECT CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) "
                    "THEN format('ALTER ROLE %I LOGIN PASSWORD %L', $1, $2) "
                    "ELSE format('CREATE ROLE %I LOGIN IN ROLE nobill_operator PASSWORD %L', $1, "
                    "$2) END")
                    .replace(QStringLiteral("$1"), QStringLiteral("?::text"))
                    .replace(QStringLiteral("$2"), QStringLiteral("?::text")),
                {op.login, op.login, op.password, op.login, op.password});
            if (!statement)
                return statement.error();
            statement.value().next();
            if (auto role = execSql(db, statement.value().value(0).toString()); !role)
                return role.error();
            auto grant = execSql(db,
                                 QStringLiteral("SELECT format('GRANT nobill_operator TO %I', "
                                                "?::text) WHERE NOT pg_has_role(?::text, "
                                                "'nobill_operator', 'MEMBER')"),
                                 {op.login, op.login});
            if (!grant)
                return grant.error();
            if (grant.value().next()) {
                if (auto granted = execSql(db, grant.value().value(0).toString()); !granted)
                    return granted.error();
            }
            auto linked = execSql(db,
                                  QStringLiteral("UPDATE users SET login_role = ?, "
                                                 "is_platform_admin = ?, must_change_password = "
                                                 "false, disabled_at = NULL WHERE id = ?::uuid"),
                                  {op.login, op.platformAdmin, userId});
            if (!linked)
                return linked.error();
        }
        return 1;
    });
    if (!done)
        return done.error();
    return {};
}

} // namespace nobill
