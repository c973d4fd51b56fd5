#pragma once

#include "plans/plan.h"
#include "tenants/tenant.h" // FieldProblem

#include <QList>
#include <QLocale>

#include <optional>

namespace nobill {

// The rules products and plans must satisfy, checked before anything reaches the database
// (which enforces most of them with constraints too). Shared by the dialogs, the service
// and the tests.
class PlanValidator
{
public:
    // The largest amount a price may have, in minor units (Stripe's limit for unit_amount).
    static constexpr qint64 MaxAmount = 99999999;
    static constexpr int MaxTrialDays = 730;

    static QList<FieldProblem> validate(const ProductDraft &draft);
    static QList<FieldProblem> validate(const PlanDraft &draft);
    static QList<FieldProblem> validate(const PlanEdit &edit);
    // Empty when `amount` (minor units) is a price a plan in `currency` may have.
    static QString amountProblem(qint64 amount, const QString &currency);
    // The most intervals Stripe allows between two bills: three years' worth.
    static int maxIntervalCount(const QString &interval);

    // "1,234.5" (in `locale`, or with a '.' decimal point) -> 123450 minor units of a
    // two-decimal currency. No doubles on the way. Empty for text that is not an amount, or
    // that has more decimals than the currency has (0 for JPY, 3 for KWD).
    static std::optional<qint64> parseAmount(const QString &text, const QString &currency,
                                             const QLocale &locale = QLocale());
    // 123450, "EUR" -> "1234.50" in `locale`, without grouping or currency: what an amount
    // field shows to be edited.
    static QString amountForEditing(qint64 amount, const QString &currency,
                                    const QLocale &locale = QLocale());
};

} // namespace nobill
