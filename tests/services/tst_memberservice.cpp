// The members service against a real PostgreSQL: the people of an organization, invitations,
// roles, and console access; and the password policy every password path shares.

#include "testcluster.h"
#include "testoperators.h"

#include "access/passwordpolicy.h"
#include "members/memberservice.h"

#include <QRegularExpression>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;
using nobill::test::TestOperator;

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

QString roleId(const TestDatabase &db, const QString &key)
{
    return scalar(db, QStringLiteral("SELECT id::text FROM roles WHERE organization_id IS NULL "
                                     "AND key = '%1'")
                          .arg(key))
        .toString();
}

// Two tenants; Acme has `members` people named "Person 0001".. with role Viewer.
bool seed(const TestDatabase &db, int members)
{
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) "
                        "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                        "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                        .arg(Acme, Globex)) &&
           exec(db, QStringLiteral("INSERT INTO users (email, display_name) SELECT "
                                   "'person' || g || '@acme.example', 'Person ' || "
                                   "lpad(g::text, 4, '0') FROM generate_series(1, %1) g")
                        .arg(members)) &&
           exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                   "SELECT '%1', u.id, r.id FROM users u, roles r "
                                   "WHERE r.key = 'viewer' AND r.organization_id IS NULL")
                        .arg(Acme)) &&
           exec(db, QStringLiteral("INSERT INTO users (email, display_name) VALUES "
                                   "('wile@globex.example', 'Wile Coyote')")) &&
           exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                   "SELECT '%1', u.id, r.id FROM users u, roles r "
                                   "WHERE u.email = 'wile@globex.example' AND r.key = 'admin' "
                                   "AND r.organization_id IS NULL")
                        .arg(Globex));
}

QString userId(const TestDatabase &db, const QString &email)
{
    return scalar(db, QStringLiteral("SELECT id::text FROM users WHERE email = '%1'").arg(email))
        .toString();
}

QString message(const Error &error)
{
    return error.message;
}
} // namespace

class MemberServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void passwordPolicy_data()
    {
        QTest::addColumn<QString>("password");
        QTest::addColumn<QString>("login");
        QTest::addColumn<QString>("email");
        QTest::addColumn<QString>("problem"); // a word the first problem contains, or empty

        QTest::newRow("good") << QStringLiteral("Tulip-harbour-7") << QStringLiteral("anna_w")
                              << QStringLiteral("anna.w@acme.example") << QString();
        QTest::newRow("generated-like")
            << QStringLiteral("kP7mW2qZxR4tH9sN") << QString() << QString() << QString();
        QTest::newRow("too short") << QStringLiteral("Ab3defgh") << QString() << QString()
                                   << QStringLiteral("12 characters");
        QTest::newRow("contains login")
            << QStringLiteral("xxANNA_W2024yy") << QStringLiteral("anna_w") << QString()
            << QStringLiteral("login name");
        QTest::newRow("contains local part")
            << QStringLiteral("Hello-anna.w-99") << QStringLiteral("aw")
            << QStringLiteral("anna.w@acme.example") << QStringLiteral("email address");
        QTest::newRow("one class: lower") << QStringLiteral("abcdefghijklmn") << QString()
                                          << QString() << QStringLiteral("two kinds");
        QTest::newRow("one class: digits") << QStringLiteral("12345678901234") << QString()
                                           << QString() << QStringLiteral("two kinds");
        QTest::newRow("empty") << QString() << QString() << QString()
                               << QStringLiteral("12 characters");
    }

    void passwordPolicy()
    {
        QFETCH(QString, password);
        QFETCH(QString, login);
        QFETCH(QString, email);
        QFETCH(QString, problem);
        const QList<QString> problems = PasswordPolicy::problems(password, login, email);
        if (problem.isEmpty()) {
            QVERIFY2(problems.isEmpty(), qPrintable(problems.join(QLatin1Char(' '))));
        } else {
            QVERIFY(!problems.isEmpty());
            QVERIFY2(problems.first().contains(problem),
                     qPrintable(problems.join(QLatin1Char(' '))));
        }
    }

    void generatedPasswordsPassThePolicy()
    {
        QSet<QString> seen;
        static const QRegularExpression lookAlikes(QStringLiteral("[0O1lIo]"));
        for (int i = 0; i < 500; ++i) {
            const QString password = PasswordPolicy::generate();
            QVERIFY(password.size() >= 16);
            QVERIFY2(!password.contains(lookAlikes), qPrintable(password));
            QVERIFY2(PasswordPolicy::problems(password, QStringLiteral("xyz_login"),
                                              QStringLiteral("someone@example.com"))
                         .isEmpty(),
                     qPrintable(password));
            seen.insert(password);
        }
        QCOMPARE(seen.size(), 500);
    }

    void loginRules_data()
    {
        QTest::addColumn<QString>("login");
        QTest::addColumn<bool>("valid");
        QTest::newRow("simple") << QStringLiteral("anna") << true;
        QTest::newRow("underscore, digits") << QStringLiteral("anna_w2") << true;
        QTest::newRow("too short") << QStringLiteral("an") << false;
        QTest::newRow("leading digit") << QStringLiteral("1anna") << false;
        QTest::newRow("upper case") << QStringLiteral("Anna") << false;
        QTest::newRow("dot") << QStringLiteral("anna.w") << false;
        QTest::newRow("63 characters") << QString(63, QLatin1Char('a')) << true;
        QTest::newRow("64 characters") << QString(64, QLatin1Char('a')) << false;
    }

    void loginRules()
    {
        QFETCH(QString, login);
        QFETCH(bool, valid);
        QCOMPARE(PasswordPolicy::isValidLogin(login), valid);
    }

    void suggestedLogins()
    {
        QCOMPARE(PasswordPolicy::suggestLogin(QStringLiteral("Chloé.Dubois@brightwave.example")),
                 QStringLiteral("chloe_dubois"));
        QCOMPARE(PasswordPolicy::suggestLogin(QStringLiteral("42.jo@x.example")),
                 QStringLiteral("jo_"));
        QVERIFY(PasswordPolicy::isValidLogin(
            PasswordPolicy::suggestLogin(QStringLiteral("Ana-María O'Neil@x.example"))));
    }

    void scramVerifierIsMadeOnTheClient()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto verifier = scramVerifier(db.connectionName(), QStringLiteral("anna_w"),
                                      QStringLiteral("Tulip-harbour-7"));
        QVERIFY2(
            verifier,
            qPrintable(verifier ? QString() : verifier.error().message + verifier.error().detail));
        QVERIFY(verifier.value().startsWith(QLatin1String("SCRAM-SHA-256$4096:")));
        QVERIFY(!verifier.value().contains(QLatin1String("Tulip")));
        QVERIFY(!scramVerifier(QStringLiteral("no-such-connection"), QStringLiteral("anna_w"),
                               QStringLiteral("Tulip-harbour-7")));
    }

    void pagesFiltersAndSorts()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 250));
        MemberService service(db.connectionName());
        MemberQuery query;
        query.organizationId = Acme;
        QStringList names;
        std::optional<MemberCursor> after;
        int pages = 0;
        do {
            auto page = service.page(query, after, 100);
            QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
            for (const Member &m : page.value().rows)
                names << m.displayName;
            after = page.value().next;
            ++pages;
            QCOMPARE(page.value().hasMore, bool(after));
        } while (after);
        QCOMPARE(pages, 3);
        QCOMPARE(names.size(), 250);
        QCOMPARE(names.first(), QStringLiteral("Person 0001"));
        QCOMPARE(names.last(), QStringLiteral("Person 0250"));
        QCOMPARE(service.count(query).value(), 250);

        query.text = QStringLiteral("person12");
        auto filtered = service.page(query, std::nullopt, 100);
        QVERIFY(filtered);
        QCOMPARE(filtered.value().rows.size(), 11); // person12 and person120..129
        QCOMPARE(service.count(query).value(), 11);
        query.text = QStringLiteral("50%");
        QCOMPARE(service.count(query).value(), 0); // LIKE wildcards are literal

        query.text.clear();
        query.sort = MemberSort::Email;
        query.descending = true;
        auto byEmail = service.page(query, std::nullopt, 2);
        QVERIFY(byEmail);
        // Byte order (the test cluster's C collation): "person9@" sorts after "person99@".
        QCOMPARE(byEmail.value().rows.first().email, QStringLiteral("person9@acme.example"));
        QCOMPARE(byEmail.value().rows.last().email, QStringLiteral("person99@acme.example"));
        auto nextEmail = service.page(query, byEmail.value().next, 1);
        QVERIFY(nextEmail);
        QCOMPARE(nextEmail.value().rows.first().email, QStringLiteral("person98@acme.example"));

        query.sort = MemberSort::MemberSince;
        query.descending = false;
        std::optional<MemberCursor> cursor;
        QSet<QString> ids;
        do {
            auto page = service.page(query, cursor, 70);
            QVERIFY(page);
            for (const Member &m : page.value().rows)
                ids.insert(m.userId);
            cursor = page.value().next;
        } while (cursor);
        QCOMPARE(ids.size(), 250); // same timestamps: the id breaks ties, nothing repeats

        MemberQuery globex;
        globex.organizationId = Globex;
        auto other = service.page(globex, std::nullopt);
        QVERIFY(other);
        QCOMPARE(other.value().rows.size(), 1);
        QCOMPARE(other.value().rows.first().roleName, QStringLiteral("Admin"));
        QVERIFY(other.value().rows.first().roleIsBuiltin);

        MemberQuery none;
        auto empty = service.page(none, std::nullopt);
        QVERIFY(empty);
        QVERIFY(empty.value().rows.isEmpty());
    }

    void consoleAccessStates()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 4));
        MemberService service(db.connectionName());
        const QString p1 = userId(db, QStringLiteral("person1@acme.example"));
        const QString p2 = userId(db, QStringLiteral("person2@acme.example"));
        const QString p3 = userId(db, QStringLiteral("person3@acme.example"));
        QVERIFY(exec(db, QStringLiteral("CREATE ROLE states_enabled LOGIN; "
                                        "CREATE ROLE states_must LOGIN; "
                                        "CREATE ROLE states_off NOLOGIN")));
        QVERIFY(exec(db, QStringLiteral("UPDATE users SET login_role = 'states_enabled' "
                                        "WHERE id = '%1'")
                             .arg(p1)));
        QVERIFY(exec(db, QStringLiteral("UPDATE users SET login_role = 'states_must', "
                                        "must_change_password = true WHERE id = '%1'")
                             .arg(p2)));
        QVERIFY(exec(db, QStringLiteral("UPDATE users SET login_role = 'states_off' "
                                        "WHERE id = '%1'")
                             .arg(p3)));
        QCOMPARE(service.get(Acme, p1).value().access, ConsoleAccess::Enabled);
        QCOMPARE(service.get(Acme, p1).value().login, QStringLiteral("states_enabled"));
        QCOMPARE(service.get(Acme, p2).value().access, ConsoleAccess::MustChangePassword);
        QCOMPARE(service.get(Acme, p3).value().access, ConsoleAccess::Disabled);
        const QString p4 = userId(db, QStringLiteral("person4@acme.example"));
        QCOMPARE(service.get(Acme, p4).value().access, ConsoleAccess::None);
        QVERIFY(!service.get(Globex, p4)); // not a member there
        QCOMPARE(service.get(Globex, p4).error().kind, ErrorKind::NotFound);
        QVERIFY(exec(db, QStringLiteral("DROP ROLE states_enabled; DROP ROLE states_must; "
                                        "DROP ROLE states_off")));
    }

    void inviteValidatesBeforeAnythingIsSent_data()
    {
        QTest::addColumn<QString>("email");
        QTest::addColumn<QString>("name");
        QTest::addColumn<bool>("withRole");
        QTest::addColumn<QString>("problem");
        QTest::newRow("no email") << QString() << QStringLiteral("Anna") << true
                                  << QStringLiteral("email address");
        QTest::newRow("bad email") << QStringLiteral("anna@acme") << QStringLiteral("Anna") << true
                                   << QStringLiteral("such as");
        QTest::newRow("no name") << QStringLiteral("anna@acme.example") << QStringLiteral("   ")
                                 << true << QStringLiteral("name");
        QTest::newRow("no role") << QStringLiteral("anna@acme.example") << QStringLiteral("Anna")
                                 << false << QStringLiteral("role");
    }

    void inviteValidatesBeforeAnythingIsSent()
    {
        QFETCH(QString, email);
        QFETCH(QString, name);
        QFETCH(bool, withRole);
        QFETCH(QString, problem);
        InviteDraft draft{email, name,
                          withRole ? QStringLiteral("00000000-0000-0000-0000-000000000001")
                                   : QString()};
        const QList<QString> problems = MemberService::inviteProblems(draft);
        QCOMPARE(problems.size(), 1);
        QVERIFY2(problems.first().contains(problem), qPrintable(problems.first()));
        // The service refuses the same way, without a database.
        auto invited = MemberService(QStringLiteral("no-such-connection")).invite(Acme, draft);
        QVERIFY(!invited);
        QCOMPARE(invited.error().kind, ErrorKind::InvalidInput);
    }

    void inviteAddChangeRemove()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 2));
        MemberService service(db.connectionName());
        const QString finance = roleId(db, QStringLiteral("finance"));
        const QString support = roleId(db, QStringLiteral("support"));

        auto invited =
            service.invite(Acme, InviteDraft{QStringLiteral(" Rosa.Lopez@acme.example "),
                                             QStringLiteral("  Rosa   López "), finance});
        QVERIFY2(invited, qPrintable(invited ? QString() : message(invited.error())));
        QCOMPARE(invited.value().displayName, QStringLiteral("Rosa López"));
        QCOMPARE(invited.value().email, QStringLiteral("Rosa.Lopez@acme.example"));
        QCOMPARE(invited.value().roleName, QStringLiteral("Finance"));
        QCOMPARE(invited.value().access, ConsoleAccess::None);
        MemberQuery query;
        query.organizationId = Acme;
        QCOMPARE(service.count(query).value(), 3);

        // The same person into a second organization: found by email, whatever the case.
        auto found = service.findUser(QStringLiteral("rosa.lopez@ACME.example"));
        QVERIFY(found);
        QVERIFY(found.value().has_value());
        QCOMPARE(found.value()->id, invited.value().userId);
        auto added =
            service.addExisting(Globex, QStringLiteral("ROSA.LOPEZ@acme.example"), support);
        QVERIFY2(added, qPrintable(added ? QString() : message(added.error())));
        QCOMPARE(added.value().organizationId, Globex);
        QCOMPARE(added.value().roleName, QStringLiteral("Support"));

        auto again =
            service.addExisting(Globex, QStringLiteral("rosa.lopez@acme.example"), support);
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Conflict);
        QVERIFY2(again.error().message.contains(QLatin1String("already a member of Globex Corp")),
                 qPrintable(again.error().message));

        auto unknown =
            service.addExisting(Globex, QStringLiteral("nobody@nowhere.example"), support);
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().kind, ErrorKind::NotFound);
        QVERIFY(unknown.error().message.contains(QLatin1String("Invite")));

        auto changed = service.changeRole(Acme, invited.value().userId, support);
        QVERIFY2(changed, qPrintable(changed ? QString() : message(changed.error())));
        QCOMPARE(changed.value().roleName, QStringLiteral("Support"));

        // A custom role of another organization cannot be given here.
        QVERIFY(exec(db, QStringLiteral("INSERT INTO roles (id, organization_id, name) VALUES "
                                        "('00000000-0000-0000-0000-0000000000c1', '%1', "
                                        "'Globex clerk')")
                             .arg(Globex)));
        auto foreign = service.changeRole(Acme, invited.value().userId,
                                          QStringLiteral("00000000-0000-0000-0000-0000000000c1"));
        QVERIFY(!foreign);
        QVERIFY2(foreign.error().message.contains(QLatin1String("another organization")),
                 qPrintable(foreign.error().message));

        QVERIFY(service.remove(Acme, invited.value().userId));
        QCOMPARE(service.count(query).value(), 2);
        QVERIFY(service.get(Globex, invited.value().userId)); // still a member there
        Status twice = service.remove(Acme, invited.value().userId);
        QVERIFY(!twice);
        QCOMPARE(twice.error().kind, ErrorKind::NotFound);
    }

    void grantAndRevokeConsoleAccess()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 2));
        MemberService service(db.connectionName());
        const QString person = userId(db, QStringLiteral("person1@acme.example"));
        const QString other = userId(db, QStringLiteral("person2@acme.example"));

        auto badLogin = service.grantConsoleAccess(Acme, person, QStringLiteral("Person.One"),
                                                   QStringLiteral("Tulip-harbour-7"));
        QVERIFY(!badLogin);
        QCOMPARE(badLogin.error().kind, ErrorKind::InvalidInput);
        QVERIFY(badLogin.error().message.contains(QLatin1String("lower-case")));

        auto weak = service.grantConsoleAccess(Acme, person, QStringLiteral("grant_person1"),
                                               QStringLiteral("person1-abcdefgh"));
        QVERIFY(!weak);
        QCOMPARE(weak.error().kind, ErrorKind::InvalidInput);
        QVERIFY2(weak.error().message.contains(QLatin1String("email")),
                 qPrintable(weak.error().message));

        const QString password = PasswordPolicy::generate();
        auto granted =
            service.grantConsoleAccess(Acme, person, QStringLiteral("grant_person1"), password);
        QVERIFY2(granted, qPrintable(granted ? QString() : message(granted.error())));
        QCOMPARE(granted.value().login, QStringLiteral("grant_person1"));
        QCOMPARE(granted.value().access, ConsoleAccess::MustChangePassword);
        // The server holds a SCRAM verifier, never the password.
        const QString stored = scalar(db, QStringLiteral("SELECT rolpassword FROM pg_authid "
                                                         "WHERE rolname = 'grant_person1'"))
                                   .toString();
        QVERIFY2(stored.startsWith(QLatin1String("SCRAM-SHA-256$")), qPrintable(stored));
        QVERIFY(!stored.contains(password));

        auto again =
            service.grantConsoleAccess(Acme, person, QStringLiteral("grant_person1b"), password);
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Conflict);

        auto taken =
            service.grantConsoleAccess(Acme, other, QStringLiteral("grant_person1"), password);
        QVERIFY(!taken);
        QVERIFY2(taken.error().message.contains(QLatin1String("already taken")),
                 qPrintable(taken.error().message));

        auto revoked = service.revokeConsoleAccess(Acme, person);
        QVERIFY2(revoked, qPrintable(revoked ? QString() : message(revoked.error())));
        QCOMPARE(revoked.value().access, ConsoleAccess::Disabled);
        QVERIFY(!scalar(db, QStringLiteral("SELECT rolcanlogin FROM pg_roles "
                                           "WHERE rolname = 'grant_person1'"))
                     .toBool());

        auto nothing = service.revokeConsoleAccess(Acme, other);
        QVERIFY(!nothing);
        QVERIFY(nothing.error().message.contains(QLatin1String("no console access")));
    }
    // As console operators: what the database lets an Admin do, and what it refuses a Viewer.
    void adminManagesMembersOfTheirOrganization()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 3));
        auto admin = test::createOperator(db, QStringLiteral("admin"), false,
                                          {{Acme, QStringLiteral("admin")}});
        QVERIFY2(admin, qPrintable(admin ? QString() : message(admin.error())));
        ScopedConnection connection(admin.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        MemberService service(connection.name());
        const QString finance = roleId(db, QStringLiteral("finance"));
        const QString support = roleId(db, QStringLiteral("support"));

        MemberQuery query;
        query.organizationId = Acme;
        auto listed = service.page(query, std::nullopt);
        QVERIFY2(listed, qPrintable(listed ? QString() : message(listed.error())));
        QCOMPARE(listed.value().rows.size(), 4); // three people and the admin
        int selves = 0;
        for (const Member &m : listed.value().rows)
            selves += m.isSelf ? 1 : 0;
        QCOMPARE(selves, 1);

        auto invited = service.invite(Acme, InviteDraft{QStringLiteral("new@acme.example"),
                                                        QStringLiteral("New Person"), finance});
        QVERIFY2(invited, qPrintable(invited ? QString() : message(invited.error())));
        QCOMPARE(invited.value().roleName, QStringLiteral("Finance"));
        auto changed = service.changeRole(Acme, invited.value().userId, support);
        QVERIFY2(changed, qPrintable(changed ? QString() : message(changed.error())));
        QCOMPARE(changed.value().roleName, QStringLiteral("Support"));

        // Their own membership stays as it is.
        auto own = service.changeRole(Acme, admin.value().userId, finance);
        QVERIFY(!own);
        QCOMPARE(own.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(own.error().message.contains(QLatin1String("your own role")),
                 qPrintable(own.error().message));
        Status leave = service.remove(Acme, admin.value().userId);
        QVERIFY(!leave);
        QVERIFY(leave.error().message.contains(QLatin1String("yourself")));

        // Console access for someone who is only in Acme: allowed; the plaintext stays here.
        auto granted = service.grantConsoleAccess(Acme, invited.value().userId,
                                                  db.name() + QStringLiteral("_newp"),
                                                  PasswordPolicy::generate());
        QVERIFY2(granted, qPrintable(granted ? QString() : message(granted.error())));
        QCOMPARE(granted.value().access, ConsoleAccess::MustChangePassword);
        auto revoked = service.revokeConsoleAccess(Acme, invited.value().userId);
        QVERIFY2(revoked, qPrintable(revoked ? QString() : message(revoked.error())));
        QCOMPARE(revoked.value().access, ConsoleAccess::Disabled);

        // Someone who is also in Globex, where this admin may not manage members: refused.
        const QString wile = userId(db, QStringLiteral("wile@globex.example"));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, "
                                        "role_id) VALUES ('%1', '%2', '%3')")
                             .arg(Acme, wile, roleId(db, QStringLiteral("viewer")))));
        auto elsewhere = service.grantConsoleAccess(Acme, wile, db.name() + QStringLiteral("_wile"),
                                                    PasswordPolicy::generate());
        QVERIFY(!elsewhere);
        QCOMPARE(elsewhere.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(elsewhere.error().message.contains(QLatin1String("every organization")),
                 qPrintable(elsewhere.error().message));

        // Globex is not theirs at all.
        auto foreign = service.invite(
            Globex, InviteDraft{QStringLiteral("x@globex.example"), QStringLiteral("X"), finance});
        QVERIFY(!foreign);
        QVERIFY(foreign.error().kind == ErrorKind::NotFound ||
                foreign.error().kind == ErrorKind::PermissionDenied);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM users WHERE email = "
                                           "'x@globex.example'"))
                     .toInt(),
                 0);
    }

    void viewerIsRefusedWithASentenceAndNothingChanges()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db, 3));
        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : message(viewer.error())));
        ScopedConnection connection(viewer.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        MemberService service(connection.name());
        const QString finance = roleId(db, QStringLiteral("finance"));
        const QString person = userId(db, QStringLiteral("person1@acme.example"));
        const QString expected = QStringLiteral("You don't have permission to change members of "
                                                "Acme Ltd.");
        const int before = scalar(db, QStringLiteral("SELECT count(*) FROM memberships")).toInt();
        const int audited = scalar(db, QStringLiteral("SELECT count(*) FROM audit_log")).toInt();

        MemberQuery query;
        query.organizationId = Acme;
        QCOMPARE(service.count(query).value(), 4); // a viewer sees the members
        QVERIFY(!service.hasPermission(Acme, QStringLiteral("members.manage")).value());
        QVERIFY(service.hasPermission(Acme, QStringLiteral("tenants.read")).value());

        auto invited = service.invite(
            Acme, InviteDraft{QStringLiteral("new@acme.example"), QStringLiteral("New"), finance});
        QVERIFY(!invited);
        QCOMPARE(invited.error().kind, ErrorKind::PermissionDenied);
        QCOMPARE(invited.error().message, expected);
        auto added = service.addExisting(Acme, QStringLiteral("wile@globex.example"), finance);
        QVERIFY(!added);
        QCOMPARE(added.error().kind, ErrorKind::PermissionDenied);
        auto changed = service.changeRole(Acme, person, finance);
        QVERIFY(!changed);
        QCOMPARE(changed.error().message, expected);
        Status removed = service.remove(Acme, person);
        QVERIFY(!removed);
        QCOMPARE(removed.error().message, expected);
        auto granted = service.grantConsoleAccess(Acme, person, db.name() + QStringLiteral("_p1"),
                                                  PasswordPolicy::generate());
        QVERIFY(!granted);
        QCOMPARE(granted.error().message, expected);

        // Straight to the table, as a psql session would: the database refuses too.
        QSqlQuery direct(connection.database());
        QVERIFY(!direct.exec(QStringLiteral("UPDATE memberships SET role_id = '%1' "
                                            "WHERE user_id = '%2'")
                                 .arg(finance, person)));
        QVERIFY(direct.exec(
            QStringLiteral("DELETE FROM memberships WHERE user_id = '%1'").arg(person)));
        QCOMPARE(direct.numRowsAffected(), 0);

        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships")).toInt(), before);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log")).toInt(), audited);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM users WHERE email = "
                                           "'new@acme.example'"))
                     .toInt(),
                 0);
    }
};

QTEST_MAIN(MemberServiceTest)
#include "tst_memberservice.moc"
