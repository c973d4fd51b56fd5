#include "plans/plan.h"

namespace nobill {

namespace {
// Texts bound to NOT NULL columns: a null QString would be sent as NULL.
QString text(const QString &value)
{
    return value.isNull() ? QStringLiteral("") : value;
}
} // namespace

ProductDraft ProductDraft::normalized() const
{
    ProductDraft d;
    d.name = text(name.simplified());
    d.description = text(description.trimmed());
    return d;
}

PlanDraft PlanDraft::normalized() const
{
    PlanDraft d = *this;
    d.productId = productId.trimmed();
    d.name = text(name.simplified());
    d.description = text(description.trimmed());
    d.currency = currency.trimmed().toUpper();
    d.interval = interval.trimmed().toLower();
    d.usageType = usageType.trimmed().toLower();
    // A per-seat plan has no metric: one typed before switching to licensed is dropped.
    d.metric = d.usageType == QLatin1String("metered") ? metric.trimmed().toLower() : QString();
    return d;
}

PlanEdit PlanEdit::normalized() const
{
    PlanEdit e;
    e.name = text(name.simplified());
    e.description = text(description.trimmed());
    return e;
}

} // namespace nobill
