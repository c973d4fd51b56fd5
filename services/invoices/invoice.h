#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// An invoice mirrored from Stripe (table invoices). Amounts in minor units of `currency`.
struct Invoice
{
    QString id;
    QString organizationId;
    QString organizationName; // empty when the login may see the invoice but not the tenant
    QString subscriptionId;   // empty for a one-off invoice
    QString stripeSubscriptionId;
    QString planName;
    QString number; // empty while a draft
    QString status; // draft, open, paid, void, uncollectible
    QString currency;
    qint64 subtotal = 0;
    qint64 tax = 0;
    qint64 total = 0;
    qint64 amountDue = 0;
    qint64 amountPaid = 0;
    qint64 amountRemaining = 0;
    QDateTime periodStart;
    QDateTime periodEnd;
    QDateTime dueDate;
    QString hostedInvoiceUrl;
    QString stripeInvoiceId;
    QDateTime createdAt;
    QDateTime finalizedAt;
    QDateTime paidAt;

    // Open and past its due date.
    bool isOverdue(const QDateTime &now = QDateTime::currentDateTimeUtc()) const
    {
        return status == QLatin1String("open") && dueDate.isValid() && dueDate < now;
    }
};

// The detail panel: the invoice with its tenant and subscription.
struct InvoiceDetails
{
    Invoice invoice;
    QString tenantBillingEmail;
    QString tenantStripeCustomerId;
    QString subscriptionStatus;
    int subscriptionQuantity = 0;
};

enum class InvoiceSort { CreatedAt, DueDate, Total, InvoiceStatus };

struct InvoiceQuery
{
    QString organizationId; // empty: every organization the login may see
    QString status;         // empty: all
    QString subscriptionId; // empty: all
    InvoiceSort sort = InvoiceSort::CreatedAt;
    bool descending = true; // newest first
};

struct InvoiceCursor
{
    QString sortValue;
    QString id;
};

struct InvoicePage
{
    QList<Invoice> rows;
    bool hasMore = false;
    std::optional<InvoiceCursor> next;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Invoice)
