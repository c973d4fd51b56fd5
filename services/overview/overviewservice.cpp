#include "overview/overviewservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QHash>
#include <QMap>
#include <QSqlDatabase>

namespace nobill {

QStringList OverviewFigures::subscriptionStatuses()
{
    return {QStringLiteral("active"),
            QStringLiteral("past_due"),
            QStringLiteral("trialing"),
            QStringLiteral("unpaid"),
            QStringLiteral("paused"),
            QStringLiteral("incomplete"),
            QStringLiteral("incomplete_expired"),
            QStringLiteral("canceled")};
}

std::optional<double> OverviewFigures::churnRate() const
{
    if (liveAtWindowStart <= 0)
        return std::nullopt;
    return double(canceledInWindow) / double(liveAtWindowStart);
}

namespace {
QVariant nullText()
{
    return QVariant(QMetaType::fromType<QString>());
}

// Which rows count: one organization, or all the operator may see. Row-level security
// already hides the others; naming the visible organizations as well lets the planner read
// only theirs by index (CONTRIBUTING.md). Platform admins see everything and need nothing.
struct Scope
{
    std::optional<QString> organizationId;
    bool platformAdmin = false;

    QString condition(const QString &alias, const QString &permission, QVariantList &values) const
    {
        if (organizationId) {
            values << *organizationId;
            return alias + QStringLiteral(".organization_id = ?::uuid");
        }
        if (platformAdmin)
            return QStringLiteral("true");
        return alias +
               QStringLiteral(".organization_id = ANY ((SELECT nobill_orgs_with('%1'))::uuid[])")
                   .arg(permission);
    }
};

// amount × quantity per month is n / d with n = amount × quantity × k and d = 12 × interval
// count, k being the intervals in twelve months (day 365, week 52, month 12, year 1).
const QString MonthlyFactor = QStringLiteral(
    "CASE p.interval WHEN 'day' THEN 365 WHEN 'week' THEN 52 WHEN 'month' THEN 12 ELSE 1 END");

// One pass over the subscriptions, grouped by plan and status with integer sums only (the
// numeric work is then done on a few hundred groups, not on every row: 4× faster at 200,000
// subscriptions); everything the screen needs is derived from those groups. Sums of
// fractions are added over their least common denominator (nobill_lcm, migration 7) and
// rounded half up once: div(2N + L, 2L) = floor(N/L + 1/2) for N >= 0. Placeholders:
// (window start, as of) twice, window start twice, then the scope's values.
QString subscriptionSql(const QString &scope)
{
    const QString canceledInWindow =
        QStringLiteral("s.status = 'canceled' AND s.canceled_at >= ?::timestamptz "
                       "AND s.canceled_at <= ?::timestamptz");
    return QStringLiteral(
               "WITH per_plan AS ("
               " SELECT s.plan_id, s.status, count(*) AS subs, sum(s.quantity) AS qty,"
               "  count(*) FILTER (WHERE %2) AS churned,"
               "  coalesce(sum(s.quantity) FILTER (WHERE %2), 0) AS churned_qty,"
               "  count(*) FILTER (WHERE s.created_at < ?::timestamptz"
               "   AND s.status NOT IN ('incomplete', 'incomplete_expired')"
               "   AND (s.status <> 'canceled' OR s.canceled_at >= ?::timestamptz)) AS live"
               " FROM subscriptions s WHERE %3 GROUP BY s.plan_id, s.status),"
               "g AS MATERIALIZED ("
               " SELECT pp.status, p.currency, p.usage_type = 'metered' AS metered,"
               "  12 * p.interval_count AS d, sum(pp.subs) AS subs,"
               "  sum(p.amount::numeric * pp.qty * %1) AS n, sum(pp.churned) AS churned,"
               "  sum(p.amount::numeric * pp.churned_qty * %1) AS churned_n, sum(pp.live) AS live"
               " FROM per_plan pp JOIN plans p ON p.id = pp.plan_id"
               " GROUP BY 1, 2, 3, 4),"
               "money AS ("
               " SELECT 'mrr' AS kind, currency, d, subs, n FROM g"
               " WHERE status IN ('active', 'past_due') AND NOT metered"
               " UNION ALL"
               " SELECT 'lost', currency, d, churned, churned_n FROM g"
               " WHERE churned > 0 AND NOT metered),"
               "fractions AS ("
               " SELECT kind, currency, d, sum(subs) AS subs, sum(n) AS n,"
               "  nobill_lcm(d) OVER (PARTITION BY kind, currency) AS l"
               " FROM money GROUP BY kind, currency, d)"
               "SELECT kind, currency, sum(subs)::bigint,"
               " div(2 * sum(n * div(l, d)) + l, 2 * l)::bigint"
               " FROM fractions GROUP BY kind, currency, l"
               " UNION ALL"
               " SELECT 'status', status, sum(subs)::bigint, NULL FROM g GROUP BY status"
               " UNION ALL"
               " SELECT 'metered', NULL, coalesce(sum(subs), 0)::bigint, NULL FROM g"
               " WHERE metered AND status IN ('active', 'past_due')"
               " UNION ALL"
               " SELECT 'churn', NULL, coalesce(sum(churned), 0)::bigint,"
               " coalesce(sum(live), 0)::bigint FROM g")
        .arg(MonthlyFactor, canceledInWindow, scope);
}

// When payment was due: the due date, or the finalization of an invoice charged
// automatically. The partial indexes of migration 7 are built on this very expression.
const QString DueExpression = QStringLiteral("coalesce(i.due_date, i.finalized_at)");
const QString UnpaidCondition =
    QStringLiteral("i.status IN ('open', 'uncollectible') AND coalesce(i.due_date, "
                   "i.finalized_at) < ?::timestamptz");

bool lessByCurrency(const CurrencyAmount &a, const CurrencyAmount &b)
{
    return a.currency < b.currency;
}
} // namespace

OverviewService::OverviewService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<OverviewFigures> OverviewService::figures(const std::optional<QString> &organizationId,
                                                 const OverviewOptions &options) const
{
    if (organizationId && !isUuid(*organizationId))
        return organizationNotFound();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    const QString zone = options.timeZone.isEmpty() ? QStringLiteral("UTC") : options.timeZone;
    const int failedLimit = qBound(1, options.failedPaymentLimit, 100);

    return inTransaction(db, [&]() -> Result<OverviewFigures> {
        // Every figure from one snapshot, so that they add up.
        if (auto set = execSql(db, QStringLiteral("SET TRANSACTION ISOLATION LEVEL "
                                                  "REPEATABLE READ, READ ONLY"));
            !set)
            return set.error();

        OverviewFigures figures;
        figures.organizationId = organizationId;
        figures.timeZone = zone;

        Scope scope;
        scope.organizationId = organizationId;
        if (organizationId) {
            auto visible = execSql(
                db,
                QStringLiteral("SELECT EXISTS (SELECT 1 FROM organizations WHERE id = ?::uuid)"),
                {*organizationId});
            if (!visible)
                return visible.error();
            visible.value().next();
            if (!visible.value().value(0).toBool())
                return organizationNotFound();
        } else {
            auto admin = isPlatformAdmin(m_connectionName);
            if (!admin)
                return admin.error();
            scope.platformAdmin = admin.value();
        }

        // The moments everything is relative to, as text so they travel back exactly.
        auto clock =
            execSql(db,
                    QStringLiteral(
                        "SELECT t.asof, t.asof::text, (t.asof - interval '%1 days')::text,"
                        " (t.asof - interval '%1 days'),"
                        " ((t.asof AT TIME ZONE ?)::date - %2)::text,"
                        " (((t.asof AT TIME ZONE ?)::date - %2)::timestamp AT TIME ZONE ?)::text,"
                        " (((t.asof AT TIME ZONE ?)::date + 1)::timestamp AT TIME ZONE ?)::text"
                        " FROM (SELECT coalesce(?::timestamptz, now()) AS asof) t")
                        .arg(OverviewFigures::ChurnDays)
                        .arg(OverviewFigures::TrendDays - 1),
                    {zone, zone, zone, zone, zone,
                     options.asOf ? QVariant(options.asOf->toUTC().toString(Qt::ISODateWithMs))
                                  : nullText()});
        if (!clock)
            return clock.error();
        clock.value().next();
        figures.asOf = clock.value().value(0).toDateTime();
        const QString asOf = clock.value().value(1).toString();
        const QString windowStart = clock.value().value(2).toString();
        figures.churnWindowStart = clock.value().value(3).toDateTime();
        figures.trendFirstDay = QDate::fromString(clock.value().value(4).toString(), Qt::ISODate);
        const QString trendFrom = clock.value().value(5).toString();
        const QString trendTo = clock.value().value(6).toString();

        // Subscriptions: MRR, statuses, churn.
        {
            QVariantList values{windowStart, asOf, windowStart, asOf, windowStart, windowStart};
            const QString where =
                scope.condition(QStringLiteral("s"), QStringLiteral("subscriptions.read"), values);
            auto q = execSql(db, subscriptionSql(where), values);
            if (!q)
                return q.error();
            QHash<QString, int> counts;
            while (q.value().next()) {
                const QString kind = q.value().value(0).toString();
                const QString key = q.value().value(1).toString();
                const qint64 number = q.value().value(2).toLongLong();
                if (kind == QLatin1String("status")) {
                    counts.insert(key, int(number));
                } else if (kind == QLatin1String("mrr") || kind == QLatin1String("lost")) {
                    CurrencyAmount amount{key, q.value().value(3).toLongLong(), int(number)};
                    (kind == QLatin1String("mrr") ? figures.mrr : figures.lostMrr) << amount;
                } else if (kind == QLatin1String("metered")) {
                    figures.meteredSubscriptionsExcluded = int(number);
                } else if (kind == QLatin1String("churn")) {
                    figures.canceledInWindow = int(number);
                    figures.liveAtWindowStart = q.value().value(3).toInt();
                }
            }
            for (const QString &status : OverviewFigures::subscriptionStatuses())
                figures.statusCounts << SubscriptionStatusCount{status, counts.value(status)};
            std::sort(figures.mrr.begin(), figures.mrr.end(), lessByCurrency);
            std::sort(figures.lostMrr.begin(), figures.lostMrr.end(), lessByCurrency);
        }

        // Failed payments: the most recent few, and how many and how much in all.
        {
            QVariantList values{asOf};
            const QString where =
                scope.condition(QStringLiteral("i"), QStringLiteral("invoices.read"), values);
            values << failedLimit;
            auto q = execSql(
                db,
                QStringLiteral(
                    "SELECT i.id::text, i.organization_id::text, o.name, i.number, i.status,"
                    " i.currency, i.amount_remaining, %1, i.due_date IS NULL"
                    " FROM invoices i LEFT JOIN organizations o ON o.id = i.organization_id"
                    " WHERE %2 AND %3 ORDER BY %1 DESC, i.id DESC LIMIT ?")
                    .arg(DueExpression, UnpaidCondition, where),
                values);
            if (!q)
                return q.error();
            while (q.value().next()) {
                FailedPayment f;
                f.invoiceId = q.value().value(0).toString();
                f.organizationId = q.value().value(1).toString();
                f.organizationName = q.value().value(2).toString();
                f.number = q.value().value(3).toString();
                f.status = q.value().value(4).toString();
                f.currency = q.value().value(5).toString();
                f.amountRemaining = q.value().value(6).toLongLong();
                f.dueAt = q.value().value(7).toDateTime();
                f.chargedAutomatically = q.value().value(8).toBool();
                figures.failedPayments << f;
            }
            values.removeLast();
            auto totals = execSql(db,
                                  QStringLiteral("SELECT i.currency, count(*),"
                                                 " sum(i.amount_remaining)::bigint"
                                                 " FROM invoices i WHERE %1 AND %2"
                                                 " GROUP BY i.currency ORDER BY i.currency")
                                      .arg(UnpaidCondition, where),
                                  values);
            if (!totals)
                return totals.error();
            while (totals.value().next()) {
                const int count = totals.value().value(1).toInt();
                figures.failedPaymentCount += count;
                figures.failedPaymentTotals
                    << CurrencyAmount{totals.value().value(0).toString(),
                                      totals.value().value(2).toLongLong(), count};
            }
        }

        // Usage per metric and day. All of a platform admin's usage comes from the quarter
        // hour totals (migration 7); anyone else's from their organizations' records.
        {
            QVariantList values{zone, trendFrom, trendTo};
            QString sql;
            if (!organizationId && scope.platformAdmin) {
                sql = QStringLiteral("SELECT t.metric, (t.bucket_start AT TIME ZONE ?)::date::text,"
                                     " sum(t.quantity)::bigint FROM usage_totals t"
                                     " WHERE t.bucket_start >= ?::timestamptz"
                                     " AND t.bucket_start < ?::timestamptz"
                                     " GROUP BY 1, 2 ORDER BY 1, 2");
            } else {
                const QString where =
                    scope.condition(QStringLiteral("u"), QStringLiteral("usage.read"), values);
                sql = QStringLiteral("SELECT u.metric, (u.occurred_at AT TIME ZONE ?)::date::text,"
                                     " sum(u.quantity)::bigint FROM usage_records u"
                                     " WHERE u.occurred_at >= ?::timestamptz"
                                     " AND u.occurred_at < ?::timestamptz AND %1"
                                     " GROUP BY 1, 2 ORDER BY 1, 2")
                          .arg(where);
            }
            auto q = execSql(db, sql, values);
            if (!q)
                return q.error();
            QMap<QString, QList<qint64>> series;
            while (q.value().next()) {
                const QString metric = q.value().value(0).toString();
                const QDate day = QDate::fromString(q.value().value(1).toString(), Qt::ISODate);
                const qint64 index = figures.trendFirstDay.daysTo(day);
                if (index < 0 || index >= OverviewFigures::TrendDays)
                    continue;
                auto it = series.find(metric);
                if (it == series.end())
                    it = series.insert(metric, QList<qint64>(OverviewFigures::TrendDays, 0));
                (*it)[index] += q.value().value(2).toLongLong();
            }
            for (auto it = series.cbegin(); it != series.cend(); ++it)
                figures.usageTrend << UsageSeries{it.key(), it.value()};
        }
        return figures;
    });
}

} // namespace nobill
