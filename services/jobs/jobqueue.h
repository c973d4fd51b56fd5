#pragma once

#include "core/result.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantList>

namespace nobill {

// A job as the worker holds it after claiming it.
struct ClaimedJob
{
    QString id;
    QString organizationId; // empty for platform work (plan.*)
    QString kind;
    QJsonObject payload;
    QString idempotencyKey;
    int attempts = 0; // including this one
    int maxAttempts = 0;
    QString lastError; // of the previous attempt, if any
    QDateTime createdAt;
};

// One statement a job's outcome applies, in the transaction that records the outcome (e.g.
// the Stripe id a job created). Handlers describe their writes this way so that they need
// no database connection of their own.
struct SqlWrite
{
    QString sql;
    QVariantList values;
};

// How long a failed, retryable job waits: base * 2^(attempts - 1), capped, with jitter.
struct BackoffPolicy
{
    int baseSeconds = 10;
    int capSeconds = 3600;
};

// The worker's side of the durable queue (migration 10). Synchronous: call it on the thread
// that owns the named connection, which must belong to a member of nobill_service (or the
// owner). Every change is a nobill_* function; they refuse outcomes from a worker that no
// longer holds the job (ErrorKind::Conflict with subject LeaseLost).
class JobQueue
{
public:
    JobQueue(QString connectionName, QString workerName, BackoffPolicy backoff = {});

    static QString leaseLostSubject() { return QStringLiteral("job_lease_lost"); }

    const QString &workerName() const { return m_workerName; }

    // Whether this login may run the queue here (migration 10 applied, nobill_service
    // membership): a sentence saying what to do when not.
    Status checkAccess();

    Result<QList<ClaimedJob>> claim(int limit, int leaseSeconds);
    // The ids among `ids` still held by this worker (their leases renewed).
    Result<QStringList> extendLeases(const QStringList &ids, int leaseSeconds);
    // Succeeded, with `writes` applied in the same transaction (all or nothing).
    Status finish(const QString &id, const QJsonObject &result, const QList<SqlWrite> &writes = {});
    // Returns the job's new status: "queued" (to retry after the backoff) or "failed".
    Result<QString> fail(const QString &id, const QString &error, bool retryable);
    // Back to the queue at once, the attempt given back (graceful stop).
    Status release(const QString &id);

    // Runs one statement and returns its rows as maps (column name -> value); for the
    // handlers' reads and the small writes they make before calling Stripe.
    Result<QList<QVariantMap>> query(const QString &sql, const QVariantList &values);

private:
    QString m_connectionName;
    QString m_workerName;
    BackoffPolicy m_backoff;
};

} // namespace nobill
