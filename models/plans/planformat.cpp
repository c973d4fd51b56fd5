#include "plans/planformat.h"

#include "core/money.h"

#include <QCoreApplication>

namespace nobill::PlanFormat {

namespace {
QString tr(const char *text, int n = -1)
{
    return QCoreApplication::translate("nobill::PlanFormat", text, nullptr, n);
}
} // namespace

QString billingPeriod(const QString &interval, int count)
{
    const bool once = count == 1;
    if (interval == QLatin1String("day"))
        return once ? tr("Daily") : tr("Every %n day(s)", count);
    if (interval == QLatin1String("week"))
        return once ? tr("Weekly") : tr("Every %n week(s)", count);
    if (interval == QLatin1String("month"))
        return once ? tr("Monthly") : tr("Every %n month(s)", count);
    if (interval == QLatin1String("year"))
        return once ? tr("Yearly") : tr("Every %n year(s)", count);
    return interval;
}

QString usage(const QString &usageType)
{
    return usageType == QLatin1String("metered") ? tr("Metered") : tr("Per seat");
}

QString terms(const Plan &plan, const QLocale &locale)
{
    const QString price = formatMoney(plan.amount, plan.currency, locale);
    const QString period = billingPeriod(plan.interval, plan.intervalCount);
    if (plan.isMetered())
        return tr("%1 per %2 · %3").arg(price, plan.metric, period);
    return tr("%1 per seat · %2").arg(price, period);
}

QString trial(int days)
{
    return days > 0 ? tr("%n day(s)", days) : tr("None");
}

QString status(const Plan &plan)
{
    if (!plan.isArchived())
        return tr("Active");
    return plan.replacedByPlanId.isEmpty() ? tr("Archived") : tr("Replaced");
}

} // namespace nobill::PlanFormat
