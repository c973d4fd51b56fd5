// The audit log model over a real database: pages as the view asks (fetch-more), filters
// done by the database, jumping to a row. Checked by QAbstractItemModelTester.

#include "testcluster.h"

#include "audit/auditlistmodel.h"
#include "database/databaseworker.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

bool waitLoaded(AuditListModel &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}
} // namespace

class AuditModelTest : public QObject
{
    Q_OBJECT
private slots:
    void pagesLoadAsTheViewAsks()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(
            db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                               "SELECT 'Tenant ' || g, 'tenant-' || g, 't' || g || '@example.com',"
                               " 'EUR' FROM generate_series(1, 45) g;"
                               "UPDATE organizations SET city = 'Oslo' WHERE slug = 'tenant-7';")));
        DatabaseWorker worker(db.settings(), QStringLiteral("test-audit-model"));
        AuditListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(20);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.reload();
        QVERIFY(waitLoaded(model));
        const int total = model.totalCount();
        QVERIFY(total >= 46);
        QCOMPARE(model.rowCount(), 20);
        QVERIFY(model.canFetchMore({}));
        // Newest first: the update.
        QCOMPARE(model.data(model.index(0, AuditListModel::Action), AsyncTableModel::RawValueRole)
                     .toString(),
                 QStringLiteral("update"));
        QCOMPARE(model.data(model.index(0, AuditListModel::Action)).toString(),
                 QStringLiteral("Changed"));
        QCOMPARE(model.data(model.index(0, AuditListModel::Changed)).toString(),
                 QStringLiteral("city"));
        QCOMPARE(model.data(model.index(0, AuditListModel::Organization)).toString(),
                 QStringLiteral("Tenant 7"));

        while (model.canFetchMore({})) {
            model.fetchMore({});
            QVERIFY(waitLoaded(model));
        }
        QCOMPARE(model.rowCount(), total);
        QCOMPARE(failures.count(), 0);
        const qint64 newest = model.entryAt(0).id;
        QCOMPARE(model.entryAt(total - 1).id, newest - total + 1);
        QCOMPARE(model.rowOfId(QString::number(newest)), 0);

        // Filters go to the database and start over.
        model.setActionFilter(QStringLiteral("update"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 1);
        QCOMPARE(model.totalCount(), 1);
        model.setActionFilter(QString());
        model.setEntityFilter(QStringLiteral("organizations"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 46);
        model.setEntityFilter(QStringLiteral("plans"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 0);
        QVERIFY(!model.canFetchMore({}));

        // Oldest first through the view's sort.
        model.setEntityFilter(QString());
        model.sort(AuditListModel::Id, Qt::AscendingOrder);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.entryAt(0).id, newest - total + 1);
        model.sort(AuditListModel::Id, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));

        // A jump shows the trail from a row on, with every filter off.
        model.setActorFilter(QStringLiteral("nobody"));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 0);
        model.jumpToId(newest - 10);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.entryAt(0).id, newest - 10);
        QCOMPARE(model.totalCount(), total - 10);
        QVERIFY(model.query().actor.isEmpty());
    }
};

QTEST_MAIN(AuditModelTest)
#include "tst_auditmodel.moc"
