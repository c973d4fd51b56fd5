#pragma once

// A verified Stripe event body mapped to the columns of the inbox (stripe_events), and the
// batch document the inbox writer sends to the database in one statement.

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace nobill {

enum class EventRejection {
    None,
    NotJson,     // not JSON, or truncated
    NotAnObject, // JSON, but not an object
    NotAnEvent,  // "object" is present and is not "event"
    BadId,       // no "id", or not evt_ followed by letters, digits and underscores
    BadType,     // no "type", blank, or longer than 200 characters
    BadCreated,  // no "created", or not a whole number of seconds in a sane range
    BadField,    // api_version, livemode or data.object of the wrong JSON type
};

struct InboxEvent
{
    QString id;
    QString type;
    QString apiVersion; // empty: NULL
    qint64 created = 0; // Unix seconds
    QString objectId;   // data.object.id; empty: NULL
    QString customerId; // the Stripe customer the object belongs to, to find the tenant
    bool livemode = false;
    QByteArray payload; // the raw body, as verified
};

// Parses the body only after its signature was verified. Fills `out` or says what is wrong.
EventRejection parseInboxEvent(QByteArrayView body, InboxEvent *out);

QByteArray eventRejectionCode(EventRejection rejection);
QString eventRejectionText(EventRejection rejection);

// Appends one event as an element of a JSON array that jsonb_to_recordset() reads:
// {"id":..,"type":..,"api_version":..,"created":..,"object_id":..,"customer_id":..,
//  "livemode":..,"payload":<raw body>}. `array` starts as "[" and ends with "]" once closed by
// closeInboxBatch().
void appendInboxBatch(QByteArray *array, const InboxEvent &event);
void closeInboxBatch(QByteArray *array);

} // namespace nobill
