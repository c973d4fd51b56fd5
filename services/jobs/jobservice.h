#pragma once

#include "core/result.h"
#include "jobs/job.h"

#include <QHash>

#include <optional>

namespace nobill {

// The job queue as the console sees it. Synchronous: call it on a thread that owns the named
// connection. Jobs are seen with "subscriptions.read" in their organization (jobs of no
// organization: platform administrators). Retrying and cancelling need "jobs.manage", a
// platform permission: platform administrators only. Each change leaves an audit row.
class JobService
{
public:
    explicit JobService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    Result<JobPage> page(const JobQuery &query, const std::optional<JobCursor> &after,
                         int limit = DefaultPageSize) const;
    Result<int> count(const JobQuery &query) const;
    // Jobs per status for the query's kind and organization (its status is ignored).
    Result<QHash<QString, int>> statusCounts(const JobQuery &query) const;
    // The job with its payload and result. NotFound for one this login cannot see.
    Result<Job> get(const QString &id) const;

    // A failed or cancelled job goes back to the queue, to run now; its attempts are kept.
    Result<Job> retry(const QString &id);
    // A queued job is cancelled.
    Result<Job> cancel(const QString &id);

private:
    Result<Job> change(const QString &id, const QString &function);

    QString m_connectionName;
};

} // namespace nobill
