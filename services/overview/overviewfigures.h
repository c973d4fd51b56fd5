#pragma once

#include <QDate>
#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace nobill {

// An amount per currency: integer minor units, never converted between currencies.
struct CurrencyAmount
{
    QString currency;
    qint64 minorUnits = 0;
    int subscriptions = 0; // how many subscriptions make up the amount
};

// An invoice whose payment failed or is overdue (see OverviewService for the definition).
struct FailedPayment
{
    QString invoiceId;
    QString organizationId;
    QString organizationName; // empty when the operator may not see the tenant itself
    QString number;
    QString status; // open or uncollectible
    QString currency;
    qint64 amountRemaining = 0;
    QDateTime dueAt;
    // Charged automatically: no due date, so dueAt is when it was finalized (and charged).
    bool chargedAutomatically = false;
};

struct UsageSeries
{
    QString metric;
    QList<qint64> daily; // one sum per day from OverviewFigures::trendFirstDay, zeros kept
};

struct SubscriptionStatusCount
{
    QString status;
    int count = 0;
};

// What the Overview screen shows, for every organization the operator may see or for one.
struct OverviewFigures
{
    static constexpr int TrendDays = 90;
    static constexpr int ChurnDays = 30;

    // Stripe's subscription statuses, in the order the screen lists them.
    static QStringList subscriptionStatuses();

    std::optional<QString> organizationId;
    QDateTime asOf;   // the moment every figure is computed for (one database snapshot)
    QString timeZone; // the zone whose days the usage trend counts

    QList<CurrencyAmount> mrr; // by currency code
    int meteredSubscriptionsExcluded = 0;

    QList<SubscriptionStatusCount> statusCounts; // all eight statuses, zeros included

    QDateTime churnWindowStart;
    int canceledInWindow = 0;
    int liveAtWindowStart = 0;
    QList<CurrencyAmount> lostMrr; // MRR of the subscriptions canceled in the window
    // canceledInWindow / liveAtWindowStart; none when nothing was live at the start.
    std::optional<double> churnRate() const;

    QList<FailedPayment> failedPayments;       // the most recent first
    int failedPaymentCount = 0;                // all of them, not only the ones listed
    QList<CurrencyAmount> failedPaymentTotals; // what they leave unpaid, by currency

    QDate trendFirstDay;
    QList<UsageSeries> usageTrend; // by metric name
};

} // namespace nobill
