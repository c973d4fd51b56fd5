#include "audit/auditentry.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QSet>

#include <algorithm>

namespace nobill {

QString auditValueText(const QJsonValue &value)
{
    switch (value.type()) {
    case QJsonValue::Null:
        return QStringLiteral("null");
    case QJsonValue::Bool:
        return value.toBool() ? QStringLiteral("true") : QStringLiteral("false");
    case QJsonValue::Double: {
        const double d = value.toDouble();
        // Whole numbers (amounts in minor units, counts) without an exponent or ".0".
        if (d == double(qint64(d)) && qAbs(d) < 9.0e15)
            return QString::number(qint64(d));
        return QString::number(d, 'g', 17);
    }
    case QJsonValue::String:
        return value.toString();
    case QJsonValue::Array:
        return QString::fromUtf8(QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact));
    case QJsonValue::Object:
        return QString::fromUtf8(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    case QJsonValue::Undefined:
        break;
    }
    return {};
}

QList<AuditFieldChange> auditDiff(const AuditEntry &entry)
{
    QStringList fields = entry.before.keys() + entry.after.keys();
    std::sort(fields.begin(), fields.end());
    fields.erase(std::unique(fields.begin(), fields.end()), fields.end());
    const bool update = entry.action == QLatin1String("update");
    QList<AuditFieldChange> changes;
    changes.reserve(fields.size());
    for (const QString &field : fields) {
        AuditFieldChange c;
        c.field = field;
        c.inBefore = entry.before.contains(field);
        c.inAfter = entry.after.contains(field);
        if (c.inBefore)
            c.before = auditValueText(entry.before.value(field));
        if (c.inAfter)
            c.after = auditValueText(entry.after.value(field));
        if (update) {
            // `changed` leaves out columns not worth a row (updated_at, a lease); they still
            // differ, and a person comparing the two sides expects to see them marked.
            c.changed = entry.changed.contains(field) || c.inBefore != c.inAfter ||
                        entry.before.value(field) != entry.after.value(field);
        } else {
            c.changed = true;
        }
        changes.append(c);
    }
    return changes;
}

QStringList auditedEntities()
{
    return {QStringLiteral("organizations"),
            QStringLiteral("users"),
            QStringLiteral("memberships"),
            QStringLiteral("roles"),
            QStringLiteral("role_permissions"),
            QStringLiteral("products"),
            QStringLiteral("plans"),
            QStringLiteral("subscriptions"),
            QStringLiteral("invoices"),
            QStringLiteral("usage_records"),
            QStringLiteral("jobs")};
}

} // namespace nobill
