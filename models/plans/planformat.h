#pragma once

#include "plans/plan.h"

#include <QLocale>
#include <QString>

namespace nobill {

// How a plan's terms read on screen, the same in the list, the detail panel and the dialogs.
namespace PlanFormat {
// "Monthly", "Every 3 months".
QString billingPeriod(const QString &interval, int count);
// "Per seat" or "Metered".
QString usage(const QString &usageType);
// "49.00 EUR per seat · Monthly"; "0.02 EUR per api_calls · Monthly".
QString terms(const Plan &plan, const QLocale &locale = QLocale());
// "14 days" or "None".
QString trial(int days);
// "Active", "Archived" or "Replaced" (archived, with a newer version).
QString status(const Plan &plan);
} // namespace PlanFormat

} // namespace nobill
