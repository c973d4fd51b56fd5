#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// A tenant of the billing platform (table organizations).
struct Tenant
{
    QString id;
    QString name;
    QString slug;
    QString billingEmail;
    QString currency;
    QString status; // "active" or "suspended"
    QString stripeCustomerId;
    QString taxId;
    QString addressLine1;
    QString addressLine2;
    QString postalCode;
    QString city;
    QString country; // ISO 3166-1 alpha-2, or empty
    int version = 0; // optimistic locking: an edit names the version it started from
    QDateTime createdAt;
    QDateTime updatedAt;

    bool isSuspended() const { return status == QLatin1String("suspended"); }
};

// What an operator types into the create/edit dialog.
struct TenantDraft
{
    QString name;
    QString slug;
    QString billingEmail;
    QString currency;
    QString taxId;
    QString addressLine1;
    QString addressLine2;
    QString postalCode;
    QString city;
    QString country;

    static TenantDraft from(const Tenant &tenant);
    // Trims every field, upper-cases codes, lower-cases the slug and the email's domain.
    TenantDraft normalized() const;
};

// The figures the detail panel shows beside a tenant.
struct TenantDetails
{
    Tenant tenant;
    int memberCount = 0;
    int subscriptionCount = 0;     // all, whatever their status
    int liveSubscriptionCount = 0; // trialing, active, past_due, unpaid, paused
    int openInvoiceCount = 0;
    qint64 openInvoiceAmount = 0; // minor units, in openInvoiceCurrency
    QString openInvoiceCurrency;  // empty when there are open invoices in several currencies
    int usageRecordCount = 0;
};

enum class TenantSort { Name, Slug, TenantStatus, Currency, BillingEmail, CreatedAt };

// The list's filter and order, as typed values: widgets never build SQL.
struct TenantQuery
{
    QString text;   // matches name, slug, billing email or Stripe customer id
    QString status; // empty = all, or "active" / "suspended"
    TenantSort sort = TenantSort::Name;
    bool descending = false;
};

// Keyset cursor: the sort value and id of the last row already shown.
struct TenantCursor
{
    QString sortValue;
    QString id;
};

struct TenantPage
{
    QList<Tenant> rows;
    bool hasMore = false;
    // Continues after the last row; exact to the microsecond, so no row is skipped or
    // repeated whatever the sort column.
    std::optional<TenantCursor> next;
};

struct FieldProblem
{
    QString field; // "name", "slug", "billingEmail", "currency", "country", "taxId", ...
    QString message;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Tenant)
