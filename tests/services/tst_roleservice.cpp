// The roles service against a real PostgreSQL: built-in and custom roles of an organization,
// the permission catalog, and permission changes that are all or nothing.

#include "testcluster.h"
#include "testoperators.h"

#include "roles/roleservice.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning("%s in %s", qPrintable(q.lastError().text()), qPrintable(sql));
        return false;
    }
    return true;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

bool seed(const TestDatabase &db)
{
    return exec(
        db, QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                           "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                           "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                .arg(Acme, Globex));
}

QSet<QString> keys(std::initializer_list<const char *> list)
{
    QSet<QString> set;
    for (const char *key : list)
        set.insert(QLatin1String(key));
    return set;
}

QString text(const Error &error)
{
    return error.message;
}
} // namespace

class RoleServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void builtinsFirstThenCustomByName()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService service(db.connectionName());
        QVERIFY(service.create(Acme, RoleDraft{QStringLiteral("Zebra keeper"), QString()}));
        QVERIFY(service.create(Acme, RoleDraft{QStringLiteral("auditor"), QString()}));
        QVERIFY(service.create(Globex, RoleDraft{QStringLiteral("Globex only"), QString()}));
        auto roles = service.roles(Acme);
        QVERIFY2(roles, qPrintable(roles ? QString() : text(roles.error())));
        QStringList names;
        for (const Role &r : roles.value())
            names << r.name;
        QCOMPARE(names, (QStringList{QStringLiteral("Owner"), QStringLiteral("Admin"),
                                     QStringLiteral("Finance"), QStringLiteral("Support"),
                                     QStringLiteral("Viewer"), QStringLiteral("auditor"),
                                     QStringLiteral("Zebra keeper")}));
        QVERIFY(roles.value().at(0).isBuiltin);
        QCOMPARE(roles.value().at(0).key, QStringLiteral("owner"));
        QVERIFY(!roles.value().at(6).isBuiltin);
        QCOMPARE(roles.value().at(6).organizationId, Acme);
        // Admin has every organization-scope permission, and none of the platform ones.
        QVERIFY(roles.value().at(1).permissions.contains(QStringLiteral("members.manage")));
        QVERIFY(!roles.value().at(1).permissions.contains(QStringLiteral("plans.manage")));
    }

    void catalogAndMemberCounts()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO users (email, display_name) VALUES "
                                        "('a@x.example', 'A'), ('b@x.example', 'B')")));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, "
                                        "role_id) SELECT '%1', u.id, r.id FROM users u, roles r "
                                        "WHERE r.key = 'viewer' AND r.organization_id IS NULL")
                             .arg(Acme)));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, "
                                        "role_id) SELECT '%1', u.id, r.id FROM users u, roles r "
                                        "WHERE u.email = 'a@x.example' AND r.key = 'viewer' "
                                        "AND r.organization_id IS NULL")
                             .arg(Globex)));
        RoleService service(db.connectionName());
        auto catalog = service.catalog(Acme);
        QVERIFY2(catalog, qPrintable(catalog ? QString() : text(catalog.error())));
        QCOMPARE(catalog.value().organizationName, QStringLiteral("Acme Ltd"));
        QCOMPARE(catalog.value().permissions.size(), 15);
        QVERIFY(!catalog.value().permissions.first().isPlatformScope());
        QVERIFY(catalog.value().permissions.last().isPlatformScope());
        int viewers = -1;
        for (const Role &r : catalog.value().roles) {
            if (r.key == QLatin1String("viewer"))
                viewers = r.memberCount;
        }
        QCOMPARE(viewers, 2); // counted in Acme only
        QCOMPARE(service.catalog(Globex).value().roles.at(4).memberCount, 1);
        QVERIFY(!service.catalog(QStringLiteral("00000000-0000-0000-0000-00000000ffff")));
    }

    void createRenameDelete()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService service(db.connectionName());
        QVERIFY(!RoleService::draftProblems(RoleDraft{QStringLiteral("  "), QString()}).isEmpty());
        QVERIFY(!service.create(Acme, RoleDraft{QString(101, QLatin1Char('x')), QString()}));

        auto created = service.create(
            Acme, RoleDraft{QStringLiteral("  Billing   clerk "), QStringLiteral(" Invoices. ")});
        QVERIFY2(created, qPrintable(created ? QString() : text(created.error())));
        QCOMPARE(created.value().name, QStringLiteral("Billing clerk"));
        QCOMPARE(created.value().description, QStringLiteral("Invoices."));
        QVERIFY(!created.value().isBuiltin);
        QVERIFY(created.value().permissions.isEmpty());

        auto duplicate =
            service.create(Acme, RoleDraft{QStringLiteral("BILLING CLERK"), QString()});
        QVERIFY(!duplicate);
        QCOMPARE(duplicate.error().kind, ErrorKind::Conflict);
        QVERIFY2(duplicate.error().message.contains(QLatin1String("already has a role")),
                 qPrintable(duplicate.error().message));
        // Another organization may use the same name.
        QVERIFY(service.create(Globex, RoleDraft{QStringLiteral("Billing clerk"), QString()}));

        auto renamed = service.update(created.value().id,
                                      RoleDraft{QStringLiteral("Invoicing"), QStringLiteral("")});
        QVERIFY2(renamed, qPrintable(renamed ? QString() : text(renamed.error())));
        QCOMPARE(renamed.value().name, QStringLiteral("Invoicing"));

        const QString admin =
            scalar(db, QStringLiteral("SELECT id::text FROM roles WHERE key = 'admin'")).toString();
        auto builtin = service.update(admin, RoleDraft{QStringLiteral("Boss"), QString()});
        QVERIFY(!builtin);
        QVERIFY(builtin.error().message.contains(QLatin1String("built-in")));
        Status builtinDelete = service.remove(admin);
        QVERIFY(!builtinDelete);
        QVERIFY(builtinDelete.error().message.contains(QLatin1String("built-in")));

        QVERIFY(service.remove(created.value().id));
        QCOMPARE(service.remove(created.value().id).error().kind, ErrorKind::NotFound);
    }

    void deletingARoleInUseIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService service(db.connectionName());
        auto role = service.create(Acme, RoleDraft{QStringLiteral("Clerk"), QString()});
        QVERIFY(role);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO users (email, display_name) VALUES "
                                        "('a@x.example', 'A'), ('b@x.example', 'B')")));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, "
                                        "role_id) SELECT '%1', u.id, '%2' FROM users u")
                             .arg(Acme, role.value().id)));
        Status removed = service.remove(role.value().id);
        QVERIFY(!removed);
        QCOMPARE(removed.error().kind, ErrorKind::Conflict);
        QVERIFY2(removed.error().message.contains(QLatin1String("Clerk cannot be deleted")),
                 qPrintable(removed.error().message));
        QVERIFY2(removed.error().message.contains(QLatin1String("2 member")),
                 qPrintable(removed.error().message));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM roles WHERE id = '%1'")
                                .arg(role.value().id))
                     .toInt(),
                 1);
    }

    void permissionsChangeByDifference()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService service(db.connectionName());
        auto role = service.create(Acme, RoleDraft{QStringLiteral("Clerk"), QString()});
        QVERIFY(role);
        const QString id = role.value().id;

        auto first = service.setPermissions(id, keys({"tenants.read", "invoices.read"}));
        QVERIFY2(first, qPrintable(first ? QString() : text(first.error())));
        QCOMPARE(first.value(), keys({"tenants.read", "invoices.read"}));
        auto second =
            service.setPermissions(id, keys({"invoices.read", "invoices.manage", "usage.read"}));
        QVERIFY2(second, qPrintable(second ? QString() : text(second.error())));
        QCOMPARE(service.rolePermissions(id).value(),
                 keys({"invoices.read", "invoices.manage", "usage.read"}));
        // Only the difference was written: one delete and two inserts after the first save.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                           "'role_permissions' AND action = 'delete'"))
                     .toInt(),
                 1);

        auto platform = service.setPermissions(id, keys({"invoices.read", "plans.manage"}));
        QVERIFY(!platform);
        QVERIFY2(platform.error().message.contains(QLatin1String("plans.manage")),
                 qPrintable(platform.error().message));
        auto unknown = service.setPermissions(id, keys({"nothing.here"}));
        QVERIFY(!unknown);
        QCOMPARE(service.rolePermissions(id).value(),
                 keys({"invoices.read", "invoices.manage", "usage.read"})); // unchanged

        const QString viewer =
            scalar(db, QStringLiteral("SELECT id::text FROM roles WHERE key = 'viewer'"))
                .toString();
        auto builtin = service.setPermissions(viewer, keys({"tenants.read"}));
        QVERIFY(!builtin);
        QVERIFY(builtin.error().message.contains(QLatin1String("built-in")));
    }

    void matrixSaveIsAllOrNothing()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService service(db.connectionName());
        auto a = service.create(Acme, RoleDraft{QStringLiteral("A"), QString()});
        auto b = service.create(Acme, RoleDraft{QStringLiteral("B"), QString()});
        auto foreign = service.create(Globex, RoleDraft{QStringLiteral("G"), QString()});
        QVERIFY(a && b && foreign);

        QHash<QString, QSet<QString>> edits;
        edits.insert(a.value().id, keys({"tenants.read"}));
        edits.insert(b.value().id, keys({"jobs.manage"})); // platform scope: refused
        Status refused = service.setPermissions(Acme, edits);
        QVERIFY(!refused);
        QVERIFY(service.rolePermissions(a.value().id).value().isEmpty()); // rolled back

        edits.insert(b.value().id, keys({"usage.read", "usage.import"}));
        Status saved = service.setPermissions(Acme, edits);
        QVERIFY2(saved, qPrintable(saved ? QString() : text(saved.error())));
        QCOMPARE(service.rolePermissions(a.value().id).value(), keys({"tenants.read"}));
        QCOMPARE(service.rolePermissions(b.value().id).value(),
                 keys({"usage.read", "usage.import"}));

        QHash<QString, QSet<QString>> other;
        other.insert(foreign.value().id, keys({"tenants.read"}));
        Status elsewhere = service.setPermissions(Acme, other);
        QVERIFY(!elsewhere);
        QVERIFY(elsewhere.error().message.contains(QLatin1String("another organization")));
    }
    // As console operators: a role manager hands out only what they hold, never edits their
    // own role; a Viewer is refused with a sentence.
    void operatorsManageRolesWithinTheirOwnRights()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService owner(db.connectionName());
        auto manager = owner.create(Acme, RoleDraft{QStringLiteral("Role manager"), QString()});
        QVERIFY(manager);
        QVERIFY(owner.setPermissions(manager.value().id,
                                     keys({"tenants.read", "roles.manage", "usage.read"})));
        auto op = test::createOperatorWithRoles(db, QStringLiteral("rolemgr"), false,
                                                {{Acme, manager.value().id}});
        QVERIFY2(op, qPrintable(op ? QString() : text(op.error())));
        ScopedConnection connection(op.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        RoleService service(connection.name());

        auto created = service.create(Acme, RoleDraft{QStringLiteral("Analyst"), QString()});
        QVERIFY2(created, qPrintable(created ? QString() : text(created.error())));
        auto granted = service.setPermissions(created.value().id, keys({"usage.read"}));
        QVERIFY2(granted, qPrintable(granted ? QString() : text(granted.error())));

        auto beyond =
            service.setPermissions(created.value().id, keys({"usage.read", "invoices.manage"}));
        QVERIFY(!beyond);
        QCOMPARE(beyond.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(beyond.error().message.contains(QLatin1String("invoices.manage")),
                 qPrintable(beyond.error().message));
        QCOMPARE(owner.rolePermissions(created.value().id).value(), keys({"usage.read"}));

        auto ownRole =
            service.setPermissions(manager.value().id, keys({"tenants.read", "roles.manage"}));
        QVERIFY(!ownRole);
        QVERIFY2(ownRole.error().message.contains(QLatin1String("your own role")),
                 qPrintable(ownRole.error().message));

        auto renamed = service.update(created.value().id,
                                      RoleDraft{QStringLiteral("Usage analyst"), QString()});
        QVERIFY2(renamed, qPrintable(renamed ? QString() : text(renamed.error())));
        QVERIFY(service.remove(created.value().id));

        // Globex is not theirs.
        auto foreign = service.create(Globex, RoleDraft{QStringLiteral("Nope"), QString()});
        QVERIFY(!foreign);
    }

    void viewerCannotChangeRoles()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        RoleService owner(db.connectionName());
        auto clerk = owner.create(Acme, RoleDraft{QStringLiteral("Clerk"), QString()});
        QVERIFY(clerk);
        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : text(viewer.error())));
        ScopedConnection connection(viewer.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        RoleService service(connection.name());
        const QString expected =
            QStringLiteral("You don't have permission to manage the roles of Acme Ltd.");

        auto catalog = service.catalog(Acme);
        QVERIFY2(catalog, qPrintable(catalog ? QString() : text(catalog.error())));
        QCOMPARE(catalog.value().roles.size(), 6); // five built-ins and the clerk

        auto created = service.create(Acme, RoleDraft{QStringLiteral("Mine"), QString()});
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ErrorKind::PermissionDenied);
        QCOMPARE(created.error().message, expected);
        auto renamed = service.update(clerk.value().id, RoleDraft{QStringLiteral("X"), QString()});
        QVERIFY(!renamed);
        QCOMPARE(renamed.error().message, expected);
        Status removed = service.remove(clerk.value().id);
        QVERIFY(!removed);
        QCOMPARE(removed.error().message, expected);
        auto permissions = service.setPermissions(clerk.value().id, keys({"tenants.read"}));
        QVERIFY(!permissions);
        QCOMPARE(permissions.error().message, expected);

        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM roles WHERE organization_id "
                                           "IS NOT NULL"))
                     .toInt(),
                 1);
        QCOMPARE(
            scalar(db,
                   QStringLiteral("SELECT name FROM roles WHERE id = '%1'").arg(clerk.value().id))
                .toString(),
            QStringLiteral("Clerk"));
        QVERIFY(owner.rolePermissions(clerk.value().id).value().isEmpty());
    }
};

QTEST_MAIN(RoleServiceTest)
#include "tst_roleservice.moc"
