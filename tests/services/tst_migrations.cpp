// The Migrator against a real PostgreSQL: a fresh database reaches the program's schema,
// applied migrations are never applied twice nor silently changed, a newer schema is left
// alone, and two programs migrating at once do not trip over each other.

#include "testcluster.h"

#include "database/connection.h"
#include "database/migrator.h"

#include <QDeadlineTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <memory>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {

// The Migrator's advisory lock key (migrator.cpp); the concurrency test holds it itself to
// make both migrations wait at the same point.
constexpr qint64 MigrationLockKey = 0x4E4F42494C4C;

QVariant scalar(const QString &connectionName, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connectionName, false));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return {};
    }
    if (!q.next())
        return {};
    return q.value(0);
}

bool exec(const QString &connectionName, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connectionName, false));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return false;
    }
    return true;
}

// Everything a migration run could change: the recorded migrations (with their times), the
// tables, columns, constraints and functions of the public schema, and the rows the first
// migration writes.
QString snapshot(const QString &connectionName)
{
    return scalar(connectionName,
                  QStringLiteral(
                      "SELECT concat_ws('|',"
                      " (SELECT string_agg(version || ':' || name || ':' || checksum || ':' ||"
                      "   applied_at, ',' ORDER BY version) FROM nobill_schema_migrations),"
                      " (SELECT md5(string_agg(table_name || '.' || column_name || ':' ||"
                      "   data_type, ',' ORDER BY table_name, column_name))"
                      "  FROM information_schema.columns WHERE table_schema = 'public'),"
                      " (SELECT md5(string_agg(conname, ',' ORDER BY conname)) FROM pg_constraint"
                      "  WHERE connamespace = 'public'::regnamespace),"
                      " (SELECT md5(string_agg(proname, ',' ORDER BY proname)) FROM pg_proc"
                      "  WHERE pronamespace = 'public'::regnamespace),"
                      " (SELECT count(*) FROM pg_class WHERE relnamespace ="
                      "  'public'::regnamespace),"
                      " (SELECT count(*) FROM audit_log), (SELECT count(*) FROM roles))"))
        .toString();
}

bool tableExists(const QString &connectionName, const QString &table)
{
    return scalar(connectionName,
                  QStringLiteral("SELECT to_regclass('public.%1') IS NOT NULL").arg(table))
        .toBool();
}

QString describe(const Error &error)
{
    return error.message + QStringLiteral(" (") + error.detail + QLatin1Char(')');
}

} // namespace

class MigrationsTest : public QObject
{
    Q_OBJECT
private slots:
    void programCarriesItsMigrations()
    {
        const QList<Migration> known = Migrator::knownMigrations();
        QVERIFY(!known.isEmpty());
        QCOMPARE(known.first().version, 1);
        QCOMPARE(known.first().name, QStringLiteral("schema"));
        QCOMPARE(known.first().checksum.size(), 64);
        for (int i = 1; i < known.size(); ++i)
            QVERIFY(known.at(i - 1).version < known.at(i).version);
        QCOMPARE(Migrator::programVersion(), known.last().version);
        // The Migrator wraps each file in its own transaction.
        for (const Migration &m : known) {
            const QString sql = QString::fromUtf8(m.sql);
            QVERIFY2(!sql.contains(QLatin1String("\nBEGIN;")) &&
                         !sql.contains(QLatin1String("\nCOMMIT;")),
                     qPrintable(m.name));
        }
    }

    void freshDatabaseMigratesToCurrent()
    {
        TestDatabase db(false);
        NOBILL_REQUIRE_DB(db);
        Migrator migrator(db.connectionName());

        auto before = migrator.status();
        QVERIFY2(before, qPrintable(before ? QString() : describe(before.error())));
        QVERIFY(!before->hasSchema);
        QCOMPARE(before->databaseVersion, 0);
        QCOMPARE(before->pending.size(), Migrator::knownMigrations().size());
        QVERIFY(!before->isCurrent());

        auto applied = migrator.migrate();
        QVERIFY2(applied, qPrintable(applied ? QString() : describe(applied.error())));
        QCOMPARE(applied.value(), int(Migrator::knownMigrations().size()));

        auto after = migrator.status();
        QVERIFY(after);
        QVERIFY(after->hasSchema);
        QVERIFY(after->isCurrent());
        QCOMPARE(after->databaseVersion, Migrator::programVersion());
        QCOMPARE(after->programVersion, Migrator::programVersion());
        QVERIFY(after->pending.isEmpty());

        // The schema and its catalog rows are there.
        for (const char *table :
             {"organizations", "users", "permissions", "roles", "role_permissions", "memberships",
              "products", "plans", "subscriptions", "usage_records", "invoices", "audit_log",
              "stripe_events", "jobs"}) {
            QVERIFY2(tableExists(db.connectionName(), QLatin1String(table)), table);
        }
        QCOMPARE(
            scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM permissions")).toInt(),
            15);
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT string_agg(key, ',' ORDER BY key) FROM roles "
                                       "WHERE is_builtin"))
                     .toString(),
                 QStringLiteral("admin,finance,owner,support,viewer"));
        // The rows the migration wrote are audited as written by a migration, and the
        // setting does not outlive the migration's transaction.
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM audit_log WHERE source <> "
                                       "'migration'"))
                     .toInt(),
                 0);
        QVERIFY(
            scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM audit_log")).toInt() >
            0);
        QCOMPARE(
            scalar(db.connectionName(), QStringLiteral("SELECT current_setting('nobill.source')"))
                .toString(),
            QStringLiteral("cli"));
    }

    void rerunChangesNothing()
    {
        TestDatabase db(false);
        NOBILL_REQUIRE_DB(db);
        Migrator migrator(db.connectionName());
        auto first = migrator.migrate();
        QVERIFY2(first, qPrintable(first ? QString() : describe(first.error())));
        const QString before = snapshot(db.connectionName());
        QVERIFY(!before.isEmpty());

        auto second = migrator.migrate();
        QVERIFY2(second, qPrintable(second ? QString() : describe(second.error())));
        QCOMPARE(second.value(), 0);
        QCOMPARE(snapshot(db.connectionName()), before);
        QVERIFY(migrator.status()->isCurrent());
    }

    void tamperedChecksumIsRefused()
    {
        TestDatabase db; // migrated from the template
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("UPDATE nobill_schema_migrations SET checksum = 'x' "
                                    "WHERE version = 1")));
        const QString before = snapshot(db.connectionName());

        Migrator migrator(db.connectionName());
        auto result = migrator.migrate();
        QVERIFY(!result);
        QCOMPARE(result.error().kind, ErrorKind::SchemaTampered);
        const Migration first = Migrator::knownMigrations().first();
        QVERIFY2(result.error().message.contains(QString::number(first.version)) &&
                     result.error().message.contains(first.name),
                 qPrintable(result.error().message));
        QCOMPARE(snapshot(db.connectionName()), before);
    }

    void newerSchemaIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("INSERT INTO nobill_schema_migrations (version, name, "
                                    "checksum) VALUES (9999, 'from_the_future', 'f')")));
        const QString before = snapshot(db.connectionName());

        Migrator migrator(db.connectionName());
        auto status = migrator.status();
        QVERIFY(status);
        QVERIFY(status->isNewerThanProgram());
        QVERIFY(!status->isCurrent());
        QCOMPARE(status->databaseVersion, 9999);

        auto result = migrator.migrate();
        QVERIFY(!result);
        QCOMPARE(result.error().kind, ErrorKind::SchemaTooNew);
        QVERIFY2(result.error().message.contains(QLatin1String("9999")),
                 qPrintable(result.error().message));
        QCOMPARE(snapshot(db.connectionName()), before);
    }

    void newerSchemaOnEmptyDatabaseIsLeftAlone()
    {
        // A database a newer program started migrating: this program must not add its own
        // (older) tables to it.
        TestDatabase db(false);
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("CREATE TABLE nobill_schema_migrations (version integer "
                                    "PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, "
                                    "applied_at timestamptz NOT NULL DEFAULT now(), applied_by "
                                    "text NOT NULL DEFAULT current_user)")));
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("INSERT INTO nobill_schema_migrations (version, name, "
                                    "checksum) VALUES (9999, 'from_the_future', 'f')")));
        auto result = Migrator(db.connectionName()).migrate();
        QVERIFY(!result);
        QCOMPARE(result.error().kind, ErrorKind::SchemaTooNew);
        QVERIFY(!tableExists(db.connectionName(), QStringLiteral("organizations")));
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM nobill_schema_migrations"))
                     .toInt(),
                 1);
    }

    void concurrentMigrationsApplyOnce()
    {
        TestDatabase db(false);
        NOBILL_REQUIRE_DB(db);
        const ConnectionSettings settings = db.settings();

        // Hold the migration lock so that both migrations are certainly waiting for it at
        // the same time, then let them go.
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("SELECT pg_advisory_lock(%1)").arg(MigrationLockKey)));

        struct Outcome
        {
            bool connected = false;
            bool ok = false;
            int applied = -1;
            Error error;
        };
        Outcome outcomes[2];
        std::unique_ptr<QThread> threads[2];
        for (int i = 0; i < 2; ++i) {
            Outcome *outcome = &outcomes[i];
            threads[i].reset(QThread::create([settings, outcome]() {
                const QString name = uniqueConnectionName(QStringLiteral("test-migrate"));
                Status opened = openConnection(settings, name);
                if (!opened) {
                    outcome->error = opened.error();
                    return;
                }
                outcome->connected = true;
                Result<int> result = Migrator(name).migrate();
                outcome->ok = result.isOk();
                if (result)
                    outcome->applied = result.value();
                else
                    outcome->error = result.error();
                closeConnection(name);
            }));
            threads[i]->start();
        }

        // Both sessions queue on the advisory lock.
        QTRY_COMPARE_WITH_TIMEOUT(
            scalar(db.connectionName(),
                   QStringLiteral("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                                  "AND NOT granted AND database = (SELECT oid FROM pg_database "
                                  "WHERE datname = current_database())"))
                .toInt(),
            2, 20000);
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("SELECT pg_advisory_unlock(%1)").arg(MigrationLockKey)));

        for (auto &thread : threads)
            QVERIFY(thread->wait(QDeadlineTimer(60000)));
        for (const Outcome &outcome : outcomes) {
            QVERIFY2(outcome.connected && outcome.ok, qPrintable(describe(outcome.error)));
        }
        const int known = int(Migrator::knownMigrations().size());
        // One of them applied everything, the other found nothing left to do.
        QCOMPARE(outcomes[0].applied + outcomes[1].applied, known);
        QVERIFY(outcomes[0].applied == 0 || outcomes[1].applied == 0);
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM nobill_schema_migrations"))
                     .toInt(),
                 known);
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM roles WHERE is_builtin"))
                     .toInt(),
                 5);
        QVERIFY(Migrator(db.connectionName()).status()->isCurrent());
    }
};

QTEST_GUILESS_MAIN(MigrationsTest)
#include "tst_migrations.moc"
