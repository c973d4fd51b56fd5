#include "mainwindow/area.h"

#include <QCoreApplication>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::Area", text);
}
} // namespace

QList<Area> allAreas()
{
    return {Area::Overview, Area::Tenants,       Area::Members, Area::Roles,
            Area::Plans,    Area::Subscriptions, Area::Usage,   Area::Invoices,
            Area::AuditLog, Area::WebhookEvents, Area::Jobs};
}

QString areaKey(Area area)
{
    switch (area) {
    case Area::Overview:
        return QStringLiteral("overview");
    case Area::Tenants:
        return QStringLiteral("tenants");
    case Area::Members:
        return QStringLiteral("members");
    case Area::Roles:
        return QStringLiteral("roles");
    case Area::Plans:
        return QStringLiteral("plans");
    case Area::Subscriptions:
        return QStringLiteral("subscriptions");
    case Area::Usage:
        return QStringLiteral("usage");
    case Area::Invoices:
        return QStringLiteral("invoices");
    case Area::AuditLog:
        return QStringLiteral("audit-log");
    case Area::WebhookEvents:
        return QStringLiteral("webhook-events");
    case Area::Jobs:
        return QStringLiteral("jobs");
    }
    return {};
}

QString areaTitle(Area area)
{
    switch (area) {
    case Area::Overview:
        return tr("Overview");
    case Area::Tenants:
        return tr("Tenants");
    case Area::Members:
        return tr("Members");
    case Area::Roles:
        return tr("Roles");
    case Area::Plans:
        return tr("Plans");
    case Area::Subscriptions:
        return tr("Subscriptions");
    case Area::Usage:
        return tr("Usage");
    case Area::Invoices:
        return tr("Invoices");
    case Area::AuditLog:
        return tr("Audit log");
    case Area::WebhookEvents:
        return tr("Webhook events");
    case Area::Jobs:
        return tr("Jobs");
    }
    return {};
}

QString areaPurpose(Area area)
{
    switch (area) {
    case Area::Overview:
        return tr("Recurring revenue per currency, subscriptions by status, churn, failed "
                  "payments and the usage trend, for all tenants or one.");
    case Area::Tenants:
        return tr("The organizations billed on the platform: their details, billing contact "
                  "and status.");
    case Area::Members:
        return tr("The people of an organization, their roles and their console access.");
    case Area::Roles:
        return tr("Built-in and custom roles, and the permissions each one grants.");
    case Area::Plans:
        return tr("Products and their prices: amounts, intervals, metered usage, archiving.");
    case Area::Subscriptions:
        return tr("Every tenant's subscriptions, their periods and state, and changes to them.");
    case Area::Usage:
        return tr("Metered usage by tenant, subscription and metric, with imports and charts.");
    case Area::Invoices:
        return tr("Invoices with their amounts, status and periods.");
    case Area::AuditLog:
        return tr("Who changed what and when, with the before and after of each change.");
    case Area::WebhookEvents:
        return tr("Events received from Stripe and how each was processed.");
    case Area::Jobs:
        return tr("Billing work queued for Stripe, its progress, attempts and errors.");
    }
    return {};
}

} // namespace nobill
