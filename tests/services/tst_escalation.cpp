// Attempts to gain rights one does not have, made by real operator logins against
// PostgreSQL: each must fail, and leave nothing changed.

#include "testcluster.h"
#include "testoperators.h"

#include "access/passwordpolicy.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <memory>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;
using nobill::test::TestOperator;

namespace {

const QString Alpha = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Beta = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString Carl = QStringLiteral("00000000-0000-0000-0000-0000000000c2"); // Alpha only
const QString Dora = QStringLiteral("00000000-0000-0000-0000-0000000000d2"); // Beta only
const QString Emil = QStringLiteral("00000000-0000-0000-0000-0000000000e2"); // Alpha and Beta
const QString Manager = QStringLiteral("00000000-0000-0000-0000-0000000000f1");
const QString Clerk = QStringLiteral("00000000-0000-0000-0000-0000000000f2");

const char *const Fixture[] = {
    "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'Alpha', 'alpha', 'billing@alpha.example', 'EUR'), "
    "('00000000-0000-0000-0000-0000000000b1', 'Beta', 'beta', 'billing@beta.example', 'USD')",
    "INSERT INTO users (id, email, display_name) VALUES "
    "('00000000-0000-0000-0000-0000000000c2', 'carl@alpha.example', 'Carl'), "
    "('00000000-0000-0000-0000-0000000000d2', 'dora@beta.example', 'Dora'), "
    "('00000000-0000-0000-0000-0000000000e2', 'emil@both.example', 'Emil')",
    // Manager: manages members and roles of Alpha and reads invoices, nothing more.
    // Clerk: reads tenants.
    "INSERT INTO roles (id, organization_id, name) VALUES "
    "('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1', "
    "'Manager'), "
    "('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000a1', 'Clerk')",
    "INSERT INTO role_permissions (role_id, permission_key) VALUES "
    "('00000000-0000-0000-0000-0000000000f1', 'tenants.read'), "
    "('00000000-0000-0000-0000-0000000000f1', 'members.manage'), "
    "('00000000-0000-0000-0000-0000000000f1', 'roles.manage'), "
    "('00000000-0000-0000-0000-0000000000f1', 'invoices.read'), "
    "('00000000-0000-0000-0000-0000000000f2', 'tenants.read')",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', id "
    "FROM roles WHERE key = 'viewer'",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000d2', id "
    "FROM roles WHERE key = 'viewer'",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT o, '00000000-0000-0000-0000-0000000000e2', id FROM roles, (VALUES "
    "('00000000-0000-0000-0000-0000000000a1'::uuid), ('00000000-0000-0000-0000-0000000000b1')) "
    "AS x(o) WHERE key = 'viewer'",
    "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-000000000d01', 'Cloud')",
    "INSERT INTO plans (id, product_id, name, amount, currency) VALUES "
    "('00000000-0000-0000-0000-000000000d11', '00000000-0000-0000-0000-000000000d01', 'Pro', "
    "4900, 'EUR')",
    "INSERT INTO subscriptions (id, organization_id, plan_id, status) VALUES "
    "('00000000-0000-0000-0000-000000000501', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000d11', 'active')",
};

// A fingerprint of everything an escalation could touch: compared before and after.
const char *const StateQuery =
    "SELECT md5(concat_ws('|',"
    " (SELECT string_agg(organization_id || ':' || user_id || ':' || role_id, ',' ORDER BY "
    "   organization_id, user_id) FROM memberships),"
    " (SELECT string_agg(role_id || ':' || permission_key, ',' ORDER BY role_id, "
    "   permission_key) FROM role_permissions),"
    " (SELECT string_agg(id || ':' || coalesce(organization_id::text, '-') || ':' || name, ',' "
    "   ORDER BY id) FROM roles),"
    " (SELECT string_agg(id || ':' || email || ':' || display_name || ':' || is_platform_admin "
    "   || ':' || coalesce(login_role, '-') || ':' || coalesce(disabled_at::text, '-'), ',' "
    "   ORDER BY id) FROM users),"
    " (SELECT string_agg(id || ':' || organization_id, ',' ORDER BY id) FROM subscriptions),"
    " (SELECT string_agg(id || ':' || name, ',' ORDER BY id) FROM products),"
    " (SELECT count(*) FROM audit_log),"
    " (SELECT string_agg(rolname || ':' || rolsuper || rolcreaterole || rolcreatedb || "
    "   rolbypassrls || rolcanlogin, ',' ORDER BY rolname) FROM pg_roles),"
    " (SELECT string_agg(polname || ':' || pg_get_expr(polqual, polrelid), ',' ORDER BY "
    "   polname) FROM pg_policy),"
    " (SELECT string_agg(relname || ':' || relrowsecurity || relforcerowsecurity || ':' || "
    "   coalesce(relacl::text, '-'), ',' ORDER BY "
    "   relname) FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'),"
    " (SELECT string_agg(r.rolname || '>' || m.rolname, ',' ORDER BY r.rolname, m.rolname) "
    "   FROM pg_auth_members a JOIN pg_roles r ON r.oid = a.member "
    "   JOIN pg_roles m ON m.oid = a.roleid)))";

// Texts that would break a statement built by pasting them in.
QStringList injectionStrings()
{
    return {QStringLiteral("o'brien"),
            QStringLiteral("'; DROP TABLE organizations; --"),
            QStringLiteral("\"; DROP TABLE organizations; --"),
            QStringLiteral("x; SELECT pg_sleep(10)"),
            QStringLiteral("back\\slash\\'quote"),
            QStringLiteral("%I %L %s %1 $1 ? $$ $x$"),
            QStringLiteral("admin_user WITH SUPERUSER"),
            QStringLiteral("nobill_owner"),
            QStringLiteral("SCRAM-SHA-256$4096:c2FsdA==$a:b' SUPERUSER --"),
            QString(5000, QLatin1Char('a'))};
}

} // namespace

class EscalationTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestDatabase> m_db;

    QSqlDatabase owner() const { return QSqlDatabase::database(m_db->connectionName(), false); }

    QString state() const
    {
        QSqlQuery q(owner());
        if (!q.exec(QString::fromLatin1(StateQuery)) || !q.next()) {
            qWarning().noquote() << q.lastError().text();
            return {};
        }
        return q.value(0).toString();
    }

    QVariant ownerScalar(const QString &sql) const
    {
        QSqlQuery q(owner());
        if (!q.exec(sql) || !q.next()) {
            qWarning().noquote() << q.lastError().text() << sql;
            return {};
        }
        return q.value(0);
    }

    bool prepare()
    {
        m_db = std::make_unique<TestDatabase>();
        if (!m_db->isValid()) {
            qWarning().noquote() << m_db->error();
            return false;
        }
        for (const char *statement : Fixture) {
            QSqlQuery q(owner());
            if (!q.exec(QString::fromUtf8(statement))) {
                qWarning().noquote() << q.lastError().text() << statement;
                return false;
            }
        }
        return true;
    }

    QString roleId(const QString &key) const
    {
        return ownerScalar(QStringLiteral("SELECT id FROM roles WHERE key = '%1'").arg(key))
            .toString();
    }

    // Runs `sql` as the operator; fails the test unless it is refused with `expectedState`
    // (42501 by default) or, with expectedState empty, changes no row at all.
    void expectRefused(const ScopedConnection &as, const QString &sql,
                       const QVariantList &values = {},
                       const QString &expectedState = QStringLiteral("42501"))
    {
        const QString before = state();
        QSqlQuery q(as.database());
        bool ok;
        if (values.isEmpty()) {
            ok = q.exec(sql);
        } else {
            q.prepare(sql);
            for (const QVariant &v : values)
                q.addBindValue(v);
            ok = q.exec();
        }
        if (expectedState.isEmpty()) {
            QVERIFY2(ok, qPrintable(q.lastError().text() + QStringLiteral(" in ") + sql));
            QVERIFY2(q.numRowsAffected() <= 0, qPrintable(QStringLiteral("changed rows: ") + sql));
        } else {
            QVERIFY2(!ok, qPrintable(QStringLiteral("not refused: ") + sql));
            QCOMPARE(q.lastError().nativeErrorCode(), expectedState);
        }
        QCOMPARE(state(), before);
    }

    // Runs a query as the operator that must succeed and answer 0, changing nothing.
    void expectZero(const ScopedConnection &as, const QString &sql, const QVariantList &values = {})
    {
        const QString before = state();
        QSqlQuery q(as.database());
        q.prepare(sql);
        for (const QVariant &v : values)
            q.addBindValue(v);
        QVERIFY2(q.exec() && q.next(),
                 qPrintable(q.lastError().text() + QStringLiteral(" in ") + sql));
        QCOMPARE(q.value(0).toInt(), 0);
        QCOMPARE(state(), before);
    }

    std::unique_ptr<ScopedConnection> connectAs(const TestOperator &op)
    {
        return std::make_unique<ScopedConnection>(op.settings);
    }

    Result<TestOperator> alphaAdmin()
    {
        return test::createOperator(*m_db, QStringLiteral("alpha_admin"), false,
                                    {{Alpha, QStringLiteral("admin")}});
    }

    Result<TestOperator> alphaManager()
    {
        return test::createOperatorWithRoles(*m_db, QStringLiteral("alpha_manager"), false,
                                             {{Alpha, Manager}});
    }

private slots:
    void init() { QVERIFY(prepare()); }
    void cleanup() { m_db.reset(); }

    void cannotGiveThemselvesARole()
    {
        auto op = alphaManager();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString me = op.value().userId;
        // A better role in one's own organization: refused, not just ignored.
        expectRefused(*as,
                      QStringLiteral("UPDATE memberships SET role_id = '%1' WHERE user_id = '%2'")
                          .arg(roleId(QStringLiteral("owner")), me));
        expectRefused(*as,
                      QStringLiteral("UPDATE memberships SET role_id = '%1' WHERE user_id = '%2'")
                          .arg(Clerk, me));
        // A membership of another organization.
        expectRefused(*as,
                      QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                     "VALUES ('%1', '%2', '%3')")
                          .arg(Beta, me, roleId(QStringLiteral("admin"))));
        // Through the invitation function, in one's own organization and in another.
        expectRefused(*as, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"),
                      {Alpha, QString(op.value().login + QStringLiteral("@operators.example")),
                       QStringLiteral("Me"), Clerk});
        expectRefused(*as, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"),
                      {Beta, QString(op.value().login + QStringLiteral("@operators.example")),
                       QStringLiteral("Me"), roleId(QStringLiteral("viewer"))});
        // Leaving is not granting, but one's own membership is left alone all the same.
        expectRefused(*as, QStringLiteral("DELETE FROM memberships WHERE user_id = '%1'").arg(me),
                      {}, QString());
    }

    void cannotGiveWhatTheyDoNotHold()
    {
        auto op = alphaManager();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString insert = QStringLiteral("INSERT INTO role_permissions (role_id, "
                                              "permission_key) VALUES (?::uuid, ?)");
        // Own role, even with a permission already held elsewhere.
        expectRefused(*as, insert, {Manager, QStringLiteral("invoices.manage")});
        expectRefused(*as, insert, {Manager, QStringLiteral("subscriptions.read")});
        // Another role, with a permission the manager does not hold.
        expectRefused(*as, insert, {Clerk, QStringLiteral("invoices.manage")});
        expectRefused(*as, insert, {Clerk, QStringLiteral("audit.read")});
        // A platform permission, even for an organization's Admin.
        expectRefused(*as, insert, {Clerk, QStringLiteral("plans.manage")});
        // Built-in roles belong to nobody.
        expectRefused(*as, insert,
                      {roleId(QStringLiteral("viewer")), QStringLiteral("invoices.read")});
        expectRefused(*as, QStringLiteral("UPDATE roles SET name = 'Boss' WHERE key = 'viewer'"),
                      {}, QString());
        // Nor may members get a role richer than the manager's own rights.
        expectRefused(*as,
                      QStringLiteral("UPDATE memberships SET role_id = '%1' WHERE user_id = '%2'")
                          .arg(roleId(QStringLiteral("finance")), Carl));
        expectRefused(*as, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"),
                      {Alpha, QStringLiteral("new@alpha.example"), QStringLiteral("New"),
                       roleId(QStringLiteral("admin"))});

        // What is held may be given (the positive control).
        QSqlQuery ok(as->database());
        ok.prepare(insert);
        ok.addBindValue(Clerk);
        ok.addBindValue(QStringLiteral("invoices.read"));
        QVERIFY2(ok.exec(), qPrintable(ok.lastError().text()));

        // An organization's Admin holds no platform permission either.
        auto admin = alphaAdmin();
        QVERIFY(admin);
        auto asAdmin = connectAs(admin.value());
        QVERIFY2(asAdmin->isOpen(), qPrintable(asAdmin->error()));
        expectRefused(*asAdmin, insert, {Clerk, QStringLiteral("plans.manage")});
        expectRefused(*asAdmin, QStringLiteral("INSERT INTO products (name) VALUES ('Mine')"));
    }

    void cannotChangeRolesOrPolicies()
    {
        auto op = alphaAdmin();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString login = op.value().login;
        expectRefused(*as, QStringLiteral("CREATE ROLE intruder LOGIN SUPERUSER"));
        expectRefused(*as, QStringLiteral("CREATE ROLE intruder"));
        expectRefused(*as, QStringLiteral("ALTER ROLE %1 SUPERUSER").arg(login));
        expectRefused(*as, QStringLiteral("ALTER ROLE %1 CREATEROLE").arg(login));
        expectRefused(*as, QStringLiteral("ALTER ROLE %1 BYPASSRLS").arg(login));
        expectRefused(*as, QStringLiteral("GRANT nobill_service TO %1").arg(login));
        expectRefused(*as, QStringLiteral("GRANT nobill_operator TO nobill_service"));
        expectRefused(*as, QStringLiteral("ALTER ROLE nobill_owner PASSWORD 'x'"));
        expectRefused(*as, QStringLiteral("SET ROLE nobill_owner"));
        expectRefused(*as, QStringLiteral("SET ROLE nobill_service"));
        expectRefused(*as, QStringLiteral("SET SESSION AUTHORIZATION nobill_owner"));
        expectRefused(*as, QStringLiteral("ALTER POLICY organizations_select ON organizations "
                                          "USING (true)"));
        expectRefused(*as, QStringLiteral("DROP POLICY organizations_select ON organizations"));
        expectRefused(*as, QStringLiteral("CREATE POLICY mine ON organizations USING (true)"));
        expectRefused(*as, QStringLiteral("ALTER TABLE organizations DISABLE ROW LEVEL SECURITY"));
        expectRefused(*as, QStringLiteral("ALTER TABLE organizations NO FORCE ROW LEVEL SECURITY"));
        // Without the grant option this only warns "no privileges were granted".
        expectRefused(*as, QStringLiteral("GRANT UPDATE ON organizations TO nobill_operator"), {},
                      QString());
        expectRefused(*as, QStringLiteral("GRANT SELECT ON audit_chain TO nobill_operator"));
        expectRefused(*as, QStringLiteral("CREATE TABLE mine (x int)"));
        expectRefused(*as, QStringLiteral("CREATE OR REPLACE FUNCTION nobill_is_platform_admin() "
                                          "RETURNS boolean LANGUAGE sql AS 'SELECT true'"));
        expectRefused(*as, QStringLiteral("ALTER TABLE audit_log DISABLE TRIGGER USER"));
    }

    void cannotActOnAnotherOrganization()
    {
        auto op = alphaAdmin();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString verifier =
            scramVerifier(m_db->connectionName(), QStringLiteral("x"), QStringLiteral("pw"))
                .value();
        const QString grant = QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)");
        // Dora is Beta's only.
        expectRefused(*as, grant, {Dora, QStringLiteral("dora_login"), verifier});
        // Emil is also Beta's: whoever sets his password could act as him in Beta.
        expectRefused(*as, grant, {Emil, QStringLiteral("emil_login"), verifier});
        expectRefused(*as, QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"), {Dora});
        expectRefused(*as, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"),
                      {Beta, QStringLiteral("spy@alpha.example"), QStringLiteral("Spy"),
                       roleId(QStringLiteral("viewer"))});
        // Alpha's custom role is not Beta's to give.
        expectRefused(*as, QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"),
                      {Beta, QStringLiteral("spy@alpha.example"), QStringLiteral("Spy"), Clerk});
        // A platform admin's login is managed by platform admins only.
        auto platform = test::createOperator(*m_db, QStringLiteral("root_admin"), true,
                                             {{Alpha, QStringLiteral("viewer")}});
        QVERIFY(platform);
        expectRefused(*as, grant, {platform.value().userId, QStringLiteral("ignored"), verifier});
        expectRefused(*as, QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"),
                      {platform.value().userId});
        // Their rows are not even there to change.
        expectRefused(
            *as, QStringLiteral("UPDATE organizations SET name = 'Mine' WHERE id = '%1'").arg(Beta),
            {}, QString());
        expectRefused(
            *as, QStringLiteral("DELETE FROM memberships WHERE organization_id = '%1'").arg(Beta),
            {}, QString());
        QCOMPARE(ownerScalar(QStringLiteral("SELECT count(*) FROM pg_roles WHERE rolname IN "
                                            "('dora_login', 'emil_login')"))
                     .toInt(),
                 0);

        // Within Alpha it works (the positive control), and the new login is a plain operator.
        QSqlQuery ok(as->database());
        ok.prepare(grant);
        ok.addBindValue(Carl);
        ok.addBindValue(QString(m_db->name() + QStringLiteral("_carl")));
        ok.addBindValue(verifier);
        QVERIFY2(ok.exec(), qPrintable(ok.lastError().text()));
        QCOMPARE(ownerScalar(QStringLiteral("SELECT rolcanlogin AND rolinherit AND NOT rolsuper "
                                            "AND NOT rolcreaterole AND NOT rolcreatedb AND NOT "
                                            "rolbypassrls AND NOT rolreplication AND "
                                            "pg_has_role(oid, 'nobill_operator', 'MEMBER') AND "
                                            "rolpassword LIKE 'SCRAM-SHA-256$%' FROM pg_authid "
                                            "WHERE rolname = '%1_carl'")
                                 .arg(m_db->name()))
                     .toBool(),
                 true);
        QCOMPARE(ownerScalar(QStringLiteral("SELECT login_role || ' ' || must_change_password "
                                            "FROM users WHERE id = '%1'")
                                 .arg(Carl))
                     .toString(),
                 m_db->name() + QStringLiteral("_carl true"));
    }

    void cannotWriteTheAuditTrail()
    {
        auto op = test::createOperator(*m_db, QStringLiteral("root_admin"), true, {});
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        // Not even a platform admin.
        expectRefused(*as, QStringLiteral("INSERT INTO audit_log (action, entity) VALUES "
                                          "('insert', 'organizations')"));
        expectRefused(*as, QStringLiteral("UPDATE audit_log SET after = '{}'"));
        expectRefused(*as, QStringLiteral("DELETE FROM audit_log"));
        expectRefused(*as, QStringLiteral("TRUNCATE audit_log"));
        expectRefused(*as, QStringLiteral("UPDATE audit_chain SET last_id = 0"));
        expectRefused(*as, QStringLiteral("SELECT * FROM audit_chain"));
        QVERIFY(ownerScalar(QStringLiteral("SELECT intact FROM nobill_audit_verify()")).toBool());

        // The service cannot either.
        auto service = test::createServiceLogin(*m_db, QStringLiteral("service"));
        QVERIFY(service);
        ScopedConnection asService(service.value());
        QVERIFY2(asService.isOpen(), qPrintable(asService.error()));
        expectRefused(asService, QStringLiteral("DELETE FROM audit_log"));
        expectRefused(asService, QStringLiteral("SELECT * FROM audit_log"));
        expectRefused(asService, QStringLiteral("SELECT * FROM nobill_audit_verify()"));
    }

    void cannotMakeThemselvesPlatformAdmin()
    {
        auto op = alphaAdmin();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString me = op.value().userId;
        expectRefused(
            *as,
            QStringLiteral("UPDATE users SET is_platform_admin = true WHERE id = '%1'").arg(me));
        expectRefused(*as, QStringLiteral("UPDATE users SET email = 'boss@alpha.example' WHERE "
                                          "id = '%1'")
                               .arg(me));
        expectRefused(*as, QStringLiteral("UPDATE users SET login_role = 'nobill_owner' WHERE "
                                          "id = '%1'")
                               .arg(me));
        expectRefused(*as, QStringLiteral("INSERT INTO users (email, display_name, "
                                          "is_platform_admin) VALUES ('x@y.example', 'X', true)"));
        // Others' rows are not one's to change (0 rows).
        expectRefused(
            *as,
            QStringLiteral("UPDATE users SET is_platform_admin = true WHERE id = '%1'").arg(Carl),
            {}, QString());
        // One's own display name is.
        QSqlQuery ok(as->database());
        QVERIFY2(ok.exec(QStringLiteral("UPDATE users SET display_name = 'Anna B.' WHERE id = '%1'")
                             .arg(me)),
                 qPrintable(ok.lastError().text()));
        QCOMPARE(ok.numRowsAffected(), 1);
        // A disabled person can do nothing at all.
        QSqlQuery disable(owner());
        QVERIFY(disable.exec(
            QStringLiteral("UPDATE users SET disabled_at = now() WHERE id = '%1'").arg(me)));
        expectZero(*as, QStringLiteral("SELECT count(*) FROM organizations WHERE "
                                       "nobill_has_permission(id, 'tenants.read')"));
        expectZero(*as, QStringLiteral("SELECT cardinality(nobill_orgs_with('tenants.read'))"));
        QSqlQuery seen(as->database());
        QVERIFY(seen.exec(QStringLiteral("SELECT count(*) FROM organizations")));
        QVERIFY(seen.next());
        QCOMPARE(seen.value(0).toInt(), 0);
    }

    void cannotMoveRowsToAnotherOrganization()
    {
        auto op = test::createOperator(
            *m_db, QStringLiteral("both_admin"), false,
            {{Alpha, QStringLiteral("admin")}, {Beta, QStringLiteral("admin")}});
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        // Even with the right permissions in both organizations: organization_id is not
        // writable by operators at all.
        expectRefused(*as,
                      QStringLiteral("UPDATE subscriptions SET organization_id = '%1'").arg(Beta));
        expectRefused(*as, QStringLiteral("UPDATE memberships SET organization_id = '%1' WHERE "
                                          "user_id = '%2'")
                               .arg(Beta, Carl));
        expectRefused(*as, QStringLiteral("UPDATE roles SET organization_id = '%1' WHERE id = '%2'")
                               .arg(Beta, Clerk));
        expectRefused(*as, QStringLiteral("UPDATE organizations SET id = gen_random_uuid() WHERE "
                                          "id = '%1'")
                               .arg(Alpha));
        // Nor by the owner: a plain message names the rule.
        const QString before = state();
        QSqlQuery q(owner());
        QVERIFY(
            !q.exec(QStringLiteral("UPDATE subscriptions SET organization_id = '%1'").arg(Beta)));
        QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("23514"));
        QVERIFY(q.lastError().databaseText().contains(
            QLatin1String("subscriptions_organization_id_immutable")));
        QVERIFY(!q.exec(QStringLiteral("UPDATE roles SET organization_id = '%1' WHERE id = '%2'")
                            .arg(Beta, Clerk)));
        QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("23514"));
        QVERIFY(q.lastError().databaseText().contains(
            QLatin1String("roles_organization_id_immutable")));
        QCOMPARE(state(), before);
    }

    void temporaryTablesDoNotShadowTheRealOnes()
    {
        // A temporary table is found before public's tables unless search_path says
        // otherwise; the SECURITY DEFINER functions must keep reading the real ones.
        auto op = alphaAdmin();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QSqlDatabase db = as->database();
        QSqlQuery q(db);
        for (const QString &table : {QStringLiteral("users"), QStringLiteral("memberships"),
                                     QStringLiteral("role_permissions"),
                                     QStringLiteral("audit_log"), QStringLiteral("audit_chain"),
                                     QStringLiteral("organizations"), QStringLiteral("roles")}) {
            QVERIFY2(q.exec(QStringLiteral("CREATE TEMP TABLE %1 AS SELECT * FROM public.%1 "
                                           "WHERE false")
                                .arg(table)) ||
                         q.lastError().nativeErrorCode() == QLatin1String("42501"),
                     qPrintable(q.lastError().text()));
        }
        QVERIFY(q.exec(QStringLiteral("CREATE TEMP TABLE IF NOT EXISTS users (id uuid, email "
                                      "text, display_name text, login_role text, "
                                      "is_platform_admin boolean, disabled_at timestamptz)")));
        QVERIFY(q.exec(QStringLiteral("INSERT INTO pg_temp.users (id, email, display_name, "
                                      "login_role, is_platform_admin) VALUES ('%1', 'x@y.example', "
                                      "'X', '%2', true)")
                           .arg(op.value().userId, op.value().login)));
        QVERIFY(q.exec(QStringLiteral("SELECT nobill_is_platform_admin(), "
                                      "cardinality(nobill_orgs_with('tenants.read')), "
                                      "(SELECT count(*) FROM public.organizations)")));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toBool(), false);
        QCOMPARE(q.value(1).toInt(), 1);
        QCOMPARE(q.value(2).toInt(), 1);
        // Changes are still audited in the real trail.
        const qint64 before =
            ownerScalar(QStringLiteral("SELECT max(id) FROM audit_log")).toLongLong();
        QVERIFY(q.exec(QStringLiteral("UPDATE public.organizations SET city = 'Berlin' WHERE id = "
                                      "'%1'")
                           .arg(Alpha)));
        QCOMPARE(ownerScalar(QStringLiteral("SELECT count(*) FROM audit_log WHERE id > %1 AND "
                                            "login = '%2'")
                                 .arg(before)
                                 .arg(op.value().login))
                     .toInt(),
                 1);
        QVERIFY(ownerScalar(QStringLiteral("SELECT intact FROM nobill_audit_verify()")).toBool());
    }

    void injectionIsData()
    {
        auto op = alphaAdmin();
        QVERIFY(op);
        auto as = connectAs(op.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        const QString verifier =
            scramVerifier(m_db->connectionName(), QStringLiteral("x"), QStringLiteral("pw"))
                .value();
        const QString viewer = roleId(QStringLiteral("viewer"));
        const int rolesBefore =
            ownerScalar(QStringLiteral("SELECT count(*) FROM pg_roles")).toInt();

        int stored = 0;
        for (const QString &text : injectionStrings()) {
            // Login names: refused by the format check, nothing created.
            expectRefused(*as, QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)"),
                          {Carl, text, verifier}, QStringLiteral("P0001"));
            // Verifiers: refused unless they are SCRAM verifiers.
            expectRefused(*as, QStringLiteral("SELECT nobill_grant_console_access(?::uuid, ?, ?)"),
                          {Carl, QString(m_db->name() + QStringLiteral("_carl")), text},
                          QStringLiteral("P0001"));
            expectRefused(*as, QStringLiteral("SELECT nobill_set_own_password(?)"), {text},
                          QStringLiteral("P0001"));
            // Lookups: just no match.
            expectZero(*as, QStringLiteral("SELECT count(*) FROM nobill_find_user(?)"), {text});
            expectZero(*as, QStringLiteral("SELECT cardinality(nobill_orgs_with(?))"), {text});
            expectZero(*as, QStringLiteral("SELECT nobill_has_permission(?::uuid, ?)::int"),
                       {Alpha, text});

            // E-mail addresses and display names are stored as they are (when the
            // constraints accept them: an address needs an @ and a dot, a name at most 200
            // characters).
            const QString email =
                text.left(60).remove(QLatin1Char(' ')) + QStringLiteral("@x%1.example").arg(stored);
            QSqlQuery invite(as->database());
            invite.prepare(QStringLiteral("SELECT nobill_invite_user(?::uuid, ?, ?, ?::uuid)"));
            invite.addBindValue(Alpha);
            invite.addBindValue(email);
            invite.addBindValue(text);
            invite.addBindValue(viewer);
            if (text.size() > 200) {
                QVERIFY(!invite.exec());
                QCOMPARE(invite.lastError().nativeErrorCode(), QStringLiteral("23514"));
                continue;
            }
            QVERIFY2(invite.exec() && invite.next(), qPrintable(invite.lastError().text()));
            const QString id = invite.value(0).toString();
            QSqlQuery check(owner());
            check.prepare(
                QStringLiteral("SELECT email, display_name FROM users WHERE id = ?::uuid"));
            check.addBindValue(id);
            QVERIFY(check.exec() && check.next());
            QCOMPARE(check.value(0).toString(), email);
            QCOMPARE(check.value(1).toString(), text);
            QSqlQuery find(as->database());
            find.prepare(QStringLiteral("SELECT id FROM nobill_find_user(?)"));
            find.addBindValue(email.toUpper());
            QVERIFY(find.exec() && find.next());
            QCOMPARE(find.value(0).toString(), id);
            ++stored;
        }
        QVERIFY(stored >= 8);
        QCOMPARE(ownerScalar(QStringLiteral("SELECT count(*) FROM pg_roles")).toInt(), rolesBefore);
        QCOMPARE(ownerScalar(QStringLiteral("SELECT count(*) FROM organizations")).toInt(), 2);
        QVERIFY(ownerScalar(QStringLiteral("SELECT intact FROM nobill_audit_verify()")).toBool());
    }

    void functionsRefuseOthers()
    {
        // A viewer (no members.manage) learns nothing about people by e-mail, and a person
        // with a login cannot take their own access away or be deleted while they can sign in.
        auto viewer = test::createOperator(*m_db, QStringLiteral("viewer"), false,
                                           {{Alpha, QStringLiteral("viewer")}});
        QVERIFY(viewer);
        auto as = connectAs(viewer.value());
        QVERIFY2(as->isOpen(), qPrintable(as->error()));
        QSqlQuery find(as->database());
        QVERIFY(find.exec(
            QStringLiteral("SELECT count(*) FROM nobill_find_user('carl@alpha.example')")));
        QVERIFY(find.next());
        QCOMPARE(find.value(0).toInt(), 0);
        expectRefused(*as, QStringLiteral("SELECT * FROM nobill_audit_verify()"));
        expectRefused(*as, QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"),
                      {viewer.value().userId});

        auto root = test::createOperator(*m_db, QStringLiteral("root_admin"), true, {});
        QVERIFY(root);
        auto asRoot = connectAs(root.value());
        QVERIFY2(asRoot->isOpen(), qPrintable(asRoot->error()));
        expectRefused(*asRoot, QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"),
                      {root.value().userId}, QStringLiteral("P0001"));
        expectRefused(*asRoot, QStringLiteral("DELETE FROM users WHERE id = ?::uuid"),
                      {viewer.value().userId}, QStringLiteral("P0001"));

        // Revoking ends the viewer's session and sign-ins.
        QSqlQuery revoke(asRoot->database());
        revoke.prepare(QStringLiteral("SELECT nobill_revoke_console_access(?::uuid)"));
        revoke.addBindValue(viewer.value().userId);
        QVERIFY2(revoke.exec(), qPrintable(revoke.lastError().text()));
        QTest::qWait(200); // the session ends when its backend handles the signal
        QSqlQuery after(as->database());
        QVERIFY(!after.exec(QStringLiteral("SELECT 1")));
        ScopedConnection again(viewer.value().settings);
        QVERIFY(!again.isOpen());
        QCOMPARE(ownerScalar(QStringLiteral("SELECT login_role FROM users WHERE id = '%1'")
                                 .arg(viewer.value().userId))
                     .toString(),
                 viewer.value().login);
    }
};

QTEST_GUILESS_MAIN(EscalationTest)
#include "tst_escalation.moc"
