#include "webhookevents/webhookeventservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::WebhookEventService", text);
}

const QString Columns = QStringLiteral(
    "e.id, e.type, e.api_version, e.stripe_created, e.object_id, e.livemode, e.source, "
    "e.status, e.attempts, e.last_error, e.received_at, e.processed_at, "
    "e.organization_id::text, o.name");
constexpr int ColumnCount = 14;
const QString From =
    QStringLiteral(" FROM stripe_events e LEFT JOIN organizations o ON o.id = e.organization_id");

WebhookEvent readEvent(const QSqlQuery &q)
{
    WebhookEvent e;
    e.id = q.value(0).toString();
    e.type = q.value(1).toString();
    e.apiVersion = q.value(2).toString();
    e.stripeCreated = q.value(3).toDateTime();
    e.objectId = q.value(4).toString();
    e.livemode = q.value(5).toBool();
    e.source = q.value(6).toString();
    e.status = q.value(7).toString();
    e.attempts = q.value(8).toInt();
    e.lastError = q.value(9).toString();
    e.receivedAt = q.value(10).toDateTime();
    e.processedAt = q.value(11).toDateTime();
    e.organizationId = q.value(12).toString();
    e.organizationName = q.value(13).toString();
    return e;
}

// "invoice." matches every invoice event; anything else one type exactly.
QString typePrefixPattern(const QString &prefix)
{
    QString escaped = prefix;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('%'), QStringLiteral("\\%"));
    escaped.replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return escaped + QLatin1Char('%');
}

Status appendFilters(const WebhookEventQuery &query, bool withStatus, QStringList &conditions,
                     QVariantList &values)
{
    if (withStatus && !query.status.isEmpty()) {
        conditions << QStringLiteral("e.status = ?");
        values << query.status;
    }
    const QString type = query.type.trimmed();
    if (type.endsWith(QLatin1Char('.'))) {
        conditions << QStringLiteral("e.type LIKE ?");
        values << typePrefixPattern(type);
    } else if (!type.isEmpty()) {
        conditions << QStringLiteral("e.type = ?");
        values << type;
    }
    if (query.organizationId == WebhookEventQuery::platformEvents()) {
        conditions << QStringLiteral("e.organization_id IS NULL");
    } else if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("e.organization_id = ?::uuid");
        values << query.organizationId;
    }
    return {};
}

} // namespace

WebhookEventService::WebhookEventService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<WebhookEventPage> WebhookEventService::page(const WebhookEventQuery &query,
                                                   const std::optional<WebhookEventCursor> &after,
                                                   int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("e.organization_id"),
                                           QStringLiteral("webhooks.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, true, conditions, values); !filtered)
        return filtered.error();
    if (after) {
        conditions << QStringLiteral("(e.received_at, e.id) < (?::timestamptz, ?)");
        values << after->receivedAt << after->id;
    }
    const QString sql = QStringLiteral("SELECT %1, e.received_at::text%2%3 "
                                       "ORDER BY e.received_at DESC, e.id DESC LIMIT %4")
                            .arg(Columns, From, whereClause(conditions))
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    WebhookEventPage page;
    QString lastKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readEvent(q.value()));
        lastKey = q.value().value(ColumnCount).toString();
    }
    if (page.hasMore)
        page.next = WebhookEventCursor{lastKey, page.rows.last().id};
    return page;
}

Result<int> WebhookEventService::count(const WebhookEventQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("e.organization_id"),
                                           QStringLiteral("webhooks.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, true, conditions, values); !filtered)
        return filtered.error();
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM stripe_events e") + whereClause(conditions),
        values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<QHash<QString, int>> WebhookEventService::statusCounts(const WebhookEventQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("e.organization_id"),
                                           QStringLiteral("webhooks.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, false, conditions, values); !filtered)
        return filtered.error();
    auto q = execSql(db,
                     QStringLiteral("SELECT e.status, count(*) FROM stripe_events e%1 "
                                    "GROUP BY e.status")
                         .arg(whereClause(conditions)),
                     values);
    if (!q)
        return q.error();
    QHash<QString, int> counts;
    while (q.value().next())
        counts.insert(q.value().value(0).toString(), q.value().value(1).toInt());
    return counts;
}

Result<WebhookEvent> WebhookEventService::get(const QString &id) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db, QStringLiteral("SELECT %1, e.payload::text%2 WHERE e.id = ?").arg(Columns, From), {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return makeError(ErrorKind::NotFound,
                         tr("This event is not in the inbox, or you may not see it."));
    WebhookEvent e = readEvent(q.value());
    e.payload = q.value().value(ColumnCount).toString().toUtf8();
    return e;
}

Result<WebhookEvent> WebhookEventService::reprocess(const QString &id)
{
    // Asked first, so that the refusal is a sentence; the function refuses anyway.
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value()) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("Only platform administrators can reprocess Stripe events "
                            "(permission \"webhooks.manage\"). Ask one to do it for you."));
    }
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // One statement: the function locks the event, checks its state and queues it again.
    if (auto done = execSql(db, QStringLiteral("SELECT nobill_reprocess_stripe_event(?)"), {id});
        !done)
        return done.error();
    return get(id);
}

} // namespace nobill
