#pragma once

// The durable side of the webhook listener: writer threads, each with its own database
// connection, that commit verified events to stripe_events before they are acknowledged.
// Events that arrive while a commit is in flight wait and are committed together in the next
// one (group commit), so throughput does not hinge on one disk flush per event. With two
// writers (the default) a new batch is sent while the previous one waits for its flush.

#include "database/connectionsettings.h"
#include "webhooks/inboxevent.h"
#include "webhooks/webhookmetrics.h"

#include <QList>
#include <QObject>

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>

class QThread;

namespace nobill {

enum class InboxOutcome {
    Stored,      // committed now
    Duplicate,   // already in the inbox (or earlier in the same batch): nothing written
    Unavailable, // the database could not be reached or failed: the sender should retry
    Rejected,    // the database refused this event's values (e.g. a \u0000 in its JSON)
    Health,      // answer to probe(): see InboxReply::health
};

struct InboxReply
{
    quint64 ticket = 0;
    InboxOutcome outcome = InboxOutcome::Unavailable;
    InboxHealth health;
};

class WebhookInbox
{
public:
    using ReplyHandler = std::function<void(const QList<InboxReply> &)>;

    // Replies are delivered to `handler` on the thread of `context`, in batches. `context`
    // and `metrics` (optional) must outlive the inbox: stop() it before they go.
    WebhookInbox(ConnectionSettings settings, QObject *context, ReplyHandler handler,
                 WebhookMetrics *metrics = nullptr);
    ~WebhookInbox();

    WebhookInbox(const WebhookInbox &) = delete;
    WebhookInbox &operator=(const WebhookInbox &) = delete;

    // Most events in one statement; the rest waits for the next commit.
    void setMaxBatch(int events);
    // Writer threads (connections), before start(). 1 to 8.
    void setWriters(int writers);

    // Starts the writer threads; they connect on first use and reconnect after failures.
    void start();
    // Answers what is still queued as Unavailable and joins the thread. Idempotent.
    void stop();

    // Thread-safe. The reply carries the same ticket.
    void submit(quint64 ticket, InboxEvent event);
    // Database reachability and processing lag, answered between commits.
    void probe(quint64 ticket);

private:
    struct Writer;

    void run(Writer &writer);
    bool ensureConnected(Writer &writer);
    void disconnect(Writer &writer);
    QList<InboxReply> commit(Writer &writer, std::vector<std::pair<quint64, InboxEvent>> &events);
    InboxHealth health(Writer &writer);
    void deliver(QList<InboxReply> replies);

    ConnectionSettings m_settings;
    QObject *m_context;
    ReplyHandler m_handler;
    WebhookMetrics *m_metrics;
    int m_maxBatch = 1000;
    int m_writerCount = 2;

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::pair<quint64, InboxEvent>> m_pending;
    QList<quint64> m_probes;
    bool m_stopping = false;

    std::vector<std::unique_ptr<Writer>> m_writers;
};

} // namespace nobill
