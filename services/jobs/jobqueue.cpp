#include "jobs/jobqueue.h"

#include "database/sql.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QSqlRecord>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::JobQueue", text);
}

QString toJsonText(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

// nobill_lock_own_job raises SQLSTATE 55000 when the worker lost the job; the generic
// translation calls that an internal error, but for the worker it is an expected outcome.
Error leaseAware(Error error)
{
    if (error.detail.startsWith(QLatin1String("[55000]"))) {
        error.kind = ErrorKind::Conflict;
        error.subject = JobQueue::leaseLostSubject();
        const QString text = error.detail.section(QLatin1Char(']'), 1).trimmed();
        error.message =
            text.section(QLatin1Char('\n'), 0, 0).remove(QStringLiteral("ERROR:")).trimmed();
        if (error.message.isEmpty())
            error.message =
                tr("This worker no longer holds the job; its outcome was not recorded.");
    }
    return error;
}

ClaimedJob readClaimed(const QSqlQuery &q)
{
    const QSqlRecord r = q.record();
    ClaimedJob job;
    job.id = q.value(r.indexOf(QStringLiteral("id"))).toString();
    job.organizationId = q.value(r.indexOf(QStringLiteral("organization_id"))).toString();
    job.kind = q.value(r.indexOf(QStringLiteral("kind"))).toString();
    job.payload =
        QJsonDocument::fromJson(q.value(r.indexOf(QStringLiteral("payload"))).toString().toUtf8())
            .object();
    job.idempotencyKey = q.value(r.indexOf(QStringLiteral("idempotency_key"))).toString();
    job.attempts = q.value(r.indexOf(QStringLiteral("attempts"))).toInt();
    job.maxAttempts = q.value(r.indexOf(QStringLiteral("max_attempts"))).toInt();
    job.lastError = q.value(r.indexOf(QStringLiteral("last_error"))).toString();
    job.createdAt = q.value(r.indexOf(QStringLiteral("created_at"))).toDateTime();
    return job;
}
} // namespace

JobQueue::JobQueue(QString connectionName, QString workerName, BackoffPolicy backoff)
    : m_connectionName(std::move(connectionName))
    , m_workerName(std::move(workerName))
    , m_backoff(backoff)
{}

Status JobQueue::checkAccess()
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT to_regprocedure('nobill_claim_jobs(text, integer, "
                                        "integer)') IS NOT NULL"));
    if (!q)
        return q.error();
    if (!q.value().next() || !q.value().value(0).toBool())
        return makeError(ErrorKind::SchemaMissing,
                         tr("This database does not have the job queue yet. Run \"nobillctl "
                            "migrate\" against it first."));
    auto allowed = execSql(db, QStringLiteral("SELECT has_function_privilege('nobill_claim_jobs("
                                              "text, integer, integer)', 'EXECUTE')"));
    if (!allowed)
        return allowed.error();
    if (!allowed.value().next() || !allowed.value().value(0).toBool())
        return makeError(ErrorKind::PermissionDenied,
                         tr("The login %1 may not run the job queue. Use the service login "
                            "(a member of nobill_service) made by \"nobillctl setup\".")
                             .arg(db.userName()));
    return {};
}

Result<QList<ClaimedJob>> JobQueue::claim(int limit, int leaseSeconds)
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT id::text AS id, organization_id::text AS "
                                    "organization_id, kind, payload::text AS payload, "
                                    "idempotency_key, attempts, max_attempts, last_error, "
                                    "created_at FROM nobill_claim_jobs(?, ?, ?)"),
                     {m_workerName, limit, leaseSeconds});
    if (!q)
        return q.error();
    QList<ClaimedJob> jobs;
    while (q.value().next())
        jobs.append(readClaimed(q.value()));
    return jobs;
}

Result<QStringList> JobQueue::extendLeases(const QStringList &ids, int leaseSeconds)
{
    if (ids.isEmpty())
        return QStringList();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db, QStringLiteral("SELECT j::text FROM nobill_extend_job_leases(?, ?::uuid[], ?) AS j"),
        {m_workerName, QStringLiteral("{%1}").arg(ids.join(QLatin1Char(','))), leaseSeconds});
    if (!q)
        return q.error();
    QStringList held;
    while (q.value().next())
        held.append(q.value().value(0).toString());
    return held;
}

Status JobQueue::finish(const QString &id, const QJsonObject &result, const QList<SqlWrite> &writes)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Status done = inTransaction(db, [&]() -> Status {
        // First: lock the job and check it is still ours, so nothing is written otherwise.
        auto finished =
            execSql(db, QStringLiteral("SELECT nobill_finish_job(?::uuid, ?, ?::jsonb)"),
                    {id, m_workerName, toJsonText(result)});
        if (!finished)
            return finished.error();
        for (const SqlWrite &write : writes) {
            auto q = execSql(db, write.sql, write.values);
            if (!q)
                return q.error();
        }
        return {};
    });
    if (!done)
        return leaseAware(done.error());
    return done;
}

Result<QString> JobQueue::fail(const QString &id, const QString &error, bool retryable)
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q =
        execSql(db,
                QStringLiteral("SELECT nobill_fail_job(?::uuid, ?, ?, ?, "
                               "make_interval(secs => ?), make_interval(secs => ?))"),
                {id, m_workerName, error, retryable, m_backoff.baseSeconds, m_backoff.capSeconds});
    if (!q)
        return leaseAware(q.error());
    q.value().next();
    return q.value().value(0).toString();
}

Status JobQueue::release(const QString &id)
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q =
        execSql(db, QStringLiteral("SELECT nobill_release_job(?::uuid, ?)"), {id, m_workerName});
    if (!q)
        return leaseAware(q.error());
    return {};
}

Result<QList<QVariantMap>> JobQueue::query(const QString &sql, const QVariantList &values)
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    QList<QVariantMap> rows;
    while (q.value().next()) {
        const QSqlRecord r = q.value().record();
        QVariantMap row;
        for (int i = 0; i < r.count(); ++i)
            row.insert(r.fieldName(i), q.value().value(i));
        rows.append(row);
    }
    return rows;
}

} // namespace nobill
