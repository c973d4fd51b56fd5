// The Usage list model over a real database: pages as the view asks, newest first or oldest
// first, a changed filter drops the answers of the old one. Checked by
// QAbstractItemModelTester.

#include "testcluster.h"

#include "database/databaseworker.h"
#include "usage/usagelistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                   "currency) VALUES ('%1', 'Acme Ltd', 'acme', "
                                   "'ap@acme.example', 'EUR')")
                        .arg(Acme)),
             qPrintable(q.lastError().text()));
    QVERIFY2(q.exec(QStringLiteral("INSERT INTO usage_records (organization_id, metric, "
                                   "quantity, occurred_at, idempotency_key) SELECT '%1', "
                                   "CASE WHEN g % 3 = 0 THEN 'storage_gb' ELSE 'api_calls' END, "
                                   "g * 1000, now() - g * interval '1 minute', 'k' || g "
                                   "FROM generate_series(1, 450) g")
                        .arg(Acme)),
             qPrintable(q.lastError().text()));
}

bool waitLoaded(UsageListModel &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}
} // namespace

class UsageModelTest : public QObject
{
    Q_OBJECT
private slots:
    void pagesAndColumns()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-usage-model"));
        UsageListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(200);
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 200);
        QCOMPARE(model.totalCount(), 450);
        QCOMPARE(model.columnCount(), int(UsageListModel::ColumnCount));
        QCOMPARE(model.data(model.index(0, UsageListModel::IdempotencyKey)).toString(),
                 QStringLiteral("k1"));
        QCOMPARE(model.data(model.index(0, UsageListModel::Quantity), AsyncTableModel::RawValueRole)
                     .toLongLong(),
                 1000);
        QCOMPARE(model.data(model.index(0, UsageListModel::Subscription)).toString(),
                 QStringLiteral("none"));
        QCOMPARE(model.data(model.index(0, UsageListModel::Reported)).toString(),
                 QStringLiteral("Not yet"));
        QCOMPARE(model.headerData(UsageListModel::Occurred, Qt::Horizontal).toString(),
                 QStringLiteral("Occurred"));
        while (model.canFetchMore({})) {
            model.fetchMore({});
            QVERIFY(waitLoaded(model));
        }
        QCOMPARE(model.rowCount(), 450);

        model.sort(UsageListModel::Occurred, Qt::AscendingOrder);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.data(model.index(0, UsageListModel::IdempotencyKey)).toString(),
                 QStringLiteral("k450"));
    }

    void filterChangeDropsOldAnswers()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-usage-model"));
        UsageListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        UsageQuery query;
        query.organizationId = Acme;
        model.setQuery(query);
        query.metric = QStringLiteral("storage_gb");
        model.setQuery(query); // before the first answer arrives
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 150);
        for (int row = 0; row < model.rowCount(); ++row)
            QCOMPARE(model.data(model.index(row, UsageListModel::Metric)).toString(),
                     QStringLiteral("storage_gb"));
    }
};

QTEST_MAIN(UsageModelTest)
#include "tst_usagemodel.moc"
