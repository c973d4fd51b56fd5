#include "stripeevents/eventmapping.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QJsonValue>
#include <QUuid>

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::StripeEvents", text);
}

Error invalid(const QString &message)
{
    return makeError(ErrorKind::InvalidInput, message);
}

// Stripe ids may come as a string or, when expanded, as the object itself.
QString idOf(const QJsonValue &value)
{
    if (value.isString())
        return value.toString();
    if (value.isObject())
        return value.toObject().value(QLatin1String("id")).toString();
    return {};
}

// Unix seconds; null or absent gives an invalid QDateTime (a NULL column).
QDateTime timeOf(const QJsonValue &value)
{
    if (value.isDouble())
        return QDateTime::fromSecsSinceEpoch(static_cast<qint64>(value.toDouble()), Qt::UTC);
    if (value.isString()) // v2 (thin) events give RFC 3339 text
        return QDateTime::fromString(value.toString(), Qt::ISODateWithMs).toUTC();
    return {};
}

// Amounts are integers in minor units; a fraction or text would be a bug on Stripe's side
// and is refused rather than rounded.
bool amountOf(const QJsonObject &o, const char *key, qint64 &out)
{
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isUndefined() || v.isNull()) {
        out = 0;
        return true;
    }
    if (!v.isDouble())
        return false;
    const double d = v.toDouble();
    if (d != static_cast<double>(static_cast<qint64>(d)) || d < -9.0e15 || d > 9.0e15)
        return false;
    out = static_cast<qint64>(d);
    return true;
}

// Our own ids in Stripe metadata; anything that is not a uuid is not ours.
QString localId(const QJsonObject &object, const char *key)
{
    const QString text =
        object.value(QLatin1String("metadata")).toObject().value(QLatin1String(key)).toString();
    const QUuid uuid = QUuid::fromString(text);
    return uuid.isNull() ? QString() : uuid.toString(QUuid::WithoutBraces);
}

bool validStripeId(const QString &id, const char *prefix)
{
    if (!id.startsWith(QLatin1String(prefix)) || id.size() > 255)
        return false;
    for (const QChar c : id) {
        if (!(c.isLetterOrNumber() && c.unicode() < 128) && c != QLatin1Char('_'))
            return false;
    }
    return id.size() > static_cast<qsizetype>(qstrlen(prefix));
}

Error missingId(const QString &type, const char *prefix)
{
    return invalid(tr("The %1 event names no valid Stripe object (an id starting with \"%2\"), "
                      "so it cannot be applied.")
                       .arg(type, QLatin1String(prefix)));
}

Result<CustomerChange> mapCustomer(const QString &type, const QJsonObject &o)
{
    CustomerChange c;
    c.customerId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(c.customerId, "cus_"))
        return missingId(type, "cus_");
    c.organizationId = localId(o, "nobill_organization_id");
    c.deleted =
        type == QLatin1String("customer.deleted") || o.value(QLatin1String("deleted")).toBool();
    return c;
}

Result<ProductChange> mapProduct(const QString &type, const QJsonObject &o)
{
    ProductChange p;
    p.productId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(p.productId, "prod_"))
        return missingId(type, "prod_");
    p.localId = localId(o, "nobill_product_id");
    p.name = o.value(QLatin1String("name")).toString().trimmed().left(200);
    p.description = o.value(QLatin1String("description")).toString().left(2000);
    p.active = o.value(QLatin1String("active")).toBool(true);
    p.deleted =
        type == QLatin1String("product.deleted") || o.value(QLatin1String("deleted")).toBool();
    return p;
}

Result<PriceChange> mapPrice(const QString &type, const QJsonObject &o)
{
    PriceChange p;
    p.priceId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(p.priceId, "price_"))
        return missingId(type, "price_");
    p.localId = localId(o, "nobill_plan_id");
    p.nickname = o.value(QLatin1String("nickname")).toString().trimmed().left(200);
    const QString meter =
        o.value(QLatin1String("recurring")).toObject().value(QLatin1String("meter")).toString();
    if (validStripeId(meter, "mtr_"))
        p.meterId = meter;
    p.active = o.value(QLatin1String("active")).toBool(true);
    p.deleted =
        type == QLatin1String("price.deleted") || o.value(QLatin1String("deleted")).toBool();
    return p;
}

const QStringList &subscriptionStatuses()
{
    static const QStringList statuses = {
        QStringLiteral("incomplete"), QStringLiteral("incomplete_expired"),
        QStringLiteral("trialing"),   QStringLiteral("active"),
        QStringLiteral("past_due"),   QStringLiteral("canceled"),
        QStringLiteral("unpaid"),     QStringLiteral("paused")};
    return statuses;
}

Result<SubscriptionChange> mapSubscription(const QString &type, const QJsonObject &o)
{
    SubscriptionChange s;
    s.subscriptionId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(s.subscriptionId, "sub_"))
        return missingId(type, "sub_");
    s.customerId = idOf(o.value(QLatin1String("customer")));
    if (!validStripeId(s.customerId, "cus_"))
        return invalid(tr("Subscription %1 names no Stripe customer, so it cannot be linked to "
                          "a tenant.")
                           .arg(s.subscriptionId));
    s.localId = localId(o, "nobill_subscription_id");

    const QJsonArray items =
        o.value(QLatin1String("items")).toObject().value(QLatin1String("data")).toArray();
    const QJsonObject item = items.isEmpty() ? QJsonObject() : items.first().toObject();
    s.priceId = idOf(item.value(QLatin1String("price")));
    if (s.priceId.isEmpty()) // API versions before prices
        s.priceId = idOf(item.value(QLatin1String("plan")));
    if (!validStripeId(s.priceId, "price_"))
        return invalid(tr("Subscription %1 has no price, so it cannot be matched to a plan.")
                           .arg(s.subscriptionId));

    s.status = o.value(QLatin1String("status")).toString();
    if (type == QLatin1String("customer.subscription.deleted"))
        s.status = QStringLiteral("canceled");
    else if (s.status.isEmpty() && type == QLatin1String("customer.subscription.paused"))
        s.status = QStringLiteral("paused");
    if (!subscriptionStatuses().contains(s.status))
        return invalid(tr("Subscription %1 has the status \"%2\", which NOBill does not know. "
                          "Update NOBill, then reprocess the event.")
                           .arg(s.subscriptionId, s.status));

    // A metered item has no quantity: it bills what was used.
    const QJsonValue quantity = item.contains(QLatin1String("quantity"))
                                    ? item.value(QLatin1String("quantity"))
                                    : o.value(QLatin1String("quantity"));
    s.quantity = quantity.isDouble() ? qBound(0, quantity.toInt(), 1000000000) : 1;

    s.collectionMethod = o.value(QLatin1String("collection_method")).toString();
    if (s.collectionMethod.isEmpty())
        s.collectionMethod = QStringLiteral("charge_automatically");
    if (s.collectionMethod != QLatin1String("charge_automatically") &&
        s.collectionMethod != QLatin1String("send_invoice"))
        return invalid(tr("Subscription %1 is collected by \"%2\", which NOBill does not know.")
                           .arg(s.subscriptionId, s.collectionMethod));
    if (s.collectionMethod == QLatin1String("send_invoice")) {
        const QJsonValue days = o.value(QLatin1String("days_until_due"));
        s.daysUntilDue = days.isDouble() ? qBound(0, days.toInt(), 365) : 30;
    }

    // Since 2025-03-31.basil the billing period lives on each item (stripe.md).
    s.currentPeriodStart = timeOf(o.value(QLatin1String("current_period_start")));
    if (!s.currentPeriodStart.isValid())
        s.currentPeriodStart = timeOf(item.value(QLatin1String("current_period_start")));
    s.currentPeriodEnd = timeOf(o.value(QLatin1String("current_period_end")));
    if (!s.currentPeriodEnd.isValid())
        s.currentPeriodEnd = timeOf(item.value(QLatin1String("current_period_end")));
    if (s.currentPeriodStart.isValid() && s.currentPeriodEnd.isValid() &&
        s.currentPeriodEnd < s.currentPeriodStart)
        return invalid(
            tr("Subscription %1 ends its period before it starts.").arg(s.subscriptionId));

    s.cancelAtPeriodEnd = o.value(QLatin1String("cancel_at_period_end")).toBool();
    s.canceledAt = timeOf(o.value(QLatin1String("canceled_at")));
    if (s.status == QLatin1String("canceled") && !s.canceledAt.isValid())
        s.canceledAt = timeOf(o.value(QLatin1String("ended_at")));
    s.trialEnd = timeOf(o.value(QLatin1String("trial_end")));
    return s;
}

const QStringList &invoiceStatuses()
{
    static const QStringList statuses = {QStringLiteral("draft"), QStringLiteral("open"),
                                         QStringLiteral("paid"), QStringLiteral("void"),
                                         QStringLiteral("uncollectible")};
    return statuses;
}

Result<InvoiceChange> mapInvoice(const QString &type, const QJsonObject &o)
{
    InvoiceChange i;
    i.invoiceId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(i.invoiceId, "in_"))
        return missingId(type, "in_");
    i.customerId = idOf(o.value(QLatin1String("customer")));
    if (!validStripeId(i.customerId, "cus_"))
        return invalid(tr("Invoice %1 names no Stripe customer, so it cannot be linked to a "
                          "tenant.")
                           .arg(i.invoiceId));
    i.subscriptionId = idOf(o.value(QLatin1String("subscription")));
    if (i.subscriptionId.isEmpty()) { // 2025-03-31.basil moved it under parent
        i.subscriptionId = idOf(o.value(QLatin1String("parent"))
                                    .toObject()
                                    .value(QLatin1String("subscription_details"))
                                    .toObject()
                                    .value(QLatin1String("subscription")));
    }
    if (!i.subscriptionId.isEmpty() && !validStripeId(i.subscriptionId, "sub_"))
        i.subscriptionId.clear();

    i.number = o.value(QLatin1String("number")).toString().trimmed().left(64);
    i.status = o.value(QLatin1String("status")).toString();
    if (i.status.isEmpty()) {
        if (type == QLatin1String("invoice.paid"))
            i.status = QStringLiteral("paid");
        else if (type == QLatin1String("invoice.voided"))
            i.status = QStringLiteral("void");
        else if (type == QLatin1String("invoice.marked_uncollectible"))
            i.status = QStringLiteral("uncollectible");
        else if (type == QLatin1String("invoice.finalized") ||
                 type == QLatin1String("invoice.payment_failed"))
            i.status = QStringLiteral("open");
        else
            i.status = QStringLiteral("draft");
    }
    if (!invoiceStatuses().contains(i.status))
        return invalid(tr("Invoice %1 has the status \"%2\", which NOBill does not know. Update "
                          "NOBill, then reprocess the event.")
                           .arg(i.invoiceId, i.status));

    i.currency = o.value(QLatin1String("currency")).toString().toUpper();
    if (i.currency.size() != 3)
        return invalid(tr("Invoice %1 has no currency.").arg(i.invoiceId));

    if (!amountOf(o, "subtotal", i.subtotal) || !amountOf(o, "total", i.total) ||
        !amountOf(o, "amount_due", i.amountDue) || !amountOf(o, "amount_paid", i.amountPaid) ||
        !amountOf(o, "amount_remaining", i.amountRemaining))
        return invalid(tr("Invoice %1 has an amount that is not a whole number of minor units.")
                           .arg(i.invoiceId));
    if (o.contains(QLatin1String("tax")) && !o.value(QLatin1String("tax")).isNull()) {
        if (!amountOf(o, "tax", i.tax))
            return invalid(tr("Invoice %1 has a tax that is not a whole number of minor units.")
                               .arg(i.invoiceId));
    } else {
        // 2025-03-31.basil: the taxes are listed, not summed.
        const QJsonArray taxes = o.value(QLatin1String("total_taxes")).toArray();
        for (const QJsonValue &t : taxes) {
            qint64 amount = 0;
            if (!amountOf(t.toObject(), "amount", amount))
                return invalid(tr("Invoice %1 has a tax that is not a whole number of minor "
                                  "units.")
                                   .arg(i.invoiceId));
            i.tax += amount;
        }
    }

    i.periodStart = timeOf(o.value(QLatin1String("period_start")));
    i.periodEnd = timeOf(o.value(QLatin1String("period_end")));
    if (i.periodStart.isValid() && i.periodEnd.isValid() && i.periodEnd < i.periodStart)
        i.periodEnd = i.periodStart;
    i.dueDate = timeOf(o.value(QLatin1String("due_date")));
    const QString url = o.value(QLatin1String("hosted_invoice_url")).toString();
    if (url.startsWith(QLatin1String("https://")) && url.size() <= 2000)
        i.hostedInvoiceUrl = url;
    i.created = timeOf(o.value(QLatin1String("created")));
    const QJsonObject transitions = o.value(QLatin1String("status_transitions")).toObject();
    i.finalizedAt = timeOf(transitions.value(QLatin1String("finalized_at")));
    i.paidAt = timeOf(transitions.value(QLatin1String("paid_at")));
    return i;
}

Result<CheckoutCompletion> mapCheckout(const QString &type, const QJsonObject &o)
{
    CheckoutCompletion c;
    c.sessionId = o.value(QLatin1String("id")).toString();
    if (!validStripeId(c.sessionId, "cs_"))
        return missingId(type, "cs_");
    c.customerId = idOf(o.value(QLatin1String("customer")));
    if (!c.customerId.isEmpty() && !validStripeId(c.customerId, "cus_"))
        c.customerId.clear();
    c.subscriptionId = idOf(o.value(QLatin1String("subscription")));
    if (!c.subscriptionId.isEmpty() && !validStripeId(c.subscriptionId, "sub_"))
        c.subscriptionId.clear();
    const QUuid reference =
        QUuid::fromString(o.value(QLatin1String("client_reference_id")).toString());
    c.organizationId = reference.isNull() ? localId(o, "nobill_organization_id")
                                          : reference.toString(QUuid::WithoutBraces);
    c.localSubscriptionId = localId(o, "nobill_subscription_id");
    return c;
}

// v1: data.object is the report; v2 thin events: related_object names the meter and data
// holds the report.
Result<MeterErrorReport> mapMeterError(const QJsonObject &event, const QJsonObject &object)
{
    MeterErrorReport r;
    const QJsonObject data =
        object.isEmpty() ? event.value(QLatin1String("data")).toObject() : object;
    r.meterId = idOf(event.value(QLatin1String("related_object")));
    if (r.meterId.isEmpty())
        r.meterId = idOf(data.value(QLatin1String("meter")));
    if (r.meterId.isEmpty() &&
        data.value(QLatin1String("id")).toString().startsWith(QLatin1String("mtr_")))
        r.meterId = data.value(QLatin1String("id")).toString();
    if (!r.meterId.isEmpty() && !validStripeId(r.meterId, "mtr_"))
        r.meterId.clear();
    r.summary = data.value(QLatin1String("developer_message_summary")).toString().left(1000);
    const QJsonObject reason = data.value(QLatin1String("reason")).toObject();
    r.errorCount = static_cast<qint64>(reason.value(QLatin1String("error_count")).toDouble());
    const QJsonArray types = reason.value(QLatin1String("error_types")).toArray();
    for (const QJsonValue &t : types) {
        const QJsonArray samples = t.toObject().value(QLatin1String("sample_errors")).toArray();
        for (const QJsonValue &s : samples) {
            const QString identifier = s.toObject()
                                           .value(QLatin1String("request"))
                                           .toObject()
                                           .value(QLatin1String("identifier"))
                                           .toString();
            if (!identifier.isEmpty() && identifier.size() <= 255 && r.identifiers.size() < 1000)
                r.identifiers << identifier;
        }
    }
    return r;
}

bool isOneOf(const QString &type, std::initializer_list<const char *> types)
{
    for (const char *t : types) {
        if (type == QLatin1String(t))
            return true;
    }
    return false;
}

} // namespace

int subscriptionStatusRank(const QString &status)
{
    // The usual life of a subscription, start to end; a later state in the same second is
    // almost always the newer one.
    static const char *const order[] = {"incomplete",         "trialing", "active",
                                        "past_due",           "unpaid",   "paused",
                                        "incomplete_expired", "canceled"};
    for (int i = 0; i < 8; ++i) {
        if (status == QLatin1String(order[i]))
            return i + 1;
    }
    return 0;
}

int invoiceStatusRank(const QString &status)
{
    static const char *const order[] = {"draft", "open", "uncollectible", "paid", "void"};
    for (int i = 0; i < 5; ++i) {
        if (status == QLatin1String(order[i]))
            return i + 1;
    }
    return 0;
}

Result<MappedEvent> mapStripeEvent(const QByteArray &json)
{
    QJsonParseError error{};
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !doc.isObject())
        return invalid(tr("The event is not valid JSON, so it cannot be applied."));
    return mapStripeEvent(doc.object());
}

Result<MappedEvent> mapStripeEvent(const QJsonObject &event)
{
    MappedEvent m;
    m.eventId = event.value(QLatin1String("id")).toString();
    if (!validStripeId(m.eventId, "evt_"))
        return invalid(tr("The event has no Stripe event id, so it cannot be applied."));
    m.type = event.value(QLatin1String("type")).toString();
    if (m.type.isEmpty() || m.type.size() > 200)
        return invalid(tr("Event %1 has no type, so it cannot be applied.").arg(m.eventId));
    m.created = timeOf(event.value(QLatin1String("created")));
    if (!m.created.isValid())
        return invalid(
            tr("Event %1 has no creation time, so it cannot be ordered.").arg(m.eventId));

    const QJsonObject object =
        event.value(QLatin1String("data")).toObject().value(QLatin1String("object")).toObject();
    m.objectId = object.value(QLatin1String("id")).toString();
    if (m.objectId.isEmpty())
        m.objectId = idOf(event.value(QLatin1String("related_object")));

    const QString &type = m.type;
    if (isOneOf(type, {"customer.created", "customer.updated", "customer.deleted"})) {
        auto c = mapCustomer(type, object);
        if (!c)
            return c.error();
        m.kind = EventKind::Customer;
        m.customer = std::move(c.value());
        m.rank = m.customer.deleted ? 9 : 0;
    } else if (isOneOf(type, {"product.created", "product.updated", "product.deleted"})) {
        auto p = mapProduct(type, object);
        if (!p)
            return p.error();
        m.kind = EventKind::Product;
        m.product = std::move(p.value());
        m.rank = m.product.deleted ? 9 : (m.product.active ? 0 : 1);
    } else if (isOneOf(type, {"price.created", "price.updated", "price.deleted"})) {
        auto p = mapPrice(type, object);
        if (!p)
            return p.error();
        m.kind = EventKind::Price;
        m.price = std::move(p.value());
        m.rank = m.price.deleted ? 9 : (m.price.active ? 0 : 1);
    } else if (type.startsWith(QLatin1String("customer.subscription."))) {
        if (!isOneOf(type, {"customer.subscription.created", "customer.subscription.updated",
                            "customer.subscription.deleted", "customer.subscription.paused",
                            "customer.subscription.resumed", "customer.subscription.trial_will_end",
                            "customer.subscription.pending_update_applied",
                            "customer.subscription.pending_update_expired"})) {
            m.ignoreReason = tr("NOBill does not apply events of type %1; it is kept for "
                                "reference.")
                                 .arg(type);
            return m;
        }
        auto s = mapSubscription(type, object);
        if (!s)
            return s.error();
        m.kind = EventKind::Subscription;
        m.subscription = std::move(s.value());
        m.rank = subscriptionStatusRank(m.subscription.status);
    } else if (isOneOf(type, {"invoice.created", "invoice.updated", "invoice.finalized",
                              "invoice.paid", "invoice.payment_succeeded", "invoice.payment_failed",
                              "invoice.voided", "invoice.marked_uncollectible", "invoice.sent",
                              "invoice.overdue", "invoice.payment_action_required"})) {
        auto i = mapInvoice(type, object);
        if (!i)
            return i.error();
        m.kind = EventKind::Invoice;
        m.invoice = std::move(i.value());
        m.rank = invoiceStatusRank(m.invoice.status);
    } else if (type == QLatin1String("checkout.session.completed")) {
        auto c = mapCheckout(type, object);
        if (!c)
            return c.error();
        m.kind = EventKind::CheckoutCompleted;
        m.checkout = std::move(c.value());
    } else if (type.endsWith(QLatin1String("billing.meter.error_report_triggered")) ||
               type.endsWith(QLatin1String("billing.meter.no_meter_found"))) {
        auto r = mapMeterError(event, object);
        if (!r)
            return r.error();
        m.kind = EventKind::MeterErrorReport;
        m.meterError = std::move(r.value());
        if (m.objectId.isEmpty())
            m.objectId = m.meterError.meterId;
        // Reports are not states: each one counts, none replaces another.
        m.objectId.clear();
    } else {
        m.ignoreReason =
            tr("NOBill does not apply events of type %1; it is kept for reference.").arg(type);
    }
    return m;
}

int applyEventForFuzzing(const QByteArray &json)
{
    const auto mapped = mapStripeEvent(json);
    if (!mapped)
        return -1;
    return static_cast<int>(mapped.value().kind);
}

} // namespace nobill
