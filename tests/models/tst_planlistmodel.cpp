// The Plans model over a real database: pages fetched as the view asks, sort and filters
// done by the database, terms formatted for reading, late pages of an old filter dropped.
// Checked by QAbstractItemModelTester.

#include "testcluster.h"

#include "core/translations.h"
#include "database/databaseworker.h"
#include "plans/planlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Cloud = QStringLiteral("00000000-0000-0000-0000-0000000000c1");
const QString Api = QStringLiteral("00000000-0000-0000-0000-0000000000c2");

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text() + QStringLiteral(" in ") + sql));
}

// `count` Cloud plans named "Plan 0001".., every tenth archived, every fifth metered in USD;
// and one API plan billed every three months with a trial.
void insertPlans(const TestDatabase &db, int count)
{
    exec(db, QStringLiteral("INSERT INTO products (id, name) VALUES ('%1', 'Cloud'), "
                            "('%2', 'API')")
                 .arg(Cloud, Api));
    exec(db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, usage_type, "
                            "metric, archived_at) "
                            "SELECT '%1', 'Plan ' || lpad(g::text, 4, '0'), 100 * g, "
                            "CASE WHEN g % 5 = 0 THEN 'USD' ELSE 'EUR' END, "
                            "CASE WHEN g % 5 = 0 THEN 'metered' ELSE 'licensed' END, "
                            "CASE WHEN g % 5 = 0 THEN 'api_calls' END, "
                            "CASE WHEN g % 10 = 0 THEN now() END "
                            "FROM generate_series(1, %2) g")
                 .arg(Cloud)
                 .arg(count));
    exec(db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, interval, "
                            "interval_count, trial_days) VALUES "
                            "('%1', 'Quarterly', 123456, 'EUR', 'month', 3, 14)")
                 .arg(Api));
}

bool waitLoaded(PlanListModel &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}

int rowNamed(const PlanListModel &model, const QString &name)
{
    for (int row = 0; row < model.rowCount(); ++row) {
        if (model.planAt(row).name == name)
            return row;
    }
    return -1;
}
} // namespace

class PlanListModelTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedStates));
    }

    void pagesLoadAsTheViewAsks()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertPlans(db, 119);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-plans"));
        PlanListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(50);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 50);
        QCOMPARE(model.totalCount(), 120);
        QVERIFY(model.canFetchMore({}));
        // By product, then name: API's plan first.
        QCOMPARE(model.data(model.index(0, PlanListModel::Name)).toString(),
                 QStringLiteral("Quarterly"));

        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 100);
        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 120);
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(model.data(model.index(119, PlanListModel::Name)).toString(),
                 QStringLiteral("Plan 0119"));
        QCOMPARE(failures.count(), 0);

        // Terms as finance reads them.
        const int quarterly = rowNamed(model, QStringLiteral("Quarterly"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Product)).toString(),
                 QStringLiteral("API"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Price)).toString(),
                 QStringLiteral("1,234.56 EUR"));
        QCOMPARE(
            model.data(model.index(quarterly, PlanListModel::Price), AsyncTableModel::RawValueRole)
                .toLongLong(),
            123456LL);
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Billing)).toString(),
                 QStringLiteral("Every 3 months"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Usage)).toString(),
                 QStringLiteral("Per seat"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Trial)).toString(),
                 QStringLiteral("14 days"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Subscribers)).toString(),
                 QStringLiteral("0"));
        QCOMPARE(model.data(model.index(quarterly, PlanListModel::Status)).toString(),
                 QStringLiteral("Active"));
        const int metered = rowNamed(model, QStringLiteral("Plan 0010"));
        QCOMPARE(model.data(model.index(metered, PlanListModel::Usage)).toString(),
                 QStringLiteral("Metered"));
        QCOMPARE(model.data(model.index(metered, PlanListModel::Metric)).toString(),
                 QStringLiteral("api_calls"));
        QCOMPARE(model.data(model.index(metered, PlanListModel::Billing)).toString(),
                 QStringLiteral("Monthly"));
        QCOMPARE(model.data(model.index(metered, PlanListModel::Status)).toString(),
                 QStringLiteral("Archived"));
        QCOMPARE(model.data(model.index(metered, PlanListModel::Trial)).toString(),
                 QStringLiteral("None"));
        const QString id = model.data(model.index(metered, 0), AsyncTableModel::IdRole).toString();
        QCOMPARE(model.rowOfId(id), metered);
    }

    void sortAndFiltersAreDoneByTheDatabase()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertPlans(db, 80);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-plans"));
        PlanListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(20);
        model.reload();
        QVERIFY(waitLoaded(model));

        model.sort(PlanListModel::Price, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));
        // The dearest USD plan of all 81 rows, not of the 20 loaded: the database sorted.
        QCOMPARE(model.data(model.index(0, PlanListModel::Price)).toString(),
                 QStringLiteral("80.00 USD"));
        model.sort(PlanListModel::Metric, Qt::AscendingOrder); // not sortable: no change
        QVERIFY(!model.isLoading());
        QCOMPARE(model.query().sort, PlanSort::Price);

        model.setProductFilter(Cloud);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 80);
        model.setCurrencyFilter(QStringLiteral("USD"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 16);
        model.setStatusFilter(QStringLiteral("archived"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 8);
        QCOMPARE(model.rowCount(), 8);
        QVERIFY(!model.canFetchMore({}));
        model.setStatusFilter(QStringLiteral("active"));
        model.setCurrencyFilter(QString());
        model.setUsageTypeFilter(QStringLiteral("licensed"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 64);
        model.setUsageTypeFilter(QString());
        model.setStatusFilter(QString());
        model.setProductFilter(QString());
        model.setFilterText(QStringLiteral("plan 004"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 10);
    }

    void onlyTheNewestFilterWins()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertPlans(db, 60);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-plans"));
        PlanListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        // Several filter changes before any answer arrives: only the last may show.
        model.setFilterText(QStringLiteral("Plan 00"));
        model.setFilterText(QStringLiteral("Plan 002"));
        model.setProductFilter(Cloud);
        QVERIFY(waitLoaded(model));
        QTest::qWait(100); // let any stale answer arrive; it must be dropped
        QCOMPARE(model.rowCount(), 10);
        for (int row = 0; row < model.rowCount(); ++row)
            QVERIFY(model.planAt(row).name.startsWith(QLatin1String("Plan 002")));
    }

    void aChangedPlanIsReplacedInPlace()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertPlans(db, 5);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-plans"));
        PlanListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        QVERIFY(waitLoaded(model));
        QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
        Plan plan = model.planAt(2);
        plan.archivedAt = QDateTime::currentDateTimeUtc();
        model.updatePlan(plan);
        QCOMPARE(changed.count(), 1);
        QCOMPARE(model.data(model.index(2, PlanListModel::Status)).toString(),
                 QStringLiteral("Archived"));
        QCOMPARE(model.rowCount(), 6);
    }

    void failureIsReportedInPlainWords()
    {
        ConnectionSettings nowhere;
        nowhere.host = QStringLiteral("127.0.0.1");
        nowhere.port = 1; // nothing listens there
        nowhere.user = QStringLiteral("nobody");
        DatabaseWorker worker(nowhere, QStringLiteral("test-plans-down"));
        PlanListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(failures.wait(15000));
        QVERIFY(!failures.first().first().toString().isEmpty());
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({})); // no retry storm until the next reload
    }
};

QTEST_GUILESS_MAIN(PlanListModelTest)
#include "tst_planlistmodel.moc"
