// The Overview figures against a real PostgreSQL, with data whose figures are worked out by
// hand below: MRR normalisation and rounding, currencies, statuses, churn, failed payments,
// the usage trend in the operator's time zone, and what an operator of one organization sees.

#include "testcluster.h"
#include "testoperators.h"

#include "overview/overviewservice.h"

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
// Every figure is computed as of this moment: 13:00 in Berlin (UTC+1 until 29 March).
const QString T = QStringLiteral("2026-03-15 12:00:00+00");
const QString Berlin = QStringLiteral("Europe/Berlin");

bool exec(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql)) {
        qWarning("%s in %s", qPrintable(q.lastError().text()), qPrintable(sql));
        return false;
    }
    return true;
}

// "T - 10 days" and the like, as SQL.
QString at(const QString &offset)
{
    return QStringLiteral("(timestamptz '%1' %2)").arg(T, offset);
}

bool seedTenants(const TestDatabase &db)
{
    const QString c = db.connectionName();
    return exec(c, QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                  "currency) VALUES ('%1', 'Acme Ltd', 'acme', "
                                  "'ap@acme.example', 'EUR'), ('%2', 'Globex Corp', 'globex', "
                                  "'ap@globex.example', 'GBP')")
                       .arg(Acme, Globex)) &&
           exec(c, QStringLiteral("INSERT INTO products (id, name) VALUES "
                                  "('00000000-0000-0000-0000-00000000f001', 'Cloud')")) &&
           // key, amount, currency, interval, interval_count, usage type, metric
           exec(c, QStringLiteral(
                       "INSERT INTO plans (id, product_id, name, amount, currency, interval, "
                       "interval_count, usage_type, metric) "
                       "SELECT ('00000000-0000-0000-0000-0000000001' || k)::uuid, "
                       "'00000000-0000-0000-0000-00000000f001', n, a, cur, i, ic, u, m FROM "
                       "(VALUES ('01', 'Monthly EUR', 1000, 'EUR', 'month', 1, 'licensed', NULL),"
                       " ('02', 'Quarterly EUR', 1000, 'EUR', 'month', 3, 'licensed', NULL),"
                       " ('03', 'Yearly EUR', 10000, 'EUR', 'year', 1, 'licensed', NULL),"
                       " ('04', 'Weekly EUR', 100, 'EUR', 'week', 1, 'licensed', NULL),"
                       " ('05', 'Daily EUR', 10, 'EUR', 'day', 1, 'licensed', NULL),"
                       " ('06', 'Calls EUR', 5, 'EUR', 'month', 1, 'metered', 'api_calls'),"
                       " ('07', 'Monthly USD', 999, 'USD', 'month', 1, 'licensed', NULL),"
                       " ('08', 'Two years USD', 1001, 'USD', 'year', 2, 'licensed', NULL),"
                       " ('09', 'Yearly GBP', 3, 'GBP', 'year', 1, 'licensed', NULL)"
                       ") AS p(k, n, a, cur, i, ic, u, m)"));
}

bool addSubscription(const TestDatabase &db, const QString &org, const QString &plan,
                     const QString &status, int quantity, const QString &created,
                     const QString &canceled = {}, bool cancelAtPeriodEnd = false)
{
    return exec(db.connectionName(),
                QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status, "
                               "quantity, created_at, canceled_at, cancel_at_period_end) VALUES "
                               "('%1', '00000000-0000-0000-0000-0000000001%2', '%3', %4, %5, %6, "
                               "%7)")
                    .arg(org, plan, status)
                    .arg(quantity)
                    .arg(at(created), canceled.isEmpty() ? QStringLiteral("NULL") : at(canceled),
                         cancelAtPeriodEnd ? QStringLiteral("true") : QStringLiteral("false")));
}

bool addInvoice(const TestDatabase &db, const QString &org, const QString &number,
                const QString &status, const QString &currency, qint64 remaining,
                const QString &due, const QString &finalized)
{
    return exec(
        db.connectionName(),
        QStringLiteral("INSERT INTO invoices (organization_id, number, status, currency, "
                       "total, amount_due, amount_remaining, due_date, finalized_at) "
                       "VALUES ('%1', %2, '%3', '%4', %5, %5, %5, %6, %7)")
            .arg(org,
                 number.isEmpty() ? QStringLiteral("NULL") : QStringLiteral("'%1'").arg(number),
                 status, currency)
            .arg(remaining)
            .arg(due.isEmpty() ? QStringLiteral("NULL") : at(due),
                 finalized.isEmpty() ? QStringLiteral("NULL") : at(finalized)));
}

bool addUsage(const TestDatabase &db, const QString &org, const QString &metric, qint64 quantity,
              const QString &occurredUtc)
{
    static int key = 0;
    return exec(db.connectionName(),
                QStringLiteral("INSERT INTO usage_records (organization_id, metric, quantity, "
                               "occurred_at, idempotency_key) VALUES ('%1', '%2', %3, "
                               "timestamptz '%4', 'k%5')")
                    .arg(org, metric)
                    .arg(quantity)
                    .arg(occurredUtc)
                    .arg(++key));
}

// The data of every test. Figures worked out by hand:
//
// Acme, EUR MRR (active and past_due, licensed), in cents:
//   monthly 1000 × 2                    = 2000
//   quarterly 1000 / 3                  =  333.33…
//   yearly 10000 / 12 (past_due)        =  833.33…
//   weekly 100 × 52 / 12                =  433.33…
//   daily 10 × 365 / 12                 =  304.166…
//   monthly 1000 × 1, active although canceled_at is set (cancel at period end)
//                                       = 1000
//   sum = 58850 / 12 = 4904.1666…      -> 4904 (rounded once)
// Acme, USD: 999 + 1001 / 24 = 1040.708… -> 1041.
// Acme, metered: 1 active subscription excluded. Canceled 10 days ago: monthly × 5 (lost 5000
// EUR). Trialing (new) and incomplete: no MRR.
// Acme churn: 1 canceled in 30 days; live 30 days ago: the 10 created 100 days ago (the
// cancel-at-period-end one is still active, the canceled one ended 10 days ago) -> 10 %.
// Globex: EUR monthly × 7 = 7000; GBP 3 / 12 twice = 0.25 + 0.25 = 0.5 -> 1 (rounding each
// row would give 0); unpaid and paused count no MRR; canceled 40 days ago is neither churn
// nor live; live 30 days ago: 7000 one, 2 GBP, unpaid, paused = 5.
bool seedFigures(const TestDatabase &db)
{
    if (!seedTenants(db))
        return false;
    const QString old = QStringLiteral("- interval '100 days'");
    return addSubscription(db, Acme, QStringLiteral("01"), QStringLiteral("active"), 2, old) &&
           addSubscription(db, Acme, QStringLiteral("02"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("03"), QStringLiteral("past_due"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("04"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("05"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("01"), QStringLiteral("active"), 1, old,
                           QStringLiteral("- interval '40 days'"), true) &&
           addSubscription(db, Acme, QStringLiteral("06"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("07"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("08"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Acme, QStringLiteral("01"), QStringLiteral("canceled"), 5, old,
                           QStringLiteral("- interval '10 days'")) &&
           addSubscription(db, Acme, QStringLiteral("01"), QStringLiteral("trialing"), 1,
                           QStringLiteral("- interval '5 days'")) &&
           addSubscription(db, Acme, QStringLiteral("01"), QStringLiteral("incomplete"), 3,
                           QStringLiteral("- interval '60 days'")) &&
           addSubscription(db, Globex, QStringLiteral("01"), QStringLiteral("active"), 7, old) &&
           addSubscription(db, Globex, QStringLiteral("09"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Globex, QStringLiteral("09"), QStringLiteral("active"), 1, old) &&
           addSubscription(db, Globex, QStringLiteral("01"), QStringLiteral("unpaid"), 1, old) &&
           addSubscription(db, Globex, QStringLiteral("01"), QStringLiteral("paused"), 1, old) &&
           addSubscription(db, Globex, QStringLiteral("01"), QStringLiteral("canceled"), 2,
                           QStringLiteral("- interval '200 days'"),
                           QStringLiteral("- interval '40 days'")) &&
           addSubscription(db, Globex, QStringLiteral("01"), QStringLiteral("incomplete_expired"),
                           1, old);
}

// Open or uncollectible and due before T, newest due first:
//   GLOB-1 (due T-1d, 500 EUR), ACME-2 (charged automatically, finalized T-2d, 2000 EUR),
//   ACME-1 (due T-5d, 1000 EUR), ACME-3 (uncollectible, due T-20d, 3000 EUR),
//   GLOB-2 (uncollectible, charged automatically, finalized T-50d, 700 GBP).
// Not: ACME-4 (due tomorrow), ACME-5 (paid), a draft.
bool seedInvoices(const TestDatabase &db)
{
    const QString open = QStringLiteral("open");
    const QString lost = QStringLiteral("uncollectible");
    const QString eur = QStringLiteral("EUR");
    return addInvoice(db, Acme, QStringLiteral("ACME-1"), open, eur, 1000,
                      QStringLiteral("- interval '5 days'"),
                      QStringLiteral("- interval '35 days'")) &&
           addInvoice(db, Acme, QStringLiteral("ACME-2"), open, eur, 2000, QString(),
                      QStringLiteral("- interval '2 days'")) &&
           addInvoice(db, Acme, QStringLiteral("ACME-3"), lost, eur, 3000,
                      QStringLiteral("- interval '20 days'"),
                      QStringLiteral("- interval '50 days'")) &&
           addInvoice(db, Acme, QStringLiteral("ACME-4"), open, eur, 4000,
                      QStringLiteral("+ interval '1 day'"),
                      QStringLiteral("- interval '29 days'")) &&
           addInvoice(db, Acme, QStringLiteral("ACME-5"), QStringLiteral("paid"), eur, 0,
                      QStringLiteral("- interval '3 days'"),
                      QStringLiteral("- interval '33 days'")) &&
           addInvoice(db, Acme, QString(), QStringLiteral("draft"), eur, 6000, QString(),
                      QString()) &&
           addInvoice(db, Globex, QStringLiteral("GLOB-1"), open, eur, 500,
                      QStringLiteral("- interval '1 day'"),
                      QStringLiteral("- interval '31 days'")) &&
           addInvoice(db, Globex, QStringLiteral("GLOB-2"), lost, QStringLiteral("GBP"), 700,
                      QString(), QStringLiteral("- interval '50 days'"));
}

// Days in Berlin; the 90 days end with 15 March 2026 and begin with 16 December 2025.
//   Acme api_calls: 23:30 UTC on 14 March is 00:30 on the 15th in Berlin (day 89) 10, plus
//   10:00 UTC on the 15th 5 -> day 89: 15; 12:00 UTC on the 14th -> day 88: 7.
//   Acme storage_gb: 23:30 UTC on 15 December is 00:30 on the 16th in Berlin -> day 0: 3;
//   22:30 UTC on 15 December is still the 15th in Berlin: outside. 23:30 UTC on 15 March is
//   the 16th in Berlin: outside (in UTC it is today, which counts whole).
//   Globex api_calls: 12:00 UTC on 10 March -> day 84: 50.
bool seedUsage(const TestDatabase &db)
{
    const QString calls = QStringLiteral("api_calls");
    const QString storage = QStringLiteral("storage_gb");
    return addUsage(db, Acme, calls, 10, QStringLiteral("2026-03-14 23:30:00+00")) &&
           addUsage(db, Acme, calls, 5, QStringLiteral("2026-03-15 10:00:00+00")) &&
           addUsage(db, Acme, calls, 7, QStringLiteral("2026-03-14 12:00:00+00")) &&
           addUsage(db, Acme, storage, 3, QStringLiteral("2025-12-15 23:30:00+00")) &&
           addUsage(db, Acme, storage, 100, QStringLiteral("2025-12-15 22:30:00+00")) &&
           addUsage(db, Acme, calls, 1000, QStringLiteral("2026-03-15 23:30:00+00")) &&
           addUsage(db, Globex, calls, 50, QStringLiteral("2026-03-10 12:00:00+00"));
}

OverviewOptions options()
{
    OverviewOptions o;
    o.asOf = QDateTime::fromString(QStringLiteral("2026-03-15T12:00:00Z"), Qt::ISODate);
    o.timeZone = Berlin;
    return o;
}

QList<QPair<QString, qint64>> amounts(const QList<CurrencyAmount> &list)
{
    QList<QPair<QString, qint64>> result;
    for (const CurrencyAmount &a : list)
        result.append({a.currency, a.minorUnits});
    return result;
}

int statusCount(const OverviewFigures &f, const QString &status)
{
    for (const SubscriptionStatusCount &s : f.statusCounts)
        if (s.status == status)
            return s.count;
    return -1;
}

QStringList failedNumbers(const OverviewFigures &f)
{
    QStringList numbers;
    for (const FailedPayment &p : f.failedPayments)
        numbers << p.number;
    return numbers;
}

// metric -> {day index: quantity} for the days that are not zero.
QMap<QString, QMap<int, qint64>> trend(const OverviewFigures &f)
{
    QMap<QString, QMap<int, qint64>> result;
    for (const UsageSeries &s : f.usageTrend) {
        if (s.daily.size() != OverviewFigures::TrendDays)
            return {};
        QMap<int, qint64> &days = result[s.metric];
        for (int i = 0; i < s.daily.size(); ++i)
            if (s.daily.at(i) != 0)
                days.insert(i, s.daily.at(i));
    }
    return result;
}

Result<OverviewFigures> figuresAs(const QString &connection, const std::optional<QString> &org,
                                  const OverviewOptions &o = options())
{
    return OverviewService(connection).figures(org, o);
}

#define REQUIRE_OK(result)                                                                         \
    QVERIFY2((result).isOk(), qPrintable((result).isOk() ? QString() : (result).error().message))
} // namespace

class OverviewServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void mrrPerCurrencyNormalisedAndRoundedOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedFigures(db));

        auto acme = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(acme);
        using Amounts = QList<QPair<QString, qint64>>;
        QCOMPARE(amounts(acme->mrr),
                 (Amounts{{QStringLiteral("EUR"), 4904}, {QStringLiteral("USD"), 1041}}));
        QCOMPARE(acme->mrr.at(0).subscriptions, 6);
        QCOMPARE(acme->mrr.at(1).subscriptions, 2);
        QCOMPARE(acme->meteredSubscriptionsExcluded, 1);

        // Two quarters of a penny make half a penny, which rounds up: rounded per row, it
        // would be nothing.
        auto globex = figuresAs(db.connectionName(), Globex);
        REQUIRE_OK(globex);
        QCOMPARE(amounts(globex->mrr),
                 (Amounts{{QStringLiteral("EUR"), 7000}, {QStringLiteral("GBP"), 1}}));
        QCOMPARE(globex->meteredSubscriptionsExcluded, 0);

        // All organizations: 58850/12 + 7000 = 11904.17 EUR cents; currencies kept apart.
        auto all = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(all);
        QCOMPARE(amounts(all->mrr), (Amounts{{QStringLiteral("EUR"), 11904},
                                             {QStringLiteral("GBP"), 1},
                                             {QStringLiteral("USD"), 1041}}));
        QCOMPARE(all->asOf, options().asOf.value());
    }

    void roundsHalfUpOnExactFractions()
    {
        // 1/3 + 1/6 of a cent is exactly one half: up. 1/3 + 1/3 + ... never crosses wrongly.
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedTenants(db));
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency, "
                                    "interval, interval_count) VALUES "
                                    "('00000000-0000-0000-0000-000000000111', "
                                    "'00000000-0000-0000-0000-00000000f001', 'Q', 1, 'JPY', "
                                    "'month', 3), ('00000000-0000-0000-0000-000000000112', "
                                    "'00000000-0000-0000-0000-00000000f001', 'S', 1, 'JPY', "
                                    "'month', 6)")));
        const QString old = QStringLiteral("- interval '100 days'");
        QVERIFY(addSubscription(db, Acme, QStringLiteral("11"), QStringLiteral("active"), 1, old));
        QVERIFY(addSubscription(db, Acme, QStringLiteral("12"), QStringLiteral("active"), 1, old));
        auto f = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(f);
        QCOMPARE(f->mrr.size(), 1);
        QCOMPARE(f->mrr.at(0).currency, QStringLiteral("JPY"));
        QCOMPARE(f->mrr.at(0).minorUnits, qint64(1));
    }

    void statusCountsIncludeZeros()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedFigures(db));
        auto acme = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(acme);
        QCOMPARE(acme->statusCounts.size(), 8);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("active")), 8);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("past_due")), 1);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("canceled")), 1);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("trialing")), 1);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("incomplete")), 1);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("incomplete_expired")), 0);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("unpaid")), 0);
        QCOMPARE(statusCount(acme.value(), QStringLiteral("paused")), 0);

        auto all = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(all);
        QCOMPARE(statusCount(all.value(), QStringLiteral("active")), 11);
        QCOMPARE(statusCount(all.value(), QStringLiteral("canceled")), 2);
        QCOMPARE(statusCount(all.value(), QStringLiteral("unpaid")), 1);
        QCOMPARE(statusCount(all.value(), QStringLiteral("paused")), 1);
        QCOMPARE(statusCount(all.value(), QStringLiteral("incomplete_expired")), 1);

        TestDatabase empty;
        NOBILL_REQUIRE_DB(empty);
        auto none = figuresAs(empty.connectionName(), std::nullopt);
        REQUIRE_OK(none);
        QCOMPARE(none->statusCounts.size(), 8);
        for (const SubscriptionStatusCount &s : none->statusCounts)
            QCOMPARE(s.count, 0);
        QVERIFY(none->mrr.isEmpty());
        QVERIFY(!none->churnRate().has_value());
        QVERIFY(none->usageTrend.isEmpty());
    }

    void churnOfTheLastThirtyDays()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedFigures(db));
        auto acme = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(acme);
        // Live 30 days ago: the nine created 100 days ago and not canceled before then (the
        // one canceled 40 days ago "at period end" is still active), plus the one canceled
        // 10 days ago; not the trial of 5 days nor the incomplete one.
        QCOMPARE(acme->canceledInWindow, 1);
        QCOMPARE(acme->liveAtWindowStart, 10);
        QCOMPARE(acme->churnRate().value_or(-1), 0.1);
        QCOMPARE(amounts(acme->lostMrr),
                 (QList<QPair<QString, qint64>>{{QStringLiteral("EUR"), 5000}}));
        QCOMPARE(acme->churnWindowStart,
                 QDateTime::fromString(QStringLiteral("2026-02-13T12:00:00Z"), Qt::ISODate));

        auto globex = figuresAs(db.connectionName(), Globex);
        REQUIRE_OK(globex);
        QCOMPARE(globex->canceledInWindow, 0);
        QCOMPARE(globex->liveAtWindowStart, 5);
        QVERIFY(globex->lostMrr.isEmpty());

        auto all = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(all);
        QCOMPARE(all->canceledInWindow, 1);
        QCOMPARE(all->liveAtWindowStart, 15);
    }

    void failedPaymentsNewestFirst()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedTenants(db));
        QVERIFY(seedInvoices(db));
        auto all = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(all);
        QCOMPARE(failedNumbers(all.value()),
                 (QStringList{QStringLiteral("GLOB-1"), QStringLiteral("ACME-2"),
                              QStringLiteral("ACME-1"), QStringLiteral("ACME-3"),
                              QStringLiteral("GLOB-2")}));
        QCOMPARE(all->failedPaymentCount, 5);
        QCOMPARE(amounts(all->failedPaymentTotals),
                 (QList<QPair<QString, qint64>>{{QStringLiteral("EUR"), 6500},
                                                {QStringLiteral("GBP"), 700}}));
        const FailedPayment &first = all->failedPayments.at(0);
        QCOMPARE(first.organizationName, QStringLiteral("Globex Corp"));
        QCOMPARE(first.amountRemaining, qint64(500));
        QCOMPARE(first.currency, QStringLiteral("EUR"));
        QVERIFY(!first.chargedAutomatically);
        QCOMPARE(first.dueAt,
                 QDateTime::fromString(QStringLiteral("2026-03-14T12:00:00Z"), Qt::ISODate));
        QVERIFY(all->failedPayments.at(1).chargedAutomatically);
        QCOMPARE(all->failedPayments.at(3).status, QStringLiteral("uncollectible"));

        // The list is the most recent few; the count and totals are of all of them.
        OverviewOptions two = options();
        two.failedPaymentLimit = 2;
        auto limited = figuresAs(db.connectionName(), std::nullopt, two);
        REQUIRE_OK(limited);
        QCOMPARE(failedNumbers(limited.value()),
                 (QStringList{QStringLiteral("GLOB-1"), QStringLiteral("ACME-2")}));
        QCOMPARE(limited->failedPaymentCount, 5);

        auto acme = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(acme);
        QCOMPARE(failedNumbers(acme.value()),
                 (QStringList{QStringLiteral("ACME-2"), QStringLiteral("ACME-1"),
                              QStringLiteral("ACME-3")}));
    }

    void usageTrendInTheOperatorsDays()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedTenants(db));
        QVERIFY(seedUsage(db));
        using Days = QMap<int, qint64>;
        using Trend = QMap<QString, Days>;

        auto acme = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(acme);
        QCOMPARE(acme->trendFirstDay, QDate(2025, 12, 16));
        QCOMPARE(acme->timeZone, Berlin);
        QCOMPARE(trend(acme.value()), (Trend{{QStringLiteral("api_calls"), Days{{88, 7}, {89, 15}}},
                                             {QStringLiteral("storage_gb"), Days{{0, 3}}}}));
        QCOMPARE(acme->usageTrend.at(0).metric, QStringLiteral("api_calls"));

        // All organizations, as the owner (a platform administrator): from the quarter-hour
        // totals, with the same day boundaries.
        const Trend everything{{QStringLiteral("api_calls"), Days{{84, 50}, {88, 7}, {89, 15}}},
                               {QStringLiteral("storage_gb"), Days{{0, 3}}}};
        auto all = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(all);
        QCOMPARE(trend(all.value()), everything);

        // In UTC the record of 23:30 on 14 March belongs to the 14th, and the one of 23:30 on
        // 15 March to today (whole days count, today included).
        OverviewOptions utc = options();
        utc.timeZone = QStringLiteral("UTC");
        auto inUtc = figuresAs(db.connectionName(), Acme, utc);
        REQUIRE_OK(inUtc);
        QCOMPARE(inUtc->trendFirstDay, QDate(2025, 12, 16));
        QCOMPARE(trend(inUtc.value()),
                 (Trend{{QStringLiteral("api_calls"), Days{{88, 17}, {89, 1005}}}}));

        // The totals follow updates and deletions, and agree with the records they sum (an
        // operator of both organizations who is no platform admin reads the records).
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("UPDATE usage_records SET quantity = 70 WHERE quantity = 7")));
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("UPDATE usage_records SET occurred_at = occurred_at - "
                                    "interval '1 day' WHERE quantity = 50")));
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("DELETE FROM usage_records WHERE metric = 'storage_gb'")));
        const Trend changed{{QStringLiteral("api_calls"), Days{{83, 50}, {88, 70}, {89, 15}}}};
        auto after = figuresAs(db.connectionName(), std::nullopt);
        REQUIRE_OK(after);
        QCOMPARE(trend(after.value()), changed);
        auto both = test::createOperator(
            db, QStringLiteral("both"), false,
            {{Acme, QStringLiteral("viewer")}, {Globex, QStringLiteral("viewer")}});
        QVERIFY2(both, qPrintable(both ? QString() : both.error().message));
        ScopedConnection connection(both.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        auto fromRecords = figuresAs(connection.name(), std::nullopt);
        REQUIRE_OK(fromRecords);
        QCOMPARE(trend(fromRecords.value()), changed);
        QSqlQuery rest(QSqlDatabase::database(db.connectionName()));
        QVERIFY(rest.exec(QStringLiteral("SELECT count(*) FROM usage_totals WHERE metric = "
                                         "'storage_gb'")) &&
                rest.next());
        QCOMPARE(rest.value(0).toInt(), 0);
    }

    void operatorSeesOnlyTheirOrganizations()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedFigures(db));
        QVERIFY(seedInvoices(db));
        QVERIFY(seedUsage(db));
        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : viewer.error().message));
        ScopedConnection connection(viewer.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));

        auto owners = figuresAs(db.connectionName(), Acme);
        REQUIRE_OK(owners);
        // "All organizations" for Acme's viewer is Acme: the same figures as Acme alone.
        auto mine = figuresAs(connection.name(), std::nullopt);
        REQUIRE_OK(mine);
        QCOMPARE(amounts(mine->mrr), amounts(owners->mrr));
        QCOMPARE(mine->meteredSubscriptionsExcluded, 1);
        QCOMPARE(statusCount(mine.value(), QStringLiteral("active")), 8);
        QCOMPARE(statusCount(mine.value(), QStringLiteral("paused")), 0);
        QCOMPARE(mine->canceledInWindow, 1);
        QCOMPARE(mine->liveAtWindowStart, 10);
        QCOMPARE(failedNumbers(mine.value()),
                 (QStringList{QStringLiteral("ACME-2"), QStringLiteral("ACME-1"),
                              QStringLiteral("ACME-3")}));
        QCOMPARE(mine->failedPaymentCount, 3);
        QCOMPARE(trend(mine.value()), trend(owners.value()));
        auto acme = figuresAs(connection.name(), Acme);
        REQUIRE_OK(acme);
        QCOMPARE(amounts(acme->mrr), amounts(owners->mrr));

        // Globex is none of their business: not found, rather than zeros.
        auto globex = figuresAs(connection.name(), Globex);
        QVERIFY(!globex);
        QCOMPARE(globex.error().kind, ErrorKind::NotFound);
        auto malformed = figuresAs(connection.name(), QStringLiteral("not-a-uuid"));
        QVERIFY(!malformed);
        QCOMPARE(malformed.error().kind, ErrorKind::NotFound);

        // Nor can they read the platform's usage totals directly.
        QSqlQuery q(connection.database());
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM usage_totals")) && q.next());
        QCOMPARE(q.value(0).toInt(), 0);
    }

    void defaultsToNowAndUtc()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seedTenants(db));
        QVERIFY(exec(db.connectionName(),
                     QStringLiteral("INSERT INTO usage_records (organization_id, metric, "
                                    "quantity, occurred_at, idempotency_key) VALUES ('%1', "
                                    "'api_calls', 4, now(), 'now')")
                         .arg(Acme)));
        const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-60);
        auto f = OverviewService(db.connectionName()).figures(std::nullopt);
        REQUIRE_OK(f);
        QVERIFY(f->asOf >= before);
        QCOMPARE(f->timeZone, QStringLiteral("UTC"));
        QCOMPARE(f->trendFirstDay, f->asOf.toUTC().date().addDays(-89));
        QCOMPARE(f->usageTrend.size(), 1);
        QCOMPARE(f->usageTrend.at(0).daily.last(), qint64(4));
    }
};

QTEST_MAIN(OverviewServiceTest)
#include "tst_overviewservice.moc"
