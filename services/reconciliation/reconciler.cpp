#include "reconciliation/reconciler.h"

#include "core/money.h"
#include "database/sql.h"
#include "stripe/stripeclient.h"
#include "stripeevents/eventmapping.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QHash>
#include <QJsonArray>
#include <QSet>
#include <QSqlRecord>
#include <QUuid>

#include <memory>

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::Reconciler", text);
}

QVariant nullText()
{
    return QVariant(QMetaType::fromType<QString>());
}
QVariant nullNumber()
{
    return QVariant(QMetaType::fromType<qlonglong>());
}

QString text(const QVariantMap &row, const char *column)
{
    return row.value(QLatin1String(column)).toString();
}

// Unix seconds for display, UTC; empty for none.
QString timeText(qint64 seconds)
{
    if (seconds <= 0)
        return {};
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

QString periodText(qint64 start, qint64 end)
{
    if (start <= 0 && end <= 0)
        return tr("none");
    return QStringLiteral("%1 – %2").arg(timeText(start), timeText(end));
}

qint64 seconds(const QDateTime &time)
{
    return time.isValid() ? time.toSecsSinceEpoch() : 0;
}

QVariant secondsOrNull(qint64 value)
{
    return value > 0 ? QVariant(qlonglong(value)) : nullNumber();
}

QString yesNo(bool value)
{
    return value ? tr("yes") : tr("no");
}

// Stripe objects are read the way the event processor reads them (eventmapping.h), so a
// repair writes what a webhook about the same object would have written.
template <typename Member>
auto mapped(const QString &type, const QJsonObject &object, Member member)
    -> std::optional<std::decay_t<decltype(MappedEvent{}.*member)>>
{
    const QJsonObject event{
        {QStringLiteral("id"), QStringLiteral("evt_reconcile")},
        {QStringLiteral("type"), type},
        {QStringLiteral("created"), double(QDateTime::currentSecsSinceEpoch())},
        {QStringLiteral("data"), QJsonObject{{QStringLiteral("object"), object}}}};
    auto m = mapStripeEvent(event);
    if (!m)
        return std::nullopt;
    return m.value().*member;
}

QString metadataId(const QJsonObject &object, const char *key)
{
    const QUuid id = QUuid::fromString(
        object.value(QLatin1String("metadata")).toObject().value(QLatin1String(key)).toString());
    return id.isNull() ? QString() : id.toString(QUuid::WithoutBraces);
}

// Builds the report's items with a little less repetition.
struct Builder
{
    QList<DriftItem> items;

    DriftItem &add(const QString &object, DriftItem::Kind kind, const QString &key,
                   const QString &suffix)
    {
        DriftItem item;
        item.object = object;
        item.kind = kind;
        item.id = QStringLiteral("%1:%2:%3").arg(object, key, suffix);
        items.append(item);
        return items.last();
    }
    DriftItem &differs(const QString &object, const QVariantMap &row, const QString &ourName,
                       const QString &stripeId, const QString &field, const QString &ours,
                       const QString &theirs)
    {
        DriftItem &item = add(object, DriftItem::Kind::Differs, stripeId, field);
        item.ourId = text(row, "id");
        item.ourName = ourName;
        item.stripeId = stripeId;
        item.field = field;
        item.ours = ours;
        item.stripe = theirs;
        return item;
    }
};

void repairWith(DriftItem &item, const QString &sql, const QVariantList &values,
                const QString &note)
{
    item.repairable = true;
    item.repair = SqlWrite{sql, values};
    item.note = note;
}

// A field whose value Stripe owns: ours := Stripe's, if ours still holds what was read.
void copyField(DriftItem &item, const char *table, const char *column, const QVariant &stripe,
               const QVariant &ours, const QString &cast, bool bumpVersion = false)
{
    const QString sql =
        QStringLiteral("UPDATE %1 SET %2 = ?%3%4 WHERE id = ?::uuid AND %2 IS NOT DISTINCT FROM "
                       "?%3")
            .arg(QLatin1String(table), QLatin1String(column), cast,
                 bumpVersion ? QStringLiteral(", version = version + 1") : QString());
    repairWith(item, sql, {stripe, item.ourId, ours}, tr("Ours takes Stripe's value."));
}

// ---- customers ----------------------------------------------------------------------------

void compareCustomers(Builder &b, const StripeState &stripe, const OurState &ours,
                      QHash<QString, QString> &customerOrg)
{
    QHash<QString, QVariantMap> byCustomer;
    QHash<QString, QVariantMap> byId;
    for (const QVariantMap &org : ours.organizations) {
        byId.insert(text(org, "id"), org);
        if (!text(org, "stripe_customer_id").isEmpty()) {
            byCustomer.insert(text(org, "stripe_customer_id"), org);
            customerOrg.insert(text(org, "stripe_customer_id"), text(org, "id"));
        }
    }
    QSet<QString> seen;
    for (const QJsonObject &c : stripe.customers) {
        const QString id = c.value(QLatin1String("id")).toString();
        if (!id.startsWith(QLatin1String("cus_")) || c.value(QLatin1String("deleted")).toBool())
            continue;
        seen.insert(id);
        const QString name = c.value(QLatin1String("name")).toString();
        const QString email = c.value(QLatin1String("email")).toString();
        const auto linked = byCustomer.constFind(id);
        if (linked != byCustomer.constEnd()) {
            const QVariantMap &org = linked.value();
            const QString note = tr("NOBill owns the tenant's details: sync the tenant to "
                                    "Stripe (Tenants screen) to correct Stripe.");
            if (text(org, "name") != name)
                b.differs(QStringLiteral("customer"), org, text(org, "name"), id,
                          QStringLiteral("name"), text(org, "name"), name)
                    .note = note;
            if (text(org, "billing_email").compare(email, Qt::CaseInsensitive) != 0)
                b.differs(QStringLiteral("customer"), org, text(org, "name"), id,
                          QStringLiteral("email"), text(org, "billing_email"), email)
                    .note = note;
            continue;
        }
        const QString orgId = metadataId(c, "nobill_organization_id");
        const auto org = byId.constFind(orgId);
        if (org != byId.constEnd() && text(org.value(), "stripe_customer_id").isEmpty() &&
            !customerOrg.values().contains(orgId)) {
            DriftItem &item = b.add(QStringLiteral("customer"), DriftItem::Kind::NotLinked, id,
                                    QStringLiteral("link"));
            item.ourId = orgId;
            item.ourName = text(org.value(), "name");
            item.stripeId = id;
            item.ours = tr("no Stripe customer");
            item.stripe = name.isEmpty() ? email : name;
            repairWith(item,
                       QStringLiteral("UPDATE organizations SET stripe_customer_id = ? WHERE id = "
                                      "?::uuid AND stripe_customer_id IS NULL"),
                       {id, orgId}, tr("The tenant is linked to this Stripe customer."));
            customerOrg.insert(id, orgId); // what follows may rely on the link
            continue;
        }
        DriftItem &item = b.add(QStringLiteral("customer"), DriftItem::Kind::MissingInOurs, id,
                                QStringLiteral("missing"));
        item.stripeId = id;
        item.stripe = email.isEmpty() ? name : QStringLiteral("%1 <%2>").arg(name, email);
        item.note = org != byId.constEnd()
                        ? tr("Stripe has a second customer for tenant %1; NOBill keeps its link.")
                              .arg(text(org.value(), "name"))
                        : tr("No tenant is linked to this Stripe customer.");
    }
    for (const QVariantMap &org : ours.organizations) {
        const QString id = text(org, "stripe_customer_id");
        if (id.isEmpty() || seen.contains(id))
            continue;
        DriftItem &item = b.add(QStringLiteral("customer"), DriftItem::Kind::MissingInStripe, id,
                                QStringLiteral("missing"));
        item.ourId = text(org, "id");
        item.ourName = text(org, "name");
        item.stripeId = id;
        item.ours = text(org, "billing_email");
        item.note = tr("Stripe does not list this customer (deleted there, or this is another "
                       "Stripe account). Check in the Stripe dashboard before changing the link.");
    }
}

// ---- prices -------------------------------------------------------------------------------

void comparePrices(Builder &b, const StripeState &stripe, const OurState &ours,
                   QHash<QString, QString> &pricePlan)
{
    QHash<QString, QVariantMap> byPrice;
    QHash<QString, QVariantMap> byId;
    for (const QVariantMap &plan : ours.plans) {
        byId.insert(text(plan, "id"), plan);
        if (!text(plan, "stripe_price_id").isEmpty()) {
            byPrice.insert(text(plan, "stripe_price_id"), plan);
            pricePlan.insert(text(plan, "stripe_price_id"), text(plan, "id"));
        }
    }
    const QString terms = tr("A price's terms never change, in Stripe or here: publish a new "
                             "version of the plan.");
    QSet<QString> seen;
    for (const QJsonObject &p : stripe.prices) {
        const QString id = p.value(QLatin1String("id")).toString();
        if (!id.startsWith(QLatin1String("price_")))
            continue;
        seen.insert(id);
        const qint64 amount = qint64(p.value(QLatin1String("unit_amount")).toDouble());
        const QString currency = p.value(QLatin1String("currency")).toString().toUpper();
        const QJsonObject recurring = p.value(QLatin1String("recurring")).toObject();
        const QString interval = QStringLiteral("%1 × %2")
                                     .arg(recurring.value(QLatin1String("interval_count")).toInt(1))
                                     .arg(recurring.value(QLatin1String("interval")).toString());
        const bool active = p.value(QLatin1String("active")).toBool(true);
        const auto linked = byPrice.constFind(id);
        if (linked == byPrice.constEnd()) {
            const QString planId = metadataId(p, "nobill_plan_id");
            const auto plan = byId.constFind(planId);
            if (plan != byId.constEnd() && text(plan.value(), "stripe_price_id").isEmpty() &&
                !pricePlan.values().contains(planId)) {
                DriftItem &item = b.add(QStringLiteral("price"), DriftItem::Kind::NotLinked, id,
                                        QStringLiteral("link"));
                item.ourId = planId;
                item.ourName = text(plan.value(), "name");
                item.stripeId = id;
                item.ours = tr("no Stripe price");
                item.stripe = formatMoney(amount, currency);
                const bool sameTerms =
                    plan.value().value(QStringLiteral("amount")).toLongLong() == amount &&
                    text(plan.value(), "currency") == currency;
                if (sameTerms) {
                    repairWith(item,
                               QStringLiteral("UPDATE plans SET stripe_price_id = ? WHERE id = "
                                              "?::uuid AND stripe_price_id IS NULL"),
                               {id, planId}, tr("The plan is linked to this Stripe price."));
                    pricePlan.insert(id, planId);
                } else {
                    item.note = tr("The price names this plan but its amount differs; sync the "
                                   "plan to Stripe instead.");
                }
                continue;
            }
            DriftItem &item = b.add(QStringLiteral("price"), DriftItem::Kind::MissingInOurs, id,
                                    QStringLiteral("missing"));
            item.stripeId = id;
            item.stripe = formatMoney(amount, currency);
            item.note = tr("No plan is linked to this Stripe price.");
            continue;
        }
        const QVariantMap &plan = linked.value();
        const QString name = text(plan, "name");
        const qint64 ourAmount = plan.value(QStringLiteral("amount")).toLongLong();
        const QString ourCurrency = text(plan, "currency");
        if (ourAmount != amount || ourCurrency != currency)
            b.differs(QStringLiteral("price"), plan, name, id, QStringLiteral("amount"),
                      formatMoney(ourAmount, ourCurrency), formatMoney(amount, currency))
                .note = terms;
        const QString ourInterval = QStringLiteral("%1 × %2")
                                        .arg(plan.value(QStringLiteral("interval_count")).toInt())
                                        .arg(text(plan, "interval"));
        if (!recurring.isEmpty() && ourInterval != interval)
            b.differs(QStringLiteral("price"), plan, name, id, QStringLiteral("interval"),
                      ourInterval, interval)
                .note = terms;
        const bool ourActive = !plan.value(QStringLiteral("archived")).toBool();
        if (ourActive != active) {
            DriftItem &item = b.differs(QStringLiteral("price"), plan, name, id,
                                        QStringLiteral("active"), yesNo(ourActive), yesNo(active));
            repairWith(item,
                       QStringLiteral("UPDATE plans SET archived_at = CASE WHEN ? THEN NULL ELSE "
                                      "now() END WHERE id = ?::uuid AND (archived_at IS NULL) = ?"),
                       {active, item.ourId, ourActive},
                       active ? tr("The plan is offered again, as its price is active in Stripe.")
                              : tr("The plan is archived, as its price is in Stripe."));
        }
    }
    for (const QVariantMap &plan : ours.plans) {
        const QString id = text(plan, "stripe_price_id");
        if (id.isEmpty() || seen.contains(id))
            continue;
        DriftItem &item = b.add(QStringLiteral("price"), DriftItem::Kind::MissingInStripe, id,
                                QStringLiteral("missing"));
        item.ourId = text(plan, "id");
        item.ourName = text(plan, "name");
        item.stripeId = id;
        item.ours =
            formatMoney(plan.value(QStringLiteral("amount")).toLongLong(), text(plan, "currency"));
        item.note = tr("Stripe does not list this price (another Stripe account?). Check in the "
                       "Stripe dashboard.");
    }
}

// ---- subscriptions ------------------------------------------------------------------------

QString subscriptionName(const QVariantMap &row)
{
    return QStringLiteral("%1 · %2").arg(text(row, "organization_name"), text(row, "plan_name"));
}

// Every field Stripe owns, from its object (eventmapping's reading), into our row.
const char *const SubscriptionStateSql =
    "status = ?, quantity = ?, collection_method = ?, days_until_due = ?, "
    "current_period_start = to_timestamp(?::double precision), "
    "current_period_end = to_timestamp(?::double precision), cancel_at_period_end = ?, "
    "canceled_at = to_timestamp(?::double precision), trial_end = to_timestamp(?::double "
    "precision)";

QVariantList subscriptionState(const SubscriptionChange &s)
{
    return {s.status,
            s.quantity,
            s.collectionMethod,
            s.daysUntilDue ? QVariant(*s.daysUntilDue) : QVariant(QMetaType::fromType<int>()),
            secondsOrNull(seconds(s.currentPeriodStart)),
            secondsOrNull(seconds(s.currentPeriodEnd)),
            s.cancelAtPeriodEnd,
            secondsOrNull(seconds(s.canceledAt)),
            secondsOrNull(seconds(s.trialEnd))};
}

void compareSubscriptions(Builder &b, const StripeState &stripe, const OurState &ours,
                          const QHash<QString, QString> &customerOrg,
                          const QHash<QString, QString> &pricePlan)
{
    QHash<QString, QVariantMap> bySubscription;
    QHash<QString, QVariantMap> byId;
    for (const QVariantMap &row : ours.subscriptions) {
        byId.insert(text(row, "id"), row);
        if (!text(row, "stripe_subscription_id").isEmpty())
            bySubscription.insert(text(row, "stripe_subscription_id"), row);
    }
    QSet<QString> seen;
    for (const QJsonObject &object : stripe.subscriptions) {
        const auto change = mapped(QStringLiteral("customer.subscription.updated"), object,
                                   &MappedEvent::subscription);
        const QString id = object.value(QLatin1String("id")).toString();
        if (!change) {
            if (!id.startsWith(QLatin1String("sub_")))
                continue;
            seen.insert(id);
            DriftItem &item = b.add(QStringLiteral("subscription"), DriftItem::Kind::Differs, id,
                                    QStringLiteral("unreadable"));
            item.stripeId = id;
            item.note = tr("NOBill cannot read this subscription from Stripe (an unknown status "
                           "or no price).");
            continue;
        }
        const SubscriptionChange &s = *change;
        seen.insert(id);
        const auto linked = bySubscription.constFind(id);
        if (linked == bySubscription.constEnd()) {
            const auto row = byId.constFind(s.localId);
            const QString described = QStringLiteral("%1, %2").arg(s.status, s.priceId);
            if (row != byId.constEnd() && text(row.value(), "stripe_subscription_id").isEmpty()) {
                DriftItem &item = b.add(QStringLiteral("subscription"), DriftItem::Kind::NotLinked,
                                        id, QStringLiteral("link"));
                item.ourId = s.localId;
                item.ourName = subscriptionName(row.value());
                item.stripeId = id;
                item.ours = text(row.value(), "status");
                item.stripe = described;
                QVariantList values{id};
                values << subscriptionState(s) << s.localId;
                repairWith(item,
                           QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = ?, "
                                          "%1, version = version + 1 WHERE id = ?::uuid AND "
                                          "stripe_subscription_id IS NULL")
                               .arg(QLatin1String(SubscriptionStateSql)),
                           values,
                           tr("The subscription is linked to Stripe's and takes its state."));
                continue;
            }
            DriftItem &item = b.add(QStringLiteral("subscription"), DriftItem::Kind::MissingInOurs,
                                    id, QStringLiteral("missing"));
            item.stripeId = id;
            item.stripe = described;
            const QString org = customerOrg.value(s.customerId);
            if (!org.isEmpty() && pricePlan.contains(s.priceId)) {
                // The row's values, then the SELECT's (in the statement's order).
                QVariantList values = subscriptionState(s);
                values << id << s.customerId << s.priceId;
                repairWith(
                    item,
                    QStringLiteral(
                        "INSERT INTO subscriptions (organization_id, plan_id, status, quantity, "
                        "collection_method, days_until_due, current_period_start, "
                        "current_period_end, cancel_at_period_end, canceled_at, trial_end, "
                        "stripe_subscription_id) SELECT o.id, p.id, ?, ?, ?, ?, "
                        "to_timestamp(?::double precision), to_timestamp(?::double precision), "
                        "?, to_timestamp(?::double precision), to_timestamp(?::double "
                        "precision), ? FROM organizations o, plans p WHERE "
                        "o.stripe_customer_id = ? AND p.stripe_price_id = ? "
                        "ON CONFLICT DO NOTHING"),
                    values, tr("The subscription is added to the tenant of its Stripe customer."));
            } else {
                item.note = org.isEmpty() ? tr("Its Stripe customer is not linked to a tenant.")
                                          : tr("Its price is not linked to a plan.");
            }
            continue;
        }
        const QVariantMap &row = linked.value();
        const QString name = subscriptionName(row);
        const char *const table = "subscriptions";
        if (text(row, "status") != s.status) {
            DriftItem &item = b.differs(QStringLiteral("subscription"), row, name, id,
                                        QStringLiteral("status"), text(row, "status"), s.status);
            copyField(item, table, "status", s.status, text(row, "status"), QString(), true);
        }
        const int quantity = row.value(QStringLiteral("quantity")).toInt();
        if (quantity != s.quantity) {
            DriftItem &item =
                b.differs(QStringLiteral("subscription"), row, name, id, QStringLiteral("quantity"),
                          QString::number(quantity), QString::number(s.quantity));
            copyField(item, table, "quantity", s.quantity, quantity, QString(), true);
        }
        const bool cancel = row.value(QStringLiteral("cancel_at_period_end")).toBool();
        if (cancel != s.cancelAtPeriodEnd) {
            DriftItem &item = b.differs(QStringLiteral("subscription"), row, name, id,
                                        QStringLiteral("cancel_at_period_end"), yesNo(cancel),
                                        yesNo(s.cancelAtPeriodEnd));
            copyField(item, table, "cancel_at_period_end", s.cancelAtPeriodEnd, cancel, QString(),
                      true);
        }
        // Start and end together: the period check (end >= start) holds after one statement.
        const qint64 start = row.value(QStringLiteral("period_start")).toLongLong();
        const qint64 end = row.value(QStringLiteral("period_end")).toLongLong();
        const qint64 theirStart = seconds(s.currentPeriodStart);
        const qint64 theirEnd = seconds(s.currentPeriodEnd);
        if ((theirStart > 0 || theirEnd > 0) && (start != theirStart || end != theirEnd)) {
            DriftItem &item =
                b.differs(QStringLiteral("subscription"), row, name, id, QStringLiteral("period"),
                          periodText(start, end), periodText(theirStart, theirEnd));
            repairWith(item,
                       QStringLiteral(
                           "UPDATE subscriptions SET current_period_start = to_timestamp(?::double "
                           "precision), current_period_end = to_timestamp(?::double precision), "
                           "version = version + 1 WHERE id = ?::uuid AND "
                           "coalesce(extract(epoch FROM current_period_start)::bigint, 0) = ? AND "
                           "coalesce(extract(epoch FROM current_period_end)::bigint, 0) = ?"),
                       {secondsOrNull(theirStart), secondsOrNull(theirEnd), item.ourId,
                        qlonglong(start), qlonglong(end)},
                       tr("Ours takes Stripe's billing period."));
        }
        if (text(row, "stripe_price_id") != s.priceId) {
            DriftItem &item =
                b.differs(QStringLiteral("subscription"), row, name, id, QStringLiteral("price"),
                          text(row, "stripe_price_id"), s.priceId);
            if (pricePlan.contains(s.priceId))
                repairWith(item,
                           QStringLiteral("UPDATE subscriptions SET plan_id = p.id, version = "
                                          "version + 1 FROM plans p WHERE p.stripe_price_id = ? "
                                          "AND subscriptions.id = ?::uuid AND "
                                          "subscriptions.plan_id = ?::uuid"),
                           {s.priceId, item.ourId, text(row, "plan_id")},
                           tr("The subscription moves to the plan of Stripe's price."));
            else
                item.note = tr("Stripe's price is not linked to a plan.");
        }
    }
    for (const QVariantMap &row : ours.subscriptions) {
        const QString id = text(row, "stripe_subscription_id");
        if (id.isEmpty() || seen.contains(id))
            continue;
        DriftItem &item = b.add(QStringLiteral("subscription"), DriftItem::Kind::MissingInStripe,
                                id, QStringLiteral("missing"));
        item.ourId = text(row, "id");
        item.ourName = subscriptionName(row);
        item.stripeId = id;
        item.ours = text(row, "status");
        item.note = tr("Stripe does not list this subscription (another Stripe account?). "
                       "Check in the Stripe dashboard.");
    }
}

// ---- invoices -----------------------------------------------------------------------------

void compareInvoices(Builder &b, const StripeState &stripe, const OurState &ours,
                     const QHash<QString, QString> &customerOrg)
{
    QHash<QString, QVariantMap> byInvoice;
    for (const QVariantMap &row : ours.invoices) {
        if (!text(row, "stripe_invoice_id").isEmpty())
            byInvoice.insert(text(row, "stripe_invoice_id"), row);
    }
    QSet<QString> seen;
    for (const QJsonObject &object : stripe.invoices) {
        const QString id = object.value(QLatin1String("id")).toString();
        if (!id.startsWith(QLatin1String("in_")))
            continue;
        seen.insert(id);
        const auto change =
            mapped(QStringLiteral("invoice.updated"), object, &MappedEvent::invoice);
        if (!change) {
            DriftItem &item = b.add(QStringLiteral("invoice"), DriftItem::Kind::Differs, id,
                                    QStringLiteral("unreadable"));
            item.stripeId = id;
            item.note = tr("NOBill cannot read this invoice from Stripe (an unknown status, or "
                           "amounts that are not whole minor units).");
            continue;
        }
        const InvoiceChange &i = *change;
        const auto linked = byInvoice.constFind(id);
        if (linked == byInvoice.constEnd()) {
            DriftItem &item = b.add(QStringLiteral("invoice"), DriftItem::Kind::MissingInOurs, id,
                                    QStringLiteral("missing"));
            item.stripeId = id;
            item.stripe = QStringLiteral("%1, %2").arg(i.status, formatMoney(i.total, i.currency));
            if (customerOrg.contains(i.customerId)) {
                const QVariant url =
                    i.hostedInvoiceUrl.isEmpty() ? nullText() : QVariant(i.hostedInvoiceUrl);
                repairWith(
                    item,
                    QStringLiteral(
                        "INSERT INTO invoices (organization_id, subscription_id, number, status, "
                        "currency, subtotal, tax, total, amount_due, amount_paid, "
                        "amount_remaining, period_start, period_end, due_date, "
                        "hosted_invoice_url, stripe_invoice_id, created_at, finalized_at, "
                        "paid_at) SELECT o.id, (SELECT s.id FROM subscriptions s WHERE "
                        "s.stripe_subscription_id = ? AND s.organization_id = o.id), ?, ?, ?, ?, "
                        "?, ?, ?, ?, ?, to_timestamp(?::double precision), "
                        "to_timestamp(?::double precision), to_timestamp(?::double precision), "
                        "?, ?, coalesce(to_timestamp(?::double precision), now()), "
                        "to_timestamp(?::double precision), to_timestamp(?::double precision) "
                        "FROM organizations o WHERE o.stripe_customer_id = ? "
                        "ON CONFLICT DO NOTHING"),
                    {i.subscriptionId.isEmpty() ? nullText() : QVariant(i.subscriptionId),
                     i.number.isEmpty() ? nullText() : QVariant(i.number), i.status, i.currency,
                     qlonglong(i.subtotal), qlonglong(i.tax), qlonglong(i.total),
                     qlonglong(i.amountDue), qlonglong(i.amountPaid), qlonglong(i.amountRemaining),
                     secondsOrNull(seconds(i.periodStart)), secondsOrNull(seconds(i.periodEnd)),
                     secondsOrNull(seconds(i.dueDate)), url, id, secondsOrNull(seconds(i.created)),
                     secondsOrNull(seconds(i.finalizedAt)), secondsOrNull(seconds(i.paidAt)),
                     i.customerId},
                    tr("The invoice is added to the tenant of its Stripe customer."));
            } else {
                item.note = tr("Its Stripe customer is not linked to a tenant.");
            }
            continue;
        }
        const QVariantMap &row = linked.value();
        const QString name = text(row, "number").isEmpty()
                                 ? text(row, "organization_name")
                                 : QStringLiteral("%1 · %2").arg(text(row, "organization_name"),
                                                                 text(row, "number"));
        const char *const table = "invoices";
        if (text(row, "status") != i.status) {
            DriftItem &item = b.differs(QStringLiteral("invoice"), row, name, id,
                                        QStringLiteral("status"), text(row, "status"), i.status);
            copyField(item, table, "status", i.status, text(row, "status"), QString());
        }
        const QString currency = text(row, "currency");
        const QList<QPair<const char *, qint64>> amounts = {
            {"subtotal", i.subtotal},
            {"tax", i.tax},
            {"total", i.total},
            {"amount_due", i.amountDue},
            {"amount_paid", i.amountPaid},
            {"amount_remaining", i.amountRemaining}};
        for (const auto &[column, theirs] : amounts) {
            const qint64 value = row.value(QLatin1String(column)).toLongLong();
            if (value == theirs)
                continue;
            DriftItem &item =
                b.differs(QStringLiteral("invoice"), row, name, id, QLatin1String(column),
                          formatMoney(value, currency), formatMoney(theirs, i.currency));
            copyField(item, table, column, qlonglong(theirs), qlonglong(value), QString());
        }
        if (!i.hostedInvoiceUrl.isEmpty() &&
            text(row, "hosted_invoice_url") != i.hostedInvoiceUrl) {
            DriftItem &item = b.differs(QStringLiteral("invoice"), row, name, id,
                                        QStringLiteral("hosted_invoice_url"),
                                        text(row, "hosted_invoice_url"), i.hostedInvoiceUrl);
            const QVariant before = text(row, "hosted_invoice_url").isEmpty()
                                        ? nullText()
                                        : QVariant(text(row, "hosted_invoice_url"));
            copyField(item, table, "hosted_invoice_url", i.hostedInvoiceUrl, before, QString());
        }
    }
    for (const QVariantMap &row : ours.invoices) {
        const QString id = text(row, "stripe_invoice_id");
        if (id.isEmpty() || seen.contains(id))
            continue;
        DriftItem &item = b.add(QStringLiteral("invoice"), DriftItem::Kind::MissingInStripe, id,
                                QStringLiteral("missing"));
        item.ourId = text(row, "id");
        item.ourName = text(row, "organization_name");
        item.stripeId = id;
        item.ours = QStringLiteral("%1, %2").arg(
            text(row, "status"),
            formatMoney(row.value(QStringLiteral("total")).toLongLong(), text(row, "currency")));
        item.note = tr("Stripe does not list this invoice (another Stripe account?). Check in "
                       "the Stripe dashboard.");
    }
}

// Lists the four kinds one after another (Stripe's rate limit prefers that to four at once).
struct Fetch : std::enable_shared_from_this<Fetch>
{
    StripeClient *client = nullptr;
    std::function<void(Result<StripeState>)> done;
    StripeState state;
    int step = 0;

    void next()
    {
        struct Step
        {
            const char *path;
            QVariantMap query;
            QList<QJsonObject> StripeState::*target;
        };
        static const QList<Step> steps = {{"/v1/customers", {}, &StripeState::customers},
                                          {"/v1/prices", {}, &StripeState::prices},
                                          {"/v1/subscriptions",
                                           {{QStringLiteral("status"), QStringLiteral("all")}},
                                           &StripeState::subscriptions},
                                          {"/v1/invoices", {}, &StripeState::invoices}};
        if (step >= steps.size())
            return done(state);
        const Step &s = steps.at(step);
        auto self = shared_from_this();
        client->listAll(
            QLatin1String(s.path), s.query,
            [self, target = s.target, path = QLatin1String(s.path)](const StripeListReply &reply) {
                // Unavailable: worth trying again later; Internal: not by itself.
                if (!reply.ok)
                    return self->done(makeError(reply.error.retryable ? ErrorKind::Unavailable
                                                                      : ErrorKind::Internal,
                                                tr("Stripe's list %1 could not be read: %2")
                                                    .arg(path, reply.error.sentence())));
                self->state.*target = reply.items;
                ++self->step;
                self->next();
            });
    }
};

} // namespace

int DriftReport::repairableCount() const
{
    return int(std::count_if(items.cbegin(), items.cend(),
                             [](const DriftItem &item) { return item.repairable; }));
}

QStringList DriftReport::repairableIds() const
{
    QStringList ids;
    for (const DriftItem &item : items) {
        if (item.repairable)
            ids << item.id;
    }
    return ids;
}

QJsonObject DriftReport::toJson() const
{
    QJsonArray drift;
    for (const DriftItem &item : items) {
        drift.append(QJsonObject{{QStringLiteral("id"), item.id},
                                 {QStringLiteral("object"), item.object},
                                 {QStringLiteral("kind"), driftKindKey(item.kind)},
                                 {QStringLiteral("our_id"), item.ourId},
                                 {QStringLiteral("our_name"), item.ourName},
                                 {QStringLiteral("stripe_id"), item.stripeId},
                                 {QStringLiteral("field"), item.field},
                                 {QStringLiteral("ours"), item.ours},
                                 {QStringLiteral("stripe"), item.stripe},
                                 {QStringLiteral("repairable"), item.repairable},
                                 {QStringLiteral("note"), item.note}});
    }
    return QJsonObject{
        {QStringLiteral("checked"), QJsonObject{{QStringLiteral("customers"), customers},
                                                {QStringLiteral("prices"), prices},
                                                {QStringLiteral("subscriptions"), subscriptions},
                                                {QStringLiteral("invoices"), invoices}}},
        {QStringLiteral("drift"), drift},
        {QStringLiteral("repaired"), repaired}};
}

DriftReport DriftReport::fromJson(const QJsonObject &json)
{
    DriftReport report;
    const QJsonObject checked = json.value(QLatin1String("checked")).toObject();
    report.customers = checked.value(QLatin1String("customers")).toInt();
    report.prices = checked.value(QLatin1String("prices")).toInt();
    report.subscriptions = checked.value(QLatin1String("subscriptions")).toInt();
    report.invoices = checked.value(QLatin1String("invoices")).toInt();
    report.repaired = json.value(QLatin1String("repaired")).toInt();
    const QJsonArray drift = json.value(QLatin1String("drift")).toArray();
    for (const QJsonValue &value : drift) {
        const QJsonObject o = value.toObject();
        DriftItem item;
        auto get = [&o](const char *key) {
            return o.value(QLatin1String(key)).toString();
        };
        item.id = get("id");
        item.object = get("object");
        item.kind = driftKindFromKey(get("kind")).value_or(DriftItem::Kind::Differs);
        item.ourId = get("our_id");
        item.ourName = get("our_name");
        item.stripeId = get("stripe_id");
        item.field = get("field");
        item.ours = get("ours");
        item.stripe = get("stripe");
        item.repairable = o.value(QLatin1String("repairable")).toBool();
        item.note = get("note");
        if (!item.id.isEmpty())
            report.items.append(item);
    }
    return report;
}

QString driftKindKey(DriftItem::Kind kind)
{
    switch (kind) {
    case DriftItem::Kind::Differs:
        return QStringLiteral("differs");
    case DriftItem::Kind::MissingInOurs:
        return QStringLiteral("missing_in_ours");
    case DriftItem::Kind::MissingInStripe:
        return QStringLiteral("missing_in_stripe");
    case DriftItem::Kind::NotLinked:
        return QStringLiteral("not_linked");
    }
    return {};
}

std::optional<DriftItem::Kind> driftKindFromKey(const QString &key)
{
    for (auto kind : {DriftItem::Kind::Differs, DriftItem::Kind::MissingInOurs,
                      DriftItem::Kind::MissingInStripe, DriftItem::Kind::NotLinked}) {
        if (driftKindKey(kind) == key)
            return kind;
    }
    return std::nullopt;
}

QString driftKindText(DriftItem::Kind kind)
{
    switch (kind) {
    case DriftItem::Kind::Differs:
        return tr("Differs");
    case DriftItem::Kind::MissingInOurs:
        return tr("Not in NOBill");
    case DriftItem::Kind::MissingInStripe:
        return tr("Not in Stripe");
    case DriftItem::Kind::NotLinked:
        return tr("Not linked");
    }
    return {};
}

QString driftObjectText(const QString &object)
{
    if (object == QLatin1String("customer"))
        return tr("Customer");
    if (object == QLatin1String("price"))
        return tr("Price");
    if (object == QLatin1String("subscription"))
        return tr("Subscription");
    if (object == QLatin1String("invoice"))
        return tr("Invoice");
    return object;
}

QStringList Reconciler::ourQueries()
{
    return {
        QStringLiteral("SELECT id::text AS id, name, billing_email, stripe_customer_id "
                       "FROM organizations ORDER BY name, id"),
        QStringLiteral("SELECT id::text AS id, name, amount, currency, interval, interval_count, "
                       "stripe_price_id, archived_at IS NOT NULL AS archived "
                       "FROM plans ORDER BY name, id"),
        QStringLiteral(
            "SELECT s.id::text AS id, o.name AS organization_name, s.plan_id::text AS plan_id, "
            "p.name AS plan_name, p.stripe_price_id, s.status, s.quantity, "
            "coalesce(extract(epoch FROM s.current_period_start)::bigint, 0) AS period_start, "
            "coalesce(extract(epoch FROM s.current_period_end)::bigint, 0) AS period_end, "
            "s.cancel_at_period_end, s.stripe_subscription_id FROM subscriptions s "
            "JOIN organizations o ON o.id = s.organization_id JOIN plans p ON p.id = s.plan_id "
            "ORDER BY s.id"),
        QStringLiteral("SELECT i.id::text AS id, o.name AS organization_name, i.number, "
                       "i.status, i.currency, i.subtotal, i.tax, i.total, i.amount_due, "
                       "i.amount_paid, i.amount_remaining, i.hosted_invoice_url, "
                       "i.stripe_invoice_id FROM invoices i "
                       "JOIN organizations o ON o.id = i.organization_id ORDER BY i.id"),
    };
}

Result<OurState> Reconciler::readOurs(const QString &connectionName)
{
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    const QStringList queries = ourQueries();
    QList<QList<QVariantMap>> results;
    for (const QString &sql : queries) {
        auto q = execSql(db, sql);
        if (!q)
            return q.error();
        QList<QVariantMap> rows;
        while (q.value().next()) {
            const QSqlRecord r = q.value().record();
            QVariantMap row;
            for (int i = 0; i < r.count(); ++i)
                row.insert(r.fieldName(i), q.value().value(i));
            rows.append(row);
        }
        results.append(rows);
    }
    return OurState{results.at(0), results.at(1), results.at(2), results.at(3)};
}

void Reconciler::fetchStripe(StripeClient &client, std::function<void(Result<StripeState>)> done)
{
    auto fetch = std::make_shared<Fetch>();
    fetch->client = &client;
    fetch->done = std::move(done);
    fetch->next();
}

DriftReport Reconciler::compare(const StripeState &stripe, const OurState &ours)
{
    Builder b;
    QHash<QString, QString> customerOrg; // cus_ -> organization, including links a repair makes
    QHash<QString, QString> pricePlan;   // price_ -> plan, likewise
    compareCustomers(b, stripe, ours, customerOrg);
    comparePrices(b, stripe, ours, pricePlan);
    compareSubscriptions(b, stripe, ours, customerOrg, pricePlan);
    compareInvoices(b, stripe, ours, customerOrg);
    DriftReport report;
    report.items = b.items;
    report.customers = int(stripe.customers.size());
    report.prices = int(stripe.prices.size());
    report.subscriptions = int(stripe.subscriptions.size());
    report.invoices = int(stripe.invoices.size());
    return report;
}

QList<SqlWrite> Reconciler::repairWrites(const DriftReport &report, const QStringList &only,
                                         QStringList *repairedIds)
{
    // Items are made in the order customers, prices, subscriptions, invoices, and within a
    // kind links before inserts that need them: running them in that order is enough.
    QList<SqlWrite> writes;
    const QSet<QString> wanted(only.cbegin(), only.cend());
    for (const DriftItem &item : report.items) {
        if (!item.repairable || !item.repair || (!only.isEmpty() && !wanted.contains(item.id)))
            continue;
        writes.append(*item.repair);
        if (repairedIds)
            repairedIds->append(item.id);
    }
    return writes;
}

Status Reconciler::applyWrites(const QString &connectionName, const QList<SqlWrite> &writes)
{
    return inTransaction(QSqlDatabase::database(connectionName, false), [&]() -> Status {
        for (const SqlWrite &write : writes) {
            auto q =
                execSql(QSqlDatabase::database(connectionName, false), write.sql, write.values);
            if (!q)
                return q.error();
        }
        return {};
    });
}

Result<QString> Reconciler::enqueue(const QString &connectionName,
                                    const std::optional<QStringList> &repairIds)
{
    QVariant drift = nullText();
    if (repairIds) {
        // An array literal with every element quoted, whatever the ids hold.
        QStringList quoted;
        for (QString id : *repairIds) {
            id.replace(QLatin1Char('\\'), QStringLiteral("\\\\"));
            id.replace(QLatin1Char('"'), QStringLiteral("\\\""));
            quoted << QLatin1Char('"') + id + QLatin1Char('"');
        }
        drift = QStringLiteral("{%1}").arg(quoted.join(QLatin1Char(',')));
    }
    const QString key =
        QStringLiteral("reconcile:") + QUuid::createUuid().toString(QUuid::WithoutBraces);
    auto q = execSql(QSqlDatabase::database(connectionName, false),
                     QStringLiteral("SELECT nobill_enqueue_stripe_reconcile(?::text[], ?)::text"),
                     {drift, key});
    if (!q)
        return q.error();
    if (!q.value().next())
        return makeError(ErrorKind::Internal, tr("The comparison was not queued."));
    return q.value().value(0).toString();
}

} // namespace nobill
