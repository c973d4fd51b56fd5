#include "tenants/tenantexport.h"

#include "export/pagedexport.h"
#include "tenants/tenantservice.h"

namespace nobill {

QStringList tenantCsvHeader()
{
    // Column names are a file format, not prose: not translated.
    return {QStringLiteral("id"),
            QStringLiteral("name"),
            QStringLiteral("slug"),
            QStringLiteral("status"),
            QStringLiteral("currency"),
            QStringLiteral("billing_email"),
            QStringLiteral("stripe_customer_id"),
            QStringLiteral("tax_id"),
            QStringLiteral("address_line1"),
            QStringLiteral("address_line2"),
            QStringLiteral("postal_code"),
            QStringLiteral("city"),
            QStringLiteral("country"),
            QStringLiteral("created_at"),
            QStringLiteral("updated_at")};
}

QStringList tenantCsvFields(const Tenant &t)
{
    return {t.id,
            t.name,
            t.slug,
            t.status,
            t.currency,
            t.billingEmail,
            t.stripeCustomerId,
            t.taxId,
            t.addressLine1,
            t.addressLine2,
            t.postalCode,
            t.city,
            t.country,
            t.createdAt.toUTC().toString(Qt::ISODateWithMs),
            t.updatedAt.toUTC().toString(Qt::ISODateWithMs)};
}

Result<qint64> exportTenants(const QString &connectionName, const TenantQuery &query,
                             const QString &path, const std::function<void(qint64)> &progress,
                             const std::atomic<bool> *cancel)
{
    TenantService service(connectionName);
    return exportPages<TenantPage, TenantCursor, Tenant>(
        path, tenantCsvHeader(),
        [&service, &query](const std::optional<TenantCursor> &after, int limit) {
            return service.page(query, after, limit);
        },
        tenantCsvFields, progress, cancel);
}

} // namespace nobill
