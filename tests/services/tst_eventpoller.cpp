// Pull mode against the in-process fake Stripe: events listed by GET /v1/events land in the
// inbox with source 'pull', once, even when the listener stored some of them already; the
// cursor is kept in the database; the processor then applies them; Stripe being down is a
// sentence, and the next poll catches up.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "stripeevents/eventapplier.h"
#include "stripeevents/eventpoller.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

#include <optional>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {

const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << sql << q.lastError().text();
        return {};
    }
    return q.value(0);
}

// Creates a customer in the fake Stripe (one customer.created event), as the job worker does.
QString createCustomer(FakeStripeServer &fake, const QString &orgId)
{
    StripeClientOptions o;
    o.baseUrl = fake.baseUrl();
    o.secretKey = QStringLiteral("sk_test_poller");
    StripeClient client(o);
    QString id;
    bool done = false;
    client.post(QStringLiteral("/v1/customers"),
                {{QStringLiteral("email"), QStringLiteral("ap@acme.example")},
                 {QStringLiteral("metadata"),
                  QVariantMap{{QStringLiteral("nobill_organization_id"), orgId}}}},
                QStringLiteral("create-customer-") + orgId, [&](const StripeReply &reply) {
                    id = reply.object.value(QStringLiteral("id")).toString();
                    done = true;
                });
    QElapsedTimer waited;
    waited.start();
    while (!done && waited.elapsed() < 10000)
        QTest::qWait(10);
    return id;
}

// A Stripe call, waited for (the fake runs on this thread's event loop).
QJsonObject call(FakeStripeServer &fake, const QByteArray &method, const QString &path,
                 const QVariantMap &params = {})
{
    StripeClientOptions o;
    o.baseUrl = fake.baseUrl();
    o.secretKey = QStringLiteral("sk_test_poller");
    StripeClient client(o);
    QJsonObject object;
    bool done = false;
    auto answer = [&](const StripeReply &reply) {
        if (!reply.ok)
            qWarning().noquote() << reply.error.sentence();
        object = reply.object;
        done = true;
    };
    static int key = 0;
    const QString idempotencyKey = QStringLiteral("e2e-%1").arg(++key);
    if (method == "GET")
        client.get(path, params, answer);
    else if (method == "DELETE")
        client.remove(path, idempotencyKey, answer);
    else
        client.post(path, params, idempotencyKey, answer);
    QElapsedTimer waited;
    waited.start();
    while (!done && waited.elapsed() < 10000)
        QTest::qWait(10);
    return object;
}
} // namespace

class TestEventPoller : public QObject
{
    Q_OBJECT

    std::optional<FakeStripeServer> m_fake;

    StripeClientOptions stripeOptions() const
    {
        StripeClientOptions o;
        o.baseUrl = m_fake->baseUrl();
        o.secretKey = QStringLiteral("sk_test_poller");
        o.maxRetries = 0;
        o.timeoutMs = 5000;
        return o;
    }

private slots:
    void init()
    {
        m_fake.emplace();
        QVERIFY2(m_fake->start(), qPrintable(m_fake->errorString()));
    }
    void cleanup() { m_fake.reset(); }

    void pullStoresEachEventOnceAndTheProcessorAppliesIt()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QSqlQuery owner(QSqlDatabase::database(db.connectionName()));
        QVERIFY(owner.exec(QStringLiteral("INSERT INTO organizations (id, name, slug, "
                                          "billing_email, currency) VALUES ('%1', 'Acme Ltd', "
                                          "'acme', 'ap@acme.example', 'EUR')")
                               .arg(OrgA)));
        const QString customer = createCustomer(*m_fake, OrgA);
        QVERIFY(customer.startsWith(QLatin1String("cus_")));
        QCOMPARE(m_fake->events().size(), 1);
        const QJsonObject first = m_fake->events().first();

        auto login = test::createServiceLogin(db, QStringLiteral("puller"));
        QVERIFY(login);
        EventPollerOptions options;
        options.intervalMs = 60000;
        EventPoller poller(login.value(), stripeOptions(), options);
        QSignalSpy finished(&poller, &EventPoller::pollFinished);

        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(3).toString()));
        QCOMPARE(finished.at(0).at(1).toInt(), 1); // stored
        QCOMPARE(scalar(db, QStringLiteral("SELECT source || ' ' || type || ' ' || object_id "
                                           "FROM stripe_events"))
                     .toString(),
                 QStringLiteral("pull customer.created ") + customer);
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT last_event_id FROM stripe_event_cursor")).toString(),
            first.value(QStringLiteral("id")).toString());

        // Polling again (the overlap asks for the same second): nothing new, one duplicate.
        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 15000);
        QVERIFY(finished.at(1).at(0).toBool());
        QCOMPARE(finished.at(1).at(1).toInt(), 0);
        QCOMPARE(finished.at(1).at(2).toInt(), 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events")).toInt(), 1);

        // The processor applies the pulled event like a pushed one.
        {
            test::ScopedConnection service(login.value());
            QVERIFY(service.isOpen());
            EventApplier applier(service.name());
            auto stats = applier.processDue(10);
            QVERIFY2(stats, qPrintable(stats ? QString() : stats.error().message));
            QCOMPARE(stats->applied, 1);
            applier.releaseStatements();
        }
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT stripe_customer_id FROM organizations")).toString(),
            customer);
    }

    void stripesOwnShapesEndInStripesState()
    {
        // What the job worker would do, against the fake: catalog, customer, subscription,
        // then a seat change and a cancellation; then pull and apply everything.
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        const QString product = call(*m_fake, "POST", QStringLiteral("/v1/products"),
                                     {{QStringLiteral("name"), QStringLiteral("Team")}})
                                    .value(QStringLiteral("id"))
                                    .toString();
        const QString price =
            call(*m_fake, "POST", QStringLiteral("/v1/prices"),
                 {{QStringLiteral("product"), product},
                  {QStringLiteral("unit_amount"), 1500},
                  {QStringLiteral("currency"), QStringLiteral("eur")},
                  {QStringLiteral("recurring"),
                   QVariantMap{{QStringLiteral("interval"), QStringLiteral("month")}}}})
                .value(QStringLiteral("id"))
                .toString();
        const QString customer = createCustomer(*m_fake, OrgA);
        QVERIFY(!product.isEmpty() && !price.isEmpty() && !customer.isEmpty());
        QSqlQuery owner(QSqlDatabase::database(db.connectionName()));
        QVERIFY2(
            owner.exec(
                QStringLiteral(
                    "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                    "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'); "
                    "INSERT INTO products (id, name, stripe_product_id) VALUES "
                    "('00000000-0000-0000-0000-0000000000d1', 'Team', '%2'); "
                    "INSERT INTO plans (product_id, name, amount, currency, stripe_price_id) "
                    "VALUES ('00000000-0000-0000-0000-0000000000d1', 'Team monthly', 1500, "
                    "'EUR', '%3')")
                    .arg(OrgA, product, price)),
            qPrintable(owner.lastError().text()));

        m_fake->advanceClock(60);
        const QJsonObject sub =
            call(*m_fake, "POST", QStringLiteral("/v1/subscriptions"),
                 {{QStringLiteral("customer"), customer},
                  {QStringLiteral("items"),
                   QVariantList{QVariantMap{{QStringLiteral("price"), price},
                                            {QStringLiteral("quantity"), 3}}}}});
        const QString subId = sub.value(QStringLiteral("id")).toString();
        QVERIFY(subId.startsWith(QLatin1String("sub_")));
        const QString item = sub.value(QStringLiteral("items"))
                                 .toObject()
                                 .value(QStringLiteral("data"))
                                 .toArray()
                                 .first()
                                 .toObject()
                                 .value(QStringLiteral("id"))
                                 .toString();
        m_fake->advanceClock(60);
        call(*m_fake, "POST", QStringLiteral("/v1/subscriptions/") + subId,
             {{QStringLiteral("items"), QVariantList{QVariantMap{{QStringLiteral("id"), item},
                                                                 {QStringLiteral("quantity"), 5}}}},
              {QStringLiteral("proration_behavior"), QStringLiteral("none")}});
        m_fake->advanceClock(60);
        call(*m_fake, "DELETE", QStringLiteral("/v1/subscriptions/") + subId);

        auto login = test::createServiceLogin(db, QStringLiteral("e2e"));
        QVERIFY(login);
        EventPoller poller(login.value(), stripeOptions());
        QSignalSpy finished(&poller, &EventPoller::pollFinished);
        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY2(finished.at(0).at(0).toBool(), qPrintable(finished.at(0).at(3).toString()));
        QCOMPARE(finished.at(0).at(1).toInt(), static_cast<int>(m_fake->events().size()));
        {
            test::ScopedConnection service(login.value());
            QVERIFY(service.isOpen());
            EventApplier applier(service.name());
            for (int round = 0; round < 3; ++round) // waiting events are woken, then applied
                QVERIFY(applier.processDue(100));
            applier.releaseStatements();
        }
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events WHERE status "
                                           "IN ('received', 'waiting', 'failed')"))
                     .toInt(),
                 0);
        const QJsonObject finalSub = m_fake->object(subId);
        QCOMPARE(scalar(db, QStringLiteral("SELECT status || ' ' || quantity FROM subscriptions "
                                           "WHERE stripe_subscription_id = '%1'")
                                .arg(subId))
                     .toString(),
                 finalSub.value(QStringLiteral("status")).toString() + QStringLiteral(" 5"));
        // Every invoice says what Stripe says of it now.
        const QList<QJsonObject> invoices = m_fake->objects(QStringLiteral("invoice"));
        QVERIFY(!invoices.isEmpty());
        for (const QJsonObject &invoice : invoices) {
            QCOMPARE(scalar(db, QStringLiteral("SELECT status || ' ' || amount_paid FROM invoices "
                                               "WHERE stripe_invoice_id = '%1'")
                                    .arg(invoice.value(QStringLiteral("id")).toString()))
                         .toString(),
                     invoice.value(QStringLiteral("status")).toString() + QLatin1Char(' ') +
                         QString::number(invoice.value(QStringLiteral("amount_paid")).toInteger()));
        }
    }

    void pushedFirstIsNotStoredTwice()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        const QString customer = createCustomer(*m_fake, OrgA);
        const QJsonObject event = m_fake->events().first();
        QSqlQuery owner(QSqlDatabase::database(db.connectionName()));
        QVERIFY(owner.prepare(QStringLiteral("INSERT INTO stripe_events (id, type, "
                                             "stripe_created, object_id, payload, source) "
                                             "VALUES (?, ?, to_timestamp(?), ?, '{}', 'push')")));
        owner.addBindValue(event.value(QStringLiteral("id")).toString());
        owner.addBindValue(event.value(QStringLiteral("type")).toString());
        owner.addBindValue(event.value(QStringLiteral("created")).toInteger());
        owner.addBindValue(customer);
        QVERIFY2(owner.exec(), qPrintable(owner.lastError().text()));

        auto login = test::createServiceLogin(db, QStringLiteral("puller2"));
        QVERIFY(login);
        EventPoller poller(login.value(), stripeOptions());
        QSignalSpy finished(&poller, &EventPoller::pollFinished);
        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY(finished.at(0).at(0).toBool());
        QCOMPARE(finished.at(0).at(1).toInt(), 0);
        QCOMPARE(finished.at(0).at(2).toInt(), 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) || ' ' || min(source) FROM "
                                           "stripe_events"))
                     .toString(),
                 QStringLiteral("1 push"));
    }

    void stripeDownIsASentenceAndTheNextPollCatchesUp()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        createCustomer(*m_fake, OrgA);
        auto login = test::createServiceLogin(db, QStringLiteral("puller3"));
        QVERIFY(login);
        EventPoller poller(login.value(), stripeOptions());
        QSignalSpy finished(&poller, &EventPoller::pollFinished);
        m_fake->failNext(1, QStringLiteral("500_no_retry"));
        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 15000);
        QVERIFY(!finished.at(0).at(0).toBool());
        QVERIFY(finished.at(0).at(3).toString().startsWith(QLatin1String("Stripe's list of "
                                                                         "events")));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events")).toInt(), 0);
        poller.pollOnce();
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 2, 15000);
        QVERIFY(finished.at(1).at(0).toBool());
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM stripe_events")).toInt(), 1);
    }
};

QTEST_GUILESS_MAIN(TestEventPoller)
#include "tst_eventpoller.moc"
