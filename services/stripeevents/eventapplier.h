#pragma once

#include "core/result.h"
#include "stripeevents/eventmapping.h"

#include <QString>
#include <QStringList>
#include <QVariantList>

#include <memory>

class QSqlQuery;

namespace nobill {

// How one event ended up.
enum class EventOutcome {
    Applied, // processed: our tables now say what the event says
    Stale,   // ignored: an event newer than this one was already applied to the object
    Ignored, // ignored: a type we do not apply, or an object that is not ours
    Waiting, // waiting: something it needs is not here yet; tried again later
    Failed,  // failed: it can never be applied as it is (reason in last_error)
    Skipped, // not touched: already handled, or another processor holds it now
};

struct EventApplierOptions
{
    // Attempts before a waiting event fails (it can still be reprocessed from the console).
    int maxAttempts = 10;
    // Backoff of waiting events: base * 2^(attempts-1) seconds, at most max.
    int backoffBaseSeconds = 5;
    int backoffMaxSeconds = 3600;
};

struct DrainStats
{
    int applied = 0;
    int stale = 0;
    int ignored = 0;
    int waiting = 0;
    int failed = 0;
    int skipped = 0;
    int total() const { return applied + stale + ignored + waiting + failed + skipped; }
    void add(EventOutcome outcome);
};

// Applies events of the inbox (stripe_events) to our tables: synchronous, on the calling
// thread's named connection, which should be a nobill_service login (or the owner).
// Each event is applied in one transaction together with its new status and the audit rows
// the triggers write (source 'webhook'); see migration 0015 for the ordering rules.
class EventApplier
{
public:
    explicit EventApplier(QString connectionName, EventApplierOptions options = {});
    ~EventApplier();
    EventApplier(EventApplier &&other) noexcept;
    EventApplier &operator=(EventApplier &&other) noexcept;

    // Applies up to `limit` events that are due (received, or waiting whose retry time has
    // come), oldest first by Stripe's creation time. An error means the database could not
    // be reached or queried; events handled before it stay handled.
    Result<DrainStats> processDue(int limit);
    // One event, whatever its retry time (if it is received or waiting).
    Result<EventOutcome> processOne(const QString &eventId);

    // Drops the prepared statements; call before the connection is closed.
    void releaseStatements();

    // For a connection that only applies the inbox (the event processor's): its commits no
    // longer wait for their own disk flush (synchronous_commit = off). Why that is safe is
    // explained where it is done.
    static Status relaxCommitDurability(const QString &connectionName);

private:
    Result<QSqlQuery *> run(const QString &sql, const QVariantList &values = {});
    struct Decision;
    Result<Decision> decide(const MappedEvent &event);
    Result<Decision> applyCustomer(const MappedEvent &event);
    Result<Decision> applyProduct(const MappedEvent &event);
    Result<Decision> applyPrice(const MappedEvent &event);
    Result<Decision> applySubscription(const MappedEvent &event);
    Result<Decision> applyInvoice(const MappedEvent &event);
    Result<Decision> applyCheckout(const MappedEvent &event);
    Result<Decision> applyMeterError(const MappedEvent &event);
    Result<bool> advance(const MappedEvent &event);
    Status record(const QString &eventId, int attempts, const Decision &decision);
    Status recordError(const QString &eventId, const Error &error);

    QString m_connectionName;
    EventApplierOptions m_options;
    // Prepared statements by SQL text, of m_connectionName (Qt Sql stays out of this
    // header: the layers above services cannot include it).
    struct Statements;
    std::unique_ptr<Statements> m_statements;
};

} // namespace nobill
