// Who may do what, asked of PostgreSQL itself: every tenant-scoped table (and the plan
// catalog) times SELECT/INSERT/UPDATE/DELETE times six real logins, each statement run in
// a transaction that is rolled back. The target rows all belong to Alpha.
//
// Actors:
//   admin    Admin of Alpha: every organization permission there ("own org, with it")
//   viewer   Viewer of Alpha: reads, changes nothing ("own org, without it" for writes)
//   nobody   member of Alpha with a role without permissions ("own org, without it" for reads)
//   other    Admin of Beta ("another org")
//   platform platform admin
//   service  a nobill_service login (nobillctl serve)
//
// Outcomes: A allowed (the row is returned or changed), R refused with 42501 (privilege or
// row-level security WITH CHECK), I invisible (not returned, 0 rows changed).

#include "testcluster.h"
#include "testoperators.h"

#include <QMap>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <memory>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {

const QString Alpha = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Beta = QStringLiteral("00000000-0000-0000-0000-0000000000b1");

// Alpha's rows, and a few of Beta's so that Beta's admin has something of their own.
const char *const Fixture[] = {
    "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'Alpha', 'alpha', 'billing@alpha.example', 'EUR'), "
    "('00000000-0000-0000-0000-0000000000b1', 'Beta', 'beta', 'billing@beta.example', 'USD')",
    // Carl is a member of Alpha; Dora of Beta only.
    "INSERT INTO users (id, email, display_name) VALUES "
    "('00000000-0000-0000-0000-0000000000c2', 'carl@alpha.example', 'Carl'), "
    "('00000000-0000-0000-0000-0000000000d2', 'dora@beta.example', 'Dora')",
    // Accountant: a custom role of Alpha (invoices.read), used by nobody. Nothing: no
    // permissions at all.
    "INSERT INTO roles (id, organization_id, name) VALUES "
    "('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1', "
    "'Accountant'), "
    "('00000000-0000-0000-0000-0000000000f2', '00000000-0000-0000-0000-0000000000a1', 'Nothing')",
    "INSERT INTO role_permissions (role_id, permission_key) VALUES "
    "('00000000-0000-0000-0000-0000000000f1', 'invoices.read')",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', id "
    "FROM roles WHERE key = 'support'",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000b1', '00000000-0000-0000-0000-0000000000d2', id "
    "FROM roles WHERE key = 'viewer'",
    "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-000000000d01', 'Cloud')",
    "INSERT INTO plans (id, product_id, name, amount, currency) VALUES "
    "('00000000-0000-0000-0000-000000000d11', '00000000-0000-0000-0000-000000000d01', 'Pro', "
    "4900, 'EUR'), "
    "('00000000-0000-0000-0000-000000000d12', '00000000-0000-0000-0000-000000000d01', 'Spare', "
    "100, 'EUR')",
    // 501 has an invoice and usage; 502 nothing (it can be deleted).
    "INSERT INTO subscriptions (id, organization_id, plan_id, status) VALUES "
    "('00000000-0000-0000-0000-000000000501', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000d11', 'active'), "
    "('00000000-0000-0000-0000-000000000502', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000d11', 'canceled'), "
    "('00000000-0000-0000-0000-000000000511', '00000000-0000-0000-0000-0000000000b1', "
    "'00000000-0000-0000-0000-000000000d11', 'active')",
    "INSERT INTO invoices (id, organization_id, subscription_id, number, status, currency, total) "
    "VALUES ('00000000-0000-0000-0000-000000000601', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000501', 'ALPHA-0001', 'open', 'EUR', 4900)",
    "INSERT INTO usage_records (id, organization_id, subscription_id, metric, quantity, "
    "occurred_at, idempotency_key) VALUES ('00000000-0000-0000-0000-000000000701', "
    "'00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000501', "
    "'api_calls', 10, now(), 'import-1/row-1')",
    "INSERT INTO stripe_events (id, type, stripe_created, payload, organization_id) VALUES "
    "('evt_alpha', 'invoice.paid', now(), '{}', '00000000-0000-0000-0000-0000000000a1'), "
    "('evt_platform', 'product.updated', now(), '{}', NULL)",
    "INSERT INTO jobs (id, organization_id, kind, idempotency_key) VALUES "
    "('00000000-0000-0000-0000-000000000801', '00000000-0000-0000-0000-0000000000a1', "
    "'invoice.send', 'job-alpha-1')",
};

enum Outcome { Allowed, Refused, Invisible };

struct Statement
{
    const char *table;
    const char *command;
    const char *sql;
    // One letter per actor, in the order of Actors below.
    const char *expected;
};

const char *const Actors[] = {"admin", "viewer", "nobody", "other", "platform", "service"};
constexpr int ActorCount = 6;

// %AUDIT% is replaced by the id of an audit row about Alpha.
const Statement Statements[] = {
    // admin, viewer, nobody, other, platform, service
    {"organizations", "SELECT",
     "SELECT count(*) FROM organizations WHERE id = '00000000-0000-0000-0000-0000000000a1'",
     "AAIIAA"},
    {"organizations", "INSERT",
     "INSERT INTO organizations (name, slug, billing_email, currency) VALUES ('Gamma', "
     "'gamma', 'billing@gamma.example', 'EUR')",
     "RRRRAR"},
    {"organizations", "UPDATE",
     "UPDATE organizations SET city = 'Berlin' WHERE id = '00000000-0000-0000-0000-0000000000a1'",
     "ARIIAR"},
    // Alpha still has subscriptions: deleting it is refused by a foreign key (23503), which
    // counts as allowed here (the row was visible and the delete attempted).
    {"organizations", "DELETE",
     "DELETE FROM organizations WHERE id = '00000000-0000-0000-0000-0000000000a1'", "IIIIAR"},

    {"users", "SELECT",
     "SELECT count(*) FROM users WHERE id = '00000000-0000-0000-0000-0000000000c2'", "AAIIAR"},
    {"users", "INSERT",
     "INSERT INTO users (email, display_name) VALUES ('eve@alpha.example', 'Eve')", "RRRRAR"},
    {"users", "UPDATE",
     "UPDATE users SET display_name = 'Carl C.' WHERE id = '00000000-0000-0000-0000-0000000000c2'",
     "IIIIAR"},
    {"users", "DELETE", "DELETE FROM users WHERE id = '00000000-0000-0000-0000-0000000000c2'",
     "IIIIAR"},

    {"memberships", "SELECT",
     "SELECT count(*) FROM memberships WHERE organization_id = "
     "'00000000-0000-0000-0000-0000000000a1' AND user_id = '00000000-0000-0000-0000-0000000000c2'",
     "AAIIAR"},
    {"memberships", "INSERT",
     "INSERT INTO memberships (organization_id, user_id, role_id) SELECT "
     "'00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000d2', "
     "'00000000-0000-0000-0000-0000000000f1'",
     "ARRRAR"},
    {"memberships", "UPDATE",
     "UPDATE memberships SET role_id = '00000000-0000-0000-0000-0000000000f1' WHERE "
     "organization_id = '00000000-0000-0000-0000-0000000000a1' AND user_id = "
     "'00000000-0000-0000-0000-0000000000c2'",
     "ARIIAR"},
    {"memberships", "DELETE",
     "DELETE FROM memberships WHERE organization_id = '00000000-0000-0000-0000-0000000000a1' AND "
     "user_id = '00000000-0000-0000-0000-0000000000c2'",
     "AIIIAR"},

    {"roles", "SELECT",
     "SELECT count(*) FROM roles WHERE id = '00000000-0000-0000-0000-0000000000f1'", "AAIIAR"},
    {"roles", "INSERT",
     "INSERT INTO roles (organization_id, name) VALUES ('00000000-0000-0000-0000-0000000000a1', "
     "'Auditor')",
     "ARRRAR"},
    {"roles", "UPDATE",
     "UPDATE roles SET description = 'Reads invoices' WHERE id = "
     "'00000000-0000-0000-0000-0000000000f1'",
     "ARIIAR"},
    {"roles", "DELETE", "DELETE FROM roles WHERE id = '00000000-0000-0000-0000-0000000000f1'",
     "AIIIAR"},

    {"role_permissions", "SELECT",
     "SELECT count(*) FROM role_permissions WHERE role_id = "
     "'00000000-0000-0000-0000-0000000000f1' AND permission_key = 'invoices.read'",
     "AAIIAR"},
    {"role_permissions", "INSERT",
     "INSERT INTO role_permissions (role_id, permission_key) VALUES "
     "('00000000-0000-0000-0000-0000000000f1', 'invoices.manage')",
     "ARRRAR"},
    {"role_permissions", "UPDATE",
     "UPDATE role_permissions SET permission_key = 'usage.read' WHERE role_id = "
     "'00000000-0000-0000-0000-0000000000f1'",
     "RRRRRR"},
    {"role_permissions", "DELETE",
     "DELETE FROM role_permissions WHERE role_id = '00000000-0000-0000-0000-0000000000f1' AND "
     "permission_key = 'invoices.read'",
     "AIIIAR"},

    {"subscriptions", "SELECT",
     "SELECT count(*) FROM subscriptions WHERE id = '00000000-0000-0000-0000-000000000501'",
     "AAIIAA"},
    {"subscriptions", "INSERT",
     "INSERT INTO subscriptions (organization_id, plan_id) VALUES "
     "('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-000000000d12')",
     "ARRRAA"},
    {"subscriptions", "UPDATE",
     "UPDATE subscriptions SET quantity = 5 WHERE id = '00000000-0000-0000-0000-000000000501'",
     "ARIIAA"},
    {"subscriptions", "DELETE",
     "DELETE FROM subscriptions WHERE id = '00000000-0000-0000-0000-000000000502'", "AIIIAR"},

    {"usage_records", "SELECT",
     "SELECT count(*) FROM usage_records WHERE id = '00000000-0000-0000-0000-000000000701'",
     "AAIIAA"},
    {"usage_records", "INSERT",
     "INSERT INTO usage_records (organization_id, metric, quantity, occurred_at, "
     "idempotency_key) VALUES ('00000000-0000-0000-0000-0000000000a1', 'api_calls', 5, now(), "
     "'import-2/row-1')",
     "ARRRAR"},
    {"usage_records", "UPDATE",
     "UPDATE usage_records SET reported_state = 'failed' WHERE id = "
     "'00000000-0000-0000-0000-000000000701'",
     "RRRRRA"},
    {"usage_records", "DELETE",
     "DELETE FROM usage_records WHERE id = '00000000-0000-0000-0000-000000000701'", "RRRRRR"},

    {"invoices", "SELECT",
     "SELECT count(*) FROM invoices WHERE id = '00000000-0000-0000-0000-000000000601'", "AAIIAA"},
    {"invoices", "INSERT",
     "INSERT INTO invoices (organization_id, currency) VALUES "
     "('00000000-0000-0000-0000-0000000000a1', 'EUR')",
     "ARRRAA"},
    {"invoices", "UPDATE",
     "UPDATE invoices SET status = 'void' WHERE id = '00000000-0000-0000-0000-000000000601'",
     "ARIIAA"},
    {"invoices", "DELETE", "DELETE FROM invoices WHERE id = '00000000-0000-0000-0000-000000000601'",
     "AIIIAR"},

    {"audit_log", "SELECT", "SELECT count(*) FROM audit_log WHERE id = %AUDIT%", "AAIIAR"},
    {"audit_log", "INSERT",
     "INSERT INTO audit_log (organization_id, action, entity) VALUES "
     "('00000000-0000-0000-0000-0000000000a1', 'insert', 'invoices')",
     "RRRRRR"},
    {"audit_log", "UPDATE", "UPDATE audit_log SET after = '{}' WHERE id = %AUDIT%", "RRRRRR"},
    {"audit_log", "DELETE", "DELETE FROM audit_log WHERE id = %AUDIT%", "RRRRRR"},

    {"stripe_events", "SELECT", "SELECT count(*) FROM stripe_events WHERE id = 'evt_alpha'",
     "AAIIAA"},
    {"stripe_events", "INSERT",
     "INSERT INTO stripe_events (id, type, stripe_created, payload) VALUES ('evt_new', "
     "'invoice.paid', now(), '{}')",
     "RRRRRA"},
    {"stripe_events", "UPDATE",
     "UPDATE stripe_events SET status = 'ignored' WHERE id = 'evt_alpha'", "RRIIAA"},
    {"stripe_events", "DELETE", "DELETE FROM stripe_events WHERE id = 'evt_alpha'", "RRRRRR"},

    {"jobs", "SELECT",
     "SELECT count(*) FROM jobs WHERE id = '00000000-0000-0000-0000-000000000801'", "AAIIAA"},
    {"jobs", "INSERT",
     "INSERT INTO jobs (organization_id, kind, idempotency_key) VALUES "
     "('00000000-0000-0000-0000-0000000000a1', 'invoice.send', 'job-alpha-2')",
     "RRRRAA"},
    {"jobs", "UPDATE",
     "UPDATE jobs SET status = 'cancelled' WHERE id = '00000000-0000-0000-0000-000000000801'",
     "RRIIAA"},
    {"jobs", "DELETE", "DELETE FROM jobs WHERE id = '00000000-0000-0000-0000-000000000801'",
     "IIIIAR"},

    // The shared catalog: every operator of this database reads it; only platform admins
    // change it (plans.manage is a platform permission); the service sets Stripe ids and
    // mirrors what Stripe says of a price: its nickname and archived state (migration 15).
    {"plans", "SELECT",
     "SELECT count(*) FROM plans WHERE id = '00000000-0000-0000-0000-000000000d11'", "AAAAAA"},
    {"plans", "INSERT",
     "INSERT INTO plans (product_id, name, amount, currency) VALUES "
     "('00000000-0000-0000-0000-000000000d01', 'Team', 9900, 'EUR')",
     "RRRRAR"},
    {"plans", "UPDATE",
     "UPDATE plans SET name = 'Pro 2' WHERE id = '00000000-0000-0000-0000-000000000d11'", "RRRRAA"},
    {"plans", "DELETE", "DELETE FROM plans WHERE id = '00000000-0000-0000-0000-000000000d12'",
     "IIIIAR"},
};

QString describe(Outcome outcome)
{
    switch (outcome) {
    case Allowed:
        return QStringLiteral("allowed");
    case Refused:
        return QStringLiteral("refused (42501)");
    case Invisible:
        return QStringLiteral("invisible");
    }
    return {};
}

} // namespace

Q_DECLARE_METATYPE(Outcome)

class AccessMatrixTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        m_db = std::make_unique<TestDatabase>();
        NOBILL_REQUIRE_DB(*m_db);
        const QSqlDatabase owner = QSqlDatabase::database(m_db->connectionName(), false);
        for (const char *statement : Fixture) {
            QSqlQuery q(owner);
            QVERIFY2(q.exec(QString::fromUtf8(statement)),
                     qPrintable(q.lastError().text() + QStringLiteral(" in ") +
                                QString::fromUtf8(statement)));
        }
        QSqlQuery audit(owner);
        QVERIFY(audit.exec(QStringLiteral("SELECT max(id) FROM audit_log WHERE entity = "
                                          "'invoices' AND organization_id = '%1'")
                               .arg(Alpha)));
        QVERIFY(audit.next() && !audit.value(0).isNull());
        m_auditId = audit.value(0).toString();

        QSqlQuery role(owner);
        QVERIFY(role.exec(QStringLiteral("SELECT id FROM roles WHERE key = 'admin'")));
        QVERIFY(role.next());
        const QString adminRole = role.value(0).toString();
        QVERIFY(role.exec(QStringLiteral("SELECT id FROM roles WHERE key = 'viewer'")));
        QVERIFY(role.next());
        const QString viewerRole = role.value(0).toString();
        const QString nothingRole = QStringLiteral("00000000-0000-0000-0000-0000000000f2");

        const QList<QPair<QString, QList<QPair<QString, QString>>>> people = {
            {QStringLiteral("admin"), {{Alpha, adminRole}}},
            {QStringLiteral("viewer"), {{Alpha, viewerRole}}},
            {QStringLiteral("nobody"), {{Alpha, nothingRole}}},
            {QStringLiteral("other"), {{Beta, adminRole}}},
        };
        for (const auto &person : people) {
            auto op = test::createOperatorWithRoles(*m_db, person.first, false, person.second);
            QVERIFY2(op, qPrintable(op ? QString() : op.error().message + op.error().detail));
            m_settings.insert(person.first, op.value().settings);
        }
        auto platform = test::createOperator(*m_db, QStringLiteral("platform"), true, {});
        QVERIFY2(platform, qPrintable(platform ? QString() : platform.error().detail));
        m_settings.insert(QStringLiteral("platform"), platform.value().settings);
        auto service = test::createServiceLogin(*m_db, QStringLiteral("service"));
        QVERIFY2(service, qPrintable(service ? QString() : service.error().detail));
        m_settings.insert(QStringLiteral("service"), service.value());

        for (auto it = m_settings.cbegin(); it != m_settings.cend(); ++it) {
            auto connection = std::make_shared<ScopedConnection>(it.value());
            QVERIFY2(connection->isOpen(), qPrintable(connection->error()));
            m_connections.insert(it.key(), connection);
        }
    }

    void matrix_data()
    {
        QTest::addColumn<QString>("actor");
        QTest::addColumn<QString>("sql");
        QTest::addColumn<Outcome>("expected");
        QTest::addColumn<bool>("isSelect");
        for (const Statement &s : Statements) {
            const QString expected = QString::fromLatin1(s.expected);
            Q_ASSERT(expected.size() == ActorCount);
            for (int i = 0; i < ActorCount; ++i) {
                const QChar letter = expected.at(i);
                const Outcome outcome = letter == QLatin1Char('A')   ? Allowed
                                        : letter == QLatin1Char('R') ? Refused
                                                                     : Invisible;
                QTest::addRow("%s %s as %s", s.table, s.command, Actors[i])
                    << QString::fromLatin1(Actors[i]) << QString::fromUtf8(s.sql) << outcome
                    << (qstrcmp(s.command, "SELECT") == 0);
            }
        }
    }

    void matrix()
    {
        QFETCH(QString, actor);
        QFETCH(QString, sql);
        QFETCH(Outcome, expected);
        QFETCH(bool, isSelect);
        ++m_cases;
        sql.replace(QStringLiteral("%AUDIT%"), m_auditId);

        QSqlDatabase db = m_connections.value(actor)->database();
        QVERIFY(db.transaction());
        QSqlQuery q(db);
        const bool ok = q.exec(sql);
        Outcome actual = Refused;
        QString state;
        if (ok) {
            if (isSelect) {
                QVERIFY(q.next());
                actual = q.value(0).toInt() > 0 ? Allowed : Invisible;
            } else {
                actual = q.numRowsAffected() > 0 ? Allowed : Invisible;
            }
        } else {
            state = q.lastError().nativeErrorCode();
            // A data rule (here: a foreign key) stops only statements that got past every
            // access check: the row was visible and the change attempted.
            actual = state == QLatin1String("23503") ? Allowed : Refused;
        }
        const QString error = q.lastError().text();
        q.finish();
        db.rollback();
        if (actual == Refused)
            QCOMPARE(state, QStringLiteral("42501"));
        QVERIFY2(actual == expected,
                 qPrintable(QStringLiteral("expected %1, got %2 %3")
                                .arg(describe(expected), describe(actual), error)));
        ++m_passed;
    }

    void cleanupTestCase()
    {
        qInfo().noquote() << QStringLiteral("access matrix: %1 cases (%2 statements x %3 "
                                            "actors), %4 passed")
                                 .arg(m_cases)
                                 .arg(std::size(Statements))
                                 .arg(ActorCount)
                                 .arg(m_passed);
        m_connections.clear();
        m_db.reset();
    }

private:
    std::unique_ptr<TestDatabase> m_db;
    QString m_auditId;
    QMap<QString, ConnectionSettings> m_settings;
    QMap<QString, std::shared_ptr<ScopedConnection>> m_connections;
    int m_cases = 0;
    int m_passed = 0;
};

QTEST_GUILESS_MAIN(AccessMatrixTest)
#include "tst_accessmatrix.moc"
