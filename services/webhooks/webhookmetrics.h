#pragma once

// Counters of the webhook listener. Updated by the listener's thread and the inbox writer,
// read by /metrics and by benchmarks from any thread, hence atomic.

#include <QByteArray>
#include <QMap>

#include <atomic>
#include <mutex>
#include <optional>

namespace nobill {

struct InboxHealth
{
    bool databaseReachable = false;
    // Age of the oldest event received but not yet processed; 0 when none waits.
    double lagSeconds = 0;
};

class WebhookMetrics
{
public:
    std::atomic<quint64> received{0};    // requests to the webhook path
    std::atomic<quint64> verified{0};    // valid signature and a well-formed event
    std::atomic<quint64> stored{0};      // committed to the inbox
    std::atomic<quint64> duplicates{0};  // already in the inbox: answered 200, not stored again
    std::atomic<quint64> unavailable{0}; // answered 503 because the database was unreachable
    std::atomic<quint64> batches{0};     // inbox commits
    std::atomic<quint64> batchedEvents{0};
    std::atomic<quint64> largestBatch{0};
    std::atomic<quint64> commitMicroseconds{0}; // summed over batches
    std::atomic<qint64> openConnections{0};

    void countRejected(const QByteArray &reason);
    quint64 rejected(const QByteArray &reason) const;
    quint64 rejectedTotal() const;
    void countBatch(quint64 size, quint64 microseconds);

    // Prometheus text exposition format (version 0.0.4). `health` adds the database gauges.
    QByteArray prometheusText(const std::optional<InboxHealth> &health) const;

private:
    mutable std::mutex m_mutex;
    QMap<QByteArray, quint64> m_rejected;
};

} // namespace nobill
