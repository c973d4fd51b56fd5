#pragma once

#include "core/result.h"
#include "subscriptions/subscription.h"

#include <optional>

namespace nobill {

// Subscriptions in the database, as the login may see them (subscriptions.read), and the
// Stripe work operators ask for on them. Synchronous: call it on a thread that owns the
// named connection (a DatabaseWorker, nobillctl, a test).
class SubscriptionService
{
public:
    explicit SubscriptionService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    // One page in the query's order, after `after` (keyset pagination: no OFFSET).
    Result<SubscriptionPage> page(const SubscriptionQuery &query,
                                  const std::optional<SubscriptionCursor> &after,
                                  int limit = DefaultPageSize) const;
    Result<int> count(const SubscriptionQuery &query) const;
    Result<Subscription> get(const QString &id) const;
    // The subscription with its tenant, latest invoices and pending Stripe work.
    Result<SubscriptionDetails> details(const QString &id) const;
    // Work queued or running for the subscription, then work that failed in the last 30 days.
    Result<QList<PendingJob>> pendingJobs(const Subscription &subscription) const;
    // The plans the filter offers: those in use by a visible subscription and every plan
    // that is not archived.
    Result<QList<PlanChoice>> planChoices() const;

    // Queues the action as Stripe work (a job for the office server's worker) and returns
    // it. The subscription itself does not change until Stripe confirms. Refused with a
    // sentence when the login lacks subscriptions.manage in the subscription's organization
    // or when the subscription's state does not allow the action. The same request (same
    // request token) queues the work once, however often it arrives.
    Result<PendingJob> requestAction(const SubscriptionActionRequest &request);

    // The tenants the login may start subscriptions for (subscriptions.manage), by name.
    Result<QList<TenantChoice>> tenantChoices() const;
    // Writes the new subscription and queues its creation in Stripe, in one transaction.
    // Refused with a sentence when the tenant is not a Stripe customer yet or the plan has
    // no Stripe price (sync them first), or when the login lacks subscriptions.manage.
    Result<NewSubscriptionQueued> create(const NewSubscriptionRequest &request);

    // "subscription.cancel_at_period_end", ...
    static QString jobKind(SubscriptionAction action);
    // Why the action cannot be asked for in this state (empty: it can).
    static QString actionUnavailableReason(const Subscription &subscription,
                                           SubscriptionAction action);

private:
    QString m_connectionName;
};

} // namespace nobill
