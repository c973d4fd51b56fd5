// The Invoices screen offscreen: the list filtered by status, the detail panel's formatted
// amounts, and the hosted invoice opened in the browser (https only).

#include "testcluster.h"

#include "invoices/invoicedetailpanel.h"
#include "invoices/invoicelistmodel.h"
#include "invoices/invoicespage.h"

#include <QApplication>
#include <QComboBox>
#include <QDesktopServices>
#include <QLabel>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>
#include <QUrl>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(
        q.exec(
            QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
                " ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR'),"
                " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'JPY');"
                "INSERT INTO invoices (organization_id, number, status, currency, subtotal, tax,"
                "  total, amount_due, amount_paid, amount_remaining, period_start, period_end,"
                "  hosted_invoice_url, created_at) VALUES"
                " ('%1', 'ACME-0001', 'paid', 'EUR', 123456, 23457, 146913, 146913, 146913, 0,"
                "  '2026-09-01 00:00+00', '2026-10-01 00:00+00',"
                "  'https://invoice.stripe.com/i/acct_1/test_a1', '2026-09-01 00:05+00'),"
                " ('%1', 'ACME-0002', 'open', 'EUR', 24500, 4655, 29155, 29155, 0, 29155,"
                "  '2026-10-01 00:00+00', '2026-11-01 00:00+00',"
                "  'https://invoice.stripe.com/i/acct_1/test_a2', '2026-10-01 00:05+00'),"
                " ('%2', 'GLOB-0001', 'open', 'JPY', 12000, 0, 12000, 12000, 0, 12000, NULL, NULL,"
                "  NULL, '2026-10-02 00:00+00'),"
                " ('%1', NULL, 'draft', 'EUR', 0, 0, 0, 0, 0, 0, NULL, NULL, NULL,"
                "  '2026-11-01 00:00+00');")
                .arg(Acme, Globex)),
        qPrintable(q.lastError().text()));
}

bool waitLoaded(InvoicesPage &page)
{
    return QTest::qWaitFor([&page]() { return !page.isBusy() && page.model()->totalCount() >= 0; },
                           10000);
}
} // namespace

// Receives the URLs the page asks the desktop to open.
class UrlCatcher : public QObject
{
    Q_OBJECT
public:
    QList<QUrl> urls;
public slots:
    void open(const QUrl &url) { urls.append(url); }
};

class InvoicesGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom)); }

    void listFilteredByStatusAndDetailShowsFormattedTotals()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        InvoicesPage page(db.settings());
        page.resize(1200, 760);
        page.show();
        page.activate();
        QVERIFY(waitLoaded(page));
        QCOMPARE(page.model()->rowCount(), 4);

        QComboBox *status = page.statusFilter();
        status->setCurrentIndex(status->findData(QStringLiteral("open")));
        QTRY_VERIFY_WITH_TIMEOUT(waitLoaded(page) && page.model()->rowCount() == 2, 10000);
        for (int row = 0; row < page.model()->rowCount(); ++row)
            QCOMPARE(
                page.model()->data(page.model()->index(row, InvoiceListModel::Status)).toString(),
                QStringLiteral("Open"));
        // Newest first: Globex's yen invoice, with no decimals.
        QCOMPARE(page.model()->data(page.model()->index(0, InvoiceListModel::Total)).toString(),
                 QStringLiteral("12,000 JPY"));

        status->setCurrentIndex(status->findData(QStringLiteral("paid")));
        QTRY_VERIFY_WITH_TIMEOUT(waitLoaded(page) && page.model()->rowCount() == 1, 10000);
        page.view()->selectRow(0);
        QTRY_VERIFY_WITH_TIMEOUT(!page.details()->isLoading() && page.details()->invoice(), 10000);
        auto label = [&page](const char *name) {
            return page.details()->findChild<QLabel *>(QLatin1String(name))->text();
        };
        QCOMPARE(label("detailTitle"), QStringLiteral("Invoice ACME-0001"));
        QCOMPARE(label("detailTenant"), QStringLiteral("Acme Ltd"));
        QCOMPARE(label("detailSubtotal"), QStringLiteral("1,234.56 EUR"));
        QCOMPARE(label("detailTax"), QStringLiteral("234.57 EUR"));
        QCOMPARE(label("detailTotal"), QStringLiteral("1,469.13 EUR"));
        QCOMPARE(label("detailAmountPaid"), QStringLiteral("1,469.13 EUR"));
        QCOMPARE(label("detailAmountRemaining"), QStringLiteral("0.00 EUR"));
        QCOMPARE(label("detailStatus"), QStringLiteral("Paid"));
        QVERIFY(label("detailPeriod").contains(QStringLiteral("–")));

        // The hosted invoice opens in the browser.
        UrlCatcher catcher;
        QDesktopServices::setUrlHandler(QStringLiteral("https"), &catcher, "open");
        QPushButton *open = page.details()->openButton();
        QVERIFY(open->isEnabled());
        open->click();
        QDesktopServices::unsetUrlHandler(QStringLiteral("https"));
        QCOMPARE(catcher.urls.size(), 1);
        QCOMPARE(catcher.urls.first(),
                 QUrl(QStringLiteral("https://invoice.stripe.com/i/acct_1/test_a1")));

        // A draft has no page in Stripe yet: nothing to open.
        status->setCurrentIndex(status->findData(QStringLiteral("draft")));
        QTRY_VERIFY_WITH_TIMEOUT(waitLoaded(page) && page.model()->rowCount() == 1, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(page.details()->invoice() &&
                                     page.details()->invoice()->status == QStringLiteral("draft"),
                                 10000);
        QVERIFY(!open->isEnabled());
        QCOMPARE(label("detailTitle"), QStringLiteral("Draft invoice"));
    }
};

QTEST_MAIN(InvoicesGuiTest)
#include "tst_invoicesgui.moc"
