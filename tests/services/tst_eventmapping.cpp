// Stripe events read into our terms without a database: one case per event type we apply,
// the statuses Stripe sends, the same-second ranks, and input that is not an event at all.

#include "stripeevents/eventmapping.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace nobill;

namespace {

QByteArray eventJson(const QString &type, const QJsonObject &object, qint64 created = 1700000000)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("id"), QStringLiteral("evt_1Test")},
                                     {QStringLiteral("object"), QStringLiteral("event")},
                                     {QStringLiteral("type"), type},
                                     {QStringLiteral("created"), created},
                                     {QStringLiteral("data"),
                                      QJsonObject{{QStringLiteral("object"), object}}}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject subscription(const QString &status)
{
    return QJsonObject{
        {QStringLiteral("id"), QStringLiteral("sub_1")},
        {QStringLiteral("object"), QStringLiteral("subscription")},
        {QStringLiteral("customer"), QStringLiteral("cus_1")},
        {QStringLiteral("status"), status},
        {QStringLiteral("collection_method"), QStringLiteral("send_invoice")},
        {QStringLiteral("days_until_due"), 14},
        {QStringLiteral("cancel_at_period_end"), true},
        {QStringLiteral("trial_end"), 1700086400},
        {QStringLiteral("metadata"),
         QJsonObject{{QStringLiteral("nobill_subscription_id"),
                      QStringLiteral("00000000-0000-0000-0000-0000000000c1")}}},
        {QStringLiteral("items"),
         QJsonObject{{QStringLiteral("data"),
                      QJsonArray{QJsonObject{
                          {QStringLiteral("quantity"), 7},
                          {QStringLiteral("current_period_start"), 1700000000},
                          {QStringLiteral("current_period_end"), 1702592000},
                          {QStringLiteral("price"),
                           QJsonObject{{QStringLiteral("id"), QStringLiteral("price_1")}}}}}}}}};
}

QJsonObject invoice(const QString &status)
{
    return QJsonObject{
        {QStringLiteral("id"), QStringLiteral("in_1")},
        {QStringLiteral("customer"), QStringLiteral("cus_1")},
        {QStringLiteral("parent"),
         QJsonObject{{QStringLiteral("subscription_details"),
                      QJsonObject{{QStringLiteral("subscription"), QStringLiteral("sub_1")}}}}},
        {QStringLiteral("number"), QStringLiteral("ACME-0001")},
        {QStringLiteral("status"), status},
        {QStringLiteral("currency"), QStringLiteral("eur")},
        {QStringLiteral("subtotal"), 10000},
        {QStringLiteral("total"), 11900},
        {QStringLiteral("total_taxes"), QJsonArray{QJsonObject{{QStringLiteral("amount"), 1500}},
                                                   QJsonObject{{QStringLiteral("amount"), 400}}}},
        {QStringLiteral("amount_due"), 11900},
        {QStringLiteral("amount_paid"), status == QLatin1String("paid") ? 11900 : 0},
        {QStringLiteral("amount_remaining"), status == QLatin1String("paid") ? 0 : 11900},
        {QStringLiteral("hosted_invoice_url"), QStringLiteral("https://invoice.stripe.com/i/1")},
        {QStringLiteral("period_start"), 1700000000},
        {QStringLiteral("period_end"), 1702592000},
        {QStringLiteral("status_transitions"),
         QJsonObject{{QStringLiteral("finalized_at"), 1700000100},
                     {QStringLiteral("paid_at"),
                      status == QLatin1String("paid") ? QJsonValue(1700000200) : QJsonValue()}}}};
}

} // namespace

class TestEventMapping : public QObject
{
    Q_OBJECT

private slots:
    void customer()
    {
        const auto m = mapStripeEvent(eventJson(
            QStringLiteral("customer.created"),
            QJsonObject{{QStringLiteral("id"), QStringLiteral("cus_9")},
                        {QStringLiteral("metadata"),
                         QJsonObject{{QStringLiteral("nobill_organization_id"),
                                      QStringLiteral("00000000-0000-0000-0000-0000000000a1")}}}}));
        QVERIFY2(m, qPrintable(m ? QString() : m.error().message));
        QCOMPARE(m->kind, EventKind::Customer);
        QCOMPARE(m->objectId, QStringLiteral("cus_9"));
        QCOMPARE(m->customer.organizationId,
                 QStringLiteral("00000000-0000-0000-0000-0000000000a1"));
        QVERIFY(!m->customer.deleted);
        QCOMPARE(m->created, QDateTime::fromSecsSinceEpoch(1700000000, Qt::UTC));

        const auto deleted = mapStripeEvent(
            eventJson(QStringLiteral("customer.deleted"),
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("cus_9")},
                                  {QStringLiteral("metadata"),
                                   QJsonObject{{QStringLiteral("nobill_organization_id"),
                                                QStringLiteral("not-a-uuid")}}}}));
        QVERIFY(deleted);
        QVERIFY(deleted->customer.deleted);
        QVERIFY(deleted->customer.organizationId.isEmpty()); // not ours
    }

    void productAndPrice()
    {
        const auto p = mapStripeEvent(
            eventJson(QStringLiteral("product.updated"),
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("prod_1")},
                                  {QStringLiteral("name"), QStringLiteral("  Team  ")},
                                  {QStringLiteral("active"), false}}));
        QVERIFY(p);
        QCOMPARE(p->kind, EventKind::Product);
        QCOMPARE(p->product.name, QStringLiteral("Team"));
        QVERIFY(!p->product.active);

        const auto price = mapStripeEvent(eventJson(
            QStringLiteral("price.created"),
            QJsonObject{{QStringLiteral("id"), QStringLiteral("price_7")},
                        {QStringLiteral("nickname"), QStringLiteral("Team monthly")},
                        {QStringLiteral("recurring"),
                         QJsonObject{{QStringLiteral("meter"), QStringLiteral("mtr_5")}}}}));
        QVERIFY(price);
        QCOMPARE(price->kind, EventKind::Price);
        QCOMPARE(price->price.meterId, QStringLiteral("mtr_5"));
        QVERIFY(price->price.active);
        const auto deleted = mapStripeEvent(
            eventJson(QStringLiteral("price.deleted"),
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("price_7")}}));
        QVERIFY(deleted && deleted->price.deleted);
    }

    void subscriptionStatuses_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("expected");
        QTest::newRow("created") << "customer.subscription.created"
                                 << "incomplete"
                                 << "incomplete";
        QTest::newRow("trialing") << "customer.subscription.created"
                                  << "trialing"
                                  << "trialing";
        QTest::newRow("updated") << "customer.subscription.updated"
                                 << "past_due"
                                 << "past_due";
        QTest::newRow("paused") << "customer.subscription.paused"
                                << "paused"
                                << "paused";
        QTest::newRow("resumed") << "customer.subscription.resumed"
                                 << "active"
                                 << "active";
        QTest::newRow("trial ends") << "customer.subscription.trial_will_end"
                                    << "trialing"
                                    << "trialing";
        // A deletion cancels, whatever status the snapshot carries.
        QTest::newRow("deleted") << "customer.subscription.deleted"
                                 << "active"
                                 << "canceled";
    }

    void subscriptionStatuses()
    {
        QFETCH(QString, type);
        QFETCH(QString, status);
        QFETCH(QString, expected);
        const auto m = mapStripeEvent(eventJson(type, subscription(status)));
        QVERIFY2(m, qPrintable(m ? QString() : m.error().message));
        QCOMPARE(m->kind, EventKind::Subscription);
        const SubscriptionChange &s = m->subscription;
        QCOMPARE(s.status, expected);
        QCOMPARE(s.subscriptionId, QStringLiteral("sub_1"));
        QCOMPARE(s.customerId, QStringLiteral("cus_1"));
        QCOMPARE(s.priceId, QStringLiteral("price_1"));
        QCOMPARE(s.quantity, 7);
        QCOMPARE(s.collectionMethod, QStringLiteral("send_invoice"));
        QCOMPARE(s.daysUntilDue.value_or(-1), 14);
        // 2025-03-31.basil: the period comes from the item.
        QCOMPARE(s.currentPeriodEnd, QDateTime::fromSecsSinceEpoch(1702592000, Qt::UTC));
        QVERIFY(s.cancelAtPeriodEnd);
        QCOMPARE(s.localId, QStringLiteral("00000000-0000-0000-0000-0000000000c1"));
        QCOMPARE(m->rank, subscriptionStatusRank(expected));
    }

    void subscriptionUnknownStatusIsRefused()
    {
        const auto m = mapStripeEvent(eventJson(QStringLiteral("customer.subscription.updated"),
                                                subscription(QStringLiteral("zombie"))));
        QVERIFY(!m);
        QCOMPARE(m.error().kind, ErrorKind::InvalidInput);
        QVERIFY(m.error().message.contains(QLatin1String("zombie")));
    }

    void invoiceLifecycle_data()
    {
        QTest::addColumn<QString>("type");
        QTest::addColumn<QString>("status");
        QTest::newRow("created") << "invoice.created"
                                 << "draft";
        QTest::newRow("finalized") << "invoice.finalized"
                                   << "open";
        QTest::newRow("payment failed") << "invoice.payment_failed"
                                        << "open";
        QTest::newRow("paid") << "invoice.paid"
                              << "paid";
        QTest::newRow("voided") << "invoice.voided"
                                << "void";
        QTest::newRow("uncollectible") << "invoice.marked_uncollectible"
                                       << "uncollectible";
    }

    void invoiceLifecycle()
    {
        QFETCH(QString, type);
        QFETCH(QString, status);
        const auto m = mapStripeEvent(eventJson(type, invoice(status)));
        QVERIFY2(m, qPrintable(m ? QString() : m.error().message));
        QCOMPARE(m->kind, EventKind::Invoice);
        const InvoiceChange &i = m->invoice;
        QCOMPARE(i.status, status);
        QCOMPARE(i.currency, QStringLiteral("EUR"));
        QCOMPARE(i.subscriptionId, QStringLiteral("sub_1")); // from parent (basil)
        QCOMPARE(i.tax, qint64(1900));                       // summed total_taxes
        QCOMPARE(i.total, qint64(11900));
        QCOMPARE(i.amountPaid, status == QLatin1String("paid") ? qint64(11900) : qint64(0));
        QCOMPARE(i.paidAt.isValid(), status == QLatin1String("paid"));
        QCOMPARE(i.hostedInvoiceUrl, QStringLiteral("https://invoice.stripe.com/i/1"));
        QCOMPARE(m->rank, invoiceStatusRank(status));
    }

    void invoiceRefusesFractionalAmounts()
    {
        QJsonObject o = invoice(QStringLiteral("open"));
        o.insert(QStringLiteral("total"), 10.5);
        const auto m = mapStripeEvent(eventJson(QStringLiteral("invoice.finalized"), o));
        QVERIFY(!m);
        QVERIFY(m.error().message.contains(QLatin1String("minor units")));
    }

    void invoiceDropsNonHttpsUrl()
    {
        QJsonObject o = invoice(QStringLiteral("open"));
        o.insert(QStringLiteral("hosted_invoice_url"), QStringLiteral("javascript:alert(1)"));
        const auto m = mapStripeEvent(eventJson(QStringLiteral("invoice.finalized"), o));
        QVERIFY(m);
        QVERIFY(m->invoice.hostedInvoiceUrl.isEmpty());
    }

    void checkoutCompleted()
    {
        const auto m = mapStripeEvent(eventJson(
            QStringLiteral("checkout.session.completed"),
            QJsonObject{{QStringLiteral("id"), QStringLiteral("cs_test_1")},
                        {QStringLiteral("customer"), QStringLiteral("cus_1")},
                        {QStringLiteral("subscription"), QStringLiteral("sub_1")},
                        {QStringLiteral("client_reference_id"),
                         QStringLiteral("00000000-0000-0000-0000-0000000000a1")},
                        {QStringLiteral("metadata"),
                         QJsonObject{{QStringLiteral("nobill_subscription_id"),
                                      QStringLiteral("00000000-0000-0000-0000-0000000000c1")}}}}));
        QVERIFY(m);
        QCOMPARE(m->kind, EventKind::CheckoutCompleted);
        QCOMPARE(m->checkout.organizationId,
                 QStringLiteral("00000000-0000-0000-0000-0000000000a1"));
        QCOMPARE(m->checkout.subscriptionId, QStringLiteral("sub_1"));
        QCOMPARE(m->checkout.localSubscriptionId,
                 QStringLiteral("00000000-0000-0000-0000-0000000000c1"));
    }

    void meterErrorReport()
    {
        // A v2 thin event: the meter is the related object, the report is in data.
        const QJsonObject thin{
            {QStringLiteral("id"), QStringLiteral("evt_test_65R")},
            {QStringLiteral("object"), QStringLiteral("v2.core.event")},
            {QStringLiteral("type"), QStringLiteral("v1.billing.meter.error_report_triggered")},
            {QStringLiteral("created"), QStringLiteral("2024-09-17T06:20:52.246Z")},
            {QStringLiteral("related_object"),
             QJsonObject{{QStringLiteral("id"), QStringLiteral("mtr_123")},
                         {QStringLiteral("type"), QStringLiteral("billing.meter")}}},
            {QStringLiteral("data"),
             QJsonObject{{QStringLiteral("developer_message_summary"),
                          QStringLiteral("There is 1 invalid event")},
                         {QStringLiteral("reason"),
                          QJsonObject{{QStringLiteral("error_count"), 1},
                                      {QStringLiteral("error_types"),
                                       QJsonArray{QJsonObject{
                                           {QStringLiteral("code"),
                                            QStringLiteral("meter_event_no_customer_defined")},
                                           {QStringLiteral("sample_errors"),
                                            QJsonArray{QJsonObject{
                                                {QStringLiteral("request"),
                                                 QJsonObject{{QStringLiteral("identifier"),
                                                              QStringLiteral("mev_1")}}}}}}}}}}}}}};
        const auto m = mapStripeEvent(QJsonDocument(thin).toJson());
        QVERIFY2(m, qPrintable(m ? QString() : m.error().message));
        QCOMPARE(m->kind, EventKind::MeterErrorReport);
        QCOMPARE(m->meterError.meterId, QStringLiteral("mtr_123"));
        QCOMPARE(m->meterError.errorCount, qint64(1));
        QCOMPARE(m->meterError.identifiers, QStringList{QStringLiteral("mev_1")});
        QVERIFY(m->objectId.isEmpty()); // reports are not ordered against each other
        QVERIFY(m->created.isValid());
    }

    void unknownTypesAreIgnoredWithAReason_data()
    {
        QTest::addColumn<QString>("type");
        QTest::newRow("charge") << "charge.succeeded";
        QTest::newRow("upcoming") << "invoice.upcoming";
        QTest::newRow("discount") << "customer.discount.created";
        QTest::newRow("subscription schedule") << "customer.subscription.something_new";
    }

    void unknownTypesAreIgnoredWithAReason()
    {
        QFETCH(QString, type);
        const auto m = mapStripeEvent(
            eventJson(type, QJsonObject{{QStringLiteral("id"), QStringLiteral("x_1")}}));
        QVERIFY(m);
        QCOMPARE(m->kind, EventKind::Ignored);
        QVERIFY(m->ignoreReason.contains(type));
    }

    void sameSecondRanks()
    {
        QVERIFY(subscriptionStatusRank(QStringLiteral("canceled")) >
                subscriptionStatusRank(QStringLiteral("active")));
        QVERIFY(subscriptionStatusRank(QStringLiteral("active")) >
                subscriptionStatusRank(QStringLiteral("incomplete")));
        QVERIFY(invoiceStatusRank(QStringLiteral("paid")) >
                invoiceStatusRank(QStringLiteral("open")));
        QVERIFY(invoiceStatusRank(QStringLiteral("open")) >
                invoiceStatusRank(QStringLiteral("draft")));
    }

    void malformedInput_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("not json") << QByteArray("{\"id\": evt_");
        QTest::newRow("array") << QByteArray("[1,2,3]");
        QTest::newRow("no id") << QByteArray("{\"type\":\"invoice.paid\",\"created\":1}");
        QTest::newRow("no created") << QByteArray("{\"id\":\"evt_1\",\"type\":\"invoice.paid\"}");
        QTest::newRow("wrong types")
            << QByteArray("{\"id\":\"evt_1\",\"type\":\"invoice.paid\",\"created\":1,"
                          "\"data\":{\"object\":{\"id\":5,\"customer\":[],\"total\":\"x\"}}}");
        QTest::newRow("sub without price")
            << QByteArray("{\"id\":\"evt_1\",\"type\":\"customer.subscription.updated\","
                          "\"created\":1,\"data\":{\"object\":{\"id\":\"sub_1\","
                          "\"customer\":\"cus_1\",\"status\":\"active\"}}}");
        QTest::newRow("sql in id")
            << QByteArray("{\"id\":\"evt_1\",\"type\":\"customer.created\",\"created\":1,"
                          "\"data\":{\"object\":{\"id\":\"cus_1'; DROP TABLE x;--\"}}}");
    }

    void malformedInput()
    {
        QFETCH(QByteArray, json);
        const auto m = mapStripeEvent(json);
        QVERIFY(!m);
        QCOMPARE(m.error().kind, ErrorKind::InvalidInput);
        QVERIFY(!m.error().message.isEmpty());
        QCOMPARE(applyEventForFuzzing(json), -1);
    }

    void fuzzEntryPointSurvivesMutations()
    {
        // Cheap mutations of a valid event: truncations and flipped bytes never crash.
        const QByteArray base =
            eventJson(QStringLiteral("invoice.paid"), invoice(QStringLiteral("paid")));
        QCOMPARE(applyEventForFuzzing(base), static_cast<int>(EventKind::Invoice));
        for (int i = 0; i < base.size(); i += 7) {
            (void)applyEventForFuzzing(base.left(i));
            QByteArray flipped = base;
            flipped[i] = static_cast<char>(flipped[i] ^ 0x5a);
            (void)applyEventForFuzzing(flipped);
        }
    }
};

QTEST_GUILESS_MAIN(TestEventMapping)
#include "tst_eventmapping.moc"
