#pragma once

#include <QLocale>
#include <QString>

namespace nobill {

// Money is an integer count of the currency's minor unit plus an ISO 4217 code; never a
// double. JPY, KRW and other zero-decimal currencies have no minor unit to divide by.
int currencyDecimals(const QString &currency);
// 123456, "EUR" -> "1,234.56 EUR" in the given locale (or the operator's). The ISO code
// rather than a symbol: "$" is ambiguous between tenants billed in USD, CAD and AUD.
QString formatMoney(qint64 minorUnits, const QString &currency, const QLocale &locale = QLocale());

} // namespace nobill
