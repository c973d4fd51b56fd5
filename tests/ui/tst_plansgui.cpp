// The Plans screen offscreen, driven as an operator would: create a plan through the dialog
// and find it listed; change the amount of a plan in use and see the new version; archive
// with a confirmation; actions off for operators without plans.manage; other operators'
// changes show up; the main window shows the screen.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "core/translations.h"
#include "database/changefeed.h"
#include "mainwindow/mainwindow.h"
#include "plans/plandialogs.h"
#include "plans/planlistmodel.h"
#include "plans/planspage.h"

#include <QAbstractButton>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Cloud = QStringLiteral("00000000-0000-0000-0000-0000000000c1");
const QString Team = QStringLiteral("00000000-0000-0000-0000-0000000000d1");

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

// Cloud with Team (49.00 EUR a seat), which Acme subscribes to.
void seed(const TestDatabase &db)
{
    exec(db, QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                            "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR')")
                 .arg(Acme));
    exec(db, QStringLiteral("INSERT INTO products (id, name, description) VALUES "
                            "('%1', 'Cloud', 'The hosted workspace')")
                 .arg(Cloud));
    exec(db, QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency, "
                            "trial_days) VALUES ('%1', '%2', 'Team', 4900, 'EUR', 14)")
                 .arg(Team, Cloud));
    exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status, "
                            "quantity) VALUES ('%1', '%2', 'active', 12)")
                 .arg(Acme, Team));
}

int rowNamed(PlanListModel *model, const QString &name, const QString &status = {})
{
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->planAt(row).name == name &&
            (status.isEmpty() ||
             model->data(model->index(row, PlanListModel::Status)).toString() == status))
            return row;
    }
    return -1;
}

QPushButton *saveButton(QDialog *dialog)
{
    return dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
}

bool ready(PlansPage &page)
{
    return QTest::qWaitFor([&page]() { return !page.isBusy(); }, 10000);
}
} // namespace

// Read once: QPointer's two reads (isNull, then ->) look like a possible null dereference to
// GCC's -Wnull-dereference in optimised builds.
static bool isClosed(const QWidget *dialog)
{
    return dialog == nullptr || !dialog->isVisible();
}

class PlansGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedStates));
    }

    void createAPlanThroughTheDialog()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        PlansPage page(db.settings());
        page.resize(1200, 700);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        QVERIFY(ready(page));
        // The product picker lists the catalog's products.
        QCOMPARE(page.productFilter()->count(), 2);
        QCOMPARE(page.productFilter()->itemText(1), QStringLiteral("Cloud"));

        auto *newPlan = page.findChild<QPushButton *>(QStringLiteral("newPlanButton"));
        QVERIFY(newPlan->isEnabled());
        newPlan->click();
        PlanDialog *dialog = page.openPlanDialog();
        QVERIFY(dialog);
        QVERIFY(!saveButton(dialog)->isEnabled()); // nothing typed yet
        QCOMPARE(dialog->findChild<QComboBox *>(QStringLiteral("product"))->currentText(),
                 QStringLiteral("Cloud"));

        auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("name"));
        auto *amount = dialog->findChild<QLineEdit *>(QStringLiteral("amount"));
        auto *usage = dialog->findChild<QComboBox *>(QStringLiteral("usageType"));
        auto *metric = dialog->findChild<QLineEdit *>(QStringLiteral("metric"));
        auto *count = dialog->findChild<QSpinBox *>(QStringLiteral("intervalCount"));
        auto *amountProblem = dialog->findChild<QLabel *>(QStringLiteral("problem-amount"));
        QTest::keyClicks(name, QStringLiteral("Analytics add-on"));
        dialog->findChild<QPlainTextEdit *>(QStringLiteral("description"))
            ->setPlainText(QStringLiteral("Dashboards, billed by report"));
        QTest::keyClicks(amount, QStringLiteral("0"));
        QVERIFY(amountProblem->isVisibleTo(dialog));
        QCOMPARE(amountProblem->text(), QStringLiteral("Enter a price above zero."));
        QVERIFY(!saveButton(dialog)->isEnabled());
        amount->clear();
        QTest::keyClicks(amount, QStringLiteral("12,5x"));
        QCOMPARE(amountProblem->text(), QStringLiteral("Enter the price as a number, like 49.00."));
        amount->clear();
        QTest::keyClicks(amount, QStringLiteral("0.25"));
        QVERIFY(!amountProblem->isVisibleTo(dialog));
        QVERIFY(saveButton(dialog)->isEnabled());

        // Metered needs a metric.
        QVERIFY(!metric->isEnabled());
        usage->setCurrentIndex(usage->findData(QStringLiteral("metered")));
        QVERIFY(metric->isEnabled());
        QVERIFY(!saveButton(dialog)->isEnabled());
        QTest::keyClicks(metric, QStringLiteral("reports"));
        count->setValue(0);
        auto *intervalProblem = dialog->findChild<QLabel *>(QStringLiteral("problem-interval"));
        QVERIFY(intervalProblem->isVisibleTo(dialog));
        QVERIFY(!saveButton(dialog)->isEnabled());
        count->setValue(3);
        QTRY_VERIFY(saveButton(dialog)->isEnabled());

        QPointer<PlanDialog> guard(dialog);
        saveButton(dialog)->click();
        QTRY_VERIFY_WITH_TIMEOUT(isClosed(guard.data()), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 10000);
        const int row = rowNamed(page.model(), QStringLiteral("Analytics add-on"));
        QVERIFY(row >= 0);
        PlanListModel *model = page.model();
        QCOMPARE(model->data(model->index(row, PlanListModel::Price)).toString(),
                 QStringLiteral("0.25 EUR"));
        QCOMPARE(model->data(model->index(row, PlanListModel::Billing)).toString(),
                 QStringLiteral("Every 3 months"));
        QCOMPARE(model->data(model->index(row, PlanListModel::Usage)).toString(),
                 QStringLiteral("Metered"));
        QCOMPARE(model->data(model->index(row, PlanListModel::Metric)).toString(),
                 QStringLiteral("reports"));
        QCOMPARE(model->data(model->index(row, PlanListModel::Subscribers)).toString(),
                 QStringLiteral("0"));
        QCOMPARE(page.banner()->text(),
                 QStringLiteral("Plan Analytics add-on was created: 0.25 EUR."));
        // The new plan is selected and shown in the detail panel.
        QTRY_COMPARE_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
                                  QStringLiteral("Analytics add-on"), 5000);
        QCOMPARE(page.findChild<QLabel *>(QStringLiteral("detailDescription"))->text(),
                 QStringLiteral("Dashboards, billed by report"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT amount || ' ' || metric || ' ' || "
                                           "interval_count FROM plans WHERE name = "
                                           "'Analytics add-on'"))
                     .toString(),
                 QStringLiteral("25 reports 3"));
    }

    void aNewAmountOfAPlanInUseIsANewVersion()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        PlansPage page(db.settings());
        page.resize(1200, 700);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        QVERIFY(ready(page));
        page.view()->selectRow(0);
        QCOMPARE(page.model()->data(page.model()->index(0, PlanListModel::Subscribers)).toString(),
                 QStringLiteral("1"));

        page.findChild<QPushButton *>(QStringLiteral("changeAmountButton"))->click();
        ChangeAmountDialog *dialog = page.openChangeAmountDialog();
        QVERIFY(dialog);
        // It says beforehand what will happen.
        QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("consequence"))
                    ->text()
                    .contains(QLatin1String("new version")));
        auto *amount = dialog->findChild<QLineEdit *>(QStringLiteral("amount"));
        QCOMPARE(amount->text(), QStringLiteral("49.00"));
        QVERIFY(!saveButton(dialog)->isEnabled()); // unchanged
        amount->clear();
        QTest::keyClicks(amount, QStringLiteral("59"));
        QVERIFY(saveButton(dialog)->isEnabled());
        QPointer<ChangeAmountDialog> guard(dialog);
        saveButton(dialog)->click();
        QTRY_VERIFY_WITH_TIMEOUT(isClosed(guard.data()), 10000);

        // Both versions are listed: the new one offered, the old one kept for its subscribers.
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 10000);
        PlanListModel *model = page.model();
        const int current = rowNamed(model, QStringLiteral("Team"), QStringLiteral("Active"));
        const int old = rowNamed(model, QStringLiteral("Team"), QStringLiteral("Replaced"));
        QVERIFY(current >= 0 && old >= 0);
        QCOMPARE(model->data(model->index(current, PlanListModel::Price)).toString(),
                 QStringLiteral("59.00 EUR"));
        QCOMPARE(model->data(model->index(old, PlanListModel::Price)).toString(),
                 QStringLiteral("49.00 EUR"));
        QCOMPARE(model->data(model->index(old, PlanListModel::Subscribers)).toString(),
                 QStringLiteral("1"));
        QCOMPARE(page.banner()->text(),
                 QStringLiteral("Team now costs 59.00 EUR as a new version. The previous version "
                                "(49.00 EUR) is archived; its subscriptions keep that price until "
                                "they are moved."));
        // The new version is selected; its history shows both.
        QTRY_VERIFY_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailVersions"))
                                         ->text()
                                         .count(QLatin1Char('\n')) == 1,
                                 5000);
        const QString versions = page.findChild<QLabel *>(QStringLiteral("detailVersions"))->text();
        QVERIFY2(versions.startsWith(QStringLiteral("   49.00 EUR · Replaced · since")) &&
                     versions.contains(QStringLiteral("\n▸ 59.00 EUR · Active · since")),
                 qPrintable(versions));
        // An archived version keeps its price: no new amount for it.
        page.view()->selectRow(old);
        QVERIFY(!page.findChild<QPushButton *>(QStringLiteral("changeAmountButton"))->isEnabled());
        QVERIFY(!page.findChild<QPushButton *>(QStringLiteral("archivePlanButton"))->isEnabled());
    }

    void archivingAsksFirstAndDeletingAUsedPlanIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        PlansPage page(db.settings());
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        QVERIFY(ready(page));
        page.view()->selectRow(0);

        auto *archive = page.findChild<QPushButton *>(QStringLiteral("archivePlanButton"));
        archive->click();
        auto *confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QCOMPARE(confirm->text(), QStringLiteral("Archive Team?"));
        QAbstractButton *yes = nullptr;
        for (QAbstractButton *b : confirm->buttons()) {
            if (confirm->buttonRole(b) == QMessageBox::AcceptRole)
                yes = b;
        }
        QVERIFY(yes);
        yes->click();
        QTRY_COMPARE_WITH_TIMEOUT(
            page.model()->data(page.model()->index(0, PlanListModel::Status)).toString(),
            QStringLiteral("Archived"), 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("Team is archived")));
        QCOMPARE(archive->text(), QStringLiteral("Una&rchive…"));

        page.findChild<QPushButton *>(QStringLiteral("deletePlanButton"))->click();
        confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QAbstractButton *destroy = nullptr;
        for (QAbstractButton *b : confirm->buttons()) {
            if (confirm->buttonRole(b) == QMessageBox::DestructiveRole)
                destroy = b;
        }
        QVERIFY(destroy);
        destroy->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("cannot be deleted")),
                                 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("it has 1 subscription")));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM plans")).toInt(), 1);
    }

    void operatorsWithoutPlansManageOnlyRead()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        PlansPage page(db.settings());
        SessionAccess viewer;
        viewer.login = QStringLiteral("vera");
        viewer.permissionsByOrganization.insert(
            Acme, {QStringLiteral("tenants.read"), QStringLiteral("subscriptions.read")});
        page.setAccess(viewer);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        QVERIFY(ready(page));
        page.view()->selectRow(0);
        for (const char *name : {"newPlanButton", "editPlanButton", "changeAmountButton",
                                 "archivePlanButton", "deletePlanButton"}) {
            auto *button = page.findChild<QPushButton *>(QLatin1String(name));
            QVERIFY2(!button->isEnabled(), name);
            QVERIFY2(button->toolTip().contains(QLatin1String("plans.manage")), name);
        }
        QVERIFY(!page.findChild<QAction *>(QStringLiteral("newProductAction"))->isEnabled());
        // Reading is for everyone: the detail panel shows the plan.
        QTRY_COMPARE_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
                                  QStringLiteral("Team"), 5000);
    }

    void otherOperatorsChangesShowUp()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QVERIFY(listening.wait(10000));
        PlansPage page(db.settings());
        page.setChangeFeed(&feed);
        page.show();
        page.activate();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 1, 10000);
        QVERIFY(ready(page));
        page.view()->selectRow(0);

        // Another operator adds a plan and a subscriber: both show within a second or so,
        // and the selection stays.
        exec(db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency) VALUES "
                                "('%1', 'Starter', 1900, 'EUR')")
                     .arg(Cloud));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 3000);
        exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status) "
                                "VALUES ('%1', '%2', 'active')")
                     .arg(Acme, Team));
        QTRY_COMPARE_WITH_TIMEOUT(
            page.model()
                ->data(page.model()->index(rowNamed(page.model(), QStringLiteral("Team")),
                                           PlanListModel::Subscribers))
                .toString(),
            QStringLiteral("2"), 3000);
        QTRY_VERIFY_WITH_TIMEOUT(!page.view()->selectionModel()->selectedRows().isEmpty(), 2000);
        const int selected = page.view()->selectionModel()->selectedRows().first().row();
        QCOMPARE(page.model()->planAt(selected).id, Team);
    }

    void theMainWindowShowsThePlansScreen()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        window.selectArea(Area::Plans);
        auto *page = qobject_cast<PlansPage *>(window.page(Area::Plans));
        QVERIFY(page);
        QVERIFY(page->isAvailable());
        QTRY_COMPARE_WITH_TIMEOUT(page->model()->rowCount(), 1, 10000);
    }
};

QTEST_MAIN(PlansGuiTest)
#include "tst_plansgui.moc"
