#include "webhooks/webhookinbox.h"

#include "database/connection.h"
#include "database/sqlerror.h"

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QThread>

namespace nobill {

namespace {

Q_LOGGING_CATEGORY(lcInbox, "nobill.webhooks.inbox")

// One statement per batch: the rows arrive as one JSON array. ON CONFLICT makes a duplicate
// a no-op (also within the batch); RETURNING says which ids were new. The tenant is found
// through the Stripe customer when one is known; events of no tenant keep NULL. Rows go in
// id order, so two writers inserting the same ids wait for each other instead of deadlocking.
const char *const InsertSql =
    "INSERT INTO stripe_events (id, type, api_version, stripe_created, object_id, livemode, "
    "payload, source, organization_id) "
    "SELECT r.id, r.type, r.api_version, to_timestamp(r.created), r.object_id, r.livemode, "
    "r.payload, 'push', "
    "(SELECT o.id FROM organizations o WHERE o.stripe_customer_id = r.customer_id) "
    "FROM jsonb_to_recordset(?::jsonb) AS r(id text, type text, api_version text, "
    "created bigint, object_id text, customer_id text, livemode boolean, payload jsonb) "
    "ORDER BY r.id ON CONFLICT (id) DO NOTHING RETURNING id";

// Two index lookups on (status, received_at): cheap at any inbox size.
const char *const LagSql =
    "SELECT coalesce(extract(epoch FROM now() - least("
    "(SELECT min(received_at) FROM stripe_events WHERE status = 'received'), "
    "(SELECT min(received_at) FROM stripe_events WHERE status = 'waiting'))), 0)::float8";

// A refused value (22xxx data exception, 23xxx integrity violation) is the event's fault;
// anything else (connection lost, server shutting down, out of disk) is the database's.
bool isDataError(const QSqlError &error)
{
    const QString state = sqlState(error);
    return state.startsWith(QLatin1String("22")) || state.startsWith(QLatin1String("23"));
}

// A serialization failure or deadlock: nothing is wrong, the same statement may run again.
bool isTransient(const QSqlError &error)
{
    const QString state = sqlState(error);
    return state == QLatin1String("40001") || state == QLatin1String("40P01");
}

qint64 monotonicMs()
{
    static QElapsedTimer clock = [] {
        QElapsedTimer t;
        t.start();
        return t;
    }();
    return clock.elapsed();
}

} // namespace

struct WebhookInbox::Writer
{
    std::unique_ptr<QThread> thread;
    QString connectionName;
    bool connected = false;
    qint64 retryAfterMs = 0; // no reconnection attempt before this (monotonic ms)
    // Prepared once per connection: a batch is then one round trip.
    std::unique_ptr<QSqlQuery> insert;
};

WebhookInbox::WebhookInbox(ConnectionSettings settings, QObject *context, ReplyHandler handler,
                           WebhookMetrics *metrics)
    : m_settings(std::move(settings))
    , m_context(context)
    , m_handler(std::move(handler))
    , m_metrics(metrics)
{}

WebhookInbox::~WebhookInbox()
{
    stop();
}

void WebhookInbox::setMaxBatch(int events)
{
    m_maxBatch = qMax(1, events);
}

void WebhookInbox::setWriters(int writers)
{
    m_writerCount = qBound(1, writers, 8);
}

void WebhookInbox::start()
{
    if (!m_writers.empty())
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = false;
    }
    for (int i = 0; i < m_writerCount; ++i) {
        auto writer = std::make_unique<Writer>();
        writer->connectionName = uniqueConnectionName(QStringLiteral("webhook-inbox"));
        Writer *raw = writer.get();
        writer->thread.reset(QThread::create([this, raw] { run(*raw); }));
        writer->thread->setObjectName(QStringLiteral("webhook-inbox-%1").arg(i));
        m_writers.push_back(std::move(writer));
    }
    for (auto &writer : m_writers)
        writer->thread->start();
}

void WebhookInbox::stop()
{
    if (m_writers.empty())
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_all();
    for (auto &writer : m_writers)
        writer->thread->wait();
    m_writers.clear();
}

void WebhookInbox::submit(quint64 ticket, InboxEvent event)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_pending.emplace_back(ticket, std::move(event));
    }
    m_wake.notify_one();
}

void WebhookInbox::probe(quint64 ticket)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_probes.append(ticket);
    }
    m_wake.notify_one();
}

void WebhookInbox::run(Writer &writer)
{
    for (;;) {
        std::vector<std::pair<quint64, InboxEvent>> events;
        QList<quint64> probes;
        bool stopping = false;
        bool more = false;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait(lock,
                        [this] { return m_stopping || !m_pending.empty() || !m_probes.isEmpty(); });
            stopping = m_stopping;
            // Everything that arrived while the last commit was in flight, up to the limit.
            while (!m_pending.empty() && int(events.size()) < m_maxBatch) {
                events.push_back(std::move(m_pending.front()));
                m_pending.pop_front();
            }
            probes.swap(m_probes);
            more = !m_pending.empty();
        }
        if (stopping) {
            // Not committed, so not acknowledged: the sender retries.
            QList<InboxReply> replies;
            std::lock_guard<std::mutex> lock(m_mutex);
            for (auto &[ticket, event] : events)
                replies.append(InboxReply{ticket, InboxOutcome::Unavailable, {}});
            for (auto &[ticket, event] : m_pending)
                replies.append(InboxReply{ticket, InboxOutcome::Unavailable, {}});
            m_pending.clear();
            for (const quint64 ticket : probes + m_probes)
                replies.append(InboxReply{ticket, InboxOutcome::Health, {}});
            m_probes.clear();
            deliver(std::move(replies));
            break;
        }
        if (more)
            m_wake.notify_one(); // more than one batch waits: another writer takes the rest
        QList<InboxReply> replies;
        if (!events.empty())
            replies = commit(writer, events);
        if (!probes.isEmpty()) {
            const InboxHealth state = health(writer);
            for (const quint64 ticket : probes)
                replies.append(InboxReply{ticket, InboxOutcome::Health, state});
        }
        deliver(std::move(replies));
    }
    disconnect(writer);
}

bool WebhookInbox::ensureConnected(Writer &writer)
{
    if (writer.connected)
        return true;
    // While the database is down every batch would wait for a failed connection attempt;
    // answer 503 at once instead, and try again a little later.
    if (monotonicMs() < writer.retryAfterMs)
        return false;
    ConnectionSettings settings = m_settings;
    settings.source = QStringLiteral("webhook");
    const Status opened = openConnection(settings, writer.connectionName);
    if (!opened) {
        qCWarning(lcInbox) << "inbox database unreachable:" << opened.error().detail;
        writer.retryAfterMs = monotonicMs() + 250;
        return false;
    }
    writer.insert =
        std::make_unique<QSqlQuery>(QSqlDatabase::database(writer.connectionName, false));
    writer.insert->setForwardOnly(true);
    if (!writer.insert->prepare(QString::fromLatin1(InsertSql))) {
        qCWarning(lcInbox) << "inbox statement refused:" << writer.insert->lastError().text();
        writer.insert.reset();
        closeConnection(writer.connectionName);
        writer.retryAfterMs = monotonicMs() + 250;
        return false;
    }
    writer.connected = true;
    return true;
}

void WebhookInbox::disconnect(Writer &writer)
{
    writer.insert.reset();
    if (writer.connected)
        closeConnection(writer.connectionName);
    writer.connected = false;
}

QList<InboxReply> WebhookInbox::commit(Writer &writer,
                                       std::vector<std::pair<quint64, InboxEvent>> &events)
{
    QList<InboxReply> replies;
    replies.reserve(qsizetype(events.size()));
    const auto answerAll = [&](InboxOutcome outcome) {
        for (const auto &[ticket, event] : events)
            replies.append(InboxReply{ticket, outcome, {}});
    };
    if (!ensureConnected(writer)) {
        answerAll(InboxOutcome::Unavailable);
        return replies;
    }

    QElapsedTimer timer;
    timer.start();
    const auto insert = [&writer](const QByteArray &batch, QSet<QString> *inserted,
                                  QSqlError *error) {
        QSqlQuery &query = *writer.insert;
        query.bindValue(0, QString::fromUtf8(batch));
        // Autocommit: the statement is its own transaction, and with synchronous_commit on it
        // returns only once the commit is flushed. Only then is anyone answered 200.
        bool ok = query.exec();
        if (!ok && isTransient(query.lastError()))
            ok = query.exec();
        if (!ok) {
            *error = query.lastError();
            return false;
        }
        while (query.next())
            inserted->insert(query.value(0).toString());
        query.finish();
        return true;
    };

    QByteArray batch = "[";
    for (const auto &[ticket, event] : events)
        appendInboxBatch(&batch, event);
    closeInboxBatch(&batch);

    QSet<QString> inserted;
    QSqlError error;
    if (insert(batch, &inserted, &error)) {
        // The first request for an id stored it; any other in the batch is a duplicate.
        for (const auto &[ticket, event] : events) {
            const bool isNew = inserted.remove(event.id);
            replies.append(
                InboxReply{ticket, isNew ? InboxOutcome::Stored : InboxOutcome::Duplicate, {}});
        }
    } else if (isDataError(error)) {
        // One event's values spoil the statement: store the others one by one.
        qCWarning(lcInbox) << "batch refused, retrying one by one:" << error.text();
        for (const auto &[ticket, event] : events) {
            QByteArray single = "[";
            appendInboxBatch(&single, event);
            closeInboxBatch(&single);
            QSet<QString> one;
            QSqlError singleError;
            if (insert(single, &one, &singleError)) {
                replies.append(InboxReply{
                    ticket, one.isEmpty() ? InboxOutcome::Duplicate : InboxOutcome::Stored, {}});
            } else if (isDataError(singleError)) {
                qCWarning(lcInbox) << "event" << event.id << "refused:" << singleError.text();
                replies.append(InboxReply{ticket, InboxOutcome::Rejected, {}});
            } else {
                replies.append(InboxReply{ticket, InboxOutcome::Unavailable, {}});
                disconnect(writer);
            }
        }
    } else {
        qCWarning(lcInbox) << "inbox commit failed:" << error.text();
        disconnect(writer);
        answerAll(InboxOutcome::Unavailable);
    }
    if (m_metrics)
        m_metrics->countBatch(events.size(), quint64(timer.nsecsElapsed() / 1000));
    return replies;
}

InboxHealth WebhookInbox::health(Writer &writer)
{
    InboxHealth result;
    if (!ensureConnected(writer))
        return result;
    QSqlQuery query(QSqlDatabase::database(writer.connectionName, false));
    query.setForwardOnly(true);
    if (!query.exec(QString::fromLatin1(LagSql)) || !query.next()) {
        qCWarning(lcInbox) << "inbox health query failed:" << query.lastError().text();
        query = QSqlQuery();
        disconnect(writer);
        return result;
    }
    result.databaseReachable = true;
    result.lagSeconds = query.value(0).toDouble();
    return result;
}

void WebhookInbox::deliver(QList<InboxReply> replies)
{
    if (replies.isEmpty() || !m_handler)
        return;
    QMetaObject::invokeMethod(
        m_context, [handler = m_handler, replies = std::move(replies)] { handler(replies); },
        Qt::QueuedConnection);
}

} // namespace nobill
