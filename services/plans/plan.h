#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <optional>

namespace nobill {

// Something the platform sells (table products); one Stripe product each. Its prices are
// the plans.
struct Product
{
    QString id;
    QString name;
    QString description;
    QString stripeProductId;
    QDateTime archivedAt; // invalid while the product is offered
    int version = 0;      // optimistic locking
    QDateTime createdAt;
    QDateTime updatedAt;
    int planCount = 0;       // every plan of the product, archived ones too
    int activePlanCount = 0; // plans not archived

    bool isArchived() const { return archivedAt.isValid(); }
};

// What an operator types into the product dialog.
struct ProductDraft
{
    QString name;
    QString description;

    ProductDraft normalized() const;
};

// A price of a product (table plans): an amount per seat (licensed) or per unit of a metric
// (metered), charged every `intervalCount` `interval`s. Terms are frozen once the plan is in
// Stripe or used by a subscription; a new amount is then a new version that replaces it.
struct Plan
{
    QString id;
    QString productId;
    QString productName;
    bool productArchived = false;
    QString name;
    QString description;
    qint64 amount = 0; // minor units of `currency`
    QString currency;
    QString interval = QStringLiteral("month"); // day, week, month, year
    int intervalCount = 1;
    QString usageType = QStringLiteral("licensed"); // licensed or metered
    QString metric;                                 // metered plans only
    int trialDays = 0;
    QString stripePriceId;
    QString stripeMeterId;
    QString replacesPlanId;   // the older version this one replaced, if any
    QString replacedByPlanId; // the newer version that replaced this one, if any
    QDateTime archivedAt;
    int version = 0; // optimistic locking
    QDateTime createdAt;
    QDateTime updatedAt;
    // Subscriptions the signed-in operator can see (platform admins: all of them).
    int subscriberCount = 0;   // live: trialing, active, past_due, unpaid, paused
    int subscriptionCount = 0; // any status, ended ones too: the plan was used

    bool isArchived() const { return archivedAt.isValid(); }
    bool isMetered() const { return usageType == QLatin1String("metered"); }
    bool isInStripe() const { return !stripePriceId.isEmpty(); }
};

// What an operator types into the new-plan dialog.
struct PlanDraft
{
    QString productId;
    QString name;
    QString description;
    qint64 amount = 0; // minor units
    QString currency;
    QString interval = QStringLiteral("month");
    int intervalCount = 1;
    QString usageType = QStringLiteral("licensed");
    QString metric;
    int trialDays = 0;

    // Trims and simplifies the texts, upper-cases the currency, lower-cases the metric and
    // drops it from a licensed plan.
    PlanDraft normalized() const;
};

// The two things of a plan that can always be edited.
struct PlanEdit
{
    QString name;
    QString description;

    PlanEdit normalized() const;
};

// A plan with its versions: the chain of plans linked by replaces_plan_id, oldest first,
// the plan itself included.
struct PlanDetails
{
    Plan plan;
    QList<Plan> versions;
};

// What "change amount" did: the plan was repriced in place (nobody used it and it was not in
// Stripe yet), or a new version was created and the old one archived.
struct AmountChange
{
    Plan plan;     // the plan that now has the new amount
    Plan previous; // the plan as it was before (archived when versioned)
    bool versioned = false;
};

// The product picker and the currency filter: the whole catalog's products and currencies.
struct PlanCatalog
{
    QList<Product> products; // by name; archived ones too
    QStringList currencies;  // in use by at least one plan
};

enum class PlanSort { Product, Name, Price, TrialDays };

// The list's filter and order, as typed values: widgets never build SQL.
struct PlanQuery
{
    QString text;      // matches plan name, product name, metric or Stripe price id
    QString productId; // empty = all products
    QString currency;  // empty = all
    QString usageType; // empty = all, or "licensed" / "metered"
    QString status;    // empty = all, or "active" / "archived"
    PlanSort sort = PlanSort::Product;
    bool descending = false;
};

// Keyset cursor: the sort values and id of the last row already shown.
struct PlanCursor
{
    QStringList sortValues;
    QString id;
};

struct PlanPage
{
    QList<Plan> rows;
    bool hasMore = false;
    std::optional<PlanCursor> next;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::Plan)
