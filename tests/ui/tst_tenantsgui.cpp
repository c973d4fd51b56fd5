// The Tenants screen offscreen, driven as an operator would: create a tenant through the
// dialog and find it in the list; try to delete one that has subscriptions.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "database/changefeed.h"
#include "mainwindow/mainwindow.h"
#include "tenants/tenantdialog.h"
#include "tenants/tenantlistmodel.h"
#include "tenants/tenantspage.h"

#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFile>
#include <QHeaderView>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

int rowNamed(TenantListModel *model, const QString &name)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->data(model->index(row, TenantListModel::Name)).toString() == name)
            return row;
    }
    return -1;
}

QPushButton *saveButton(TenantDialog *dialog)
{
    return dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
}
} // namespace

// Read once: QPointer's two reads (isNull, then ->) look like a possible null dereference to
// GCC's -Wnull-dereference in optimised builds.
static bool isClosed(const QWidget *dialog)
{
    return dialog == nullptr || !dialog->isVisible();
}

class TenantsGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void createTenantThroughTheDialog()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "VALUES ('Globex Corp', 'globex', 'ap@globex.example', 'USD')"));
        TenantsPage page(db.settings());
        page.resize(1100, 700);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);

        page.findChild<QPushButton *>(QStringLiteral("newTenantButton"))->click();
        TenantDialog *dialog = page.openDialog();
        QVERIFY(dialog);
        QVERIFY(!saveButton(dialog)->isEnabled()); // nothing typed yet

        auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("name"));
        auto *slug = dialog->findChild<QLineEdit *>(QStringLiteral("slug"));
        auto *email = dialog->findChild<QLineEdit *>(QStringLiteral("billingEmail"));
        QTest::keyClicks(name, QStringLiteral("Nordlicht Analytics"));
        QCOMPARE(slug->text(), QStringLiteral("nordlicht-analytics")); // suggested from the name
        QTest::keyClicks(email, QStringLiteral("billing@nordlicht"));
        auto *emailProblem = dialog->findChild<QLabel *>(QStringLiteral("problem-billingEmail"));
        QVERIFY(emailProblem->isVisibleTo(dialog));
        QVERIFY(!saveButton(dialog)->isEnabled());
        QTest::keyClicks(email, QStringLiteral(".example"));
        QVERIFY(!emailProblem->isVisibleTo(dialog));

        // A slug another tenant uses is flagged before saving.
        slug->clear();
        QTest::keyClicks(slug, QStringLiteral("globex"));
        auto *slugStatus = dialog->findChild<QLabel *>(QStringLiteral("slugStatus"));
        QTRY_COMPARE_WITH_TIMEOUT(slugStatus->text(), QStringLiteral("taken"), 5000);
        QVERIFY(!saveButton(dialog)->isEnabled());
        slug->clear();
        QTest::keyClicks(slug, QStringLiteral("nordlicht"));
        QTRY_COMPARE_WITH_TIMEOUT(slugStatus->text(), QStringLiteral("available"), 5000);
        QTRY_VERIFY(saveButton(dialog)->isEnabled());

        QPointer<TenantDialog> guard(dialog);
        saveButton(dialog)->click();
        QTRY_VERIFY_WITH_TIMEOUT(isClosed(guard.data()), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 10000);
        const int row = rowNamed(page.model(), QStringLiteral("Nordlicht Analytics"));
        QVERIFY(row >= 0);
        QCOMPARE(page.model()->data(page.model()->index(row, TenantListModel::Slug)).toString(),
                 QStringLiteral("nordlicht"));
        QVERIFY(page.banner()->text().contains(QLatin1String("was created")));
        // The new tenant is selected and shown in the detail panel.
        QTRY_COMPARE_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
                                  QStringLiteral("Nordlicht Analytics"), 5000);
    }

    void deletingATenantWithSubscriptionsIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                     "('00000000-0000-0000-0000-0000000000a1', 'Initech', 'initech', "
                     "'ap@initech.example', 'USD');"
                     "INSERT INTO products (id, name) VALUES "
                     "('00000000-0000-0000-0000-0000000000b1', 'Platform');"
                     "INSERT INTO plans (id, product_id, name, amount, currency) VALUES "
                     "('00000000-0000-0000-0000-0000000000c1', "
                     "'00000000-0000-0000-0000-0000000000b1', 'Pro', 4900, 'USD');"
                     "INSERT INTO subscriptions (organization_id, plan_id, status) VALUES "
                     "('00000000-0000-0000-0000-0000000000a1', "
                     "'00000000-0000-0000-0000-0000000000c1', 'active')"));
        TenantsPage page(db.settings());
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        page.view()->selectRow(0);
        auto *deleteButton = page.findChild<QPushButton *>(QStringLiteral("deleteTenantButton"));
        QVERIFY(deleteButton->isEnabled());
        deleteButton->click();
        auto *confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QVERIFY(confirm->text().contains(QLatin1String("Initech")));
        QAbstractButton *destroy = nullptr;
        for (QAbstractButton *b : confirm->buttons()) {
            if (confirm->buttonRole(b) == QMessageBox::DestructiveRole)
                destroy = b;
        }
        QVERIFY(destroy);
        destroy->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("cannot be deleted")),
                                 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("1 subscription")));
        QCOMPARE(page.model()->rowCount(), 1);
    }

    void anotherOperatorsChangeShowsUp()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "SELECT 'Tenant ' || lpad(g::text, 3, '0'), 'tenant-' || g, "
                                "'t' || g || '@example.com', 'EUR' FROM generate_series(1, 60) g"));
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QVERIFY(listening.wait(10000));
        TenantsPage page(db.settings());
        page.setChangeFeed(&feed);
        page.resize(1100, 500);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 60, 10000);
        page.view()->selectRow(40);
        page.view()->scrollTo(page.model()->index(40, 0));
        const int scrolled = page.view()->verticalScrollBar()->value();
        QVERIFY(scrolled > 0);
        const QString selectedId = page.model()->tenantAt(40).id;

        // Another operator renames the selected tenant: the row changes in place.
        exec(db, QStringLiteral("UPDATE organizations SET name = 'Tenant 041 (renamed)' "
                                "WHERE id = '%1'")
                     .arg(selectedId));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->tenantAt(40).name,
                                  QStringLiteral("Tenant 041 (renamed)"), 2000);
        QTRY_COMPARE_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
                                  QStringLiteral("Tenant 041 (renamed)"), 2000);

        // And adds one: the list reloads, keeping the selection and the scroll position.
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "VALUES ('Tenant 000', 'tenant-0', 'z@example.com', 'EUR')"));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 61, 3000);
        QTRY_VERIFY_WITH_TIMEOUT(!page.view()->selectionModel()->selectedRows().isEmpty(), 2000);
        const int row = page.view()->selectionModel()->selectedRows().first().row();
        QCOMPARE(page.model()->tenantAt(row).id, selectedId);
        QCOMPARE(page.view()->verticalScrollBar()->value(), scrolled);
    }

    void exportTheListAsShown()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (name, slug, billing_email, currency, status) "
                     "SELECT 'Tenant ' || g, 'tenant-' || g, 't' || g || '@example.com', 'EUR', "
                     "CASE WHEN g % 2 = 0 THEN 'suspended' ELSE 'active' END "
                     "FROM generate_series(1, 9) g"));
        TenantsPage page(db.settings());
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 9, 10000);
        page.model()->setStatusFilter(QStringLiteral("suspended"));
        QTRY_VERIFY_WITH_TIMEOUT(!page.model()->isLoading() && page.model()->totalCount() == 4,
                                 10000);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("suspended.csv"));
        page.exportTo(path);
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("Exported 4 rows")),
                                 10000);
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QList<QByteArray> lines = file.readAll().split('\n');
        QCOMPARE(lines.size(), 6); // header, 4 rows, and the empty rest after the last CRLF
        QVERIFY(lines.at(1).contains("suspended"));
    }

    void ctrlEndShowsTheLastRowsAtOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "SELECT 'Tenant ' || lpad(g::text, 4, '0'), 'tenant-' || g, 't' "
                                "|| g || '@example.com', 'EUR' FROM generate_series(1, 450) g"));
        TenantsPage page(db.settings());
        page.resize(1100, 700);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.model()->isLoading() && page.model()->rowCount() > 0, 10000);
        QVERIFY(page.model()->hasMore());
        QTableView *view = page.view();
        QVERIFY(view);
        view->setFocus();
        // More rows in the database than loaded: the order is reversed, the last row first.
        QKeyEvent ctrlEnd(QEvent::KeyPress, Qt::Key_End, Qt::ControlModifier);
        QCoreApplication::sendEvent(view, &ctrlEnd);
        QTRY_VERIFY_WITH_TIMEOUT(!page.model()->isLoading() && page.model()->rowCount() > 0 &&
                                     page.model()->tenantAt(0).name ==
                                         QStringLiteral("Tenant 0450"),
                                 10000);
        QCOMPARE(view->horizontalHeader()->sortIndicatorOrder(), Qt::DescendingOrder);
        QTRY_COMPARE(view->selectionModel()->selectedRows().value(0).row(), 0);
    }

    void mainWindowReachesEveryArea()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        for (Area area : allAreas()) {
            window.selectArea(area);
            QCOMPARE(window.currentArea(), area);
            QVERIFY(window.page(area)->isVisible());
            if (area == Area::Tenants || area == Area::Members || area == Area::Roles)
                QVERIFY(window.page(area)->isAvailable());
            if (!window.page(area)->isAvailable()) {
                // Areas not built yet say so, and show no rows.
                auto *notice =
                    window.page(area)->findChild<QLabel *>(QStringLiteral("notAvailableNotice"));
                QVERIFY(notice);
                QVERIFY(notice->text().contains(QLatin1String("not available yet")));
            }
        }
        QVERIFY(window.connectionText().contains(db.name()));
        QTRY_VERIFY_WITH_TIMEOUT(window.healthText().contains(QLatin1String("Connected")), 10000);
    }
};

QTEST_MAIN(TenantsGuiTest)
#include "tst_tenantsgui.moc"
