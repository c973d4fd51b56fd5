// The Roles screen offscreen: the permission matrix shows built-in roles read-only and saves a
// custom role's permissions; a new role through the dialog; deleting a role in use is refused
// with a plain message.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "roles/permissionmatrixmodel.h"
#include "roles/roledialog.h"
#include "roles/rolelistmodel.h"
#include "roles/roleservice.h"
#include "roles/rolespage.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Clerk = QStringLiteral("00000000-0000-0000-0000-0000000000c1");

void seed(const TestDatabase &db, int clerks)
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
              .arg(Clerk),
          QStringLiteral("INSERT INTO users (email, display_name) SELECT 'c' || g || "
                         "'@acme.example', 'Clerk ' || g FROM generate_series(1, %1) g")
              .arg(clerks),
          QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                         "SELECT '%1', id, '%2' FROM users")
              .arg(Acme, Clerk)}) {
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
    }
}

bool openOnAcme(RolesPage &page)
{
    page.resize(1150, 760);
    page.show();
    page.activate();
    page.setCurrentOrganization(Acme);
    return QTest::qWaitFor(
        [&page]() {
            return !page.isBusy() && page.currentOrganizationId() == Acme &&
                   page.matrixModel()->columnCount() == 6 && page.roleModel()->rowCount() == 6;
        },
        10000);
}

QPushButton *button(QWidget *parent, const char *name)
{
    return parent->findChild<QPushButton *>(QLatin1String(name));
}

void clickCell(QTableView *view, const QModelIndex &index)
{
    view->scrollTo(index);
    const QPoint centre = view->visualRect(index).center();
    QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, centre);
}
} // namespace

class RolesGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void matrixKeepsBuiltinsReadOnlyAndSavesACustomRole()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db, 0);
        RolesPage page(db.settings());
        QVERIFY(openOnAcme(page));
        PermissionMatrixModel *matrix = page.matrixModel();
        QTableView *view = page.matrixView();
        const int clerk = matrix->columnOfRole(Clerk);
        const int viewer = 4;
        QCOMPARE(matrix->headerData(viewer, Qt::Horizontal).toString(), QStringLiteral("Viewer"));
        const int invoicesManage = matrix->rowOfPermission(QStringLiteral("invoices.manage"));
        const int jobsManage = matrix->rowOfPermission(QStringLiteral("jobs.manage"));
        // The first custom role is selected: rename and delete are possible.
        QTRY_VERIFY(button(&page, "renameRoleButton")->isEnabled());

        // A click on a built-in role's cell or a platform row changes nothing.
        clickCell(view, matrix->index(invoicesManage, viewer));
        clickCell(view, matrix->index(jobsManage, clerk));
        QVERIFY(!matrix->hasChanges());
        QVERIFY(!button(&page, "savePermissionsButton")->isEnabled());

        clickCell(view, matrix->index(invoicesManage, clerk));
        QVERIFY(matrix->hasChanges());
        QCOMPARE(matrix->data(matrix->index(invoicesManage, clerk), Qt::CheckStateRole).toInt(),
                 int(Qt::Checked));
        auto *status = page.findChild<QLabel *>(QStringLiteral("matrixStatus"));
        QVERIFY(status->text().contains(QLatin1String("Unsaved changes to Clerk")));
        auto *save = button(&page, "savePermissionsButton");
        QVERIFY(save->isEnabled());
        save->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("were saved")),
                                 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && !matrix->hasChanges(), 10000);
        QCOMPARE(
            RoleService(db.connectionName()).rolePermissions(Clerk).value(),
            (QSet<QString>{QStringLiteral("tenants.read"), QStringLiteral("invoices.manage")}));
        QCOMPARE(matrix->data(matrix->index(invoicesManage, clerk), Qt::CheckStateRole).toInt(),
                 int(Qt::Checked)); // reloaded from the database

        // Without roles.manage the matrix is read-only, and says why.
        page.setCanManageRoles(false);
        QVERIFY(!(matrix->flags(matrix->index(invoicesManage, clerk)) & Qt::ItemIsUserCheckable));
        QVERIFY(!button(&page, "newRoleButton")->isEnabled());
        QVERIFY(button(&page, "newRoleButton")->toolTip().contains(QLatin1String("roles.manage")));
        clickCell(view, matrix->index(invoicesManage, clerk));
        QVERIFY(!matrix->hasChanges());
    }

    void newRoleThroughTheDialog()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db, 0);
        RolesPage page(db.settings());
        QVERIFY(openOnAcme(page));
        button(&page, "newRoleButton")->click();
        auto *dialog = qobject_cast<RoleDialog *>(page.openDialog());
        QVERIFY(dialog);
        auto *save = dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
        QVERIFY(!save->isEnabled());
        QTest::keyClicks(dialog->findChild<QLineEdit *>(QStringLiteral("roleName")),
                         QStringLiteral("Usage analyst"));
        QVERIFY(save->isEnabled());
        save->click();
        QTRY_COMPARE_WITH_TIMEOUT(page.roleModel()->rowCount(), 7, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(page.matrixModel()->columnCount(), 7, 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("Usage analyst was created")));

        // The same name again: the dialog stays open with the database's plain sentence.
        button(&page, "newRoleButton")->click();
        dialog = qobject_cast<RoleDialog *>(page.openDialog());
        QVERIFY(dialog);
        dialog->setDraft(RoleDraft{QStringLiteral("usage ANALYST"), QString()});
        dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save)->click();
        auto *banner = dialog->findChild<MessageBanner *>();
        QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QLatin1String("already has a role")),
                                 10000);
        dialog->reject();
    }

    void deletingARoleInUseIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db, 3);
        RolesPage page(db.settings());
        QVERIFY(openOnAcme(page));
        page.roleView()->selectRow(page.roleModel()->rowOfId(Clerk));
        auto *remove = button(&page, "deleteRoleButton");
        QVERIFY(remove->isEnabled());
        remove->click();
        auto *confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QVERIFY(confirm->text().contains(QLatin1String("Clerk")));
        QAbstractButton *destroy = nullptr;
        for (QAbstractButton *b : confirm->buttons()) {
            if (confirm->buttonRole(b) == QMessageBox::DestructiveRole)
                destroy = b;
        }
        QVERIFY(destroy);
        destroy->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("cannot be deleted")),
                                 10000);
        QVERIFY2(page.banner()->text().contains(QLatin1String("3 member")),
                 qPrintable(page.banner()->text()));
        QCOMPARE(page.roleModel()->rowCount(), 6);

        // Built-in roles cannot be renamed or deleted at all.
        page.roleView()->selectRow(0);
        QVERIFY(!remove->isEnabled());
        QVERIFY(remove->toolTip().contains(QLatin1String("built-in")));
    }
};

QTEST_MAIN(RolesGuiTest)
#include "tst_rolesgui.moc"
