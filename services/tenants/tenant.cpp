#include "tenants/tenant.h"

namespace nobill {

TenantDraft TenantDraft::from(const Tenant &tenant)
{
    TenantDraft draft;
    draft.name = tenant.name;
    draft.slug = tenant.slug;
    draft.billingEmail = tenant.billingEmail;
    draft.currency = tenant.currency;
    draft.taxId = tenant.taxId;
    draft.addressLine1 = tenant.addressLine1;
    draft.addressLine2 = tenant.addressLine2;
    draft.postalCode = tenant.postalCode;
    draft.city = tenant.city;
    draft.country = tenant.country;
    return draft;
}

TenantDraft TenantDraft::normalized() const
{
    TenantDraft d;
    d.name = name.simplified();
    d.slug = slug.trimmed().toLower();
    d.billingEmail = billingEmail.trimmed();
    // The local part of an address may be case-sensitive; the domain never is.
    const qsizetype at = d.billingEmail.lastIndexOf(QLatin1Char('@'));
    if (at > 0)
        d.billingEmail = d.billingEmail.left(at + 1) + d.billingEmail.mid(at + 1).toLower();
    d.currency = currency.trimmed().toUpper();
    d.taxId = taxId.trimmed();
    d.addressLine1 = addressLine1.simplified();
    d.addressLine2 = addressLine2.simplified();
    d.postalCode = postalCode.trimmed();
    d.city = city.simplified();
    d.country = country.trimmed().toUpper();
    return d;
}

} // namespace nobill
