// The Tenants model over a real database: paging as the view scrolls, sort and filter done
// by the database, late pages of an old filter dropped. Checked by QAbstractItemModelTester.

#include "testcluster.h"

#include "database/databaseworker.h"
#include "tenants/tenantlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
void insertTenants(const TestDatabase &db, int count)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(QStringLiteral(
                        "INSERT INTO organizations (name, slug, billing_email, currency, status) "
                        "SELECT 'Tenant ' || lpad(g::text, 4, '0'), 'tenant-' || g, "
                        "'t' || g || '@example.com', 'EUR', "
                        "CASE WHEN g % 10 = 0 THEN 'suspended' ELSE 'active' END "
                        "FROM generate_series(1, %1) g")
                        .arg(count)),
             qPrintable(q.lastError().text()));
}

bool waitLoaded(TenantListModel &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}
} // namespace

class TenantListModelTest : public QObject
{
    Q_OBJECT
private slots:
    void pagesLoadAsTheViewAsks()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertTenants(db, 450);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        TenantListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(200);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 200);
        QCOMPARE(model.totalCount(), 450);
        QVERIFY(model.canFetchMore({}));
        QCOMPARE(model.data(model.index(0, TenantListModel::Name)).toString(),
                 QStringLiteral("Tenant 0001"));

        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 400);
        model.fetchMore({});
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 450);
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(model.data(model.index(449, TenantListModel::Name)).toString(),
                 QStringLiteral("Tenant 0450"));
        QCOMPARE(failures.count(), 0);

        // Raw values for sorting and the id for keeping a selection.
        const QModelIndex status = model.index(9, TenantListModel::Status);
        QCOMPARE(model.data(status, AsyncTableModel::RawValueRole).toString(),
                 QStringLiteral("suspended"));
        QCOMPARE(model.data(status).toString(), QStringLiteral("Suspended"));
        const QString id = model.data(status, AsyncTableModel::IdRole).toString();
        QCOMPARE(model.rowOfId(id), 9);
    }

    void sortAndFilterAreDoneByTheDatabase()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertTenants(db, 300);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        TenantListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(50);
        model.reload();
        QVERIFY(waitLoaded(model));

        model.sort(TenantListModel::Name, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));
        // The first row of all 300, not of the 50 loaded: the database sorted.
        QCOMPARE(model.data(model.index(0, TenantListModel::Name)).toString(),
                 QStringLiteral("Tenant 0300"));

        model.setStatusFilter(QStringLiteral("suspended"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 30);
        QCOMPARE(model.rowCount(), 30);
        QVERIFY(!model.canFetchMore({}));

        model.setStatusFilter(QString());
        model.setFilterText(QStringLiteral("tenant-12"));
        QVERIFY(waitLoaded(model));
        // tenant-12, tenant-120..129: eleven slugs contain "tenant-12".
        QCOMPARE(model.totalCount(), 11);
    }

    void onlyTheNewestFilterWins()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        insertTenants(db, 120);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-model"));
        TenantListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.reload();
        // Several filter changes before any answer arrives: only the last may show.
        model.setFilterText(QStringLiteral("Tenant 00"));
        model.setFilterText(QStringLiteral("Tenant 01"));
        model.setFilterText(QStringLiteral("Tenant 011"));
        QVERIFY(waitLoaded(model));
        QTest::qWait(100); // let any stale answer arrive; it must be dropped
        QCOMPARE(model.rowCount(), 10);
        for (int row = 0; row < model.rowCount(); ++row) {
            QVERIFY(model.data(model.index(row, TenantListModel::Name))
                        .toString()
                        .startsWith(QLatin1String("Tenant 011")));
        }
    }

    void failureIsReportedInPlainWords()
    {
        ConnectionSettings nowhere;
        nowhere.host = QStringLiteral("127.0.0.1");
        nowhere.port = 1; // nothing listens there
        nowhere.user = QStringLiteral("nobody");
        DatabaseWorker worker(nowhere, QStringLiteral("test-model-down"));
        TenantListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(failures.wait(10000));
        const QString message = failures.first().first().toString();
        QVERIFY2(message.contains(QLatin1String("cannot be reached")), qPrintable(message));
        QVERIFY(!model.isLoading());
        QVERIFY(!model.canFetchMore({})); // no retry storm; Retry reloads
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_GUILESS_MAIN(TenantListModelTest)
#include "tst_tenantlistmodel.moc"
