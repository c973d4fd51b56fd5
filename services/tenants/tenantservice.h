#pragma once

#include "core/result.h"
#include "tenants/tenant.h"

#include <optional>

namespace nobill {

// Tenants (organizations) in the database. Synchronous: call it on a thread that owns the
// named connection (a DatabaseWorker, nobillctl, a test).
class TenantService
{
public:
    explicit TenantService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    // One page in the query's order, after `after` (keyset pagination: no OFFSET).
    Result<TenantPage> page(const TenantQuery &query, const std::optional<TenantCursor> &after,
                            int limit = DefaultPageSize) const;
    Result<int> count(const TenantQuery &query) const;
    Result<Tenant> get(const QString &id) const;
    Result<TenantDetails> details(const QString &id) const;
    Result<bool> isSlugAvailable(const QString &slug, const QString &exceptTenantId = {}) const;

    Result<Tenant> create(const TenantDraft &draft);
    // Refused with a Conflict if someone else saved the tenant since `expectedVersion`.
    Result<Tenant> update(const QString &id, int expectedVersion, const TenantDraft &draft);
    Result<Tenant> suspend(const QString &id, int expectedVersion);
    Result<Tenant> reactivate(const QString &id, int expectedVersion);
    // Refused with a Conflict naming what still refers to the tenant (subscriptions,
    // invoices, usage); memberships go with it.
    Status remove(const QString &id);

private:
    // Not found for a tenant this login cannot see; a plain refusal without tenants.manage.
    Status requireManage(const QString &id) const;
    Result<Tenant> setStatus(const QString &id, int expectedVersion, const QString &status);

    QString m_connectionName;
};

} // namespace nobill
