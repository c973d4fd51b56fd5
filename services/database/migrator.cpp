#include "database/migrator.h"

#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QLoggingCategory>
#include <QRegularExpression>
#include <QSqlError>

#include <algorithm>

Q_LOGGING_CATEGORY(lcMigrations, "nobill.migrations")

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::Migrator", text);
}

// Any constant works; it only has to be the same for every NOBill program.
constexpr qint64 MigrationLockKey = 0x4E4F42494C4C; // "NOBILL"

const QString MigrationsTable = QStringLiteral("nobill_schema_migrations");

Result<bool> migrationsTableExists(const QSqlDatabase &db)
{
    auto query = execSql(
        db, QStringLiteral("SELECT to_regclass('public.%1') IS NOT NULL").arg(MigrationsTable));
    if (!query)
        return query.error();
    query.value().next();
    return query.value().value(0).toBool();
}
} // namespace

Migrator::Migrator(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

QList<Migration> Migrator::knownMigrations()
{
    static const QRegularExpression pattern(QStringLiteral("^(\\d{4})_([a-z0-9_]+)\\.sql$"));
    QList<Migration> migrations;
    const QDir dir(QStringLiteral(":/migrations"));
    const QStringList files = dir.entryList({QStringLiteral("*.sql")}, QDir::Files, QDir::Name);
    for (const QString &file : files) {
        const auto match = pattern.match(file);
        if (!match.hasMatch()) {
            qCWarning(lcMigrations) << "ignoring migration with an unexpected name" << file;
            continue;
        }
        QFile f(dir.filePath(file));
        if (!f.open(QIODevice::ReadOnly))
            continue;
        Migration m;
        m.version = match.captured(1).toInt();
        m.name = match.captured(2);
        m.sql = f.readAll();
        m.checksum = QString::fromLatin1(
            QCryptographicHash::hash(m.sql, QCryptographicHash::Sha256).toHex());
        migrations.append(m);
    }
    std::sort(migrations.begin(), migrations.end(),
              [](const Migration &a, const Migration &b) { return a.version < b.version; });
    return migrations;
}

int Migrator::programVersion()
{
    const auto all = knownMigrations();
    return all.isEmpty() ? 0 : all.last().version;
}

Result<SchemaStatus> Migrator::status() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    SchemaStatus status;
    const QList<Migration> known = knownMigrations();
    status.programVersion = known.isEmpty() ? 0 : known.last().version;
    auto exists = migrationsTableExists(db);
    if (!exists)
        return exists.error();
    status.hasSchema = exists.value();
    QList<int> applied;
    if (status.hasSchema) {
        auto query = execSql(
            db, QStringLiteral("SELECT version FROM %1 ORDER BY version").arg(MigrationsTable));
        if (!query)
            return query.error();
        while (query.value().next())
            applied.append(query.value().value(0).toInt());
    }
    status.databaseVersion = applied.isEmpty() ? 0 : applied.last();
    for (const Migration &m : known) {
        if (!applied.contains(m.version))
            status.pending.append(m.version);
    }
    return status;
}

Status Migrator::verifyApplied(const QList<Migration> &known) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto query = execSql(
        db,
        QStringLiteral("SELECT version, checksum FROM %1 ORDER BY version").arg(MigrationsTable));
    if (!query)
        return query.error();
    const int programVersion = known.isEmpty() ? 0 : known.last().version;
    while (query.value().next()) {
        const int version = query.value().value(0).toInt();
        const QString checksum = query.value().value(1).toString();
        if (version > programVersion) {
            return makeError(ErrorKind::SchemaTooNew,
                             tr("This database's schema (version %1) is newer than this program "
                                "(version %2). Install the newer NOBill Console on this "
                                "machine; nothing was changed.")
                                 .arg(version)
                                 .arg(programVersion));
        }
        const auto it = std::find_if(known.cbegin(), known.cend(), [version](const Migration &m) {
            return m.version == version;
        });
        if (it == known.cend()) {
            return makeError(ErrorKind::SchemaTampered,
                             tr("The database records migration %1, which this program does not "
                                "have. The database was changed by another build; nothing was "
                                "changed.")
                                 .arg(version));
        }
        if (it->checksum != checksum) {
            return makeError(ErrorKind::SchemaTampered,
                             tr("Migration %1 (%2) differs from the one applied to this "
                                "database. Applied migrations must never change: restore the "
                                "original file, or add a new migration. Nothing was changed.")
                                 .arg(version)
                                 .arg(it->name));
        }
    }
    return {};
}

Result<int> Migrator::migrate()
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const QList<Migration> known = knownMigrations();
    if (known.isEmpty())
        return makeError(ErrorKind::Internal, tr("This program contains no migrations."));

    // A session-level lock spans the per-migration transactions; a second program waits here
    // and then finds nothing left to do.
    if (auto locked = execSql(db, QStringLiteral("SELECT pg_advisory_lock(?)"),
                              {QVariant::fromValue(MigrationLockKey)});
        !locked) {
        return locked.error();
    }
    auto unlock = [&db]() {
        // Failing to unlock is harmless: the lock ends with the session anyway.
        (void)execSql(db, QStringLiteral("SELECT pg_advisory_unlock(?)"),
                      {QVariant::fromValue(MigrationLockKey)});
    };

    auto exists = migrationsTableExists(db);
    if (!exists) {
        unlock();
        return exists.error();
    }
    if (!exists.value()) {
        auto created = execSql(db, QStringLiteral("CREATE TABLE %1 ("
                                                  " version integer PRIMARY KEY,"
                                                  " name text NOT NULL,"
                                                  " checksum text NOT NULL,"
                                                  " applied_at timestamptz NOT NULL DEFAULT now(),"
                                                  " applied_by text NOT NULL DEFAULT current_user)")
                                       .arg(MigrationsTable));
        if (!created) {
            unlock();
            return created.error();
        }
    }
    if (Status verified = verifyApplied(known); !verified) {
        unlock();
        return verified.error();
    }
    auto current = status();
    if (!current) {
        unlock();
        return current.error();
    }

    int applied = 0;
    for (const Migration &m : known) {
        if (!current.value().pending.contains(m.version))
            continue;
        Result<int> step = inTransaction(db, [&]() -> Result<int> {
            QSqlQuery query(db);
            // Executed as one simple-protocol string: a file holds many statements.
            // QPSQL reports the first statement's result from exec(); an error in a later
            // statement waits in a further result set, so walk them all before judging.
            bool ok = query.exec(QString::fromUtf8(m.sql));
            while (ok && query.nextResult()) {
            }
            if (!ok || query.lastError().isValid()) {
                Error error = translateSqlError(query.lastError());
                error.message = tr("Migration %1 (%2) failed and was rolled back: %3")
                                    .arg(m.version)
                                    .arg(m.name, error.message);
                return error;
            }
            auto recorded =
                execSql(db,
                        QStringLiteral("INSERT INTO %1 (version, name, checksum) VALUES (?, ?, ?)")
                            .arg(MigrationsTable),
                        {m.version, m.name, m.checksum});
            if (!recorded)
                return recorded.error();
            return 1;
        });
        if (!step) {
            unlock();
            return step.error();
        }
        qCInfo(lcMigrations) << "applied migration" << m.version << m.name;
        ++applied;
    }
    unlock();
    return applied;
}

} // namespace nobill
