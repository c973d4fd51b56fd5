// The Roles models over a real database: the role list of an organization, and the
// permission matrix: built-in columns and platform rows read-only, edits collected and saved
// together, a refused save keeps the edits. Checked by QAbstractItemModelTester.

#include "testcluster.h"

#include "database/databaseworker.h"
#include "roles/permissionmatrixmodel.h"
#include "roles/rolelistmodel.h"
#include "roles/roleservice.h"

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
const QString Clerk = QStringLiteral("00000000-0000-0000-0000-0000000000c1");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    for (const QString &sql :
         {QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                         "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR')")
              .arg(Acme),
          QStringLiteral("INSERT INTO roles (id, organization_id, name, description) VALUES "
                         "('%1', '%2', 'Clerk', 'Keeps the books')")
              .arg(Clerk, Acme),
          QStringLiteral("INSERT INTO role_permissions (role_id, permission_key) VALUES "
                         "('%1', 'tenants.read')")
              .arg(Clerk)}) {
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
    }
}
} // namespace

class RoleModelsTest : public QObject
{
    Q_OBJECT
private slots:
    void roleList()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-roles"));
        RoleListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setOrganization(Acme);
        QTRY_VERIFY_WITH_TIMEOUT(!model.isLoading() && model.rowCount() > 0, 10000);
        QCOMPARE(model.rowCount(), 6);
        QCOMPARE(model.totalCount(), 6);
        QVERIFY(!model.canFetchMore({}));
        QCOMPARE(model.data(model.index(0, RoleListModel::Name)).toString(),
                 QStringLiteral("Owner"));
        QCOMPARE(model.data(model.index(5, RoleListModel::Name)).toString(),
                 QStringLiteral("Clerk"));
        QCOMPARE(model.data(model.index(5, RoleListModel::Kind), AsyncTableModel::RawValueRole)
                     .toString(),
                 QStringLiteral("custom"));
        QCOMPARE(model.data(model.index(5, RoleListModel::Permissions)).toString(),
                 QStringLiteral("1"));
        QCOMPARE(model.rowOfId(Clerk), 5);

        model.setOrganization(QString());
        QTRY_VERIFY_WITH_TIMEOUT(!model.isLoading(), 10000);
        QCOMPARE(model.rowCount(), 0);
    }

    void matrixIsReadOnlyWhereItMustBeAndSavesTogether()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-matrix"));
        PermissionMatrixModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QSignalSpy loaded(&model, &PermissionMatrixModel::loaded);
        model.setOrganization(Acme);
        QVERIFY(loaded.wait(10000));
        QCOMPARE(model.rowCount(), 15);
        QCOMPARE(model.columnCount(), 6);
        QCOMPARE(model.headerData(5, Qt::Horizontal).toString(), QStringLiteral("Clerk"));
        QCOMPARE(model.organizationName(), QStringLiteral("Acme Ltd"));

        const int clerk = model.columnOfRole(Clerk);
        const int admin = 1;
        const int tenantsRead = model.rowOfPermission(QStringLiteral("tenants.read"));
        const int invoicesManage = model.rowOfPermission(QStringLiteral("invoices.manage"));
        const int plansManage = model.rowOfPermission(QStringLiteral("plans.manage"));
        QCOMPARE(model.data(model.index(tenantsRead, clerk), Qt::CheckStateRole).toInt(),
                 int(Qt::Checked));
        QVERIFY(model.flags(model.index(invoicesManage, clerk)) & Qt::ItemIsUserCheckable);
        // Built-in columns and platform rows: shown, never checkable.
        QVERIFY(!(model.flags(model.index(invoicesManage, admin)) & Qt::ItemIsUserCheckable));
        QVERIFY(!(model.flags(model.index(invoicesManage, admin)) & Qt::ItemIsEnabled));
        QCOMPARE(model.data(model.index(invoicesManage, admin), Qt::CheckStateRole).toInt(),
                 int(Qt::Checked));
        QVERIFY(!(model.flags(model.index(plansManage, clerk)) & Qt::ItemIsUserCheckable));
        QVERIFY(
            !model.setData(model.index(invoicesManage, admin), Qt::Unchecked, Qt::CheckStateRole));
        QVERIFY(!model.setData(model.index(plansManage, clerk), Qt::Checked, Qt::CheckStateRole));

        QSignalSpy changes(&model, &PermissionMatrixModel::changesChanged);
        QVERIFY(model.setData(model.index(invoicesManage, clerk), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(model.hasChanges());
        QVERIFY(model.data(model.index(invoicesManage, clerk), PermissionMatrixModel::ChangedRole)
                    .toBool());
        // Unticking what was ticked, then ticking it again, is no change for that cell.
        QVERIFY(model.setData(model.index(tenantsRead, clerk), Qt::Unchecked, Qt::CheckStateRole));
        QVERIFY(model.setData(model.index(tenantsRead, clerk), Qt::Checked, Qt::CheckStateRole));
        QVERIFY(!model.data(model.index(tenantsRead, clerk), PermissionMatrixModel::ChangedRole)
                     .toBool());
        QCOMPARE(changes.count(), 1);

        model.revert();
        QVERIFY(!model.hasChanges());
        QCOMPARE(model.data(model.index(invoicesManage, clerk), Qt::CheckStateRole).toInt(),
                 int(Qt::Unchecked));

        QVERIFY(model.setData(model.index(invoicesManage, clerk), Qt::Checked, Qt::CheckStateRole));
        QSignalSpy saved(&model, &PermissionMatrixModel::saved);
        QSignalSpy failed(&model, &PermissionMatrixModel::saveFailed);
        model.save();
        QVERIFY(saved.wait(10000));
        QCOMPARE(saved.first().first().toStringList(), QStringList{QStringLiteral("Clerk")});
        QCOMPARE(failed.count(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(!model.isLoading() && model.rowCount() == 15, 10000);
        QVERIFY(!model.hasChanges());
        QCOMPARE(
            RoleService(db.connectionName()).rolePermissions(Clerk).value(),
            (QSet<QString>{QStringLiteral("tenants.read"), QStringLiteral("invoices.manage")}));

        // Read-only when the operator may not manage roles.
        model.setEditable(false);
        QVERIFY(!(model.flags(model.index(invoicesManage, clerk)) & Qt::ItemIsUserCheckable));
        QVERIFY(
            !model.setData(model.index(invoicesManage, clerk), Qt::Unchecked, Qt::CheckStateRole));
    }

    void aRefusedSaveKeepsTheEdits()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-matrix-refused"));
        PermissionMatrixModel model(&worker);
        QSignalSpy loaded(&model, &PermissionMatrixModel::loaded);
        model.setOrganization(Acme);
        QVERIFY(loaded.wait(10000));
        const int clerk = model.columnOfRole(Clerk);
        QVERIFY(
            model.setData(model.index(model.rowOfPermission(QStringLiteral("usage.read")), clerk),
                          Qt::Checked, Qt::CheckStateRole));
        // Someone deletes the role meanwhile.
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(q.exec(QStringLiteral("DELETE FROM roles WHERE id = '%1'").arg(Clerk)));
        QSignalSpy failed(&model, &PermissionMatrixModel::saveFailed);
        model.save();
        QVERIFY(failed.wait(10000));
        QVERIFY2(failed.first().first().toString().contains(QLatin1String("no longer exists")),
                 qPrintable(failed.first().first().toString()));
        QVERIFY(model.hasChanges());
        QVERIFY(!model.isSaving());
    }
};

QTEST_MAIN(RoleModelsTest)
#include "tst_rolemodels.moc"
