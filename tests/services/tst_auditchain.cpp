// The audit trail as operators produce it, and its hash chain: one row per change naming
// the login, the person and the source; nobill_audit_verify() intact after ordinary work, and
// an owner-side rewrite (edit, deletion, reordering, dropped tail) found at the right row.

#include "testcluster.h"
#include "testoperators.h"

#include "access/auditverifier.h"
#include "database/connection.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <memory>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {

const QString Alpha = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Carl = QStringLiteral("00000000-0000-0000-0000-0000000000c2");

const char *const Fixture[] = {
    "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', 'Alpha', 'alpha', 'billing@alpha.example', 'EUR')",
    "INSERT INTO users (id, email, display_name) VALUES "
    "('00000000-0000-0000-0000-0000000000c2', 'carl@alpha.example', 'Carl')",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000c2', id "
    "FROM roles WHERE key = 'viewer'",
};

bool exec(const QSqlDatabase &db, const QString &sql, QString *error = nullptr)
{
    QSqlQuery q(db);
    if (q.exec(sql))
        return true;
    if (error)
        *error = q.lastError().text();
    else
        qWarning().noquote() << q.lastError().text() << "in" << sql;
    return false;
}

QVariant scalar(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return {};
    }
    return q.value(0);
}

} // namespace

class AuditChainTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<TestDatabase> m_db;

    QSqlDatabase owner() const { return QSqlDatabase::database(m_db->connectionName(), false); }
    qint64 lastId() const
    {
        return scalar(owner(), QStringLiteral("SELECT coalesce(max(id), 0) FROM audit_log"))
            .toLongLong();
    }

    AuditVerification verify() const
    {
        Result<AuditVerification> v = verifyAuditTrail(m_db->connectionName());
        if (!v) {
            qWarning().noquote() << v.error().message << v.error().detail;
            return {};
        }
        return v.value();
    }

    // A few changes of different kinds, by the owner and by an operator.
    bool someWork(const QSqlDatabase &as)
    {
        return exec(as, QStringLiteral("UPDATE organizations SET city = 'Berlin' WHERE id = '%1'")
                            .arg(Alpha)) &&
               exec(as, QStringLiteral("INSERT INTO roles (organization_id, name) VALUES ('%1', "
                                       "'Clerk')")
                            .arg(Alpha)) &&
               exec(as, QStringLiteral("INSERT INTO role_permissions (role_id, permission_key) "
                                       "SELECT id, 'tenants.read' FROM roles WHERE name = "
                                       "'Clerk'")) &&
               exec(as, QStringLiteral("UPDATE memberships SET role_id = (SELECT id FROM roles "
                                       "WHERE name = 'Clerk') WHERE user_id = '%1'")
                            .arg(Carl)) &&
               exec(owner(), QStringLiteral("UPDATE organizations SET country = 'DE' WHERE id "
                                            "= '%1'")
                                 .arg(Alpha)) &&
               exec(as, QStringLiteral("DELETE FROM memberships WHERE user_id = '%1'").arg(Carl));
    }

private slots:
    void init()
    {
        m_db = std::make_unique<TestDatabase>();
        NOBILL_REQUIRE_DB(*m_db);
        for (const char *statement : Fixture)
            QVERIFY(exec(owner(), QString::fromUtf8(statement)));
    }
    void cleanup() { m_db.reset(); }

    void freshDatabaseIsChained()
    {
        const AuditVerification v = verify();
        QVERIFY2(v.intact, qPrintable(v.problem));
        QCOMPARE(v.rowsChecked,
                 scalar(owner(), QStringLiteral("SELECT count(*) FROM audit_log")).toLongLong());
        QVERIFY(v.rowsChecked > 50); // the built-in roles and their permissions, the fixture
        QCOMPARE(v.firstBrokenId, 0);
        // Ids are gapless and the chain links each row to the one before.
        QCOMPARE(scalar(owner(), QStringLiteral("SELECT count(*) = max(id) AND bool_and(prev_hash "
                                                "IS NOT DISTINCT FROM p) FROM (SELECT id, "
                                                "prev_hash, lag(hash) OVER (ORDER BY id) AS p "
                                                "FROM audit_log) x"))
                     .toBool(),
                 true);
    }

    void eachChangeYieldsOneRow()
    {
        auto op = test::createOperator(*m_db, QStringLiteral("admin"), false,
                                       {{Alpha, QStringLiteral("admin")}});
        QVERIFY2(op, qPrintable(op ? QString() : op.error().detail));
        ScopedConnection as(op.value().settings);
        QVERIFY2(as.isOpen(), qPrintable(as.error()));

        struct Change
        {
            QString sql;
            QString action;
            QString entity;
            QString changed; // keys of `changed`, sorted, for updates
        };
        const QList<Change> changes = {
            {QStringLiteral("UPDATE organizations SET city = 'Berlin', tax_id = 'DE123', version "
                            "= version + 1 WHERE id = '%1'")
                 .arg(Alpha),
             QStringLiteral("update"), QStringLiteral("organizations"),
             QStringLiteral("city,tax_id")},
            {QStringLiteral("INSERT INTO roles (organization_id, name) VALUES ('%1', 'Clerk')")
                 .arg(Alpha),
             QStringLiteral("insert"), QStringLiteral("roles"), QString()},
            {QStringLiteral("UPDATE memberships SET role_id = (SELECT id FROM roles WHERE key = "
                            "'support') WHERE user_id = '%1'")
                 .arg(Carl),
             QStringLiteral("update"), QStringLiteral("memberships"), QStringLiteral("role_id")},
            {QStringLiteral("DELETE FROM memberships WHERE user_id = '%1'").arg(Carl),
             QStringLiteral("delete"), QStringLiteral("memberships"), QString()},
        };
        for (const Change &change : changes) {
            const qint64 before = lastId();
            QString error;
            QVERIFY2(exec(as.database(), change.sql, &error), qPrintable(error));
            QSqlQuery q(owner());
            QVERIFY(q.exec(
                QStringLiteral("SELECT action, entity, organization_id::text, source, login, "
                               " app_user_id::text, (SELECT string_agg(k, ',' ORDER BY k) FROM "
                               " jsonb_object_keys(changed) AS k) FROM audit_log WHERE id > %1 "
                               "ORDER BY id")
                    .arg(before)));
            QVERIFY2(q.next(), qPrintable(change.sql));
            QCOMPARE(q.value(0).toString(), change.action);
            QCOMPARE(q.value(1).toString(), change.entity);
            QCOMPARE(q.value(2).toString(), Alpha);
            QCOMPARE(q.value(3).toString(), QStringLiteral("console"));
            QCOMPARE(q.value(4).toString(), op.value().login);
            QCOMPARE(q.value(5).toString(), op.value().userId);
            if (change.action == QLatin1String("update"))
                QCOMPARE(q.value(6).toString(), change.changed);
            QVERIFY2(!q.next(), qPrintable(QStringLiteral("more than one row for ") + change.sql));
        }

        // Revoking access changes no column, and is recorded all the same.
        auto root = test::createOperator(*m_db, QStringLiteral("root"), true, {});
        QVERIFY(root);
        ScopedConnection asRoot(root.value().settings);
        QVERIFY2(asRoot.isOpen(), qPrintable(asRoot.error()));
        const qint64 before = lastId();
        QVERIFY(exec(
            asRoot.database(),
            QStringLiteral("SELECT nobill_revoke_console_access('%1')").arg(op.value().userId)));
        QCOMPARE(scalar(owner(), QStringLiteral("SELECT login || ' ' || app_user_id || ' ' || "
                                                "entity_id || ' ' || changed::text FROM "
                                                "audit_log WHERE id > %1")
                                     .arg(before))
                     .toString(),
                 QStringLiteral("%1 %2 %3 {\"console_access\": false}")
                     .arg(root.value().login, root.value().userId, op.value().userId));

        const AuditVerification v = verify();
        QVERIFY2(v.intact, qPrintable(v.problem));
    }

    void intactAfterMixedWork()
    {
        auto op = test::createOperator(*m_db, QStringLiteral("admin"), false,
                                       {{Alpha, QStringLiteral("admin")}});
        QVERIFY(op);
        ScopedConnection as(op.value().settings);
        QVERIFY2(as.isOpen(), qPrintable(as.error()));
        QVERIFY(someWork(as.database()));
        // A failed transaction leaves no hole in the chain.
        QVERIFY(as.database().transaction());
        QVERIFY(exec(as.database(), QStringLiteral("UPDATE organizations SET city = 'Paris'")));
        QVERIFY(as.database().rollback());
        QVERIFY(exec(as.database(), QStringLiteral("UPDATE organizations SET city = 'Rome'")));

        const AuditVerification v = verify();
        QVERIFY2(v.intact, qPrintable(v.problem));
        QCOMPARE(v.rowsChecked,
                 scalar(owner(), QStringLiteral("SELECT count(*) FROM audit_log")).toLongLong());
        QCOMPARE(v.rowsChecked, lastId());
        // The time zone of the session does not matter.
        QVERIFY(exec(owner(), QStringLiteral("SET TimeZone = 'Pacific/Chatham'")));
        QVERIFY(verify().intact);
    }

    void concurrentTransactionsChainInCommitOrder()
    {
        // One transaction holds the chain; another, on its own thread, waits for it and then
        // appends after it.
        QVERIFY(owner().transaction());
        QVERIFY(exec(owner(), QStringLiteral("UPDATE organizations SET city = 'Berlin'")));
        const ConnectionSettings settings = m_db->settings();
        QString otherError;
        QThread *other = QThread::create([settings, &otherError]() {
            ScopedConnection c(settings);
            if (!c.isOpen()) {
                otherError = c.error();
                return;
            }
            QSqlQuery q(c.database());
            if (!q.exec(QStringLiteral("UPDATE users SET display_name = 'Carl C.'")))
                otherError = q.lastError().text();
        });
        other->start();
        QTest::qWait(300); // the other transaction is now waiting for the chain lock
        QVERIFY(exec(owner(), QStringLiteral("UPDATE organizations SET country = 'DE'")));
        QVERIFY(owner().commit());
        QVERIFY(other->wait(10000));
        delete other;
        QVERIFY2(otherError.isEmpty(), qPrintable(otherError));
        QCOMPARE(scalar(owner(), QStringLiteral("SELECT string_agg(entity, ',' ORDER BY id) FROM "
                                                "(SELECT * FROM audit_log ORDER BY id DESC LIMIT "
                                                "3) x"))
                     .toString(),
                 QStringLiteral("organizations,organizations,users"));
        QVERIFY(verify().intact);
    }

    void repeatableReadCannotFork()
    {
        // A snapshot taken before another transaction appended cannot see the new head: it
        // must fail (and be retried by its caller) rather than chain to a stale row.
        QVERIFY(owner().transaction());
        QVERIFY(exec(owner(), QStringLiteral("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")));
        QVERIFY(scalar(owner(), QStringLiteral("SELECT count(*) FROM organizations")).isValid());
        {
            ScopedConnection c(m_db->settings());
            QVERIFY2(c.isOpen(), qPrintable(c.error()));
            QVERIFY(exec(c.database(), QStringLiteral("UPDATE users SET display_name = 'C.'")));
        }
        QString error;
        QVERIFY(!exec(owner(), QStringLiteral("UPDATE organizations SET city = 'Oslo'"), &error));
        QVERIFY2(error.contains(QLatin1String("serialize")), qPrintable(error));
        owner().rollback();
        QVERIFY(verify().intact);
    }

    void detectsEditedRow()
    {
        QVERIFY(someWork(owner()));
        const qint64 target = lastId() - 3;
        QVERIFY(exec(owner(), QStringLiteral("UPDATE audit_log SET after = after || "
                                             "'{\"city\": \"Nowhere\"}' WHERE id = %1")
                                  .arg(target)));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, target);
        QCOMPARE(v.problem, QStringLiteral("the row was changed after it was written"));
        QCOMPARE(v.rowsChecked, lastId());
    }

    void detectsEditedRowWithRecomputedHash()
    {
        // An owner who also recomputes the edited row's hash breaks the next row's link.
        QVERIFY(someWork(owner()));
        const qint64 target = lastId() - 3;
        QVERIFY(exec(owner(), QStringLiteral("UPDATE audit_log a SET login = 'someone', hash = "
                                             "NULL WHERE id = %1")
                                  .arg(target)));
        QVERIFY(exec(owner(), QStringLiteral("UPDATE audit_log a SET hash = nobill_audit_hash(a) "
                                             "WHERE id = %1")
                                  .arg(target)));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, target + 1);
        QCOMPARE(v.problem, QStringLiteral("the row before it is missing or was rewritten"));
    }

    void detectsDeletedRow()
    {
        QVERIFY(someWork(owner()));
        const qint64 target = lastId() - 2;
        QVERIFY(exec(owner(), QStringLiteral("DELETE FROM audit_log WHERE id = %1").arg(target)));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, target + 1);
        QCOMPARE(v.problem, QStringLiteral("the row before it is missing or was rewritten"));
    }

    void detectsReorderedRows()
    {
        QVERIFY(someWork(owner()));
        const qint64 first = lastId() - 4;
        const qint64 second = lastId() - 1;
        QVERIFY(
            exec(owner(), QStringLiteral("UPDATE audit_log SET id = -1 WHERE id = %1").arg(first)));
        QVERIFY(exec(
            owner(),
            QStringLiteral("UPDATE audit_log SET id = %1 WHERE id = %2").arg(first).arg(second)));
        QVERIFY(exec(owner(),
                     QStringLiteral("UPDATE audit_log SET id = %1 WHERE id = -1").arg(second)));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, first);
        QCOMPARE(v.problem, QStringLiteral("rows were reordered or replaced here"));
    }

    void detectsDeletedNewestRows()
    {
        QVERIFY(someWork(owner()));
        const qint64 last = lastId();
        QVERIFY(exec(owner(), QStringLiteral("DELETE FROM audit_log WHERE id > %1").arg(last - 2)));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, last - 1);
        QVERIFY2(v.problem.contains(QLatin1String("newest rows")), qPrintable(v.problem));
    }

    void detectsDeletedFirstRows()
    {
        QVERIFY(exec(owner(), QStringLiteral("DELETE FROM audit_log WHERE id <= 2")));
        const AuditVerification v = verify();
        QVERIFY(!v.intact);
        QCOMPARE(v.firstBrokenId, 3);
        QCOMPARE(v.problem, QStringLiteral("the rows before it were deleted"));
    }
};

QTEST_GUILESS_MAIN(AuditChainTest)
#include "tst_auditchain.moc"
