// A job's result takes its place in the per-object order of Stripe's events (migration 0015):
// the worker records Stripe's answer together with the job's version of the object, so a
// webhook older than the answer that arrives later is ignored as stale, a newer one still
// wins, and a job result recorded after a newer event was applied changes nothing.

#include "testcluster.h"
#include "testoperators.h"

#include "jobs/billinghandlers.h"
#include "stripeevents/eventapplier.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlRecord>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {

const QString Org = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-0000000000d1");
const QString Plan = QStringLiteral("00000000-0000-0000-0000-0000000000e1");
const QString LocalSub = QStringLiteral("00000000-0000-0000-0000-0000000000c1");
const QString JobId = QStringLiteral("00000000-0000-0000-0000-0000000000f1");
const QString JobEvent = QStringLiteral("evt_job_000000000000000000000000000000f1");
constexpr qint64 T0 = 1750000000;

bool exec(const QString &connection, const QString &sql, const QVariantList &values = {})
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (values.isEmpty()) { // several statements at once: not prepared
        if (q.exec(sql))
            return true;
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    if (!q.prepare(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values.at(i));
    if (!q.exec()) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QString row(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << sql << q.lastError().text();
        return {};
    }
    QStringList values;
    for (int i = 0; i < q.record().count(); ++i)
        values << q.value(i).toString();
    return values.join(QLatin1Char('|'));
}

QJsonObject subscription(const QString &status, int quantity)
{
    return QJsonObject{
        {QStringLiteral("id"), QStringLiteral("sub_J")},
        {QStringLiteral("object"), QStringLiteral("subscription")},
        {QStringLiteral("customer"), QStringLiteral("cus_J")},
        {QStringLiteral("status"), status},
        {QStringLiteral("collection_method"), QStringLiteral("charge_automatically")},
        {QStringLiteral("cancel_at_period_end"), false},
        {QStringLiteral("items"),
         QJsonObject{{QStringLiteral("data"),
                      QJsonArray{QJsonObject{
                          {QStringLiteral("quantity"), quantity},
                          {QStringLiteral("current_period_start"), T0},
                          {QStringLiteral("current_period_end"), T0 + 30 * 86400},
                          {QStringLiteral("price"),
                           QJsonObject{{QStringLiteral("id"), QStringLiteral("price_J")}}}}}}}}};
}

// As the listener stores a delivery.
bool store(const QString &connection, const QString &eventId, qint64 created,
           const QJsonObject &object)
{
    const QJsonObject event{
        {QStringLiteral("id"), eventId},
        {QStringLiteral("object"), QStringLiteral("event")},
        {QStringLiteral("type"), QStringLiteral("customer.subscription.updated")},
        {QStringLiteral("created"), created},
        {QStringLiteral("data"), QJsonObject{{QStringLiteral("object"), object}}}};
    return exec(
        connection,
        QStringLiteral("INSERT INTO stripe_events (id, type, stripe_created, object_id, "
                       "payload) VALUES (?, 'customer.subscription.updated', "
                       "to_timestamp(?), 'sub_J', ?::jsonb)"),
        {eventId, created, QString::fromUtf8(QJsonDocument(event).toJson(QJsonDocument::Compact))});
}

// As the worker records a job's outcome: its writes in one transaction.
bool recordJobResult(const QString &connection, const QJsonObject &object, qint64 sent)
{
    ClaimedJob job;
    job.id = JobId;
    JobVersion version = JobVersion::of(job);
    if (version.eventId != JobEvent) {
        qWarning().noquote() << "the job's event id is" << version.eventId;
        return false;
    }
    version.sentMs = sent * 1000;
    auto write = subscriptionStateWrite(LocalSub, object, version);
    if (!write) {
        qWarning().noquote() << write.error().message;
        return false;
    }
    QSqlDatabase db = QSqlDatabase::database(connection);
    if (!db.transaction())
        return false;
    if (!exec(connection, write.value().sql, write.value().values)) {
        db.rollback();
        return false;
    }
    return db.commit();
}

} // namespace

class TestJobVersions : public QObject
{
    Q_OBJECT

private slots:
    void olderWebhookIsStaleNewerWins()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral(
                         "INSERT INTO organizations (id, name, slug, billing_email, currency, "
                         "  stripe_customer_id) VALUES "
                         "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR', 'cus_J'); "
                         "INSERT INTO products (id, name, stripe_product_id) VALUES "
                         "('%2', 'Team', 'prod_J'); "
                         "INSERT INTO plans (id, product_id, name, amount, currency, "
                         "  stripe_price_id) VALUES ('%3', '%2', 'Team', 1500, 'EUR', 'price_J'); "
                         "INSERT INTO subscriptions (id, organization_id, plan_id, "
                         "  stripe_subscription_id, status, quantity) VALUES "
                         "('%4', '%1', '%3', 'sub_J', 'active', 1)")
                         .arg(Org, Product, Plan, LocalSub)));
        auto login = test::createServiceLogin(db, QStringLiteral("svc"));
        QVERIFY(login);
        ScopedConnection service(login.value());
        QVERIFY2(service.isOpen(), qPrintable(service.error()));
        const QString state = QStringLiteral("SELECT status, quantity FROM subscriptions");
        auto eventStatus = [&](const QString &id) {
            return row(db.connectionName(),
                       QStringLiteral("SELECT status FROM stripe_events WHERE id = '%1'").arg(id));
        };

        // The job's answer (Stripe's state after the request sent at T0 + 100) is recorded
        // with the job's version.
        QVERIFY(
            recordJobResult(service.name(), subscription(QStringLiteral("past_due"), 5), T0 + 100));
        QCOMPARE(row(db.connectionName(), state), QStringLiteral("past_due|5"));
        QCOMPARE(row(db.connectionName(),
                     QStringLiteral("SELECT event_id, extract(epoch FROM event_created)::bigint "
                                    "FROM stripe_object_versions WHERE object_id = 'sub_J'")),
                 QStringLiteral("%1|%2").arg(JobEvent).arg(T0 + 100));

        // A webhook Stripe created before that request, delivered late: stale.
        EventApplier applier(service.name());
        QVERIFY(store(service.name(), QStringLiteral("evt_older"), T0 + 50,
                      subscription(QStringLiteral("active"), 2)));
        auto drained = applier.processDue(10);
        QVERIFY2(drained, drained ? "" : qPrintable(drained.error().message));
        QCOMPARE(drained.value().stale, 1);
        QCOMPARE(eventStatus(QStringLiteral("evt_older")), QStringLiteral("ignored"));
        QCOMPARE(row(db.connectionName(), state), QStringLiteral("past_due|5"));

        // A newer one: applied.
        QVERIFY(store(service.name(), QStringLiteral("evt_newer"), T0 + 200,
                      subscription(QStringLiteral("unpaid"), 7)));
        drained = applier.processDue(10);
        QVERIFY2(drained, drained ? "" : qPrintable(drained.error().message));
        QCOMPARE(drained.value().applied, 1);
        QCOMPARE(eventStatus(QStringLiteral("evt_newer")), QStringLiteral("processed"));
        QCOMPARE(row(db.connectionName(), state), QStringLiteral("unpaid|7"));

        // A job's answer older than what is applied now (its request left before the newer
        // event was created) is recorded as the job's result but changes nothing.
        QVERIFY(
            recordJobResult(service.name(), subscription(QStringLiteral("active"), 3), T0 + 150));
        QCOMPARE(row(db.connectionName(), state), QStringLiteral("unpaid|7"));
        QCOMPARE(
            row(db.connectionName(), QStringLiteral("SELECT event_id FROM stripe_object_versions "
                                                    "WHERE object_id = 'sub_J'")),
            QStringLiteral("evt_newer"));
        applier.releaseStatements();
    }
};

QTEST_GUILESS_MAIN(TestJobVersions)
#include "tst_jobversions.moc"
