#include "usage/usageservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::UsageService", text);
}

const QString RecordColumns = QStringLiteral(
    "u.id::text, u.organization_id::text, o.name, u.subscription_id::text, "
    "s.stripe_subscription_id, u.metric, u.quantity, u.occurred_at, u.idempotency_key, "
    "u.reported_state, u.reported_at");
constexpr int RecordColumnCount = 11;

const QString RecordJoins =
    QStringLiteral(" FROM usage_records u JOIN organizations o ON o.id = u.organization_id "
                   "LEFT JOIN subscriptions s ON s.id = u.subscription_id");

UsageRecord readRecord(const QSqlQuery &q)
{
    UsageRecord r;
    r.id = q.value(0).toString();
    r.organizationId = q.value(1).toString();
    r.organizationName = q.value(2).toString();
    r.subscriptionId = q.value(3).toString();
    r.stripeSubscriptionId = q.value(4).toString();
    r.metric = q.value(5).toString();
    r.quantity = q.value(6).toLongLong();
    r.occurredAt = q.value(7).toDateTime();
    r.idempotencyKey = q.value(8).toString();
    r.reportedState = q.value(9).toString();
    r.reportedAt = q.value(10).toDateTime();
    return r;
}

QString utcText(const QDateTime &t)
{
    return t.toUTC().toString(Qt::ISODateWithMs);
}

// The filter as conditions. Row-level security hides what the login may not read; naming the
// organizations it may read as well lets the planner use the (organization_id, occurred_at)
// index instead of filtering every row through the policy (see TenantService).
Status appendConditions(const QString &connectionName, const UsageQuery &query,
                        QStringList &conditions, QVariantList &values)
{
    if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("u.organization_id = ?::uuid");
        values << query.organizationId;
    } else {
        auto admin = isPlatformAdmin(connectionName);
        if (!admin)
            return admin.error();
        if (!admin.value())
            conditions << QStringLiteral(
                "u.organization_id = ANY ((SELECT nobill_orgs_with('usage.read'))::uuid[])");
    }
    const QString subscription = query.subscription.trimmed();
    if (!subscription.isEmpty()) {
        if (isUuid(subscription)) {
            conditions << QStringLiteral("u.subscription_id = ?::uuid");
        } else {
            conditions << QStringLiteral("u.subscription_id = (SELECT x.id FROM subscriptions x "
                                         "WHERE x.stripe_subscription_id = ?)");
        }
        values << subscription;
    }
    if (!query.metric.isEmpty()) {
        conditions << QStringLiteral("u.metric = ?");
        values << query.metric;
    }
    if (query.from.isValid()) {
        conditions << QStringLiteral("u.occurred_at >= ?::timestamptz");
        values << utcText(query.from);
    }
    if (query.to.isValid()) {
        conditions << QStringLiteral("u.occurred_at < ?::timestamptz");
        values << utcText(query.to);
    }
    return {};
}

} // namespace

UsageService::UsageService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<UsageRecordPage> UsageService::page(const UsageQuery &query,
                                           const std::optional<UsageCursor> &after, int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    QStringList conditions;
    QVariantList values;
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    if (after) {
        if (!isUuid(after->id))
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(u.occurred_at, u.id) %1 (?::timestamptz, ?::uuid)")
                          .arg(query.descending ? QStringLiteral("<") : QStringLiteral(">"));
        values << after->occurredAt << after->id;
    }
    const QString direction = query.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");
    // One row more than asked tells whether another page exists without counting.
    const QString sql = QStringLiteral("SELECT %1, u.occurred_at::text%2%3 "
                                       "ORDER BY u.occurred_at %4, u.id %4 LIMIT %5")
                            .arg(RecordColumns, RecordJoins, whereClause(conditions), direction)
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    UsageRecordPage page;
    QString lastKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readRecord(q.value()));
        lastKey = q.value().value(RecordColumnCount).toString();
    }
    if (page.hasMore)
        page.next = UsageCursor{lastKey, page.rows.last().id};
    return page;
}

Result<int> UsageService::count(const UsageQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM usage_records u") + whereClause(conditions),
        values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<UsageAggregation> UsageService::aggregate(const UsageQuery &query,
                                                 UsageGranularity granularity,
                                                 const QString &timeZone) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    // The zone goes first: its placeholder comes before the filter's in the statement.
    values << (timeZone.isEmpty() ? QStringLiteral("UTC") : timeZone);
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    const QString unit = granularity == UsageGranularity::Month  ? QStringLiteral("month")
                         : granularity == UsageGranularity::Week ? QStringLiteral("week")
                                                                 : QStringLiteral("day");
    auto q = execSql(db,
                     QStringLiteral("SELECT date_trunc('%1', u.occurred_at AT TIME ZONE ?)::date "
                                    "AS bucket, sum(u.quantity), count(*) "
                                    "FROM usage_records u%2 GROUP BY 1 ORDER BY 1")
                         .arg(unit, whereClause(conditions)),
                     values);
    if (!q) {
        if (q.error().message.contains(QLatin1String("time zone")))
            return makeError(ErrorKind::InvalidInput,
                             tr("The time zone %1 is not known to the database.").arg(timeZone));
        return q.error();
    }
    UsageAggregation aggregation;
    aggregation.granularity = granularity;
    while (q.value().next()) {
        UsageBucket bucket;
        bucket.start = q.value().value(0).toDate();
        bucket.quantity = q.value().value(1).toLongLong();
        bucket.records = q.value().value(2).toLongLong();
        aggregation.buckets.append(bucket);
    }
    return aggregation;
}

Result<QStringList> UsageService::metrics() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT DISTINCT metric FROM plans "
                                        "WHERE metric IS NOT NULL ORDER BY 1"));
    if (!q)
        return q.error();
    QStringList metrics;
    while (q.value().next())
        metrics << q.value().value(0).toString();
    return metrics;
}

} // namespace nobill
