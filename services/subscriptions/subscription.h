#pragma once

#include "invoices/invoice.h"

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// A tenant's subscription to a plan, mirrored from Stripe (table subscriptions), with what
// the list shows beside it: the tenant's name and the plan's terms.
struct Subscription
{
    QString id;
    QString organizationId;
    QString organizationName; // empty when the login may see the subscription but not the tenant
    QString planId;
    QString planName;
    QString productName;
    qint64 planAmount = 0; // minor units per unit (seat or metered unit) and interval
    QString currency;
    QString interval; // day, week, month, year
    int intervalCount = 1;
    QString usageType; // licensed or metered
    QString metric;    // metered plans
    QString status;    // Stripe's: trialing, active, past_due, canceled, unpaid, paused, ...
    int quantity = 0;
    QString collectionMethod; // charge_automatically or send_invoice
    int daysUntilDue = -1;    // send_invoice only
    QDateTime currentPeriodStart;
    QDateTime currentPeriodEnd;
    bool cancelAtPeriodEnd = false;
    QDateTime canceledAt;
    QDateTime trialEnd;
    QString stripeSubscriptionId;
    int version = 0;
    QDateTime createdAt;
    QDateTime updatedAt;

    bool isMetered() const { return usageType == QLatin1String("metered"); }
    // Still billing (or about to): what Stripe can cancel, resume or change.
    bool isLive() const
    {
        return status == QLatin1String("trialing") || status == QLatin1String("active") ||
               status == QLatin1String("past_due") || status == QLatin1String("unpaid") ||
               status == QLatin1String("paused");
    }
    // Renews at the end of its current period (paused, ended or not started: does not).
    bool renews() const { return isLive() && status != QLatin1String("paused"); }
    // The licensed price for one period at the current quantity (metered: per unit).
    qint64 periodAmount() const { return isMetered() ? planAmount : planAmount * quantity; }
};

// Stripe work that was asked for and is not done yet (or failed): a row of the job queue.
struct PendingJob
{
    QString id;
    QString kind;   // e.g. "subscription.cancel_at_period_end"
    QString status; // queued, running, failed
    QJsonObject payload;
    QString requestedBy;     // the login
    QString requestedByName; // the person's display name, when visible
    int attempts = 0;
    QString lastError;
    QDateTime createdAt;
    QDateTime runAfter;
};

// The detail panel: the subscription, its latest invoices and the Stripe work pending on it.
struct SubscriptionDetails
{
    Subscription subscription;
    QString tenantBillingEmail;
    int invoiceCount = 0;
    QList<Invoice> invoices;       // newest first, at most InvoiceLimit
    QList<PendingJob> pendingJobs; // queued or running, then failed; newest first
    static constexpr int InvoiceLimit = 24;
};

// What an operator asks Stripe to do to a subscription. The work is queued; the office
// server's worker sends it to Stripe, and the subscription changes when Stripe confirms.
enum class SubscriptionAction {
    CancelAtPeriodEnd,
    CancelNow,
    Resume,
    ChangeQuantity,
    // Invoices are not collected while paused (the subscription keeps running); what happens
    // to the invoices of the pause is the request's pauseBehavior.
    PauseCollection,
    ResumeCollection
};

struct SubscriptionActionRequest
{
    QString subscriptionId;
    SubscriptionAction action = SubscriptionAction::CancelAtPeriodEnd;
    int quantity = 0; // ChangeQuantity
    // PauseCollection: "void" (default) | "keep_as_draft" | "mark_uncollectible"
    QString pauseBehavior;
    // Made once when the confirmation opens: confirming twice queues the work once.
    QString requestToken;
};

// A new subscription as the operator asks for it: the row is written (status incomplete, no
// Stripe id) and subscription.create is queued; Stripe's subscription (or, for a Checkout
// link, the customer's payment) fills it in.
struct NewSubscriptionRequest
{
    QString organizationId;
    QString planId;
    int quantity = 1;
    QString collection = QStringLiteral("automatic"); // automatic | send_invoice | checkout
    int daysUntilDue = 30;                            // send_invoice: 0..365
    int trialDays = 0;                                // 0..730
    QString successUrl;                               // checkout: where the customer returns
    QString requestToken;                             // made once per dialog: queued once
};

struct NewSubscriptionQueued
{
    QString subscriptionId;
    QString jobId;
};

// A tenant as the new-subscription dialog offers it.
struct TenantChoice
{
    QString id;
    QString name;
    QString currency;
    bool isCustomer = false; // a Stripe customer already (customer.sync done)
};

enum class SubscriptionSort { RenewalDate, CreatedAt, SubscriptionStatus, TenantName };

// The list's filter and order, as typed values.
struct SubscriptionQuery
{
    QString organizationId;    // empty: every organization the login may see
    QString status;            // empty: all
    QString planId;            // empty: all
    int renewalWithinDays = 0; // > 0: current period ends between now and now + N days
    SubscriptionSort sort = SubscriptionSort::RenewalDate;
    bool descending = false;
};

struct SubscriptionCursor
{
    QString sortValue;
    QString id;
};

struct SubscriptionPage
{
    QList<Subscription> rows;
    bool hasMore = false;
    std::optional<SubscriptionCursor> next;
};

// A plan as the filter offers it.
struct PlanChoice
{
    QString id;
    QString label; // "Platform — Pro (EUR, monthly)"
    bool archived = false;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Subscription)
