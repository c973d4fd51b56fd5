#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// An event from Stripe in the webhook inbox (table stripe_events), and how it was handled.
struct WebhookEvent
{
    QString id;   // evt_...
    QString type; // e.g. invoice.paid
    QString apiVersion;
    QDateTime stripeCreated;
    QString objectId; // the Stripe object the event is about (in_..., sub_...)
    bool livemode = false;
    QString source; // push (the listener) or pull (the Events poller)
    QString status; // received, processed, ignored, waiting, failed
    int attempts = 0;
    QString lastError;
    QDateTime receivedAt;
    QDateTime processedAt;
    QString organizationId; // empty until processing names it, or for platform events
    QString organizationName;

    QByteArray payload; // the event as Stripe sent it: filled in by WebhookEventService::get()
};

// Filter, as typed values. The list is newest first (received).
struct WebhookEventQuery
{
    QString status; // empty = all
    QString type;   // a type ("invoice.paid") or a prefix ending in "." ("invoice.")
    // Empty: all the operator may see; WebhookEventQuery::platformEvents(): events of no
    // organization; else an organization id.
    QString organizationId;

    static QString platformEvents() { return QStringLiteral("platform"); }
    bool isFiltered() const
    {
        return !status.isEmpty() || !type.isEmpty() || !organizationId.isEmpty();
    }
};

// Keyset cursor: received_at exact to the microsecond (as the database's text), and the id.
struct WebhookEventCursor
{
    QString receivedAt;
    QString id;
};

struct WebhookEventPage
{
    QList<WebhookEvent> rows;
    bool hasMore = false;
    std::optional<WebhookEventCursor> next;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::WebhookEvent)
