#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace nobill {

// One row of the audit trail (table audit_log): who changed what, when, from where.
struct AuditEntry
{
    qint64 id = 0; // gapless and increasing, in the order the rows were chained
    QDateTime occurredAt;
    QString login;            // the PostgreSQL login that made the change
    QString actorName;        // the person behind the login, when the operator may see them
    QString organizationId;   // empty for rows of the platform (catalog, people, ...)
    QString organizationName; // empty when unknown (deleted, or not visible)
    QString source;           // console, cli, webhook, worker, migration
    QString action;           // insert, update, delete, import
    QString entity;           // the table
    QString entityId;
    QStringList changedFields; // for an update: the columns that changed

    // Filled in by AuditService::get() only (the list leaves the row images out).
    bool hasImages = false;
    QJsonObject before;
    QJsonObject after;
    QJsonObject changed;
};

// One field of the before/after comparison of an audit row.
struct AuditFieldChange
{
    QString field;
    QString before; // the value as text ("null" for JSON null); empty when absent
    QString after;
    bool inBefore = false;
    bool inAfter = false;
    bool changed = false; // the update changed it, or it appeared or disappeared
};

// Every field of the row images, sorted by name; for an update, the changed ones are
// marked. An insert has only "after" values, a delete only "before" values.
QList<AuditFieldChange> auditDiff(const AuditEntry &entry);
// A JSON value as a person reads it: strings bare, objects and arrays as compact JSON.
QString auditValueText(const QJsonValue &value);

// The tables the audit triggers record, in the order the filter offers them.
QStringList auditedEntities();

// The list's filter and order, as typed values: widgets never build SQL.
struct AuditQuery
{
    QDateTime from; // inclusive; invalid = no lower bound
    QDateTime to;   // exclusive; invalid = no upper bound
    // Empty: every organization the operator may see (and platform rows for platform
    // admins); PlatformRows: only rows of no organization; else an organization id.
    QString organizationId;
    QString actor;  // a login, matched exactly (case-insensitive)
    QString entity; // a table name, or empty
    QString action; // insert/update/delete/import, or empty
    bool oldestFirst = false;
    // Start the list at this row (and go on from it in the list's order); 0 = from the
    // newest (or oldest). "Verify chain" jumps to a broken row with it.
    qint64 startAtId = 0;

    static QString platformRows() { return QStringLiteral("platform"); }
    bool isFiltered() const
    {
        return from.isValid() || to.isValid() || !organizationId.isEmpty() || !actor.isEmpty() ||
               !entity.isEmpty() || !action.isEmpty();
    }
};

// Keyset cursor: the id of the last row shown (ids are unique and ordered).
struct AuditCursor
{
    qint64 id = 0;
};

struct AuditPage
{
    QList<AuditEntry> rows;
    bool hasMore = false;
    std::optional<AuditCursor> next;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::AuditEntry)
