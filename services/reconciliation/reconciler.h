#pragma once

#include "core/result.h"
#include "jobs/jobqueue.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <functional>
#include <optional>

namespace nobill {

class StripeClient;

// One difference between our database and Stripe (issue 5, part 5).
struct DriftItem
{
    enum class Kind {
        Differs,         // both sides have the object; `field` differs
        MissingInOurs,   // Stripe has it, no row of ours is linked to it
        MissingInStripe, // our row names a Stripe id Stripe does not list
        NotLinked,       // Stripe's object names our row (metadata), our row lacks the link
    };
    // Stable across runs for the same difference ("subscription:sub_123:status"), so that a
    // repair queued from a report repairs what the operator saw.
    QString id;
    QString object; // customer, price, subscription, invoice
    Kind kind = Kind::Differs;
    QString ourId; // our uuid, empty when missing in ours
    QString ourName;
    QString stripeId;
    QString field; // for Differs: name, email, status, quantity, period, ...
    QString ours;  // for display
    QString stripe;
    bool repairable = false;
    QString note; // what a repair does, or why ours is not changed
    // The statement that makes ours equal to Stripe (not part of the JSON).
    std::optional<SqlWrite> repair;
};

struct DriftReport
{
    QList<DriftItem> items;
    // How many objects of each kind Stripe listed.
    int customers = 0;
    int prices = 0;
    int subscriptions = 0;
    int invoices = 0;
    // Filled in by a repair: how many items it repaired.
    int repaired = 0;

    bool isEmpty() const { return items.isEmpty(); }
    int repairableCount() const;
    QStringList repairableIds() const;
    // {"checked":{"customers":n,...},"drift":[{id, object, kind, our_id, our_name, stripe_id,
    //  field, ours, stripe, repairable, note}], "repaired": n}
    QJsonObject toJson() const;
    static DriftReport fromJson(const QJsonObject &json);
};

QString driftKindKey(DriftItem::Kind kind); // "differs", "missing_in_ours", ...
std::optional<DriftItem::Kind> driftKindFromKey(const QString &key);
// For people: "Differs", "Not in NOBill", "Not in Stripe", "Not linked".
QString driftKindText(DriftItem::Kind kind);
QString driftObjectText(const QString &object); // "Customer", "Price", ...

// What Stripe lists (its JSON objects, newest first).
struct StripeState
{
    QList<QJsonObject> customers;
    QList<QJsonObject> prices;
    QList<QJsonObject> subscriptions;
    QList<QJsonObject> invoices;
};

// Our rows, as the statements of Reconciler::ourQueries() return them.
struct OurState
{
    QList<QVariantMap> organizations;
    QList<QVariantMap> plans;
    QList<QVariantMap> subscriptions;
    QList<QVariantMap> invoices;
};

// Compares our customers (organizations), prices (plans), subscriptions and invoices with
// Stripe's, by Stripe id, and repairs ours from Stripe's state. Never writes to Stripe.
// Repairs are conservative: a field Stripe owns (a subscription's state, an invoice's
// amounts and status, a price's archived state) is copied, a missing link is made when
// Stripe's object names our row, and an object Stripe has that we lack is added when its
// customer (and price) are ours. Not repaired: the tenant's name and e-mail (the console owns
// them; customer.sync corrects Stripe), a price's terms (immutable in Stripe and here), and
// our rows Stripe does not list (deleted there, or a key of another Stripe account: a person
// should look before anything is unlinked).
class Reconciler
{
public:
    // The four reads of our side, in OurState's order; any login that sees every row (the
    // service login, the owner) can run them.
    static QStringList ourQueries();
    // Reads our side synchronously on a named connection (the calling thread must own it).
    static Result<OurState> readOurs(const QString &connectionName);
    // Lists customers, prices, subscriptions (status=all) and invoices, page by page.
    static void fetchStripe(StripeClient &client, std::function<void(Result<StripeState>)> done);

    static DriftReport compare(const StripeState &stripe, const OurState &ours);
    // The statements repairing the repairable items whose ids are in `only` (every repairable
    // item when `only` is empty), in an order where links come before what needs them. Each
    // statement changes a row only if it still holds what was read, so a change made
    // meanwhile is never overwritten. `repairedIds` receives the ids covered.
    static QList<SqlWrite> repairWrites(const DriftReport &report, const QStringList &only = {},
                                        QStringList *repairedIds = nullptr);
    // Runs writes in one transaction on a named connection (the CLI's repair).
    static Status applyWrites(const QString &connectionName, const QList<SqlWrite> &writes);

    // The console's way in (it holds no Stripe key): queues a stripe.reconcile job for the
    // office server's worker, a comparison (no drift ids) or a repair of the differences with
    // these ids. Platform administrators only (migration 17). Returns the job's id.
    static Result<QString> enqueue(const QString &connectionName,
                                   const std::optional<QStringList> &repairIds = std::nullopt);
};

} // namespace nobill
