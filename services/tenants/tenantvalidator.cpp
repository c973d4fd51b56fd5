#include "tenants/tenantvalidator.h"

#include <QCoreApplication>
#include <QLocale>
#include <QRegularExpression>
#include <QSet>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::TenantValidator", text);
}

// Active ISO 4217 codes (2024). A tenant is billed in one of these.
const QSet<QString> &isoCurrencies()
{
    static const QSet<QString> codes = [] {
        const QString all = QStringLiteral(
            "AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL "
            "BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP "
            "ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR "
            "IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL "
            "LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR "
            "NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD "
            "SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX "
            "USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWL");
        const QStringList list = all.split(QLatin1Char(' '), Qt::SkipEmptyParts);
        return QSet<QString>(list.cbegin(), list.cend());
    }();
    return codes;
}
} // namespace

bool TenantValidator::isKnownCurrency(const QString &code)
{
    return isoCurrencies().contains(code);
}

QStringList TenantValidator::commonCurrencies()
{
    return {QStringLiteral("EUR"), QStringLiteral("USD"), QStringLiteral("GBP"),
            QStringLiteral("CHF"), QStringLiteral("SEK"), QStringLiteral("NOK"),
            QStringLiteral("DKK"), QStringLiteral("PLN"), QStringLiteral("CZK"),
            QStringLiteral("CAD"), QStringLiteral("AUD"), QStringLiteral("JPY")};
}

QString TenantValidator::suggestSlug(const QString &name)
{
    // Fold accents away (é -> e) so "Café Zürich" becomes "cafe-zurich", not "caf-z-rich".
    const QString decomposed = name.normalized(QString::NormalizationForm_KD).toLower();
    QString slug;
    bool pendingHyphen = false;
    for (const QChar c : decomposed) {
        if (c.isMark())
            continue;
        if ((c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
            (c >= QLatin1Char('0') && c <= QLatin1Char('9'))) {
            if (pendingHyphen && !slug.isEmpty())
                slug += QLatin1Char('-');
            pendingHyphen = false;
            slug += c;
        } else {
            pendingHyphen = true;
        }
        if (slug.size() >= 63)
            break;
    }
    while (slug.endsWith(QLatin1Char('-')))
        slug.chop(1);
    return slug.size() >= 2 ? slug : QString();
}

QList<FieldProblem> TenantValidator::validate(const TenantDraft &input)
{
    const TenantDraft d = input.normalized();
    QList<FieldProblem> problems;
    auto add = [&problems](const char *field, const QString &message) {
        problems.append({QString::fromLatin1(field), message});
    };

    if (d.name.isEmpty())
        add("name", tr("Enter the tenant's name."));
    else if (d.name.size() > 200)
        add("name", tr("The name is too long (at most 200 characters)."));

    static const QRegularExpression slugPattern(QStringLiteral("^[a-z0-9]+(-[a-z0-9]+)*$"));
    if (d.slug.isEmpty())
        add("slug", tr("Enter a slug: the short name used in addresses, like \"acme-ltd\"."));
    else if (d.slug.size() < 2 || d.slug.size() > 63)
        add("slug", tr("The slug must be 2 to 63 characters long."));
    else if (!slugPattern.match(d.slug).hasMatch())
        add("slug", tr("Use only lowercase letters, digits and single hyphens between them "
                       "(like \"acme-ltd\")."));

    static const QRegularExpression emailPattern(QStringLiteral("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"));
    if (d.billingEmail.isEmpty())
        add("billingEmail", tr("Enter the address invoices are sent to."));
    else if (d.billingEmail.size() > 254 || !emailPattern.match(d.billingEmail).hasMatch())
        add("billingEmail", tr("This is not an email address (expected name@example.com)."));

    if (d.currency.isEmpty())
        add("currency", tr("Choose the currency the tenant is billed in."));
    else if (!isKnownCurrency(d.currency))
        add("currency", tr("\"%1\" is not an ISO 4217 currency code (like EUR, USD, GBP).")
                            .arg(d.currency.left(10)));

    if (!d.country.isEmpty() &&
        (d.country.size() != 2 || QLocale::codeToTerritory(d.country) == QLocale::AnyTerritory))
        add("country", tr("\"%1\" is not a two-letter country code (like DE, FR, US).")
                           .arg(d.country.left(10)));

    if (d.taxId.size() > 64)
        add("taxId", tr("The tax id is too long (at most 64 characters)."));
    const QString *longFields[] = {&d.addressLine1, &d.addressLine2, &d.city};
    for (const QString *field : longFields) {
        if (field->size() > 200) {
            add("address", tr("An address line is too long (at most 200 characters)."));
            break;
        }
    }
    if (d.postalCode.size() > 20)
        add("address", tr("The postal code is too long (at most 20 characters)."));
    return problems;
}

} // namespace nobill
