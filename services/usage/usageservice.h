#pragma once

#include "core/result.h"
#include "usage/usage.h"

#include <QStringList>

#include <optional>

namespace nobill {

// Usage records in the database: the list and the sums behind the chart. Synchronous: call
// it on a thread that owns the named connection (a DatabaseWorker, nobillctl, a test).
class UsageService
{
public:
    explicit UsageService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    // One page by occurred_at (then id), after `after`: keyset pagination, no OFFSET.
    Result<UsageRecordPage> page(const UsageQuery &query, const std::optional<UsageCursor> &after,
                                 int limit = DefaultPageSize) const;
    Result<int> count(const UsageQuery &query) const;
    // Sums per day, ISO week or month, in the time zone `timeZone` (an IANA name such as
    // "Europe/Berlin"; empty: UTC). Periods without usage are left out.
    Result<UsageAggregation> aggregate(const UsageQuery &query, UsageGranularity granularity,
                                       const QString &timeZone) const;
    // The metrics of the plan catalog, for the filter (a DISTINCT over the usage itself would
    // read every record).
    Result<QStringList> metrics() const;

private:
    QString m_connectionName;
};

} // namespace nobill
