// The demo data: what `--demo` promises to show, the same every time, and all or nothing.

#include "testcluster.h"

#include "demo/demoseeder.h"

#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return {};
    }
    return q.value(0);
}

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return false;
    }
    return true;
}

int count(const TestDatabase &db, const QString &tableAndCondition)
{
    return scalar(db, QStringLiteral("SELECT count(*) FROM ") + tableAndCondition).toInt();
}

QString describe(const Error &error)
{
    return error.message + QStringLiteral(" (") + error.detail + QLatin1Char(')');
}

// Everything a person sees of the demo except generated ids and times: names, amounts,
// quantities, statuses, and how rows refer to each other (through their natural keys).
QString fingerprint(const TestDatabase &db)
{
    return scalar(db,
                  QStringLiteral(
                      "SELECT md5(concat_ws('#',"
                      " (SELECT string_agg(concat_ws(',', name, slug, billing_email, currency,"
                      "   status, stripe_customer_id, country, created_at - (SELECT min(created_at)"
                      "   FROM organizations)), ';' ORDER BY slug) FROM organizations),"
                      " (SELECT string_agg(concat_ws(',', email, display_name, is_platform_admin,"
                      "   disabled_at IS NULL), ';' ORDER BY email) FROM users),"
                      " (SELECT string_agg(concat_ws(',', o.slug, u.email, r.name), ';'"
                      "   ORDER BY o.slug, u.email) FROM memberships m"
                      "   JOIN organizations o ON o.id = m.organization_id"
                      "   JOIN users u ON u.id = m.user_id JOIN roles r ON r.id = m.role_id),"
                      " (SELECT string_agg(concat_ws(',', name, amount, currency, interval,"
                      "   usage_type, metric, stripe_price_id), ';' ORDER BY stripe_price_id)"
                      "   FROM plans),"
                      " (SELECT string_agg(concat_ws(',', s.stripe_subscription_id, o.slug,"
                      "   p.stripe_price_id, s.status, s.quantity, s.collection_method,"
                      "   s.days_until_due, s.cancel_at_period_end), ';'"
                      "   ORDER BY s.stripe_subscription_id) FROM subscriptions s"
                      "   JOIN organizations o ON o.id = s.organization_id"
                      "   JOIN plans p ON p.id = s.plan_id),"
                      " (SELECT md5(string_agg(concat_ws(',', u.idempotency_key, u.quantity,"
                      "   u.reported_state, u.stripe_meter_event_id), ';'"
                      "   ORDER BY u.idempotency_key)) FROM usage_records u),"
                      " (SELECT string_agg(concat_ws(',', i.stripe_invoice_id, i.number, i.status,"
                      "   i.currency, i.subtotal, i.tax, i.total, i.amount_paid,"
                      "   i.amount_remaining, i.hosted_invoice_url), ';'"
                      "   ORDER BY i.stripe_invoice_id) FROM invoices i)))"))
        .toString();
}

} // namespace

class DemoDataTest : public QObject
{
    Q_OBJECT
private slots:
    void seedingGivesThePromisedData()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QElapsedTimer timer;
        timer.start();
        Status seeded = seedDemoData(db.connectionName());
        QVERIFY2(seeded, qPrintable(seeded ? QString() : describe(seeded.error())));
        qInfo() << "seeded in" << timer.elapsed() << "ms";

        // Tenants: a dozen, three currencies, one suspended.
        QCOMPARE(count(db, QStringLiteral("organizations")), 12);
        QCOMPARE(count(db, QStringLiteral("organizations WHERE status = 'suspended'")), 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(DISTINCT currency, ',' ORDER BY "
                                           "currency) FROM organizations"))
                     .toString(),
                 QStringLiteral("EUR,GBP,USD"));
        QCOMPARE(count(db, QStringLiteral("organizations WHERE stripe_customer_id IS NULL")), 0);

        // People: 60, one platform admin, every tenant with an owner.
        QCOMPARE(count(db, QStringLiteral("users")), 60);
        QCOMPARE(count(db, QStringLiteral("users WHERE is_platform_admin")), 1);
        QCOMPARE(count(db, QStringLiteral("organizations o WHERE NOT EXISTS (SELECT 1 FROM "
                                          "memberships m JOIN roles r ON r.id = m.role_id "
                                          "WHERE m.organization_id = o.id AND r.key = "
                                          "'owner')")),
                 0);
        QVERIFY(count(db, QStringLiteral("memberships")) >= 59);

        // Catalog: five plans, one metered, in EUR and USD.
        QCOMPARE(count(db, QStringLiteral("plans")), 5);
        QCOMPARE(count(db, QStringLiteral("plans WHERE usage_type = 'metered' AND metric = "
                                          "'api_calls'")),
                 1);
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(DISTINCT currency, ',' ORDER BY "
                                           "currency) FROM plans"))
                     .toString(),
                 QStringLiteral("EUR,USD"));
        QVERIFY(count(db, QStringLiteral("products")) >= 2);

        // Subscriptions: 20 to 30, every Stripe status.
        const int subscriptions = count(db, QStringLiteral("subscriptions"));
        QVERIFY2(subscriptions >= 20 && subscriptions <= 30,
                 qPrintable(QString::number(subscriptions)));
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(DISTINCT status, ',' ORDER BY "
                                           "status) FROM subscriptions"))
                     .toString(),
                 QStringLiteral("active,canceled,incomplete,incomplete_expired,past_due,paused,"
                                "trialing,unpaid"));

        // Usage: exactly 100,000 records over about six months, on metered subscriptions of
        // the same tenant, mostly reported, the latest not yet.
        QCOMPARE(count(db, QStringLiteral("usage_records")), 100000);
        const double spanDays =
            scalar(db, QStringLiteral("SELECT extract(epoch FROM max(occurred_at) - "
                                      "min(occurred_at)) / 86400 FROM usage_records"))
                .toDouble();
        QVERIFY2(spanDays > 170 && spanDays < 190, qPrintable(QString::number(spanDays)));
        QVERIFY(scalar(db, QStringLiteral("SELECT max(occurred_at) <= now() FROM usage_records"))
                    .toBool());
        QCOMPARE(count(db, QStringLiteral("usage_records u JOIN subscriptions s ON s.id = "
                                          "u.subscription_id JOIN plans p ON p.id = s.plan_id "
                                          "WHERE p.usage_type <> 'metered' OR s.organization_id "
                                          "<> u.organization_id OR u.metric <> p.metric")),
                 0);
        QVERIFY(count(db, QStringLiteral("usage_records WHERE reported_state = 'reported'")) >
                90000);
        QVERIFY(count(db, QStringLiteral("usage_records WHERE reported_state = 'unreported'")) > 0);
        QCOMPARE(count(db, QStringLiteral("usage_records WHERE reported_state = 'unreported' "
                                          "AND occurred_at < now() - interval '3 days'")),
                 0);

        // Invoices: several per billed subscription, mixed statuses, links to Stripe.
        QVERIFY(count(db, QStringLiteral("invoices")) > 50);
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(DISTINCT status, ',' ORDER BY "
                                           "status) FROM invoices"))
                     .toString(),
                 QStringLiteral("draft,open,paid,uncollectible,void"));
        QCOMPARE(count(db, QStringLiteral("invoices WHERE status <> 'draft' AND "
                                          "(hosted_invoice_url NOT LIKE "
                                          "'https://invoice.stripe.com/i/acct_demo/%' OR number "
                                          "IS NULL)")),
                 0);
        QCOMPARE(count(db, QStringLiteral("invoices i JOIN subscriptions s ON s.id = "
                                          "i.subscription_id JOIN plans p ON p.id = s.plan_id "
                                          "WHERE i.currency <> p.currency")),
                 0);
        QVERIFY(count(db, QStringLiteral("invoices WHERE status = 'paid' AND total > 0")) > 0);

        // The triggers audited what was written, as coming from the command line.
        QVERIFY(count(db, QStringLiteral("audit_log WHERE source = 'cli' AND entity = "
                                         "'organizations' AND action = 'insert'")) == 12);
        QVERIFY(count(db, QStringLiteral("audit_log WHERE source = 'cli' AND entity = "
                                         "'invoices'")) > 0);
        QCOMPARE(count(db, QStringLiteral("audit_log WHERE entity = 'usage_records'")), 0);
    }

    void seedingIsDeterministic()
    {
        TestDatabase first;
        NOBILL_REQUIRE_DB(first);
        TestDatabase second;
        NOBILL_REQUIRE_DB(second);
        // The same clock for both, so that an hour turning between them changes nothing.
        for (const TestDatabase *db : {&first, &second}) {
            QVERIFY(exec(*db, QStringLiteral("SELECT set_config('nobill.demo_anchor', "
                                             "date_trunc('hour', now())::text, false)")));
        }
        Status a = seedDemoData(first.connectionName());
        QVERIFY2(a, qPrintable(a ? QString() : describe(a.error())));
        Status b = seedDemoData(second.connectionName());
        QVERIFY2(b, qPrintable(b ? QString() : describe(b.error())));

        const QString fa = fingerprint(first);
        QCOMPARE(fa.size(), 32);
        QCOMPARE(fingerprint(second), fa);
        // ... while the ids are the databases' own.
        QVERIFY(scalar(first, QStringLiteral("SELECT id::text FROM organizations WHERE slug = "
                                             "'brightwave'"))
                    .toString() !=
                scalar(second, QStringLiteral("SELECT id::text FROM organizations WHERE slug = "
                                              "'brightwave'"))
                    .toString());
    }

    void seedingRefusesADatabaseInUse()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        Status seeded = seedDemoData(db.connectionName());
        QVERIFY2(seeded, qPrintable(seeded ? QString() : describe(seeded.error())));
        const int audit = count(db, QStringLiteral("audit_log"));

        Status again = seedDemoData(db.connectionName());
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Conflict);
        QVERIFY2(again.error().message.contains(QLatin1String("empty database")),
                 qPrintable(again.error().message));
        QCOMPARE(count(db, QStringLiteral("organizations")), 12);
        QCOMPARE(count(db, QStringLiteral("audit_log")), audit);
    }

    void aFailureLeavesNothingBehind()
    {
        // A clash that only the middle of the script meets: the whole seed must be refused
        // and rolled back, not stop half-way or report success.
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO products (name, stripe_product_id) VALUES "
                                        "('Existing API', 'prod_demo_api')")));
        Status seeded = seedDemoData(db.connectionName());
        QVERIFY(!seeded);
        QCOMPARE(seeded.error().kind, ErrorKind::Conflict);
        QVERIFY2(seeded.error().detail.contains(QLatin1String("products_stripe_product_id_key")),
                 qPrintable(seeded.error().detail));
        QCOMPARE(count(db, QStringLiteral("organizations")), 0);
        QCOMPARE(count(db, QStringLiteral("users")), 0);
        QCOMPARE(count(db, QStringLiteral("products")), 1);
        // The connection is usable afterwards (no transaction left open).
        QVERIFY(exec(db, QStringLiteral("SELECT 1")));
        QCOMPARE(scalar(db, QStringLiteral("SELECT current_setting('nobill.source')")).toString(),
                 QStringLiteral("cli"));
    }
};

QTEST_GUILESS_MAIN(DemoDataTest)
#include "tst_demodata.moc"
