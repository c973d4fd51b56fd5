#pragma once

#include "audit/auditentry.h"
#include "core/result.h"

#include <optional>

namespace nobill {

// The audit trail, read. Synchronous: call it on a thread that owns the named connection
// (a DatabaseWorker, nobillctl, a test). Row-level security decides which rows a login sees:
// those of the organizations where it holds "audit.read", and rows of no organization for
// platform administrators only.
class AuditService
{
public:
    explicit AuditService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    // One page in the query's order (newest first unless oldestFirst), after `after`.
    Result<AuditPage> page(const AuditQuery &query, const std::optional<AuditCursor> &after,
                           int limit = DefaultPageSize) const;
    Result<int> count(const AuditQuery &query) const;
    // The row with its before and after images. NotFound for a row this login cannot see.
    Result<AuditEntry> get(qint64 id) const;

private:
    QString m_connectionName;
};

} // namespace nobill
