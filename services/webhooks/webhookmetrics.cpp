#include "webhooks/webhookmetrics.h"

namespace nobill {

void WebhookMetrics::countRejected(const QByteArray &reason)
{
    std::lock_guard<std::mutex> lock(m_mutex);
    ++m_rejected[reason];
}

quint64 WebhookMetrics::rejected(const QByteArray &reason) const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_rejected.value(reason);
}

quint64 WebhookMetrics::rejectedTotal() const
{
    std::lock_guard<std::mutex> lock(m_mutex);
    quint64 total = 0;
    for (const quint64 count : m_rejected)
        total += count;
    return total;
}

void WebhookMetrics::countBatch(quint64 size, quint64 microseconds)
{
    batches.fetch_add(1, std::memory_order_relaxed);
    batchedEvents.fetch_add(size, std::memory_order_relaxed);
    commitMicroseconds.fetch_add(microseconds, std::memory_order_relaxed);
    quint64 largest = largestBatch.load(std::memory_order_relaxed);
    while (size > largest &&
           !largestBatch.compare_exchange_weak(largest, size, std::memory_order_relaxed)) {
    }
}

namespace {

void counter(QByteArray *out, const char *name, const char *help, quint64 value)
{
    out->append("# HELP ").append(name).append(' ').append(help).append('\n');
    out->append("# TYPE ").append(name).append(" counter\n");
    out->append(name).append(' ').append(QByteArray::number(value)).append('\n');
}

void gauge(QByteArray *out, const char *name, const char *help, const QByteArray &value)
{
    out->append("# HELP ").append(name).append(' ').append(help).append('\n');
    out->append("# TYPE ").append(name).append(" gauge\n");
    out->append(name).append(' ').append(value).append('\n');
}

} // namespace

QByteArray WebhookMetrics::prometheusText(const std::optional<InboxHealth> &health) const
{
    QByteArray out;
    counter(&out, "nobill_webhook_received_total", "Requests to the webhook path.",
            received.load());
    counter(&out, "nobill_webhook_verified_total",
            "Requests with a valid signature and a well-formed event.", verified.load());
    counter(&out, "nobill_webhook_stored_total", "Events committed to the inbox.", stored.load());
    counter(&out, "nobill_webhook_duplicates_total",
            "Events already in the inbox, acknowledged without storing them again.",
            duplicates.load());
    counter(&out, "nobill_webhook_unavailable_total",
            "Requests answered 503 because the database was unreachable.", unavailable.load());
    counter(&out, "nobill_webhook_batches_total", "Inbox commits (group commits).", batches.load());
    counter(&out, "nobill_webhook_batched_events_total", "Events written by inbox commits.",
            batchedEvents.load());
    gauge(&out, "nobill_webhook_largest_batch", "Most events in one inbox commit.",
          QByteArray::number(largestBatch.load()));
    gauge(&out, "nobill_webhook_open_connections", "Open HTTP connections.",
          QByteArray::number(openConnections.load()));

    out.append("# HELP nobill_webhook_rejected_total Requests refused, by reason.\n");
    out.append("# TYPE nobill_webhook_rejected_total counter\n");
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        for (auto it = m_rejected.cbegin(); it != m_rejected.cend(); ++it) {
            out.append("nobill_webhook_rejected_total{reason=\"")
                .append(it.key())
                .append("\"} ")
                .append(QByteArray::number(it.value()))
                .append('\n');
        }
    }
    if (health) {
        gauge(&out, "nobill_webhook_database_up", "1 if the inbox database answered.",
              health->databaseReachable ? "1" : "0");
        if (health->databaseReachable) {
            gauge(&out, "nobill_webhook_processing_lag_seconds",
                  "Age of the oldest received event not yet processed.",
                  QByteArray::number(health->lagSeconds, 'f', 3));
        }
    }
    return out;
}

} // namespace nobill
