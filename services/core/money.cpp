#include "core/money.h"

#include <QSet>

namespace nobill {

int currencyDecimals(const QString &currency)
{
    // Stripe's list of zero-decimal currencies, plus the three-decimal ones of ISO 4217.
    static const QSet<QString> zero{
        QStringLiteral("BIF"), QStringLiteral("CLP"), QStringLiteral("DJF"), QStringLiteral("GNF"),
        QStringLiteral("JPY"), QStringLiteral("KMF"), QStringLiteral("KRW"), QStringLiteral("MGA"),
        QStringLiteral("PYG"), QStringLiteral("RWF"), QStringLiteral("UGX"), QStringLiteral("VND"),
        QStringLiteral("VUV"), QStringLiteral("XAF"), QStringLiteral("XOF"), QStringLiteral("XPF")};
    static const QSet<QString> three{
        QStringLiteral("BHD"), QStringLiteral("IQD"), QStringLiteral("JOD"), QStringLiteral("KWD"),
        QStringLiteral("LYD"), QStringLiteral("OMR"), QStringLiteral("TND")};
    if (zero.contains(currency))
        return 0;
    if (three.contains(currency))
        return 3;
    return 2;
}

QString formatMoney(qint64 minorUnits, const QString &currency, const QLocale &locale)
{
    const int decimals = currencyDecimals(currency);
    qint64 divisor = 1;
    for (int i = 0; i < decimals; ++i)
        divisor *= 10;
    const bool negative = minorUnits < 0;
    const quint64 magnitude = negative ? quint64(0) - quint64(minorUnits) : quint64(minorUnits);
    // Whole and fractional parts are formatted separately so no amount goes through a double.
    const QString whole = locale.toString(qulonglong(magnitude / quint64(divisor)));
    QString number = whole;
    if (decimals > 0) {
        number += locale.decimalPoint() + QStringLiteral("%1").arg(magnitude % quint64(divisor),
                                                                   decimals, 10, QLatin1Char('0'));
    }
    // An ISO code is unambiguous across tenants in different currencies ("12.00 EUR").
    return (negative ? locale.negativeSign() : QString()) + number + QLatin1Char(' ') + currency;
}

} // namespace nobill
