#pragma once

#include "core/result.h"
#include "webhookevents/webhookevent.h"

#include <optional>

namespace nobill {

// The webhook inbox, read. Synchronous: call it on a thread that owns the named connection.
// Row-level security shows the events of organizations where the login holds
// "webhooks.read", and events of no organization to platform administrators only.
// Reprocessing puts an event back in the processor's queue (platform administrators:
// webhooks.manage); the office server applies it again, still in per-object order.
class WebhookEventService
{
public:
    explicit WebhookEventService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    Result<WebhookEventPage> page(const WebhookEventQuery &query,
                                  const std::optional<WebhookEventCursor> &after,
                                  int limit = DefaultPageSize) const;
    Result<int> count(const WebhookEventQuery &query) const;
    // Events per status for the query's type and organization (its status is ignored).
    Result<QHash<QString, int>> statusCounts(const WebhookEventQuery &query) const;
    // The event with its payload. NotFound for one this login cannot see.
    Result<WebhookEvent> get(const QString &id) const;
    // Queues the event to be applied again (nobill_reprocess_stripe_event, migration 15) and
    // returns it as it is now. PermissionDenied with a sentence for others than platform
    // administrators; the database's sentence for an event already queued.
    Result<WebhookEvent> reprocess(const QString &id);

private:
    QString m_connectionName;
};

} // namespace nobill
