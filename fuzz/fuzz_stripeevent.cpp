// libFuzzer target: any verified body either maps to an inbox row or is refused with a
// reason; a mapped row always makes a batch document that is valid JSON and carries the
// same id, type and payload back.

#include "webhooks/inboxevent.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

#include <cstdint>
#include <cstdlib>

using namespace nobill;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView body(reinterpret_cast<const char *>(data), qsizetype(size));
    InboxEvent event;
    const EventRejection rejection = parseInboxEvent(body, &event);
    (void)eventRejectionCode(rejection);
    (void)eventRejectionText(rejection);
    if (rejection != EventRejection::None)
        return 0;
    if (!event.id.startsWith(QLatin1String("evt_")) || event.type.trimmed().isEmpty() ||
        event.payload != body)
        std::abort();

    QByteArray batch = "[";
    appendInboxBatch(&batch, event);
    appendInboxBatch(&batch, event);
    closeInboxBatch(&batch);
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(batch, &error);
    if (error.error != QJsonParseError::NoError || !document.isArray())
        std::abort();
    const QJsonArray rows = document.array();
    if (rows.size() != 2)
        std::abort();
    const QJsonObject row = rows.at(1).toObject();
    if (row.value(QLatin1String("id")).toString() != event.id ||
        row.value(QLatin1String("type")).toString() != event.type ||
        row.value(QLatin1String("object_id")).toString() != event.objectId ||
        row.value(QLatin1String("customer_id")).toString() != event.customerId ||
        row.value(QLatin1String("created")).toInteger() != event.created ||
        !row.value(QLatin1String("payload")).isObject())
        std::abort();
    return 0;
}
