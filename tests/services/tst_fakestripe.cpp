// The fake Stripe server itself: its objects behave as Stripe's do for what the console uses,
// it runs as its own process with control endpoints, and it survives odd HTTP input.
#include "fakestripeserver.h"
#include "stripe/stripeclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

using namespace nobill;
using nobill::test::FakeStripeServer;

namespace {
const QString Key = QStringLiteral("sk_test_fake_server_tests");

QString idOf(const StripeReply &reply)
{
    return reply.object.value(QLatin1String("id")).toString();
}
} // namespace

class TestFakeStripe : public QObject
{
    Q_OBJECT

private slots:
    void init();
    void cleanup();

    void subscriptionLifecycle();
    void trialAndSendInvoice();
    void invoiceTransitions();
    void previewProratesAPlanChange();
    void meterEventsDedupeByIdentifier();
    void timeRenewsAndCancels();
    void eventsListFiltersAndPages();
    void checkoutSessionCompletes();
    void unknownParameterIsRefused();
    void customerAddress();
    void webhooksAreSigned();
    void survivesOddHttp();
    void runsAsItsOwnProcess();
    void keepsStateAcrossRestart();

private:
    StripeReply post(const QString &path, const QVariantMap &params);
    StripeReply get(const QString &path, const QVariantMap &query = {});
    StripeReply remove(const QString &path);
    StripeReply wait(const std::function<void(StripeClient::Callback)> &start);
    QString makeRecurringPrice(qint64 amount);

    std::unique_ptr<FakeStripeServer> m_fake;
    std::unique_ptr<StripeClient> m_client;
    int m_keyCounter = 0;
};

void TestFakeStripe::init()
{
    m_fake = std::make_unique<FakeStripeServer>();
    QVERIFY(m_fake->start());
    StripeClientOptions options;
    options.baseUrl = m_fake->baseUrl();
    options.secretKey = Key;
    options.retryDelayScale = 0.01;
    options.timeoutMs = 10000;
    m_client = std::make_unique<StripeClient>(options);
}

void TestFakeStripe::cleanup()
{
    m_client.reset();
    m_fake.reset();
}

StripeReply TestFakeStripe::wait(const std::function<void(StripeClient::Callback)> &start)
{
    std::optional<StripeReply> result;
    start([&result](const StripeReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 30000))
        return StripeReply{};
    return *result;
}

StripeReply TestFakeStripe::post(const QString &path, const QVariantMap &params)
{
    const QString key = QStringLiteral("test-key-%1").arg(++m_keyCounter);
    return wait([&](StripeClient::Callback done) { m_client->post(path, params, key, done); });
}

StripeReply TestFakeStripe::get(const QString &path, const QVariantMap &query)
{
    return wait([&](StripeClient::Callback done) { m_client->get(path, query, done); });
}

StripeReply TestFakeStripe::remove(const QString &path)
{
    const QString key = QStringLiteral("test-key-%1").arg(++m_keyCounter);
    return wait([&](StripeClient::Callback done) { m_client->remove(path, key, done); });
}

QString TestFakeStripe::makeRecurringPrice(qint64 amount)
{
    const StripeReply product =
        post(QStringLiteral("/v1/products"), {{QStringLiteral("name"), QStringLiteral("Plan")}});
    if (!product.ok)
        return {};
    const StripeReply price =
        post(QStringLiteral("/v1/prices"),
             {{QStringLiteral("product"), idOf(product)},
              {QStringLiteral("currency"), QStringLiteral("eur")},
              {QStringLiteral("unit_amount"), amount},
              {QStringLiteral("recurring"),
               QVariantMap{{QStringLiteral("interval"), QStringLiteral("month")}}}});
    return price.ok ? idOf(price) : QString();
}

void TestFakeStripe::subscriptionLifecycle()
{
    const QString price = makeRecurringPrice(1000);
    QVERIFY(!price.isEmpty());
    const StripeReply customer =
        post(QStringLiteral("/v1/customers"), {{QStringLiteral("email"), QStringLiteral("a@b.c")}});
    QVERIFY(customer.ok);
    const StripeReply created = post(
        QStringLiteral("/v1/subscriptions"),
        {{QStringLiteral("customer"), idOf(customer)},
         {QStringLiteral("items"), QVariantList{QVariantMap{{QStringLiteral("price"), price},
                                                            {QStringLiteral("quantity"), 2}}}}});
    QVERIFY2(created.ok, qPrintable(created.error.sentence()));
    const QJsonObject sub = created.object;
    QVERIFY(idOf(created).startsWith(QLatin1String("sub_")));
    QCOMPARE(sub.value(QLatin1String("status")).toString(), QStringLiteral("active"));
    const QJsonObject item = sub.value(QLatin1String("items"))
                                 .toObject()
                                 .value(QLatin1String("data"))
                                 .toArray()
                                 .first()
                                 .toObject();
    QVERIFY(item.value(QLatin1String("id")).toString().startsWith(QLatin1String("si_")));
    QCOMPARE(item.value(QLatin1String("quantity")).toInt(), 2);
    QCOMPARE(item.value(QLatin1String("price")).toObject().value(QLatin1String("id")).toString(),
             price);
    // Since 2025-03-31.basil the period lives on the item only.
    QVERIFY(item.value(QLatin1String("current_period_end")).toInteger() >
            item.value(QLatin1String("current_period_start")).toInteger());
    QVERIFY(!sub.contains(QLatin1String("current_period_end")));

    const StripeReply invoice = get(QStringLiteral("/v1/invoices/") +
                                    sub.value(QLatin1String("latest_invoice")).toString());
    QVERIFY(invoice.ok);
    QCOMPARE(invoice.object.value(QLatin1String("amount_due")).toInteger(), 2000);
    QCOMPARE(invoice.object.value(QLatin1String("status")).toString(), QStringLiteral("paid"));
    QCOMPARE(invoice.object.value(QLatin1String("parent"))
                 .toObject()
                 .value(QLatin1String("subscription_details"))
                 .toObject()
                 .value(QLatin1String("subscription"))
                 .toString(),
             idOf(created));

    const QString path = QStringLiteral("/v1/subscriptions/") + idOf(created);
    StripeReply updated = post(path, {{QStringLiteral("cancel_at_period_end"), true}});
    QVERIFY(updated.ok);
    QVERIFY(updated.object.value(QLatin1String("cancel_at_period_end")).toBool());
    QCOMPARE(updated.object.value(QLatin1String("cancel_at")).toInteger(),
             item.value(QLatin1String("current_period_end")).toInteger());
    updated = post(path, {{QStringLiteral("pause_collection"),
                           QVariantMap{{QStringLiteral("behavior"), QStringLiteral("void")}}}});
    QVERIFY(updated.ok);
    QCOMPARE(updated.object.value(QLatin1String("pause_collection"))
                 .toObject()
                 .value(QLatin1String("behavior"))
                 .toString(),
             QStringLiteral("void"));
    updated = post(path + QStringLiteral("/resume"), {});
    QVERIFY2(updated.ok, qPrintable(updated.error.sentence()));
    QVERIFY(updated.object.value(QLatin1String("pause_collection")).isNull());

    const StripeReply canceled = remove(path);
    QVERIFY(canceled.ok);
    QCOMPARE(canceled.object.value(QLatin1String("status")).toString(), QStringLiteral("canceled"));
    QVERIFY(!post(path, {{QStringLiteral("cancel_at_period_end"), false}}).ok);
    // Canceled subscriptions are listed only when asked for.
    QCOMPARE(get(QStringLiteral("/v1/subscriptions"))
                 .object.value(QLatin1String("data"))
                 .toArray()
                 .size(),
             0);
    QCOMPARE(get(QStringLiteral("/v1/subscriptions"),
                 {{QStringLiteral("status"), QStringLiteral("all")}})
                 .object.value(QLatin1String("data"))
                 .toArray()
                 .size(),
             1);

    QStringList types;
    const QList<QJsonObject> events = m_fake->events();
    for (const QJsonObject &event : events)
        types.append(event.value(QLatin1String("type")).toString());
    for (const char *expected : {"customer.subscription.created", "invoice.paid",
                                 "customer.subscription.updated", "customer.subscription.deleted"})
        QVERIFY2(types.contains(QLatin1String(expected)), expected);
}

void TestFakeStripe::trialAndSendInvoice()
{
    const QString price = makeRecurringPrice(5000);
    const StripeReply customer = post(QStringLiteral("/v1/customers"), {});
    const QVariantList items{QVariantMap{{QStringLiteral("price"), price}}};
    const StripeReply refused =
        post(QStringLiteral("/v1/subscriptions"),
             {{QStringLiteral("customer"), idOf(customer)},
              {QStringLiteral("items"), items},
              {QStringLiteral("collection_method"), QStringLiteral("send_invoice")}});
    QVERIFY(!refused.ok);
    QCOMPARE(refused.error.param, QStringLiteral("days_until_due"));

    const StripeReply trial =
        post(QStringLiteral("/v1/subscriptions"), {{QStringLiteral("customer"), idOf(customer)},
                                                   {QStringLiteral("items"), items},
                                                   {QStringLiteral("trial_period_days"), 14}});
    QVERIFY(trial.ok);
    QCOMPARE(trial.object.value(QLatin1String("status")).toString(), QStringLiteral("trialing"));
    QCOMPARE(trial.object.value(QLatin1String("trial_end")).toInteger() -
                 trial.object.value(QLatin1String("trial_start")).toInteger(),
             14 * 86400);

    const StripeReply invoiced =
        post(QStringLiteral("/v1/subscriptions"),
             {{QStringLiteral("customer"), idOf(customer)},
              {QStringLiteral("items"), items},
              {QStringLiteral("collection_method"), QStringLiteral("send_invoice")},
              {QStringLiteral("days_until_due"), 30}});
    QVERIFY(invoiced.ok);
    const QJsonObject invoice =
        m_fake->object(invoiced.object.value(QLatin1String("latest_invoice")).toString());
    QCOMPARE(invoice.value(QLatin1String("status")).toString(), QStringLiteral("open"));
    QCOMPARE(invoice.value(QLatin1String("amount_remaining")).toInteger(), 5000);
    QVERIFY(invoice.value(QLatin1String("due_date")).toInteger() > 0);
}

void TestFakeStripe::invoiceTransitions()
{
    const StripeReply customer = post(QStringLiteral("/v1/customers"), {});
    auto makeInvoice = [&] {
        return idOf(post(QStringLiteral("/v1/invoices"),
                         {{QStringLiteral("customer"), idOf(customer)},
                          {QStringLiteral("collection_method"), QStringLiteral("send_invoice")},
                          {QStringLiteral("days_until_due"), 10}}));
    };
    auto addLine = [&](const QString &invoice) {
        return post(QStringLiteral("/v1/invoiceitems"),
                    {{QStringLiteral("customer"), idOf(customer)},
                     {QStringLiteral("invoice"), invoice},
                     {QStringLiteral("amount"), 4200},
                     {QStringLiteral("description"), QStringLiteral("Setup")}})
            .ok;
    };
    const QString first = makeInvoice();
    QCOMPARE(m_fake->object(first).value(QLatin1String("status")).toString(),
             QStringLiteral("draft"));
    QVERIFY(addLine(first));
    QCOMPARE(m_fake->object(first).value(QLatin1String("amount_due")).toInteger(), 4200);
    const QString base = QStringLiteral("/v1/invoices/");
    QCOMPARE(post(base + first + QStringLiteral("/finalize"), {})
                 .object.value(QLatin1String("status"))
                 .toString(),
             QStringLiteral("open"));
    QVERIFY(!post(base + first + QStringLiteral("/finalize"), {}).ok);
    QVERIFY(post(base + first + QStringLiteral("/send"), {}).ok);
    QCOMPARE(post(base + first + QStringLiteral("/void"), {})
                 .object.value(QLatin1String("status"))
                 .toString(),
             QStringLiteral("void"));
    const StripeReply payVoid = post(base + first + QStringLiteral("/pay"), {});
    QVERIFY(!payVoid.ok);
    QCOMPARE(payVoid.error.type, StripeErrorType::InvalidRequest);

    const QString second = makeInvoice();
    QVERIFY(addLine(second));
    QVERIFY(post(base + second + QStringLiteral("/finalize"), {}).ok);
    QCOMPARE(post(base + second + QStringLiteral("/mark_uncollectible"), {})
                 .object.value(QLatin1String("status"))
                 .toString(),
             QStringLiteral("uncollectible"));
    QCOMPARE(post(base + second + QStringLiteral("/pay"), {})
                 .object.value(QLatin1String("status"))
                 .toString(),
             QStringLiteral("paid"));
    QCOMPARE(
        get(QStringLiteral("/v1/invoices"), {{QStringLiteral("status"), QStringLiteral("paid")}})
            .object.value(QLatin1String("data"))
            .toArray()
            .size(),
        1);
}

void TestFakeStripe::previewProratesAPlanChange()
{
    const QString cheap = makeRecurringPrice(1000);
    const QString dear = makeRecurringPrice(3000);
    const StripeReply customer = post(QStringLiteral("/v1/customers"), {});
    const StripeReply sub = post(
        QStringLiteral("/v1/subscriptions"),
        {{QStringLiteral("customer"), idOf(customer)},
         {QStringLiteral("items"), QVariantList{QVariantMap{{QStringLiteral("price"), cheap}}}}});
    QVERIFY(sub.ok);
    const QJsonObject item = sub.object.value(QLatin1String("items"))
                                 .toObject()
                                 .value(QLatin1String("data"))
                                 .toArray()
                                 .first()
                                 .toObject();
    const qint64 start = item.value(QLatin1String("current_period_start")).toInteger();
    const qint64 end = item.value(QLatin1String("current_period_end")).toInteger();
    const qint64 halfway = start + (end - start) / 2;
    const StripeReply preview =
        post(QStringLiteral("/v1/invoices/create_preview"),
             {{QStringLiteral("subscription"), idOf(sub)},
              {QStringLiteral("subscription_details"),
               QVariantMap{{QStringLiteral("proration_date"), halfway},
                           {QStringLiteral("items"),
                            QVariantList{QVariantMap{
                                {QStringLiteral("id"), item.value(QLatin1String("id")).toString()},
                                {QStringLiteral("price"), dear}}}}}}});
    QVERIFY2(preview.ok, qPrintable(preview.error.sentence()));
    QCOMPARE(preview.object.value(QLatin1String("object")).toString(), QStringLiteral("invoice"));
    // Half the period left, 20.00 more per period: 10.00 due.
    QCOMPARE(preview.object.value(QLatin1String("amount_due")).toInteger(), 1000);
    QCOMPARE(preview.object.value(QLatin1String("lines"))
                 .toObject()
                 .value(QLatin1String("data"))
                 .toArray()
                 .size(),
             2);
    // A preview changes nothing.
    QCOMPARE(m_fake->object(idOf(sub))
                 .value(QLatin1String("items"))
                 .toObject()
                 .value(QLatin1String("data"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QLatin1String("price"))
                 .toObject()
                 .value(QLatin1String("id"))
                 .toString(),
             cheap);
}

void TestFakeStripe::meterEventsDedupeByIdentifier()
{
    const StripeReply meter =
        post(QStringLiteral("/v1/billing/meters"),
             {{QStringLiteral("display_name"), QStringLiteral("API calls")},
              {QStringLiteral("event_name"), QStringLiteral("api_call")},
              {QStringLiteral("default_aggregation"),
               QVariantMap{{QStringLiteral("formula"), QStringLiteral("sum")}}}});
    QVERIFY2(meter.ok, qPrintable(meter.error.sentence()));
    QVERIFY(idOf(meter).startsWith(QLatin1String("mtr_")));
    const StripeReply customer = post(QStringLiteral("/v1/customers"), {});
    auto send = [&](const QString &identifier, int value) {
        return post(QStringLiteral("/v1/billing/meter_events"),
                    {{QStringLiteral("event_name"), QStringLiteral("api_call")},
                     {QStringLiteral("identifier"), identifier},
                     {QStringLiteral("payload"),
                      QVariantMap{{QStringLiteral("stripe_customer_id"), idOf(customer)},
                                  {QStringLiteral("value"), value}}}});
    };
    QVERIFY(send(QStringLiteral("usage-1"), 5).ok);
    QVERIFY(send(QStringLiteral("usage-1"), 5).ok); // the same usage sent twice
    QVERIFY(send(QStringLiteral("usage-2"), 7).ok);
    QCOMPARE(m_fake->stats().value(QLatin1String("meter_events")).toInt(), 2);
    QCOMPARE(m_fake->stats().value(QLatin1String("meter_event_duplicates")).toInt(), 1);
    const StripeReply summary =
        get(QStringLiteral("/v1/billing/meters/%1/event_summaries").arg(idOf(meter)),
            {{QStringLiteral("customer"), idOf(customer)},
             {QStringLiteral("start_time"), m_fake->now() - 3600},
             {QStringLiteral("end_time"), m_fake->now() + 3600}});
    QVERIFY2(summary.ok, qPrintable(summary.error.sentence()));
    QCOMPARE(summary.object.value(QLatin1String("data"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QLatin1String("aggregated_value"))
                 .toDouble(),
             12.0);
    const StripeReply unknown = post(QStringLiteral("/v1/billing/meter_events"),
                                     {{QStringLiteral("event_name"), QStringLiteral("nope")}});
    QVERIFY(!unknown.ok);
}

void TestFakeStripe::timeRenewsAndCancels()
{
    const QString licensed = makeRecurringPrice(1000);
    const StripeReply meter =
        post(QStringLiteral("/v1/billing/meters"),
             {{QStringLiteral("display_name"), QStringLiteral("Calls")},
              {QStringLiteral("event_name"), QStringLiteral("calls")},
              {QStringLiteral("default_aggregation"),
               QVariantMap{{QStringLiteral("formula"), QStringLiteral("sum")}}}});
    const StripeReply product =
        post(QStringLiteral("/v1/products"), {{QStringLiteral("name"), QStringLiteral("Usage")}});
    const StripeReply metered =
        post(QStringLiteral("/v1/prices"),
             {{QStringLiteral("product"), idOf(product)},
              {QStringLiteral("currency"), QStringLiteral("eur")},
              {QStringLiteral("unit_amount"), 3},
              {QStringLiteral("recurring"),
               QVariantMap{{QStringLiteral("interval"), QStringLiteral("month")},
                           {QStringLiteral("usage_type"), QStringLiteral("metered")},
                           {QStringLiteral("meter"), idOf(meter)}}}});
    QVERIFY2(metered.ok, qPrintable(metered.error.sentence()));
    const StripeReply customer = post(QStringLiteral("/v1/customers"), {});
    auto subscribe = [&](const QString &price, bool cancelAtEnd) {
        return post(QStringLiteral("/v1/subscriptions"),
                    {{QStringLiteral("customer"), idOf(customer)},
                     {QStringLiteral("cancel_at_period_end"), cancelAtEnd},
                     {QStringLiteral("items"),
                      QVariantList{QVariantMap{{QStringLiteral("price"), price}}}}});
    };
    const StripeReply renewing = subscribe(licensed, false);
    const StripeReply ending = subscribe(licensed, true);
    const StripeReply usage = subscribe(idOf(metered), false);
    QVERIFY(renewing.ok && ending.ok && usage.ok);
    for (int value : {5, 7}) {
        QVERIFY(post(QStringLiteral("/v1/billing/meter_events"),
                     {{QStringLiteral("event_name"), QStringLiteral("calls")},
                      {QStringLiteral("payload"),
                       QVariantMap{{QStringLiteral("stripe_customer_id"), idOf(customer)},
                                   {QStringLiteral("value"), value}}}})
                    .ok);
    }
    const qint64 firstEnd = renewing.object.value(QLatin1String("items"))
                                .toObject()
                                .value(QLatin1String("data"))
                                .toArray()
                                .first()
                                .toObject()
                                .value(QLatin1String("current_period_end"))
                                .toInteger();

    m_fake->advanceClock(32 * 86400);

    const QJsonObject renewed = m_fake->object(idOf(renewing));
    QCOMPARE(renewed.value(QLatin1String("status")).toString(), QStringLiteral("active"));
    QCOMPARE(renewed.value(QLatin1String("items"))
                 .toObject()
                 .value(QLatin1String("data"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QLatin1String("current_period_start"))
                 .toInteger(),
             firstEnd);
    const QJsonObject cycle =
        m_fake->object(renewed.value(QLatin1String("latest_invoice")).toString());
    QCOMPARE(cycle.value(QLatin1String("billing_reason")).toString(),
             QStringLiteral("subscription_cycle"));
    QCOMPARE(cycle.value(QLatin1String("amount_due")).toInteger(), 1000);
    QCOMPARE(m_fake->object(idOf(ending)).value(QLatin1String("status")).toString(),
             QStringLiteral("canceled"));
    // 12 calls at 0.03 each, billed in arrears.
    const QJsonObject usageInvoice = m_fake->object(
        m_fake->object(idOf(usage)).value(QLatin1String("latest_invoice")).toString());
    QCOMPARE(usageInvoice.value(QLatin1String("amount_due")).toInteger(), 36);
}

void TestFakeStripe::eventsListFiltersAndPages()
{
    const qint64 before = m_fake->now();
    for (int i = 0; i < 5; ++i)
        QVERIFY(post(QStringLiteral("/v1/customers"), {}).ok);
    QVERIFY(
        post(QStringLiteral("/v1/products"), {{QStringLiteral("name"), QStringLiteral("P")}}).ok);
    const StripeReply page =
        get(QStringLiteral("/v1/events"),
            {{QStringLiteral("types"), QStringList{QStringLiteral("customer.created")}},
             {QStringLiteral("created"), QVariantMap{{QStringLiteral("gte"), before}}},
             {QStringLiteral("limit"), 3}});
    QVERIFY2(page.ok, qPrintable(page.error.sentence()));
    const QJsonArray data = page.object.value(QLatin1String("data")).toArray();
    QCOMPARE(data.size(), 3);
    QVERIFY(page.object.value(QLatin1String("has_more")).toBool());
    const QJsonObject event = data.first().toObject();
    QVERIFY(event.value(QLatin1String("id")).toString().startsWith(QLatin1String("evt_")));
    QCOMPARE(event.value(QLatin1String("type")).toString(), QStringLiteral("customer.created"));
    QCOMPARE(event.value(QLatin1String("api_version")).toString(),
             QStringLiteral("2025-03-31.basil"));
    QVERIFY(
        event.value(QLatin1String("data")).toObject().value(QLatin1String("object")).isObject());

    std::optional<StripeListReply> all;
    m_client->listAll(
        QStringLiteral("/v1/events"),
        {{QStringLiteral("type"), QStringLiteral("customer.*")}, {QStringLiteral("limit"), 2}},
        [&](const StripeListReply &reply) { all = reply; });
    QVERIFY(QTest::qWaitFor([&] { return all.has_value(); }, 10000));
    QVERIFY(all->ok);
    QCOMPARE(all->items.size(), 5);
    QCOMPARE(all->pages, 3);
    QVERIFY(!get(QStringLiteral("/v1/events"), {{QStringLiteral("limit"), 101}}).ok);
}

void TestFakeStripe::checkoutSessionCompletes()
{
    const QString price = makeRecurringPrice(2500);
    const StripeReply session = post(
        QStringLiteral("/v1/checkout/sessions"),
        {{QStringLiteral("mode"), QStringLiteral("subscription")},
         {QStringLiteral("success_url"), QStringLiteral("https://example.com/ok")},
         {QStringLiteral("subscription_data"),
          QVariantMap{
              {QStringLiteral("metadata"),
               QVariantMap{{QStringLiteral("nobill_subscription_id"), QStringLiteral("s-1")}}}}},
         {QStringLiteral("line_items"),
          QVariantList{
              QVariantMap{{QStringLiteral("price"), price}, {QStringLiteral("quantity"), 1}}}}});
    QVERIFY2(session.ok, qPrintable(session.error.sentence()));
    QVERIFY(idOf(session).startsWith(QLatin1String("cs_")));
    QVERIFY(session.object.value(QLatin1String("url"))
                .toString()
                .startsWith(QLatin1String("https://")));
    const QJsonObject completed = m_fake->completeCheckoutSession(idOf(session));
    QCOMPARE(completed.value(QLatin1String("status")).toString(), QStringLiteral("complete"));
    const QString sub = completed.value(QLatin1String("subscription")).toString();
    QVERIFY(sub.startsWith(QLatin1String("sub_")));
    QCOMPARE(m_fake->object(sub)
                 .value(QLatin1String("metadata"))
                 .toObject()
                 .value(QLatin1String("nobill_subscription_id"))
                 .toString(),
             QStringLiteral("s-1"));
    QCOMPARE(m_fake->events().last().value(QLatin1String("type")).toString(),
             QStringLiteral("checkout.session.completed"));
}

void TestFakeStripe::unknownParameterIsRefused()
{
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), {{QStringLiteral("emial"), QStringLiteral("x")}});
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::InvalidRequest);
    QCOMPARE(reply.error.param, QStringLiteral("emial"));
    const StripeReply amount = post(QStringLiteral("/v1/prices/") + makeRecurringPrice(100),
                                    {{QStringLiteral("unit_amount"), 200}});
    QVERIFY(!amount.ok); // amounts are immutable, as in Stripe
}

void TestFakeStripe::customerAddress()
{
    // What customer.sync sends, and more of what Stripe accepts on a customer.
    const StripeReply created =
        post(QStringLiteral("/v1/customers"),
             {{QStringLiteral("name"), QStringLiteral("Acme")},
              {QStringLiteral("email"), QStringLiteral("ap@acme.example")},
              {QStringLiteral("preferred_locales"), QVariantList{QStringLiteral("de")}},
              {QStringLiteral("address"),
               QVariantMap{{QStringLiteral("line1"), QStringLiteral("Hauptstr. 1")},
                           {QStringLiteral("line2"), QStringLiteral("Hof")},
                           {QStringLiteral("city"), QStringLiteral("Berlin")},
                           {QStringLiteral("state"), QStringLiteral("BE")},
                           {QStringLiteral("postal_code"), QStringLiteral("10115")},
                           {QStringLiteral("country"), QStringLiteral("DE")}}}});
    QVERIFY2(created.ok, qPrintable(created.error.message));
    QJsonObject address = created.object.value(QLatin1String("address")).toObject();
    QCOMPARE(address.value(QLatin1String("state")).toString(), QStringLiteral("BE"));
    QCOMPARE(address.value(QLatin1String("line2")).toString(), QStringLiteral("Hof"));

    // An update replaces the address; the parts not given are null.
    const StripeReply updated =
        post(QStringLiteral("/v1/customers/") + idOf(created),
             {{QStringLiteral("address"),
               QVariantMap{{QStringLiteral("line1"), QStringLiteral("Ring 2")},
                           {QStringLiteral("country"), QStringLiteral("AT")}}}});
    QVERIFY2(updated.ok, qPrintable(updated.error.message));
    address = m_fake->object(idOf(created)).value(QLatin1String("address")).toObject();
    QCOMPARE(address.value(QLatin1String("line1")).toString(), QStringLiteral("Ring 2"));
    QVERIFY(address.value(QLatin1String("city")).isNull());
    QCOMPARE(m_fake->object(idOf(created)).value(QLatin1String("name")).toString(),
             QStringLiteral("Acme"));

    const StripeReply unknown =
        post(QStringLiteral("/v1/customers"),
             {{QStringLiteral("address"),
               QVariantMap{{QStringLiteral("street"), QStringLiteral("x")}}}});
    QVERIFY(!unknown.ok);
    QCOMPARE(unknown.error.param, QStringLiteral("address[street]"));
}

void TestFakeStripe::webhooksAreSigned()
{
    const QString secret = QStringLiteral("whsec_test_secret");
    QTcpServer receiver;
    QVERIFY(receiver.listen(QHostAddress::LocalHost));
    QByteArray received;
    connect(&receiver, &QTcpServer::newConnection, this, [&] {
        QTcpSocket *socket = receiver.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, &received] {
            received += socket->readAll();
            const qsizetype end = received.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const qsizetype at = received.toLower().indexOf("content-length:");
            const qsizetype length =
                received.mid(at + 15, received.indexOf('\r', at) - at - 15).trimmed().toLongLong();
            if (received.size() < end + 4 + length)
                return;
            socket->write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            socket->disconnectFromHost();
        });
    });
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(receiver.serverPort());
    url.setPath(QStringLiteral("/webhooks/stripe"));
    m_fake->setWebhookEndpoint(url, secret);
    QVERIFY(post(QStringLiteral("/v1/customers"), {}).ok);
    QTRY_COMPARE_WITH_TIMEOUT(m_fake->stats().value(QLatin1String("webhooks_sent")).toInt(), 1,
                              10000);
    const qsizetype end = received.indexOf("\r\n\r\n");
    const QByteArray body = received.mid(end + 4);
    const qsizetype at = received.indexOf("Stripe-Signature: ");
    QVERIFY(at > 0);
    const QByteArray header = received.mid(at + 18, received.indexOf('\r', at) - at - 18);
    const QList<QByteArray> parts = header.split(',');
    QCOMPARE(parts.size(), 2);
    const QByteArray t = parts.at(0).mid(2);
    const QByteArray expected = QMessageAuthenticationCode::hash(t + '.' + body, secret.toUtf8(),
                                                                 QCryptographicHash::Sha256)
                                    .toHex();
    QCOMPARE(parts.at(1), QByteArray("v1=" + expected));
    QCOMPARE(QJsonDocument::fromJson(body).object().value(QLatin1String("type")).toString(),
             QStringLiteral("customer.created"));
}

void TestFakeStripe::survivesOddHttp()
{
    auto exchange = [&](const QByteArray &bytes) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_fake->port());
        if (!QTest::qWaitFor([&] { return socket.state() == QAbstractSocket::ConnectedState; },
                             5000))
            return QByteArray("not connected");
        socket.write(bytes);
        QByteArray answer;
        const bool finished = QTest::qWaitFor(
            [&] {
                answer += socket.readAll();
                return socket.state() == QAbstractSocket::UnconnectedState ||
                       answer.count("HTTP/1.1") >= 2;
            },
            3000);
        Q_UNUSED(finished); // a connection kept alive after one answer is fine
        answer += socket.readAll();
        return answer;
    };
    QVERIFY(exchange("garbage\r\n\r\n").startsWith("HTTP/1.1 400"));
    QVERIFY(exchange("POST /v1/customers HTTP/1.1\r\nContent-Length: 99999999\r\n\r\n")
                .startsWith("HTTP/1.1 413"));
    QVERIFY(exchange(QByteArray(70000, 'x')).startsWith("HTTP/1.1 431"));
    // Two requests on one kept-alive connection, sent at once: two answers, in order.
    const QByteArray auth = "Authorization: Bearer " + Key.toUtf8() + "\r\n";
    const QByteArray two = exchange("GET /v1/customers HTTP/1.1\r\n" + auth + "\r\n" +
                                    "GET /v1/nothing HTTP/1.1\r\n" + auth + "\r\n");
    QCOMPARE(two.count("HTTP/1.1 "), 2);
    QVERIFY(two.indexOf("HTTP/1.1 200") < two.indexOf("HTTP/1.1 404"));
    // Still serving.
    QVERIFY(get(QStringLiteral("/v1/customers")).ok);
}

void TestFakeStripe::runsAsItsOwnProcess()
{
    QProcess process;
    process.setProgram(QStringLiteral(NOBILL_FAKE_STRIPE_EXE));
    process.setArguments({QStringLiteral("--port"), QStringLiteral("0")});
    process.start();
    QVERIFY(process.waitForStarted(10000));
    QVERIFY(QTest::qWaitFor([&] { return process.canReadLine(); }, 20000));
    const QByteArray first = process.readLine().trimmed();
    QVERIFY2(first.startsWith("port="), first.constData());
    const quint16 port = static_cast<quint16>(first.mid(5).toUInt());
    QVERIFY(port > 0);

    StripeClientOptions options;
    options.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    options.secretKey = Key;
    options.retryDelayScale = 0.01;
    m_client = std::make_unique<StripeClient>(options);

    QNetworkAccessManager network;
    auto control = [&](const QByteArray &method, const QString &path, const QByteArray &body) {
        QNetworkRequest request(QUrl(QStringLiteral("http://127.0.0.1:%1%2").arg(port).arg(path)));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        QNetworkReply *reply = network.sendCustomRequest(request, method, body);
        if (!QTest::qWaitFor([&] { return reply->isFinished(); }, 10000))
            reply->abort();
        const QJsonObject object = QJsonDocument::fromJson(reply->readAll()).object();
        delete reply;
        return object;
    };
    const QJsonObject faults =
        control("POST", QStringLiteral("/_fake/faults"), R"({"next": 1, "next_kind": "500"})");
    QCOMPARE(faults.value(QLatin1String("next")).toInt(), 1);

    const StripeReply created = post(QStringLiteral("/v1/customers"),
                                     {{QStringLiteral("email"), QStringLiteral("p@example.com")}});
    QVERIFY2(created.ok, qPrintable(created.error.sentence()));
    QCOMPARE(created.attempts, 2);

    QJsonObject stats = control("GET", QStringLiteral("/_fake/stats"), {});
    QCOMPARE(stats.value(QLatin1String("objects_created"))
                 .toObject()
                 .value(QLatin1String("customer"))
                 .toInt(),
             1);
    QCOMPARE(stats.value(QLatin1String("faults_total")).toInt(), 1);
    QCOMPARE(stats.value(QLatin1String("requests"))
                 .toObject()
                 .value(QLatin1String("POST /v1/customers"))
                 .toInt(),
             2);
    const QJsonObject objects = control("GET", QStringLiteral("/_fake/objects?type=customer"), {});
    QCOMPARE(objects.value(QLatin1String("data"))
                 .toArray()
                 .first()
                 .toObject()
                 .value(QLatin1String("id"))
                 .toString(),
             idOf(created));
    control("POST", QStringLiteral("/_fake/reset"), {});
    stats = control("GET", QStringLiteral("/_fake/stats"), {});
    QCOMPARE(stats.value(QLatin1String("requests_total")).toInt(), 0);

    process.terminate();
    if (!process.waitForFinished(10000)) {
        process.kill();
        process.waitForFinished(5000);
    }
    QCOMPARE(process.exitStatus(), QProcess::NormalExit);
}

void TestFakeStripe::keepsStateAcrossRestart()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString stateFile = dir.filePath(QStringLiteral("fake-stripe.json"));
    auto start = [&](QProcess &process) -> quint16 {
        process.setProgram(QStringLiteral(NOBILL_FAKE_STRIPE_EXE));
        process.setArguments({QStringLiteral("--state-file"), stateFile});
        process.start();
        if (!process.waitForStarted(10000) ||
            !QTest::qWaitFor([&] { return process.canReadLine(); }, 20000))
            return 0;
        const QByteArray first = process.readLine().trimmed();
        return first.startsWith("port=") ? static_cast<quint16>(first.mid(5).toUInt()) : 0;
    };
    auto connectTo = [&](quint16 port) {
        StripeClientOptions options;
        options.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
        options.secretKey = Key;
        options.retryDelayScale = 0.01;
        m_client = std::make_unique<StripeClient>(options);
    };
    const QVariantMap params{{QStringLiteral("email"), QStringLiteral("kept@example.com")}};
    auto create = [&] {
        return wait([&](StripeClient::Callback done) {
            m_client->post(QStringLiteral("/v1/customers"), params, QStringLiteral("kept-key"),
                           done);
        });
    };

    QString id;
    {
        QProcess first;
        const quint16 port = start(first);
        QVERIFY(port > 0);
        connectTo(port);
        const StripeReply created = create();
        QVERIFY2(created.ok, qPrintable(created.error.sentence()));
        id = idOf(created);
        first.kill(); // no chance to save anything on the way out
        QVERIFY(first.waitForFinished(10000));
    }
    QProcess second;
    const quint16 port = start(second);
    QVERIFY(port > 0);
    connectTo(port);
    const StripeReply fetched = get(QStringLiteral("/v1/customers/") + id);
    QVERIFY2(fetched.ok, qPrintable(fetched.error.sentence()));
    QCOMPARE(fetched.object.value(QLatin1String("email")).toString(),
             QStringLiteral("kept@example.com"));
    const StripeReply again = create();
    QVERIFY(again.ok);
    QVERIFY(again.idempotentReplayed);
    QCOMPARE(idOf(again), id);
    m_client.reset();
    second.terminate();
    if (!second.waitForFinished(10000)) {
        second.kill();
        QVERIFY(second.waitForFinished(5000));
    }
}

QTEST_GUILESS_MAIN(TestFakeStripe)
#include "tst_fakestripe.moc"
