#pragma once

#include "core/result.h"
#include "tenants/tenant.h"

#include <atomic>
#include <functional>

namespace nobill {

// The Tenants list as CSV, with the list's filter and order: used by the console's
// Export… and by `nobillctl export tenants`. Raw values (ISO times in UTC, codes) so that a
// spreadsheet or a script can read them back.
QStringList tenantCsvHeader();
QStringList tenantCsvFields(const Tenant &tenant);

Result<qint64> exportTenants(const QString &connectionName, const TenantQuery &query,
                             const QString &path, const std::function<void(qint64)> &progress,
                             const std::atomic<bool> *cancel);

} // namespace nobill
