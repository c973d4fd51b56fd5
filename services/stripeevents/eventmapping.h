#pragma once

#include "core/result.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>

#include <optional>

namespace nobill {

// What a Stripe event says, read from its JSON without a database: the rows it implies for
// our tables, in our terms. Pure functions, so that every event type can be unit-tested and
// fuzzed; services/stripeevents/eventapplier.cpp writes the result.

// A customer is one of our organizations (linked by organizations.stripe_customer_id, or
// by metadata.nobill_organization_id on the first event). We mirror the link only: the
// console owns the tenant's name, e-mail and address.
struct CustomerChange
{
    QString customerId;     // cus_...
    QString organizationId; // metadata.nobill_organization_id, when a uuid
    bool deleted = false;
};

struct ProductChange
{
    QString productId; // prod_...
    QString localId;   // metadata.nobill_product_id, when a uuid
    QString name;
    QString description;
    bool active = true;
    bool deleted = false;
};

// A Stripe price is one of our plans. Terms (amount, currency, interval) never change in
// Stripe, so only the name (nickname), archived state and meter are mirrored.
struct PriceChange
{
    QString priceId; // price_...
    QString localId; // metadata.nobill_plan_id, when a uuid
    QString nickname;
    QString meterId; // recurring.meter, mtr_...
    bool active = true;
    bool deleted = false;
};

struct SubscriptionChange
{
    QString subscriptionId; // sub_...
    QString customerId;
    QString priceId; // the first item's price
    QString localId; // metadata.nobill_subscription_id, when a uuid
    QString status;  // one of subscriptions_status_check
    int quantity = 1;
    QString collectionMethod = QStringLiteral("charge_automatically");
    std::optional<int> daysUntilDue; // send_invoice only
    QDateTime currentPeriodStart;    // null when Stripe gives none
    QDateTime currentPeriodEnd;
    bool cancelAtPeriodEnd = false;
    QDateTime canceledAt;
    QDateTime trialEnd;
};

struct InvoiceChange
{
    QString invoiceId; // in_...
    QString customerId;
    QString subscriptionId; // sub_..., empty for a one-off invoice
    QString number;
    QString status;   // draft, open, paid, void, uncollectible
    QString currency; // upper case
    qint64 subtotal = 0;
    qint64 tax = 0;
    qint64 total = 0;
    qint64 amountDue = 0;
    qint64 amountPaid = 0;
    qint64 amountRemaining = 0;
    QDateTime periodStart;
    QDateTime periodEnd;
    QDateTime dueDate;
    QString hostedInvoiceUrl; // https only, else empty
    QDateTime created;
    QDateTime finalizedAt;
    QDateTime paidAt;
};

// checkout.session.completed: the customer Checkout made (or used) belongs to the
// organization named by client_reference_id (or metadata), and the subscription it started
// is the one metadata.nobill_subscription_id names.
struct CheckoutCompletion
{
    QString sessionId; // cs_...
    QString customerId;
    QString subscriptionId;
    QString organizationId;      // client_reference_id or metadata.nobill_organization_id
    QString localSubscriptionId; // metadata.nobill_subscription_id
};

// billing.meter.error_report_triggered (v1 snapshot or v2 thin event): meter events Stripe
// could not accept. The sample errors name the meter events by identifier.
struct MeterErrorReport
{
    QString meterId; // mtr_...
    qint64 errorCount = 0;
    QString summary;         // Stripe's developer_message_summary
    QStringList identifiers; // sample meter event identifiers
};

enum class EventKind {
    Ignored, // a type we do not apply (ignoreReason says why)
    Customer,
    Product,
    Price,
    Subscription,
    Invoice,
    CheckoutCompleted,
    MeterErrorReport,
};

struct MappedEvent
{
    QString eventId;
    QString type;
    QDateTime created; // whole seconds, UTC
    QString objectId;  // the object the event is about: its events are applied in order
    // Breaks ties between events about one object created in the same second (migration
    // 0015, stripe_object_versions): higher is further along.
    int rank = 0;
    EventKind kind = EventKind::Ignored;
    QString ignoreReason; // a sentence, for EventKind::Ignored

    CustomerChange customer;
    ProductChange product;
    PriceChange price;
    SubscriptionChange subscription;
    InvoiceChange invoice;
    CheckoutCompletion checkout;
    MeterErrorReport meterError;
};

// Parses an event as Stripe sends it (the body of a webhook delivery or an item of
// GET /v1/events). InvalidInput with a sentence for JSON that is not a Stripe event or an
// object that lacks what its type needs; such an event can never be applied.
Result<MappedEvent> mapStripeEvent(const QByteArray &json);
Result<MappedEvent> mapStripeEvent(const QJsonObject &event);

// Rank of a subscription or invoice status for same-second ties (see MappedEvent::rank).
int subscriptionStatusRank(const QString &status);
int invoiceStatusRank(const QString &status);

// Fuzzing entry point: parses and dispatches one event as the processor would, without a
// database, and returns the kind it mapped to (-1 for an error). Never crashes, never
// throws, whatever the bytes.
int applyEventForFuzzing(const QByteArray &json);

} // namespace nobill
