#include "jobs/jobservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::JobService", text);
}

const QString Columns = QStringLiteral(
    "j.id::text, j.organization_id::text, o.name, j.kind, j.idempotency_key, j.status, "
    "j.attempts, j.max_attempts, j.run_after, j.lease_until, j.locked_by, j.last_error, "
    "j.requested_by, j.created_at, j.updated_at");
constexpr int ColumnCount = 15;
const QString From =
    QStringLiteral(" FROM jobs j LEFT JOIN organizations o ON o.id = j.organization_id");

Job readJob(const QSqlQuery &q)
{
    Job j;
    j.id = q.value(0).toString();
    j.organizationId = q.value(1).toString();
    j.organizationName = q.value(2).toString();
    j.kind = q.value(3).toString();
    j.idempotencyKey = q.value(4).toString();
    j.status = q.value(5).toString();
    j.attempts = q.value(6).toInt();
    j.maxAttempts = q.value(7).toInt();
    j.runAfter = q.value(8).toDateTime();
    j.leaseUntil = q.value(9).toDateTime();
    j.lockedBy = q.value(10).toString();
    j.lastError = q.value(11).toString();
    j.requestedBy = q.value(12).toString();
    j.createdAt = q.value(13).toDateTime();
    j.updatedAt = q.value(14).toDateTime();
    return j;
}

QString prefixPattern(const QString &prefix)
{
    QString escaped = prefix;
    escaped.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
    escaped.replace(QLatin1Char('%'), QStringLiteral("\\%"));
    escaped.replace(QLatin1Char('_'), QStringLiteral("\\_"));
    return escaped + QLatin1Char('%');
}

Status appendFilters(const JobQuery &query, bool withStatus, QStringList &conditions,
                     QVariantList &values)
{
    if (withStatus && !query.status.isEmpty()) {
        conditions << QStringLiteral("j.status = ?");
        values << query.status;
    }
    const QString kind = query.kind.trimmed();
    if (kind.endsWith(QLatin1Char('.'))) {
        conditions << QStringLiteral("j.kind LIKE ?");
        values << prefixPattern(kind);
    } else if (!kind.isEmpty()) {
        conditions << QStringLiteral("j.kind = ?");
        values << kind;
    }
    if (query.organizationId == JobQuery::platformJobs()) {
        conditions << QStringLiteral("j.organization_id IS NULL");
    } else if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("j.organization_id = ?::uuid");
        values << query.organizationId;
    }
    return {};
}

Error jobNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This job no longer exists, or you may not see it. Refresh the list."));
}
} // namespace

JobService::JobService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<JobPage> JobService::page(const JobQuery &query, const std::optional<JobCursor> &after,
                                 int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("j.organization_id"),
                                           QStringLiteral("subscriptions.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, true, conditions, values); !filtered)
        return filtered.error();
    if (after) {
        if (!isUuid(after->id))
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(j.created_at, j.id) < (?::timestamptz, ?::uuid)");
        values << after->createdAt << after->id;
    }
    const QString sql = QStringLiteral("SELECT %1, j.created_at::text%2%3 "
                                       "ORDER BY j.created_at DESC, j.id DESC LIMIT %4")
                            .arg(Columns, From, whereClause(conditions))
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    JobPage page;
    QString lastKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readJob(q.value()));
        lastKey = q.value().value(ColumnCount).toString();
    }
    if (page.hasMore)
        page.next = JobCursor{lastKey, page.rows.last().id};
    return page;
}

Result<int> JobService::count(const JobQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("j.organization_id"),
                                           QStringLiteral("subscriptions.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, true, conditions, values); !filtered)
        return filtered.error();
    auto q = execSql(db, QStringLiteral("SELECT count(*) FROM jobs j") + whereClause(conditions),
                     values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<QHash<QString, int>> JobService::statusCounts(const JobQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible =
            restrictToVisibleOrganizations(m_connectionName, QStringLiteral("j.organization_id"),
                                           QStringLiteral("subscriptions.read"), conditions);
        !visible)
        return visible.error();
    if (Status filtered = appendFilters(query, false, conditions, values); !filtered)
        return filtered.error();
    auto q = execSql(db,
                     QStringLiteral("SELECT j.status, count(*) FROM jobs j%1 GROUP BY j.status")
                         .arg(whereClause(conditions)),
                     values);
    if (!q)
        return q.error();
    QHash<QString, int> counts;
    while (q.value().next())
        counts.insert(q.value().value(0).toString(), q.value().value(1).toInt());
    return counts;
}

Result<Job> JobService::get(const QString &id) const
{
    if (!isUuid(id))
        return jobNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1, j.payload::text, j.result::text%2 "
                                    "WHERE j.id = ?::uuid")
                         .arg(Columns, From),
                     {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return jobNotFound();
    Job j = readJob(q.value());
    j.payload = q.value().value(ColumnCount).toString().toUtf8();
    if (!q.value().value(ColumnCount + 1).isNull())
        j.result = q.value().value(ColumnCount + 1).toString().toUtf8();
    return j;
}

Result<Job> JobService::retry(const QString &id)
{
    return change(id, QStringLiteral("nobill_retry_job"));
}

Result<Job> JobService::cancel(const QString &id)
{
    return change(id, QStringLiteral("nobill_cancel_job"));
}

Result<Job> JobService::change(const QString &id, const QString &function)
{
    if (!isUuid(id))
        return jobNotFound();
    // Asked first, so that the refusal is a sentence; the function refuses anyway.
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value()) {
        return makeError(ErrorKind::PermissionDenied,
                         function == QLatin1String("nobill_retry_job")
                             ? tr("Only platform administrators can retry jobs (permission "
                                  "\"jobs.manage\"). Ask one to do it for you.")
                             : tr("Only platform administrators can cancel jobs (permission "
                                  "\"jobs.manage\"). Ask one to do it for you."));
    }
    // One statement: the function locks the job, checks its state and changes it at once.
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    if (auto done = execSql(db, QStringLiteral("SELECT %1(?::uuid)").arg(function), {id}); !done)
        return done.error();
    return get(id);
}

} // namespace nobill
