// Ctrl+K: finding a tenant by Stripe id, a person by email, with the operator's own % and _
// taken literally; choosing a tenant opens it in the Tenants screen.

#include "testcluster.h"
#include "testoperators.h"

#include "mainwindow/mainwindow.h"
#include "search/searchdialog.h"
#include "tenants/tenantlistmodel.h"
#include "tenants/tenantspage.h"

#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
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

void seed(const TestDatabase &db)
{
    exec(db,
         QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency, "
                        "stripe_customer_id) VALUES "
                        "('00000000-0000-0000-0000-0000000000a1', 'Acme Ltd', 'acme', "
                        "'ap@acme.example', 'EUR', 'cus_Acme123'), "
                        "('00000000-0000-0000-0000-0000000000a2', 'Globex 100% Corp', 'globex', "
                        "'ap@globex.example', 'USD', NULL);"
                        "INSERT INTO users (email, display_name) VALUES "
                        "('ann.whitfield@acme.example', 'Ann Whitfield')"));
}
} // namespace

class SearchTest : public QObject
{
    Q_OBJECT
private slots:
    void findsWhatTheOperatorTypes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("firstTitle");
        QTest::addColumn<int>("hits");
        QTest::newRow("stripe id") << "cus_Acme123"
                                   << "Acme Ltd" << 1;
        QTest::newRow("email") << "ann.whitfield@"
                               << "Ann Whitfield" << 1;
        QTest::newRow("prefix first") << "acme"
                                      << "Acme Ltd" << 2; // the tenant, then Ann
        QTest::newRow("percent literal") << "100%"
                                         << "Globex 100% Corp" << 1;
        QTest::newRow("underscore literal") << "a_e"
                                            << "" << 0;
        QTest::newRow("injection") << "'; DROP TABLE users; --"
                                   << "" << 0;
        QTest::newRow("too short") << "a"
                                   << "" << 0;
    }

    void findsWhatTheOperatorTypes()
    {
        QFETCH(QString, text);
        QFETCH(QString, firstTitle);
        QFETCH(int, hits);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto found = searchEverything(db.connectionName(), text);
        QVERIFY2(found, qPrintable(found ? QString() : found.error().message));
        QCOMPARE(found->size(), hits);
        if (hits > 0)
            QCOMPARE(found->first().title, firstTitle);
    }

    void viewerFindsOnlyTheirOwn()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto viewer = test::createOperator(
            db, QStringLiteral("searcher"), false,
            {{QStringLiteral("00000000-0000-0000-0000-0000000000a2"), QStringLiteral("viewer")}});
        QVERIFY(viewer);
        test::ScopedConnection connection(viewer->settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        auto found = searchEverything(connection.name(), QStringLiteral("acme"));
        QVERIFY(found);
        QCOMPARE(found->size(), 0); // Acme is another organization's, Ann not their member
    }

    void choosingATenantOpensIt()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        SearchDialog *dialog = window.openSearch();
        QVERIFY(dialog);
        dialog->setText(QStringLiteral("cus_Acme"));
        QTRY_COMPARE_WITH_TIMEOUT(dialog->hitCount(), 1, 5000);
        QTest::keyClick(dialog->findChild<QLineEdit *>(QStringLiteral("searchInput")),
                        Qt::Key_Return);
        QCOMPARE(window.currentArea(), Area::Tenants);
        auto *tenants = qobject_cast<TenantsPage *>(window.page(Area::Tenants));
        QTRY_COMPARE_WITH_TIMEOUT(tenants->model()->rowCount(), 1, 5000);
        QTRY_COMPARE_WITH_TIMEOUT(
            tenants->findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
            QStringLiteral("Acme Ltd"), 5000);
    }
};

QTEST_MAIN(SearchTest)
#include "tst_search.moc"
