#pragma once

#include "core/result.h"
#include "webhookevents/webhookevent.h"

#include <optional>

namespace nobill {

// The webhook inbox, read. Synchronous: call it on a thread that owns the named connection.
// Row-level security shows the events of organizations where the login holds
// "webhooks.read", and events of no organization to platform administrators only.
// Reprocessing an event comes with the webhook listener (a later issue).
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

private:
    QString m_connectionName;
};

} // namespace nobill
