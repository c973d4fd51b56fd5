#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// A unit of Stripe work in the durable queue (table jobs), executed by the job worker.
struct Job
{
    QString id;
    QString organizationId; // empty for platform work (the catalog)
    QString organizationName;
    QString kind; // e.g. subscription.change_plan (services/jobs/jobkinds.h)
    QString idempotencyKey;
    QString status; // queued, running, succeeded, failed, cancelled
    int attempts = 0;
    int maxAttempts = 0;
    QDateTime runAfter;
    QDateTime leaseUntil;
    QString lockedBy;
    QString lastError;
    QString requestedBy; // the login that asked for it
    QDateTime createdAt;
    QDateTime updatedAt;

    // Filled in by JobService::get() only.
    QByteArray payload;
    QByteArray result;

    // What nobill_retry_job / nobill_cancel_job accept (the database decides).
    bool canRetry() const
    {
        return status == QLatin1String("failed") || status == QLatin1String("cancelled");
    }
    bool canCancel() const { return status == QLatin1String("queued"); }
};

// Filter, as typed values. The list is newest first (created).
struct JobQuery
{
    QString status; // empty = all
    QString kind;   // a kind, or a prefix ending in "." ("subscription.")
    // Empty: all the operator may see; JobQuery::platformJobs(): jobs of no organization;
    // else an organization id.
    QString organizationId;

    static QString platformJobs() { return QStringLiteral("platform"); }
    bool isFiltered() const
    {
        return !status.isEmpty() || !kind.isEmpty() || !organizationId.isEmpty();
    }
};

// Keyset cursor: created_at exact to the microsecond (as the database's text), and the id.
struct JobCursor
{
    QString createdAt;
    QString id;
};

struct JobPage
{
    QList<Job> rows;
    bool hasMore = false;
    std::optional<JobCursor> next;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Job)
