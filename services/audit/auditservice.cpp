#include "audit/auditservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSqlDatabase>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::AuditService", text);
}

// The list leaves the row images out (they can be large); the detail reads them.
const QString ListColumns = QStringLiteral(
    "a.id, a.occurred_at, a.login, u.display_name, a.organization_id::text, o.name, a.source, "
    "a.action, a.entity, a.entity_id, "
    "(SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(a.changed) AS k)");
constexpr int ListColumnCount = 11;
// Names come from the tables the operator may see; a person or tenant they may not see (or
// one deleted since) leaves the login and the id.
const QString ListFrom =
    QStringLiteral(" FROM audit_log a LEFT JOIN users u ON u.id = a.app_user_id"
                   " LEFT JOIN organizations o ON o.id = a.organization_id");

AuditEntry readEntry(const QSqlQuery &q)
{
    AuditEntry e;
    e.id = q.value(0).toLongLong();
    e.occurredAt = q.value(1).toDateTime();
    e.login = q.value(2).toString();
    e.actorName = q.value(3).toString();
    e.organizationId = q.value(4).toString();
    e.organizationName = q.value(5).toString();
    e.source = q.value(6).toString();
    e.action = q.value(7).toString();
    e.entity = q.value(8).toString();
    e.entityId = q.value(9).toString();
    const QString changed = q.value(10).toString();
    if (!changed.isEmpty())
        e.changedFields = changed.split(QLatin1Char(','));
    return e;
}

QJsonObject jsonObject(const QVariant &value)
{
    if (value.isNull())
        return {};
    return QJsonDocument::fromJson(value.toString().toUtf8()).object();
}

Status appendFilters(const AuditQuery &query, QStringList &conditions, QVariantList &values)
{
    if (query.from.isValid()) {
        conditions << QStringLiteral("a.occurred_at >= ?::timestamptz");
        values << query.from.toUTC().toString(Qt::ISODateWithMs);
    }
    if (query.to.isValid()) {
        conditions << QStringLiteral("a.occurred_at < ?::timestamptz");
        values << query.to.toUTC().toString(Qt::ISODateWithMs);
    }
    if (query.organizationId == AuditQuery::platformRows()) {
        conditions << QStringLiteral("a.organization_id IS NULL");
    } else if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("a.organization_id = ?::uuid");
        values << query.organizationId;
    }
    const QString actor = query.actor.trimmed().toLower();
    if (!actor.isEmpty()) {
        conditions << QStringLiteral("a.login = ?");
        values << actor;
    }
    if (!query.entity.isEmpty()) {
        conditions << QStringLiteral("a.entity = ?");
        values << query.entity;
    }
    if (!query.action.isEmpty()) {
        conditions << QStringLiteral("a.action = ?");
        values << query.action;
    }
    return {};
}

Error entryNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This audit entry does not exist, or you may not see it."));
}
} // namespace

AuditService::AuditService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<AuditPage> AuditService::page(const AuditQuery &query,
                                     const std::optional<AuditCursor> &after, int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("a.organization_id"),
                                           QStringLiteral("audit.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, conditions, values); !filtered)
        return filtered.error();
    const QString forward = query.oldestFirst ? QStringLiteral(">") : QStringLiteral("<");
    if (after) {
        conditions << QStringLiteral("a.id %1 ?").arg(forward);
        values << after->id;
    } else if (query.startAtId > 0) {
        conditions << QStringLiteral("a.id %1= ?").arg(forward);
        values << query.startAtId;
    }
    // One row more than asked tells whether another page exists without counting.
    const QString sql = QStringLiteral("SELECT %1%2%3 ORDER BY a.id %4 LIMIT %5")
                            .arg(ListColumns, ListFrom, whereClause(conditions),
                                 query.oldestFirst ? QStringLiteral("ASC") : QStringLiteral("DESC"))
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    AuditPage page;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readEntry(q.value()));
    }
    // The last page has a cursor too: a list in oldest-first order asks after it for rows
    // added since (live updates).
    if (!page.rows.isEmpty())
        page.next = AuditCursor{page.rows.last().id};
    return page;
}

Result<int> AuditService::count(const AuditQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("a.organization_id"),
                                           QStringLiteral("audit.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, conditions, values); !filtered)
        return filtered.error();
    if (query.startAtId > 0) {
        conditions << QStringLiteral("a.id %1= ?")
                          .arg(query.oldestFirst ? QLatin1Char('>') : QLatin1Char('<'));
        values << query.startAtId;
    }
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM audit_log a") + whereClause(conditions), values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<AuditEntry> AuditService::get(qint64 id) const
{
    if (id <= 0)
        return entryNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1, a.before::text, a.after::text, a.changed::text"
                                    "%2 WHERE a.id = ?")
                         .arg(ListColumns, ListFrom),
                     {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return entryNotFound();
    AuditEntry e = readEntry(q.value());
    e.hasImages = true;
    e.before = jsonObject(q.value().value(ListColumnCount));
    e.after = jsonObject(q.value().value(ListColumnCount + 1));
    e.changed = jsonObject(q.value().value(ListColumnCount + 2));
    return e;
}

} // namespace nobill
