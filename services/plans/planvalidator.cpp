#include "plans/planvalidator.h"

#include "core/money.h"
#include "tenants/tenantvalidator.h"

#include <QCoreApplication>
#include <QRegularExpression>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::PlanValidator", text);
}

constexpr int MaxNameLength = 200;
constexpr int MaxDescriptionLength = 2000;
constexpr int MaxMetricLength = 100;

void checkName(const QString &name, QList<FieldProblem> &problems, const QString &emptyMessage)
{
    if (name.isEmpty())
        problems.append({QStringLiteral("name"), emptyMessage});
    else if (name.size() > MaxNameLength)
        problems.append(
            {QStringLiteral("name"), tr("The name is too long (at most 200 characters).")});
}

void checkDescription(const QString &description, QList<FieldProblem> &problems)
{
    if (description.size() > MaxDescriptionLength)
        problems.append({QStringLiteral("description"),
                         tr("The description is too long (at most 2000 characters).")});
}

qint64 minorUnitDivisor(const QString &currency)
{
    qint64 divisor = 1;
    for (int i = 0; i < currencyDecimals(currency); ++i)
        divisor *= 10;
    return divisor;
}
} // namespace

QList<FieldProblem> PlanValidator::validate(const ProductDraft &input)
{
    const ProductDraft d = input.normalized();
    QList<FieldProblem> problems;
    checkName(d.name, problems, tr("Enter the product's name."));
    checkDescription(d.description, problems);
    return problems;
}

QList<FieldProblem> PlanValidator::validate(const PlanEdit &input)
{
    const PlanEdit e = input.normalized();
    QList<FieldProblem> problems;
    checkName(e.name, problems, tr("Enter the plan's name."));
    checkDescription(e.description, problems);
    return problems;
}

QString PlanValidator::amountProblem(qint64 amount, const QString &currency)
{
    if (amount <= 0)
        return tr("Enter a price above zero.");
    if (amount > MaxAmount)
        return tr("The price is too high: at most %1.")
            .arg(formatMoney(MaxAmount, currency.isEmpty() ? QStringLiteral("EUR") : currency));
    return {};
}

int PlanValidator::maxIntervalCount(const QString &interval)
{
    if (interval == QLatin1String("day"))
        return 1095;
    if (interval == QLatin1String("week"))
        return 156;
    if (interval == QLatin1String("month"))
        return 36;
    if (interval == QLatin1String("year"))
        return 3;
    return 0;
}

QList<FieldProblem> PlanValidator::validate(const PlanDraft &input)
{
    const PlanDraft d = input.normalized();
    QList<FieldProblem> problems;
    auto add = [&problems](const char *field, const QString &message) {
        problems.append({QString::fromLatin1(field), message});
    };

    if (d.productId.isEmpty())
        add("productId", tr("Choose the product this plan is a price of."));
    checkName(d.name, problems, tr("Enter the plan's name."));
    checkDescription(d.description, problems);

    if (d.currency.isEmpty())
        add("currency", tr("Choose the currency of the price."));
    else if (!TenantValidator::isKnownCurrency(d.currency))
        add("currency", tr("\"%1\" is not an ISO 4217 currency code (like EUR, USD, GBP).")
                            .arg(d.currency.left(10)));
    if (const QString problem = amountProblem(d.amount, d.currency); !problem.isEmpty())
        add("amount", problem);

    const int maxCount = maxIntervalCount(d.interval);
    if (maxCount == 0)
        add("interval", tr("Choose how often the plan is billed: every day, week, month or year."));
    else if (d.intervalCount < 1)
        add("interval", tr("The number of intervals between bills must be at least 1."));
    else if (d.intervalCount > maxCount)
        add("interval", tr("Stripe bills at least every three years: at most %1 of these "
                           "intervals between bills.")
                            .arg(maxCount));

    static const QRegularExpression metricPattern(QStringLiteral("^[a-z][a-z0-9_]*$"));
    if (d.usageType == QLatin1String("metered")) {
        if (d.metric.isEmpty())
            add("metric", tr("A metered plan needs the metric it charges for, like api_calls."));
        else if (d.metric.size() > MaxMetricLength || !metricPattern.match(d.metric).hasMatch())
            add("metric", tr("A metric has lowercase letters, digits and underscores, starting "
                             "with a letter (like api_calls), at most 100 characters."));
    } else if (d.usageType != QLatin1String("licensed")) {
        add("usageType", tr("A plan is billed either per seat (licensed) or by usage (metered)."));
    }

    if (d.trialDays < 0 || d.trialDays > MaxTrialDays)
        add("trialDays", tr("The trial lasts between 0 and 730 days."));
    return problems;
}

std::optional<qint64> PlanValidator::parseAmount(const QString &text, const QString &currency,
                                                 const QLocale &locale)
{
    const QString decimal = locale.decimalPoint();
    const QString group = locale.groupSeparator();
    QString s;
    for (const QChar c : text) {
        if (!c.isSpace()) // also the no-break spaces some locales group digits with
            s += c;
    }
    bool negative = false;
    if (s.startsWith(QLatin1Char('-'))) {
        negative = true;
        s.remove(0, 1);
    } else if (!locale.negativeSign().isEmpty() && s.startsWith(locale.negativeSign())) {
        negative = true;
        s.remove(0, locale.negativeSign().size());
    }
    // A '.' is a decimal point too, unless this locale groups digits with it.
    if (decimal != QLatin1String(".") && group != QLatin1String("."))
        s.replace(QLatin1Char('.'), decimal);
    const QStringList parts = s.split(decimal);
    if (parts.size() > 2)
        return std::nullopt;
    QString whole = parts.at(0);
    QString fraction = parts.size() == 2 ? parts.at(1) : QString();
    // Group separators only where the locale puts them ("1,234,567"), so that "12.5" in a
    // locale that groups with '.' is not silently read as 125.
    if (!group.isEmpty() && group != decimal && whole.contains(group)) {
        const QStringList groups = whole.split(group);
        if (groups.first().isEmpty() || groups.first().size() > 3)
            return std::nullopt;
        for (qsizetype i = 1; i < groups.size(); ++i) {
            if (groups.at(i).size() != 3)
                return std::nullopt;
        }
        whole = groups.join(QString());
    }
    if (whole.isEmpty() && fraction.isEmpty())
        return std::nullopt;
    const int decimals = currencyDecimals(currency);
    while (fraction.size() > decimals && fraction.endsWith(QLatin1Char('0')))
        fraction.chop(1);
    if (fraction.size() > decimals || whole.size() > 15)
        return std::nullopt;
    const auto allDigits = [](const QString &digits) {
        for (const QChar c : digits) {
            if (c < QLatin1Char('0') || c > QLatin1Char('9'))
                return false;
        }
        return true;
    };
    if (!allDigits(whole) || !allDigits(fraction))
        return std::nullopt;
    while (fraction.size() < decimals)
        fraction += QLatin1Char('0');
    const qint64 units = (whole.isEmpty() ? 0 : whole.toLongLong()) * minorUnitDivisor(currency) +
                         (fraction.isEmpty() ? 0 : fraction.toLongLong());
    return negative ? -units : units;
}

QString PlanValidator::amountForEditing(qint64 amount, const QString &currency,
                                        const QLocale &locale)
{
    const int decimals = currencyDecimals(currency);
    const qint64 divisor = minorUnitDivisor(currency);
    const bool negative = amount < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(amount) : quint64(amount);
    QString text = QString::number(magnitude / quint64(divisor));
    if (decimals > 0)
        text += locale.decimalPoint() + QStringLiteral("%1").arg(magnitude % quint64(divisor),
                                                                 decimals, 10, QLatin1Char('0'));
    return negative ? QStringLiteral("-") + text : text;
}

} // namespace nobill
