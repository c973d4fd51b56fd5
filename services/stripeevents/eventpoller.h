#pragma once

#include "database/connectionsettings.h"
#include "stripe/stripeclient.h"

#include <QObject>
#include <QString>

class QTimer;

namespace nobill {

struct EventPollerOptions
{
    int intervalMs = 10000; // between the end of one poll and the start of the next
    // Stripe lists an event a little after its `created` second at times: each poll asks
    // again from this long before the newest event stored (duplicates cost nothing).
    int overlapSeconds = 300;
    // With no cursor yet (the first poll of an office), how far back to start.
    int initialLookbackSeconds = 86400;
};

// Pull mode (`nobillctl serve --pull`), for an office Stripe cannot reach: asks Stripe's
// Events API (GET /v1/events, created[gte] from the cursor kept in stripe_event_cursor,
// migration 15) for what happened and stores it in the same inbox as the webhook listener,
// with source 'pull'. INSERT ... ON CONFLICT (id) DO NOTHING: push and pull together never
// store an event twice; the event processor applies what arrives either way.
//
// Lives on one thread with an event loop (the Stripe client is asynchronous); its database
// connection (a nobill_service login) is opened on that thread at the first poll.
//     auto *poller = new EventPoller(serviceSettings, stripeOptions, {}, parent);
//     poller->start();   // polls now, then every intervalMs
//     poller->stop();
class EventPoller final : public QObject
{
    Q_OBJECT
public:
    EventPoller(ConnectionSettings settings, StripeClientOptions stripe,
                EventPollerOptions options = {}, QObject *parent = nullptr);
    ~EventPoller() override;

    void start();
    void stop();
    // One poll now (unless one is running); pollFinished follows.
    void pollOnce();

signals:
    // stored: new events in the inbox; duplicates: events it held already. On failure, ok
    // is false and message is a sentence (Stripe's or the database's).
    void pollFinished(bool ok, int stored, int duplicates, const QString &message);

private:
    void finish(bool ok, int stored, int duplicates, const QString &message);
    void storeEvents(const QList<QJsonObject> &events);

    ConnectionSettings m_settings;
    EventPollerOptions m_options;
    StripeClient *m_stripe = nullptr;
    QTimer *m_timer = nullptr;
    QString m_connectionName;
    bool m_running = false; // start() was called and stop() not yet
    bool m_polling = false; // a poll is under way
};

} // namespace nobill
