// The Audit log screen offscreen: filter by table, open a change's before/after, verify the
// chain (intact, then broken by the owner and shown); rows written by another session appear
// while the selection and the scroll position stay.

#include "testcluster.h"

#include "audit/auditdiffview.h"
#include "audit/auditlistmodel.h"
#include "audit/auditlogpage.h"
#include "common/messagebanner.h"
#include "database/changefeed.h"

#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QScrollBar>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}
} // namespace

class AuditGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void filterOpenDiffAndVerify()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (name, slug, billing_email, currency) VALUES "
                     "('Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
                     "INSERT INTO products (name) VALUES ('Platform');"
                     "UPDATE organizations SET name = 'Acme Limited' WHERE slug = 'acme';"
                     "UPDATE products SET description = 'Hosted' WHERE name = 'Platform';"));
        AuditLogPage page(db.settings());
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() >= 4, 10000);

        // Filter by table: only the tenant's rows remain.
        auto *entity = page.findChild<QComboBox *>(QStringLiteral("auditEntity"));
        entity->setCurrentIndex(entity->findData(QStringLiteral("organizations")));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 2, 10000);
        QCOMPARE(page.model()->rowCount(), 2);
        for (int row = 0; row < 2; ++row)
            QCOMPARE(page.model()->entryAt(row).entity, QStringLiteral("organizations"));

        // The newest (the rename) is selected; its diff shows the changed field.
        page.view()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(!page.diffView()->shownChanges().isEmpty() && !page.isBusy(),
                                 10000);
        const auto shown = page.diffView()->shownChanges();
        QCOMPARE(shown.size(), 1); // only changed fields, by default, for an update
        QCOMPARE(shown.first().field, QStringLiteral("name"));
        QCOMPARE(shown.first().before, QStringLiteral("Acme Ltd"));
        QCOMPARE(shown.first().after, QStringLiteral("Acme Limited"));
        QCOMPARE(page.diffView()->item(0, AuditDiffView::After)->text(),
                 QStringLiteral("Acme Limited"));
        QVERIFY(page.diffView()->item(0, AuditDiffView::Field)->font().bold()); // highlighted
        auto *onlyChanged = page.findChild<QCheckBox *>(QStringLiteral("onlyChangedFields"));
        QVERIFY(onlyChanged->isVisible());
        onlyChanged->setChecked(false);
        QVERIFY(page.diffView()->rowCount() > 10);
        QVERIFY(page.findChild<QLabel *>(QStringLiteral("auditDetailTitle"))
                    ->text()
                    .contains(QLatin1String("organizations")));

        // Verify chain: intact, with the number of rows.
        auto *verify = page.findChild<QPushButton *>(QStringLiteral("verifyChainButton"));
        QVERIFY(verify->isEnabled());
        verify->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.verifyResultText().contains(QLatin1String("intact")), 10000);
        QVERIFY2(
            page.verifyResultText().contains(QRegularExpression(QStringLiteral("\\(\\d+ rows\\)"))),
            qPrintable(page.verifyResultText()));

        // The owner rewrites a row: verification says where, and offers to show it.
        const qint64 victim = page.model()->entryAt(1).id;
        exec(db,
             QStringLiteral("UPDATE audit_log SET login = 'mallory' WHERE id = %1").arg(victim));
        verify->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.verifyResultText().contains(QLatin1String("broken")), 10000);
        QVERIFY(page.banner()->text().contains(QString::number(victim)));
        auto *action = page.banner()->findChild<QPushButton *>();
        QVERIFY(action && action->isVisible());
        action->click();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() > 0, 10000);
        QCOMPARE(page.model()->entryAt(0).id, victim);
        QCOMPARE(entity->currentIndex(), 0); // filters cleared for the jump
        QTRY_COMPARE_WITH_TIMEOUT(page.view()->selectionModel()->selectedRows().value(0).row(), 0,
                                  5000);
    }

    void rowsOfAnotherSessionAppearWithoutLosingThePlace()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        // More audit rows than a page, so the operator can be somewhere in the middle.
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "SELECT 'Tenant ' || g, 'tenant-' || g, 't' || g || "
                                "'@example.com', 'EUR' FROM generate_series(1, 300) g"));
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QVERIFY(listening.wait(10000));
        AuditLogPage page(db.settings());
        page.setChangeFeed(&feed);
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() >= 200, 10000);
        const qint64 newestBefore = page.model()->entryAt(0).id;

        // The operator reads further down, with a row selected.
        page.view()->selectRow(40);
        const qint64 selectedId = page.model()->entryAt(40).id;
        page.view()->scrollTo(page.model()->index(60, 0), QAbstractItemView::PositionAtTop);
        QTRY_VERIFY(page.view()->verticalScrollBar()->value() > 0);
        const auto topRow = [&page]() {
            return page.view()->rowAt(1);
        };
        const qint64 topId = page.model()->entryAt(topRow()).id;
        const int loaded = page.model()->rowCount();

        // Another session (the owner's connection here) changes three tenants.
        exec(db, QStringLiteral("UPDATE organizations SET city = 'Lyon' WHERE slug IN "
                                "('tenant-1', 'tenant-2', 'tenant-3')"));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), loaded + 3, 5000);
        QCOMPARE(page.model()->entryAt(0).id, newestBefore + 3);
        QCOMPARE(page.model()->entryAt(0).action, QStringLiteral("update"));
        QCOMPARE(page.model()->entryAt(3).id, newestBefore);
        // Still on the same rows, with the same one selected.
        const QModelIndexList selected = page.view()->selectionModel()->selectedRows();
        QCOMPARE(selected.size(), 1);
        QCOMPARE(page.model()->entryAt(selected.first().row()).id, selectedId);
        QTRY_COMPARE(page.model()->entryAt(topRow()).id, topId);
    }

    void verifyIsForPlatformAdministrators()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        AuditLogPage page(db.settings());
        SessionAccess viewer;
        viewer.login = QStringLiteral("vera");
        page.setAccess(viewer);
        auto *verify = page.findChild<QPushButton *>(QStringLiteral("verifyChainButton"));
        QVERIFY(!verify->isEnabled());
        QVERIFY(verify->toolTip().contains(QLatin1String("platform administrators")));
    }
};

QTEST_MAIN(AuditGuiTest)
#include "tst_auditgui.moc"
