#pragma once

#include "core/result.h"
#include "plans/plan.h"

#include <optional>

namespace nobill {

// The plan catalog (tables products and plans) in the database. Every operator reads it;
// writing needs plans.manage, a platform permission that only platform administrators hold
// (the database's policies refuse everyone else, and this service says so first, in a
// sentence). Synchronous: call it on a thread that owns the named connection.
class PlanService
{
public:
    explicit PlanService(QString connectionName);

    static constexpr int DefaultPageSize = 200;
    static constexpr int MaxProducts = 1000;

    // Products (archived ones too) and the currencies plans use: the filters' choices.
    Result<PlanCatalog> catalog() const;
    Result<Product> product(const QString &id) const;
    Result<Product> createProduct(const ProductDraft &draft);
    // Refused with a Conflict if someone else saved the product since `expectedVersion`.
    Result<Product> updateProduct(const QString &id, int expectedVersion,
                                  const ProductDraft &draft);
    // Archiving is refused while the product still has active plans.
    Result<Product> setProductArchived(const QString &id, int expectedVersion, bool archived);

    // One page in the query's order, after `after` (keyset pagination: no OFFSET). Each row
    // carries its subscriber counts.
    Result<PlanPage> page(const PlanQuery &query, const std::optional<PlanCursor> &after,
                          int limit = DefaultPageSize) const;
    Result<int> count(const PlanQuery &query) const;
    Result<Plan> get(const QString &id) const;
    // The plan with its version history.
    Result<PlanDetails> details(const QString &id) const;

    Result<Plan> create(const PlanDraft &draft);
    // Name and description; the terms never change here.
    Result<Plan> update(const QString &id, int expectedVersion, const PlanEdit &edit);
    // A plan used by a subscription or already in Stripe keeps its terms: the new amount
    // becomes a new plan that replaces it, and it is archived, in one transaction. A plan
    // nobody used and not in Stripe yet is simply repriced.
    Result<AmountChange> changeAmount(const QString &id, int expectedVersion, qint64 newAmount);
    Result<Plan> archive(const QString &id, int expectedVersion);
    // Refused for a plan a newer version replaced, and for a plan of an archived product.
    Result<Plan> unarchive(const QString &id, int expectedVersion);
    // Only a plan nobody ever used: not by a subscription, not in Stripe, not replaced by a
    // newer version. Anything else is refused with a Conflict that says to archive it.
    Status remove(const QString &id);

private:
    Status requireManage() const;
    Result<Plan> setArchived(const QString &id, int expectedVersion, bool archived);
    // The plan's row locked for the rest of the transaction, checked against the version the
    // operator saw.
    Result<Plan> lockPlan(const QString &id, int expectedVersion) const;
    QString subscriberCountColumns() const;

    QString m_connectionName;
    mutable std::optional<bool> m_platformAdmin;
};

} // namespace nobill
