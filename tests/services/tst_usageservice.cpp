// The usage service against a real PostgreSQL: keyset pages exact to the microsecond,
// filters, sums per day, week and month in the operator's zone, and row-level security.

#include "testcluster.h"
#include "testoperators.h"

#include "usage/usageservice.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning("%s in %s", qPrintable(q.lastError().text()), qPrintable(sql));
        return false;
    }
    return true;
}

// Acme: 500 records, one per hour from 2026-03-01 00:00 UTC, several in the same
// microsecond-distinct instants; Globex: 10 records.
bool seed(const TestDatabase &db)
{
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) "
                        "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                        "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                        .arg(Acme, Globex)) &&
           exec(db, QStringLiteral(
                        "INSERT INTO usage_records (organization_id, metric, quantity, "
                        "occurred_at, idempotency_key) SELECT '%1', CASE WHEN g % 5 = 0 THEN "
                        "'storage_gb' ELSE 'api_calls' END, g, timestamptz '2026-03-01 00:00Z' "
                        "+ (g / 2) * interval '1 hour' + (g % 2) * interval '1 microsecond', "
                        "'k' || g FROM generate_series(0, 499) g")
                        .arg(Acme)) &&
           exec(db, QStringLiteral("INSERT INTO usage_records (organization_id, metric, quantity, "
                                   "occurred_at, idempotency_key) SELECT '%1', 'api_calls', 1, "
                                   "timestamptz '2026-03-02 12:00Z', 'g' || g FROM "
                                   "generate_series(1, 10) g")
                        .arg(Globex));
}
} // namespace

class TestUsageService : public QObject
{
    Q_OBJECT
private slots:
    void pagesCoverEveryRowOnce();
    void filters();
    void aggregates();
    void operatorSeesOwnOrganizations();
};

void TestUsageService::pagesCoverEveryRowOnce()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    UsageService service(db.connectionName());
    for (bool descending : {true, false}) {
        UsageQuery query;
        query.descending = descending;
        QSet<QString> seen;
        std::optional<UsageCursor> after;
        int pages = 0;
        do {
            auto page = service.page(query, after, 37);
            QVERIFY2(page, page ? "" : qPrintable(page.error().message));
            for (const UsageRecord &r : page->rows) {
                QVERIFY2(!seen.contains(r.id), "a row came twice");
                seen.insert(r.id);
            }
            after = page->next;
            ++pages;
        } while (after);
        QCOMPARE(seen.size(), 510);
        QCOMPARE(pages, 14);
    }
    auto count = service.count(UsageQuery());
    QVERIFY(count);
    QCOMPARE(count.value(), 510);
}

void TestUsageService::filters()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    UsageService service(db.connectionName());
    UsageQuery query;
    query.organizationId = Acme;
    query.metric = QStringLiteral("storage_gb");
    QCOMPARE(service.count(query).value(), 100);
    query.metric.clear();
    query.from = QDateTime(QDate(2026, 3, 2), QTime(0, 0), Qt::UTC);
    query.to = QDateTime(QDate(2026, 3, 3), QTime(0, 0), Qt::UTC);
    QCOMPARE(service.count(query).value(), 48);
    auto page = service.page(query, std::nullopt, 5);
    QVERIFY(page);
    QCOMPARE(page->rows.first().organizationName, QStringLiteral("Acme Ltd"));
    QVERIFY(page->rows.first().occurredAt >= page->rows.last().occurredAt);
    UsageQuery bad;
    bad.organizationId = QStringLiteral("nope");
    QVERIFY(!service.count(bad));
}

void TestUsageService::aggregates()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    UsageService service(db.connectionName());
    UsageQuery query;
    query.organizationId = Acme;
    auto days = service.aggregate(query, UsageGranularity::Day, QStringLiteral("UTC"));
    QVERIFY2(days, days ? "" : qPrintable(days.error().message));
    QCOMPARE(days->buckets.size(), 11); // 250 hours
    QCOMPARE(days->buckets.first().start, QDate(2026, 3, 1));
    QCOMPARE(days->buckets.first().records, 48);
    qint64 total = 0;
    for (const UsageBucket &b : days->buckets)
        total += b.quantity;
    QCOMPARE(total, qint64(499 * 500 / 2));
    // In Berlin (UTC+1 in March) the first hour of March 1st UTC is still March 1st, the
    // last hour of each UTC day moves to the next day.
    auto berlin = service.aggregate(query, UsageGranularity::Day, QStringLiteral("Europe/Berlin"));
    QVERIFY(berlin);
    QCOMPARE(berlin->buckets.first().records, 46);
    auto weeks = service.aggregate(query, UsageGranularity::Week, QStringLiteral("UTC"));
    QVERIFY(weeks);
    QCOMPARE(weeks->buckets.first().start, QDate(2026, 2, 23)); // the Monday before
    auto months = service.aggregate(query, UsageGranularity::Month, QStringLiteral("UTC"));
    QVERIFY(months);
    QCOMPARE(months->buckets.size(), 1);
    QCOMPARE(months->buckets.first().records, 500);
    QVERIFY(!service.aggregate(query, UsageGranularity::Day, QStringLiteral("Mars/Olympus")));
}

void TestUsageService::operatorSeesOwnOrganizations()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    auto viewer = test::createOperator(db, QStringLiteral("vic"), false,
                                       {{Globex, QStringLiteral("viewer")}});
    QVERIFY2(viewer, viewer ? "" : qPrintable(viewer.error().message));
    ScopedConnection connection(viewer->settings);
    QVERIFY(connection.isOpen());
    UsageService service(connection.name());
    QCOMPARE(service.count(UsageQuery()).value(), 10);
    UsageQuery acme;
    acme.organizationId = Acme;
    QCOMPARE(service.count(acme).value(), 0);
}

QTEST_GUILESS_MAIN(TestUsageService)
#include "tst_usageservice.moc"
