// The Subscriptions (and Invoices) list models over a real database: paging as the view
// scrolls, filters and sorting done by the database, late pages of an old filter dropped.
// Checked by QAbstractItemModelTester.

#include "testcluster.h"

#include "database/databaseworker.h"
#include "invoices/invoicelistmodel.h"
#include "subscriptions/subscriptionlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSet>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString ProPlan = QStringLiteral("00000000-0000-0000-0000-00000000c001");

// 450 subscriptions: two thirds in Acme, every fifth past due, renewals spread over 90 days;
// one invoice for each of the first 300.
void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(
        q.exec(
            QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
                " ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR'),"
                " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'EUR');"
                "INSERT INTO products (id, name) VALUES "
                " ('00000000-0000-0000-0000-00000000e001', 'Platform');"
                "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                " ('%3', '00000000-0000-0000-0000-00000000e001', 'Pro', 4900, 'EUR');"
                "INSERT INTO subscriptions (organization_id, plan_id, status, quantity,"
                "  current_period_start, current_period_end, stripe_subscription_id)"
                " SELECT CASE WHEN g % 3 = 0 THEN '%2'::uuid ELSE '%1'::uuid END, '%3',"
                "  CASE WHEN g % 5 = 0 THEN 'past_due' ELSE 'active' END, 1 + g % 10,"
                "  now() - interval '30 days', now() + (g % 90) * interval '1 day' + interval '1 "
                "hour',"
                "  'sub_' || lpad(g::text, 4, '0')"
                " FROM generate_series(1, 450) g;"
                "INSERT INTO invoices (organization_id, subscription_id, number, status, currency,"
                "  total, amount_due, amount_remaining)"
                " SELECT s.organization_id, s.id, 'INV-' || lpad(row_number() OVER ()::text, 4, "
                "'0'),"
                "  'open', 'EUR', 4900, 4900, 4900"
                " FROM (SELECT * FROM subscriptions ORDER BY stripe_subscription_id LIMIT 300) s;")
                .arg(Acme, Globex, ProPlan)),
        qPrintable(q.lastError().text()));
}

template <typename Model> bool waitLoaded(Model &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}
} // namespace

class SubscriptionListModelTest : public QObject
{
    Q_OBJECT
private slots:
    void pagesLoadAsTheViewAsks()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        SubscriptionListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(200);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 200);
        QCOMPARE(model.totalCount(), 450);
        QVERIFY(model.canFetchMore({}));
        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 400);
        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 450);
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(failures.count(), 0);

        // Every row once, soonest renewal first.
        QSet<QString> ids;
        QDateTime previous;
        for (int row = 0; row < model.rowCount(); ++row) {
            ids.insert(model.data(model.index(row, 0), AsyncTableModel::IdRole).toString());
            const QDateTime renews = model
                                         .data(model.index(row, SubscriptionListModel::Renews),
                                               AsyncTableModel::RawValueRole)
                                         .toDateTime();
            QVERIFY(!previous.isValid() || previous <= renews);
            previous = renews;
        }
        QCOMPARE(ids.size(), 450);

        // Display text and raw values.
        const int row = model.rowOfId(model.subscriptionAt(3).id);
        QCOMPARE(row, 3);
        QCOMPARE(model.data(model.index(0, SubscriptionListModel::Plan)).toString(),
                 QStringLiteral("Pro"));
        const Subscription &s = model.subscriptionAt(0);
        QCOMPARE(
            model.data(model.index(0, SubscriptionListModel::Amount), AsyncTableModel::RawValueRole)
                .toLongLong(),
            qint64(4900) * s.quantity);
        QVERIFY(model.data(model.index(0, SubscriptionListModel::Amount))
                    .toString()
                    .contains(QStringLiteral("EUR")));
        QCOMPARE(model.headerData(SubscriptionListModel::Renews, Qt::Horizontal).toString(),
                 QStringLiteral("Renews"));
    }

    void filtersAndSortGoToTheDatabase()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        SubscriptionListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        QVERIFY(waitLoaded(model));
        model.setOrganizationFilter(Globex);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 150);
        model.setStatusFilter(QStringLiteral("past_due"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 30);
        for (int row = 0; row < model.rowCount(); ++row) {
            QCOMPARE(model.data(model.index(row, SubscriptionListModel::Status)).toString(),
                     QStringLiteral("Past due"));
            QCOMPARE(model.data(model.index(row, SubscriptionListModel::Tenant)).toString(),
                     QStringLiteral("Globex Corp"));
        }
        model.setStatusFilter(QString());
        model.setOrganizationFilter(QString());
        model.setRenewalWindow(10); // g % 90 in 0..9, plus an hour: 50 subscriptions
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 50);
        model.setPlanFilter(ProPlan);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 50);
        model.setRenewalWindow(0);

        model.sort(SubscriptionListModel::Tenant, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.query().sort, SubscriptionSort::TenantName);
        QCOMPARE(model.data(model.index(0, SubscriptionListModel::Tenant)).toString(),
                 QStringLiteral("Globex Corp"));
        model.sort(SubscriptionListModel::StripeId, Qt::AscendingOrder); // not an indexed order
        QCOMPARE(model.query().sort, SubscriptionSort::TenantName);
    }

    void lateAnswersOfAnOldFilterAreDropped()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        SubscriptionListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        model.setOrganizationFilter(Acme);
        model.setStatusFilter(QStringLiteral("past_due"));
        model.setOrganizationFilter(Globex);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 30);
        QCOMPARE(model.rowCount(), 30);
    }

    void invoicesPageAndFilterToo()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        InvoiceListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(120);
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 300);
        QCOMPARE(model.rowCount(), 120);
        while (model.canFetchMore({})) {
            model.fetchMore({});
            QVERIFY(waitLoaded(model));
        }
        QCOMPARE(model.rowCount(), 300);
        QCOMPARE(model.data(model.index(0, InvoiceListModel::Total)).toString(),
                 QStringLiteral("49.00 EUR"));
        QCOMPARE(model.data(model.index(0, InvoiceListModel::Status)).toString(),
                 QStringLiteral("Open"));
        model.setStatusFilter(QStringLiteral("paid"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 0);
        QCOMPARE(model.rowCount(), 0);
        model.setStatusFilter(QString());
        model.setOrganizationFilter(Globex);
        model.sort(InvoiceListModel::Total, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 100);
    }
};

QTEST_MAIN(SubscriptionListModelTest)
#include "tst_subscriptionlistmodel.moc"
