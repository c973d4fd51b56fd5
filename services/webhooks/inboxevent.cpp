#include "webhooks/inboxevent.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QJsonObject>
#include <QJsonValue>

#include <cmath>

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::InboxEvent", text);
}

// The same rule as the stripe_events_id_format constraint, so a batch never fails on it.
bool isEventId(const QString &id)
{
    if (id.size() <= 4 || id.size() > 255 || !id.startsWith(QLatin1String("evt_")))
        return false;
    for (qsizetype i = 4; i < id.size(); ++i) {
        const char16_t c = id.at(i).unicode();
        const bool ok = (c >= u'a' && c <= u'z') || (c >= u'A' && c <= u'Z') ||
                        (c >= u'0' && c <= u'9') || c == u'_';
        if (!ok)
            return false;
    }
    return true;
}

// A JSON string literal. QJsonDocument would do it too, but only for whole documents.
void appendJsonString(QByteArray *out, const QString &text)
{
    out->append('"');
    const QByteArray utf8 = text.toUtf8();
    for (const char c : utf8) {
        const auto u = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out->append('\\');
            out->append(c);
        } else if (u < 0x20) {
            static const char digits[] = "0123456789abcdef";
            out->append("\\u00", 4);
            out->append(digits[u >> 4]);
            out->append(digits[u & 0xf]);
        } else {
            out->append(c);
        }
    }
    out->append('"');
}

void appendNullableString(QByteArray *out, const QString &text)
{
    if (text.isEmpty())
        out->append("null");
    else
        appendJsonString(out, text);
}

} // namespace

EventRejection parseInboxEvent(QByteArrayView body, InboxEvent *out)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body.toByteArray(), &error);
    if (error.error != QJsonParseError::NoError)
        return EventRejection::NotJson;
    if (!document.isObject())
        return EventRejection::NotAnObject;
    const QJsonObject event = document.object();

    const QJsonValue object = event.value(QLatin1String("object"));
    if (!object.isUndefined() && object.toString() != QLatin1String("event"))
        return EventRejection::NotAnEvent;

    InboxEvent result;
    result.id = event.value(QLatin1String("id")).toString();
    if (!isEventId(result.id))
        return EventRejection::BadId;

    result.type = event.value(QLatin1String("type")).toString();
    if (result.type.trimmed().isEmpty() || result.type.size() > 200)
        return EventRejection::BadType;

    const QJsonValue created = event.value(QLatin1String("created"));
    const double seconds = created.toDouble(-1);
    // Whole seconds between 2000 and 2100: anything else is no Stripe event.
    if (!created.isDouble() || seconds != std::floor(seconds) || seconds < 946684800.0 ||
        seconds > 4102444800.0)
        return EventRejection::BadCreated;
    result.created = static_cast<qint64>(seconds);

    const QJsonValue apiVersion = event.value(QLatin1String("api_version"));
    if (apiVersion.isString())
        result.apiVersion = apiVersion.toString();
    else if (!apiVersion.isUndefined() && !apiVersion.isNull())
        return EventRejection::BadField;

    const QJsonValue livemode = event.value(QLatin1String("livemode"));
    if (livemode.isBool())
        result.livemode = livemode.toBool();
    else if (!livemode.isUndefined())
        return EventRejection::BadField;

    const QJsonValue data = event.value(QLatin1String("data"));
    if (data.isObject()) {
        const QJsonValue dataObject = data.toObject().value(QLatin1String("object"));
        if (dataObject.isObject()) {
            const QJsonObject stripeObject = dataObject.toObject();
            result.objectId = stripeObject.value(QLatin1String("id")).toString();
            // The tenant is found through its Stripe customer: the object's own customer
            // field, or the object itself when it is the customer.
            const QJsonValue customer = stripeObject.value(QLatin1String("customer"));
            if (customer.isString())
                result.customerId = customer.toString();
            else if (customer.isObject())
                result.customerId = customer.toObject().value(QLatin1String("id")).toString();
            else if (stripeObject.value(QLatin1String("object")).toString() ==
                     QLatin1String("customer"))
                result.customerId = result.objectId;
        } else if (!dataObject.isUndefined()) {
            return EventRejection::BadField;
        }
    } else if (!data.isUndefined()) {
        return EventRejection::BadField;
    }
    if (result.objectId.size() > 255)
        result.objectId.clear();
    if (result.customerId.size() > 255)
        result.customerId.clear();

    result.payload = body.toByteArray();
    *out = std::move(result);
    return EventRejection::None;
}

QByteArray eventRejectionCode(EventRejection rejection)
{
    switch (rejection) {
    case EventRejection::None:
        return "none";
    case EventRejection::NotJson:
        return "not_json";
    case EventRejection::NotAnObject:
        return "not_an_object";
    case EventRejection::NotAnEvent:
        return "not_an_event";
    case EventRejection::BadId:
        return "bad_event_id";
    case EventRejection::BadType:
        return "bad_event_type";
    case EventRejection::BadCreated:
        return "bad_event_created";
    case EventRejection::BadField:
        return "bad_event_field";
    }
    return "unknown";
}

QString eventRejectionText(EventRejection rejection)
{
    switch (rejection) {
    case EventRejection::None:
        return tr("The event is well formed.");
    case EventRejection::NotJson:
        return tr("The body is not JSON, or it is truncated.");
    case EventRejection::NotAnObject:
        return tr("The body is not a JSON object.");
    case EventRejection::NotAnEvent:
        return tr("The body is not a Stripe event.");
    case EventRejection::BadId:
        return tr("The event has no valid id (evt_...).");
    case EventRejection::BadType:
        return tr("The event has no valid type.");
    case EventRejection::BadCreated:
        return tr("The event has no valid creation time.");
    case EventRejection::BadField:
        return tr("A field of the event has the wrong type.");
    }
    return tr("The event was refused.");
}

void appendInboxBatch(QByteArray *array, const InboxEvent &event)
{
    array->append(array->size() <= 1 ? "{\"id\":" : ",{\"id\":");
    appendJsonString(array, event.id);
    array->append(",\"type\":");
    appendJsonString(array, event.type);
    array->append(",\"api_version\":");
    appendNullableString(array, event.apiVersion);
    array->append(",\"created\":");
    array->append(QByteArray::number(event.created));
    array->append(",\"object_id\":");
    appendNullableString(array, event.objectId);
    array->append(",\"customer_id\":");
    appendNullableString(array, event.customerId);
    array->append(event.livemode ? ",\"livemode\":true" : ",\"livemode\":false");
    array->append(",\"payload\":");
    array->append(event.payload);
    array->append('}');
}

void closeInboxBatch(QByteArray *array)
{
    array->append(']');
}

} // namespace nobill
