#pragma once

#include "core/result.h"

#include <QList>
#include <QString>

namespace nobill {

struct Migration
{
    int version = 0;
    QString name; // from the file name: 0001_schema.sql -> "schema"
    QByteArray sql;
    QString checksum; // SHA-256 of the file, hex
};

struct SchemaStatus
{
    bool hasSchema = false;  // the migrations table exists
    int databaseVersion = 0; // highest applied version
    int programVersion = 0;  // highest version this program knows
    QList<int> pending;      // versions this program would apply
    bool isNewerThanProgram() const { return databaseVersion > programVersion; }
    bool isCurrent() const { return hasSchema && pending.isEmpty() && !isNewerThanProgram(); }
};

// Applies the versioned SQL files of resources/sql/migrations in order: each in one
// transaction, all under an advisory lock so two programs never migrate at once, and each
// recorded with its checksum. Refuses a database whose applied migrations were changed
// since, or whose schema is newer than this program.
class Migrator
{
public:
    explicit Migrator(QString connectionName);

    // The migrations compiled into this program (from the Qt resource :/migrations).
    static QList<Migration> knownMigrations();
    static int programVersion();

    Result<SchemaStatus> status() const;
    // Returns the number of migrations applied (0 when the schema was current).
    Result<int> migrate();

private:
    Status verifyApplied(const QList<Migration> &known) const;

    QString m_connectionName;
};

} // namespace nobill
