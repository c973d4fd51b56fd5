// Applying Stripe events to our tables (migration 15) as the service login does: every event
// type we handle, in order and out of order ending in the newest state, stale and duplicate
// events changing nothing, events about objects we do not have yet waiting and then
// applying, unknown types ignored, audit rows from the webhook, reprocessing from the
// console with webhooks.manage, and the background processor picking up a new event.

#include "testcluster.h"
#include "testoperators.h"

#include "stripeevents/eventapplier.h"
#include "stripeevents/eventprocessor.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <algorithm>
#include <atomic>
#include <memory>
#include <optional>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {

const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString OrgB = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-0000000000d1");
const QString Plan = QStringLiteral("00000000-0000-0000-0000-0000000000e1");
const QString LocalSub = QStringLiteral("00000000-0000-0000-0000-0000000000c1");
constexpr qint64 T0 = 1750000000;

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << sql << q.lastError().text();
        return {};
    }
    return q.value(0);
}

// Org A is linked to cus_A; org B is not linked yet. One product and plan, in Stripe.
bool seed(const TestDatabase &db)
{
    return exec(db,
                QStringLiteral(
                    "INSERT INTO organizations (id, name, slug, billing_email, currency, "
                    "  stripe_customer_id) VALUES "
                    "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR', 'cus_A'), "
                    "('%2', 'Beta BV', 'beta', 'ap@beta.example', 'EUR', NULL); "
                    "INSERT INTO products (id, name, stripe_product_id) VALUES "
                    "('%3', 'Team', 'prod_T'); "
                    "INSERT INTO plans (id, product_id, name, amount, currency, stripe_price_id) "
                    "VALUES ('%4', '%3', 'Team monthly', 1500, 'EUR', 'price_T');")
                    .arg(OrgA, OrgB, Product, Plan));
}

QJsonObject subscriptionObject(const QString &id, const QString &customer, const QString &status,
                               const QString &price = QStringLiteral("price_T"), int quantity = 1)
{
    return QJsonObject{
        {QStringLiteral("id"), id},
        {QStringLiteral("object"), QStringLiteral("subscription")},
        {QStringLiteral("customer"), customer},
        {QStringLiteral("status"), status},
        {QStringLiteral("collection_method"), QStringLiteral("charge_automatically")},
        {QStringLiteral("cancel_at_period_end"), false},
        {QStringLiteral("items"),
         QJsonObject{
             {QStringLiteral("data"),
              QJsonArray{QJsonObject{
                  {QStringLiteral("quantity"), quantity},
                  {QStringLiteral("current_period_start"), T0},
                  {QStringLiteral("current_period_end"), T0 + 30 * 86400},
                  {QStringLiteral("price"), QJsonObject{{QStringLiteral("id"), price}}}}}}}}};
}

QJsonObject invoiceObject(const QString &id, const QString &status, qint64 paid = 0)
{
    return QJsonObject{{QStringLiteral("id"), id},
                       {QStringLiteral("customer"), QStringLiteral("cus_A")},
                       {QStringLiteral("subscription"), QStringLiteral("sub_1")},
                       {QStringLiteral("status"), status},
                       {QStringLiteral("currency"), QStringLiteral("eur")},
                       {QStringLiteral("subtotal"), 1500},
                       {QStringLiteral("tax"), 0},
                       {QStringLiteral("total"), 1500},
                       {QStringLiteral("amount_due"), 1500},
                       {QStringLiteral("amount_paid"), paid},
                       {QStringLiteral("amount_remaining"), 1500 - paid},
                       {QStringLiteral("created"), T0}};
}

// Stores an event in the inbox as the listener would (ON CONFLICT DO NOTHING: a duplicate
// delivery changes nothing).
bool store(const TestDatabase &db, const QString &eventId, const QString &type, qint64 created,
           const QJsonObject &object)
{
    const QJsonObject event{
        {QStringLiteral("id"), eventId},
        {QStringLiteral("object"), QStringLiteral("event")},
        {QStringLiteral("type"), type},
        {QStringLiteral("created"), created},
        {QStringLiteral("data"), QJsonObject{{QStringLiteral("object"), object}}}};
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    q.prepare(QStringLiteral("INSERT INTO stripe_events (id, type, stripe_created, object_id, "
                             "payload) VALUES (?, ?, to_timestamp(?), ?, ?::jsonb) "
                             "ON CONFLICT (id) DO NOTHING"));
    q.addBindValue(eventId);
    q.addBindValue(type);
    q.addBindValue(created);
    q.addBindValue(object.value(QStringLiteral("id")).toString());
    q.addBindValue(QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact)));
    if (!q.exec()) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QString eventStatus(const TestDatabase &db, const QString &id)
{
    return scalar(db, QStringLiteral("SELECT status FROM stripe_events WHERE id = '%1'").arg(id))
        .toString();
}

QString subscriptionStatus(const TestDatabase &db, const QString &stripeId)
{
    return scalar(db, QStringLiteral("SELECT status FROM subscriptions "
                                     "WHERE stripe_subscription_id = '%1'")
                          .arg(stripeId))
        .toString();
}

} // namespace

class TestEventApplier : public QObject
{
    Q_OBJECT

    std::optional<ScopedConnection> m_service;

    // The applier on a service login of this test's database.
    EventApplier serviceApplier(const TestDatabase &db, EventApplierOptions options = {})
    {
        auto login = test::createServiceLogin(db, QStringLiteral("svc"));
        if (!login) {
            qWarning().noquote() << login.error().message;
            return EventApplier(QString());
        }
        m_service.emplace(login.value());
        if (!m_service->isOpen())
            qWarning().noquote() << m_service->error();
        return EventApplier(m_service->name(), options);
    }

private slots:
    void cleanup() { m_service.reset(); }

    void customerCreatedLinksItsOrganization()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(
            store(db, QStringLiteral("evt_c1"), QStringLiteral("customer.created"), T0,
                  QJsonObject{{QStringLiteral("id"), QStringLiteral("cus_B")},
                              {QStringLiteral("metadata"),
                               QJsonObject{{QStringLiteral("nobill_organization_id"), OrgB}}}}));
        EventApplier applier = serviceApplier(db);
        auto stats = applier.processDue(100);
        QVERIFY2(stats, qPrintable(stats ? QString() : stats.error().message));
        QCOMPARE(stats->applied, 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT stripe_customer_id FROM organizations "
                                           "WHERE id = '%1'")
                                .arg(OrgB))
                     .toString(),
                 QStringLiteral("cus_B"));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_c1")), QStringLiteral("processed"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT organization_id::text FROM stripe_events "
                                           "WHERE id = 'evt_c1'"))
                     .toString(),
                 OrgB);
        // The change is audited as coming from the webhook, in the same transaction.
        QCOMPARE(scalar(db, QStringLiteral("SELECT source FROM audit_log WHERE entity = "
                                           "'organizations' AND entity_id = '%1' "
                                           "ORDER BY id DESC LIMIT 1")
                                .arg(OrgB))
                     .toString(),
                 QStringLiteral("webhook"));

        // A customer that is nobody's here: stored, ignored with the reason.
        QVERIFY(store(db, QStringLiteral("evt_c2"), QStringLiteral("customer.created"), T0,
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("cus_X")}}));
        QVERIFY(applier.processDue(100));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_c2")), QStringLiteral("ignored"));
        QVERIFY(
            scalar(db, QStringLiteral("SELECT last_error FROM stripe_events WHERE id = 'evt_c2'"))
                .toString()
                .contains(QLatin1String("no tenant")));
    }

    void productAndPriceMirrorNamesAndArchiving()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(store(db, QStringLiteral("evt_p1"), QStringLiteral("product.updated"), T0,
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("prod_T")},
                                  {QStringLiteral("name"), QStringLiteral("Team Plus")},
                                  {QStringLiteral("active"), true}}));
        QVERIFY(store(db, QStringLiteral("evt_p2"), QStringLiteral("price.updated"), T0 + 1,
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("price_T")},
                                  {QStringLiteral("nickname"), QStringLiteral("Team Plus monthly")},
                                  {QStringLiteral("active"), false}}));
        EventApplier applier = serviceApplier(db);
        auto stats = applier.processDue(100);
        QVERIFY2(stats, qPrintable(stats ? QString() : stats.error().message));
        QCOMPARE(stats->applied, 2);
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT name FROM products WHERE id = '%1'").arg(Product))
                .toString(),
            QStringLiteral("Team Plus"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT name || ' ' || (archived_at IS NOT NULL) "
                                           "FROM plans WHERE id = '%1'")
                                .arg(Plan))
                     .toString(),
                 QStringLiteral("Team Plus monthly true"));
    }

    void subscriptionLifecycleInOrder()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        const QList<QPair<QString, QString>> steps = {
            {QStringLiteral("customer.subscription.created"), QStringLiteral("active")},
            {QStringLiteral("customer.subscription.updated"), QStringLiteral("past_due")},
            {QStringLiteral("customer.subscription.paused"), QStringLiteral("paused")},
            {QStringLiteral("customer.subscription.resumed"), QStringLiteral("active")},
            {QStringLiteral("customer.subscription.trial_will_end"), QStringLiteral("active")},
            {QStringLiteral("customer.subscription.deleted"), QStringLiteral("canceled")},
        };
        for (int i = 0; i < steps.size(); ++i) {
            const QString id = QStringLiteral("evt_s%1").arg(i);
            QVERIFY(store(db, id, steps[i].first, T0 + 10 * i,
                          subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                             steps[i].second == QLatin1String("canceled")
                                                 ? QStringLiteral("active")
                                                 : steps[i].second,
                                             QStringLiteral("price_T"), i + 1)));
            auto outcome = applier.processOne(id);
            QVERIFY(outcome);
            QCOMPARE(outcome.value(), EventOutcome::Applied);
            QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_1")), steps[i].second);
        }
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions")).toInt(), 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT quantity FROM subscriptions")).toInt(), 6);
        QCOMPARE(scalar(db, QStringLiteral("SELECT organization_id::text || plan_id::text FROM "
                                           "subscriptions"))
                     .toString(),
                 OrgA + Plan);
        // Six changes, six audit rows from the webhook (one insert, five updates).
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                           "'subscriptions' AND source = 'webhook'"))
                     .toInt(),
                 6);
    }

    void outOfOrderEndsInTheNewestState_data()
    {
        QTest::addColumn<QList<int>>("order");
        QTest::newRow("reversed") << QList<int>{4, 3, 2, 1, 0};
        QTest::newRow("shuffled") << QList<int>{2, 0, 4, 1, 3};
        QTest::newRow("newest first") << QList<int>{4, 0, 1, 2, 3};
    }

    void outOfOrderEndsInTheNewestState()
    {
        QFETCH(QList<int>, order);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        const QStringList statuses = {QStringLiteral("incomplete"), QStringLiteral("active"),
                                      QStringLiteral("past_due"), QStringLiteral("active"),
                                      QStringLiteral("unpaid")};
        // Delivered (and applied) one at a time in the given order.
        for (int i : std::as_const(order)) {
            const QString id = QStringLiteral("evt_o%1").arg(i);
            QVERIFY(store(db, id, QStringLiteral("customer.subscription.updated"), T0 + i,
                          subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                             statuses[i], QStringLiteral("price_T"), 10 + i)));
            QVERIFY(applier.processOne(id));
        }
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_1")), QStringLiteral("unpaid"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT quantity FROM subscriptions")).toInt(), 14);
        // Every event older than one applied before it was stale and changed nothing.
        int stale = 0;
        int newest = -1;
        for (int i : std::as_const(order)) {
            if (i < newest)
                ++stale;
            newest = qMax(newest, i);
        }
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status = "
                                           "'ignored' AND last_error LIKE 'A newer event%'"))
                     .toInt(),
                 stale);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status "
                                           "NOT IN ('processed', 'ignored')"))
                     .toInt(),
                 0);
    }

    void sameSecondTieIsDecidedByState_data()
    {
        QTest::addColumn<bool>("canceledFirst");
        QTest::newRow("canceled first") << true;
        QTest::newRow("active first") << false;
    }

    void sameSecondTieIsDecidedByState()
    {
        QFETCH(bool, canceledFirst);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        const QString a = canceledFirst ? QStringLiteral("evt_zz") : QStringLiteral("evt_aa");
        const QString b = canceledFirst ? QStringLiteral("evt_aa") : QStringLiteral("evt_zz");
        QVERIFY(store(db, a, QStringLiteral("customer.subscription.deleted"), T0,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("canceled"))));
        QVERIFY(applier.processOne(a));
        QVERIFY(store(db, b, QStringLiteral("customer.subscription.updated"), T0,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("active"))));
        QVERIFY(applier.processOne(b));
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_1")), QStringLiteral("canceled"));
    }

    void twoProcessorsSideBySideApplyEachEventOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        // Ten subscriptions, twenty updates each, stored in a scrambled order.
        constexpr int Subscriptions = 10;
        constexpr int Updates = 20;
        const QStringList statuses = {QStringLiteral("active"), QStringLiteral("past_due"),
                                      QStringLiteral("unpaid"), QStringLiteral("trialing")};
        for (int k = 0; k < Updates; ++k) {
            for (int n = 0; n < Subscriptions; ++n) {
                const int u = (k * 7 + n * 3) % Updates; // every u once per subscription
                QVERIFY(store(db, QStringLiteral("evt_p%1x%2").arg(n).arg(u),
                              QStringLiteral("customer.subscription.updated"), T0 + 10 * u,
                              subscriptionObject(QStringLiteral("sub_%1").arg(n),
                                                 QStringLiteral("cus_A"), statuses[u % 4],
                                                 QStringLiteral("price_T"), u + 1)));
            }
        }
        auto login = test::createServiceLogin(db, QStringLiteral("pair"));
        QVERIFY(login);
        std::atomic<int> applied{0};
        std::atomic<int> errors{0};
        auto work = [&]() {
            ScopedConnection connection(login.value());
            if (!connection.isOpen()) {
                ++errors;
                return;
            }
            EventApplier applier(connection.name());
            for (;;) {
                auto stats = applier.processDue(7);
                if (!stats) {
                    ++errors;
                    break;
                }
                applied += stats->applied;
                if (stats->total() == 0)
                    break;
            }
            applier.releaseStatements();
        };
        std::unique_ptr<QThread> a(QThread::create(work));
        std::unique_ptr<QThread> b(QThread::create(work));
        a->start();
        b->start();
        QVERIFY(a->wait(120000));
        QVERIFY(b->wait(120000));
        QCOMPARE(errors.load(), 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status NOT "
                                           "IN ('processed', 'ignored')"))
                     .toInt(),
                 0);
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE attempts <> 1"))
                .toInt(),
            0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status = "
                                           "'processed'"))
                     .toInt(),
                 applied.load());
        // Every subscription says what its newest event says.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions WHERE quantity = "
                                           "%1 AND status = '%2'")
                                .arg(Updates)
                                .arg(statuses[(Updates - 1) % 4]))
                     .toInt(),
                 Subscriptions);
    }

    void duplicateDeliveriesApplyOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        const QJsonObject sub = subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                                   QStringLiteral("active"));
        for (int i = 0; i < 3; ++i)
            QVERIFY(store(db, QStringLiteral("evt_dup"),
                          QStringLiteral("customer.subscription.created"), T0, sub));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events")).toInt(), 1);
        auto stats = applier.processDue(100);
        QVERIFY(stats);
        QCOMPARE(stats->applied, 1);
        // Even sent back to the queue, the same event is not applied twice.
        QVERIFY(exec(db, QStringLiteral("SELECT nobill_reprocess_stripe_event('evt_dup')")));
        auto again = applier.processOne(QStringLiteral("evt_dup"));
        QVERIFY(again);
        QCOMPARE(again.value(), EventOutcome::Stale);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                           "'subscriptions'"))
                     .toInt(),
                 1);
        // Nothing left to do: a second drain touches nothing.
        auto idle = applier.processDue(100);
        QVERIFY(idle);
        QCOMPARE(idle->total(), 0);
    }

    void eventAboutAnUnknownObjectWaitsThenApplies()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        // A subscription of Beta, whose customer is not linked yet.
        QVERIFY(store(db, QStringLiteral("evt_w1"), QStringLiteral("customer.subscription.created"),
                      T0,
                      subscriptionObject(QStringLiteral("sub_B"), QStringLiteral("cus_B"),
                                         QStringLiteral("trialing"))));
        auto first = applier.processDue(100);
        QVERIFY(first);
        QCOMPARE(first->waiting, 1);
        QCOMPARE(eventStatus(db, QStringLiteral("evt_w1")), QStringLiteral("waiting"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT waiting_for || ' ' || attempts || ' ' || "
                                           "(retry_at > now()) FROM stripe_events "
                                           "WHERE id = 'evt_w1'"))
                     .toString(),
                 QStringLiteral("cus_B 1 true"));
        // Not due before its retry time.
        auto early = applier.processDue(100);
        QVERIFY(early);
        QCOMPARE(early->total(), 0);

        // The customer arrives: the waiting event is due at once and applies.
        QVERIFY(
            store(db, QStringLiteral("evt_w2"), QStringLiteral("customer.created"), T0 + 1,
                  QJsonObject{{QStringLiteral("id"), QStringLiteral("cus_B")},
                              {QStringLiteral("metadata"),
                               QJsonObject{{QStringLiteral("nobill_organization_id"), OrgB}}}}));
        auto second = applier.processDue(100);
        QVERIFY(second);
        QCOMPARE(second->applied, 1);
        auto third = applier.processDue(100);
        QVERIFY(third);
        QCOMPARE(third->applied, 1);
        QCOMPARE(eventStatus(db, QStringLiteral("evt_w1")), QStringLiteral("processed"));
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_B")), QStringLiteral("trialing"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT organization_id::text FROM subscriptions "
                                           "WHERE stripe_subscription_id = 'sub_B'"))
                     .toString(),
                 OrgB);
    }

    void waitingFailsAfterTheLastAttempt()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplierOptions options;
        options.maxAttempts = 2;
        options.backoffBaseSeconds = 0;
        EventApplier applier = serviceApplier(db, options);
        QVERIFY(store(db, QStringLiteral("evt_f1"), QStringLiteral("customer.subscription.created"),
                      T0,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("active"), QStringLiteral("price_gone"))));
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_f1")), QStringLiteral("waiting"));
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_f1")), QStringLiteral("failed"));
        const QString reason =
            scalar(db, QStringLiteral("SELECT last_error FROM stripe_events WHERE id = 'evt_f1'"))
                .toString();
        QVERIFY2(reason.contains(QLatin1String("price_gone")) &&
                     reason.contains(QLatin1String("2 attempts")),
                 qPrintable(reason));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions")).toInt(), 0);
    }

    void unknownTypeAndBadPayload()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        QVERIFY(store(db, QStringLiteral("evt_u1"), QStringLiteral("charge.refunded"), T0,
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("ch_1")}}));
        QVERIFY(store(db, QStringLiteral("evt_u2"), QStringLiteral("invoice.paid"), T0,
                      QJsonObject{{QStringLiteral("id"), QStringLiteral("in_1")}}));
        auto stats = applier.processDue(10);
        QVERIFY(stats);
        QCOMPARE(stats->ignored, 1);
        QCOMPARE(stats->failed, 1);
        QCOMPARE(eventStatus(db, QStringLiteral("evt_u1")), QStringLiteral("ignored"));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_u2")), QStringLiteral("failed"));
        QVERIFY(!scalar(db, QStringLiteral(
                                "SELECT processed_at FROM stripe_events WHERE id = 'evt_u1'"))
                     .isNull());
    }

    void invoiceLifecycle()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplier applier = serviceApplier(db);
        // The invoice arrives before its subscription: it waits for it.
        QVERIFY(store(db, QStringLiteral("evt_i1"), QStringLiteral("invoice.created"), T0 + 1,
                      invoiceObject(QStringLiteral("in_1"), QStringLiteral("draft"))));
        QVERIFY(store(db, QStringLiteral("evt_i0"), QStringLiteral("customer.subscription.created"),
                      T0 + 2,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("active"))));
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_i1")), QStringLiteral("waiting"));
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_i1")), QStringLiteral("processed"));

        const QList<QPair<QString, QString>> steps = {
            {QStringLiteral("invoice.finalized"), QStringLiteral("open")},
            {QStringLiteral("invoice.payment_failed"), QStringLiteral("open")},
            {QStringLiteral("invoice.marked_uncollectible"), QStringLiteral("uncollectible")},
            {QStringLiteral("invoice.paid"), QStringLiteral("paid")},
        };
        for (int i = 0; i < steps.size(); ++i) {
            QVERIFY(store(db, QStringLiteral("evt_i%1").arg(i + 2), steps[i].first, T0 + 10 + i,
                          invoiceObject(QStringLiteral("in_1"), steps[i].second,
                                        steps[i].second == QLatin1String("paid") ? 1500 : 0)));
        }
        QVERIFY(applier.processDue(10));
        QCOMPARE(scalar(db, QStringLiteral("SELECT status || ' ' || amount_paid || ' ' || "
                                           "amount_remaining || ' ' || currency FROM invoices"))
                     .toString(),
                 QStringLiteral("paid 1500 0 EUR"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT s.stripe_subscription_id FROM invoices i "
                                           "JOIN subscriptions s ON s.id = i.subscription_id"))
                     .toString(),
                 QStringLiteral("sub_1"));

        // Another invoice, voided.
        QVERIFY(store(db, QStringLiteral("evt_v1"), QStringLiteral("invoice.voided"), T0 + 20,
                      invoiceObject(QStringLiteral("in_2"), QStringLiteral("void"))));
        QVERIFY(applier.processDue(10));
        QCOMPARE(scalar(db, QStringLiteral(
                                "SELECT status FROM invoices WHERE stripe_invoice_id = 'in_2'"))
                     .toString(),
                 QStringLiteral("void"));
    }

    void checkoutCompletedLinksCustomerAndSubscription()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        // Beta's subscription was started in the console; Stripe does not know its id yet.
        QVERIFY(exec(db, QStringLiteral("INSERT INTO subscriptions (id, organization_id, plan_id) "
                                        "VALUES ('%1', '%2', '%3')")
                             .arg(LocalSub, OrgB, Plan)));
        QVERIFY(store(
            db, QStringLiteral("evt_k1"), QStringLiteral("checkout.session.completed"), T0,
            QJsonObject{{QStringLiteral("id"), QStringLiteral("cs_test_1")},
                        {QStringLiteral("customer"), QStringLiteral("cus_B")},
                        {QStringLiteral("subscription"), QStringLiteral("sub_B")},
                        {QStringLiteral("client_reference_id"), OrgB},
                        {QStringLiteral("metadata"),
                         QJsonObject{{QStringLiteral("nobill_subscription_id"), LocalSub}}}}));
        EventApplier applier = serviceApplier(db);
        auto stats = applier.processDue(10);
        QVERIFY(stats);
        QCOMPARE(stats->applied, 1);
        QCOMPARE(scalar(db, QStringLiteral(
                                "SELECT stripe_customer_id FROM organizations WHERE id = '%1'")
                                .arg(OrgB))
                     .toString(),
                 QStringLiteral("cus_B"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT stripe_subscription_id FROM subscriptions "
                                           "WHERE id = '%1'")
                                .arg(LocalSub))
                     .toString(),
                 QStringLiteral("sub_B"));
        // The subscription's own event now updates that row instead of adding one.
        QVERIFY(store(db, QStringLiteral("evt_k2"), QStringLiteral("customer.subscription.updated"),
                      T0 + 1,
                      subscriptionObject(QStringLiteral("sub_B"), QStringLiteral("cus_B"),
                                         QStringLiteral("active"))));
        QVERIFY(applier.processDue(10));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions")).toInt(), 1);
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_B")), QStringLiteral("active"));
    }

    void meterErrorReportMarksUsageFailed()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(exec(db, QStringLiteral("INSERT INTO usage_records (organization_id, metric, "
                                        "  quantity, occurred_at, idempotency_key, reported_state, "
                                        "  reported_at, stripe_meter_event_id) VALUES "
                                        "('%1', 'api_calls', 5, now(), 'k1', 'reported', now(), "
                                        "'mev_1'), "
                                        "('%1', 'api_calls', 7, now(), 'k2', 'reported', now(), "
                                        "'mev_2')")
                             .arg(OrgA)));
        const QJsonObject event{
            {QStringLiteral("id"), QStringLiteral("evt_m1")},
            {QStringLiteral("object"), QStringLiteral("v2.core.event")},
            {QStringLiteral("type"), QStringLiteral("v1.billing.meter.error_report_triggered")},
            {QStringLiteral("created"), QStringLiteral("2025-06-15T10:00:00.000Z")},
            {QStringLiteral("related_object"),
             QJsonObject{{QStringLiteral("id"), QStringLiteral("mtr_1")}}},
            {QStringLiteral("data"),
             QJsonObject{{QStringLiteral("developer_message_summary"),
                          QStringLiteral("There is 1 invalid event")},
                         {QStringLiteral("reason"),
                          QJsonObject{{QStringLiteral("error_count"), 1},
                                      {QStringLiteral("error_types"),
                                       QJsonArray{QJsonObject{
                                           {QStringLiteral("sample_errors"),
                                            QJsonArray{QJsonObject{
                                                {QStringLiteral("request"),
                                                 QJsonObject{{QStringLiteral("identifier"),
                                                              QStringLiteral("mev_1")}}}}}}}}}}}}}};
        QVERIFY(exec(
            db, QStringLiteral("INSERT INTO stripe_events (id, type, stripe_created, "
                               "object_id, payload) VALUES ('evt_m1', "
                               "'v1.billing.meter.error_report_triggered', now(), "
                               "'mtr_1', '%1'::jsonb)")
                    .arg(QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact)))));
        EventApplier applier = serviceApplier(db);
        auto stats = applier.processDue(10);
        QVERIFY(stats);
        QCOMPARE(stats->applied, 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(stripe_meter_event_id || '=' || "
                                           "reported_state, ',' ORDER BY stripe_meter_event_id) "
                                           "FROM usage_records"))
                     .toString(),
                 QStringLiteral("mev_1=failed,mev_2=reported"));
        QVERIFY(
            scalar(db, QStringLiteral("SELECT last_error FROM stripe_events WHERE id = 'evt_m1'"))
                .toString()
                .contains(QLatin1String("mtr_1")));
    }

    void operatorsCannotApplyOrReorder()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto admin = test::createOperator(db, QStringLiteral("boss"), true, {});
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().message));
        ScopedConnection as(admin->settings);
        QVERIFY2(as.isOpen(), qPrintable(as.error()));
        QSqlQuery q(as.database());
        // Not even a platform administrator may record an event as applied...
        QVERIFY(!q.exec(QStringLiteral("SELECT nobill_stripe_object_advance('sub_1', now(), 0, "
                                       "'evt_x')")));
        QVERIFY(q.lastError().text().contains(QLatin1String("permission denied")));
        // ...nor read or write the per-object record behind the functions.
        QVERIFY(!q.exec(QStringLiteral("SELECT * FROM stripe_object_versions")));
        QVERIFY(!q.exec(QStringLiteral("UPDATE stripe_event_cursor SET last_created = now()")));
    }

    void reprocessNeedsWebhooksManage()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        EventApplierOptions options;
        options.maxAttempts = 1;
        EventApplier applier = serviceApplier(db, options);
        QVERIFY(store(db, QStringLiteral("evt_r1"), QStringLiteral("customer.subscription.created"),
                      T0,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("active"), QStringLiteral("price_N"))));
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_r1")), QStringLiteral("failed"));
        QVERIFY(exec(db, QStringLiteral("UPDATE stripe_events SET organization_id = '%1' "
                                        "WHERE id = 'evt_r1' AND organization_id IS NULL")
                             .arg(OrgA)));

        // An organization's Admin (webhooks.read there, no webhooks.manage) is refused.
        auto orgAdmin = test::createOperator(db, QStringLiteral("orgadmin"), false,
                                             {{OrgA, QStringLiteral("admin")}});
        QVERIFY(orgAdmin);
        {
            ScopedConnection as(orgAdmin->settings);
            QVERIFY(as.isOpen());
            QSqlQuery q(as.database());
            QVERIFY(!q.exec(QStringLiteral("SELECT nobill_reprocess_stripe_event('evt_r1')")));
            QVERIFY(q.lastError().text().contains(QLatin1String("webhooks.manage")));
        }
        QCOMPARE(eventStatus(db, QStringLiteral("evt_r1")), QStringLiteral("failed"));

        // The cause is fixed (the plan gets its Stripe price); a platform admin reprocesses.
        QVERIFY(
            exec(db, QStringLiteral("UPDATE plans SET stripe_price_id = 'price_N' WHERE id = '%1'")
                         .arg(Plan)));
        auto admin = test::createOperator(db, QStringLiteral("boss"), true, {});
        QVERIFY(admin);
        {
            ScopedConnection as(admin->settings);
            QVERIFY(as.isOpen());
            QSqlQuery q(as.database());
            QVERIFY2(q.exec(QStringLiteral("SELECT nobill_reprocess_stripe_event('evt_r1')")),
                     qPrintable(q.lastError().text()));
            // Already queued: said in words.
            QVERIFY(!q.exec(QStringLiteral("SELECT nobill_reprocess_stripe_event('evt_r1')")));
            QVERIFY(q.lastError().text().contains(QLatin1String("already waiting")));
        }
        QCOMPARE(eventStatus(db, QStringLiteral("evt_r1")), QStringLiteral("received"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT login FROM audit_log WHERE entity = "
                                           "'stripe_events' AND entity_id = 'evt_r1'"))
                     .toString(),
                 admin->login);
        QVERIFY(applier.processDue(10));
        QCOMPARE(eventStatus(db, QStringLiteral("evt_r1")), QStringLiteral("processed"));
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_1")), QStringLiteral("active"));
    }

    void processorAppliesNewEventsByItself()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto login = test::createServiceLogin(db, QStringLiteral("bg"));
        QVERIFY(login);
        EventProcessorOptions options;
        options.pollIntervalMs = 60000; // the notification must be what wakes it
        EventProcessor processor(login.value(), options);
        QSignalSpy batches(&processor, &EventProcessor::batchDone);
        processor.start();
        QVERIFY(store(db, QStringLiteral("evt_bg1"),
                      QStringLiteral("customer.subscription.created"), T0,
                      subscriptionObject(QStringLiteral("sub_1"), QStringLiteral("cus_A"),
                                         QStringLiteral("active"))));
        QTRY_COMPARE_WITH_TIMEOUT(eventStatus(db, QStringLiteral("evt_bg1")),
                                  QStringLiteral("processed"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(!batches.isEmpty(), 20000);
        processor.stop();
        QVERIFY(!processor.isRunning());
        QCOMPARE(subscriptionStatus(db, QStringLiteral("sub_1")), QStringLiteral("active"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT source FROM audit_log WHERE entity = "
                                           "'subscriptions' ORDER BY id DESC LIMIT 1"))
                     .toString(),
                 QStringLiteral("webhook"));
    }
};

QTEST_GUILESS_MAIN(TestEventApplier)
#include "tst_eventapplier.moc"
