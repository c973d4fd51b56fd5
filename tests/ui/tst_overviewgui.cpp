// The Overview screen offscreen: the figures of the test data shown formatted, the usage
// chart with one series per metric, and the organization picker narrowing everything.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "core/money.h"
#include "overview/overviewpage.h"
#include "overview/overviewscopepicker.h"

#include <QAbstractSeries>
#include <QChart>
#include <QComboBox>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QTreeWidget>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");

// Acme: 1,234.56 EUR a month, api_calls yesterday, an invoice three days overdue.
// Globex: 2 × 5.00 USD a month, storage_gb two days ago.
void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    for (const QString &sql :
         {QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                         "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                         "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
              .arg(Acme, Globex),
          QStringLiteral("INSERT INTO products (id, name) VALUES "
                         "('00000000-0000-0000-0000-00000000f001', 'Cloud')"),
          QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency) VALUES "
                         "('00000000-0000-0000-0000-000000000101', "
                         "'00000000-0000-0000-0000-00000000f001', 'Team EUR', 123456, 'EUR'), "
                         "('00000000-0000-0000-0000-000000000102', "
                         "'00000000-0000-0000-0000-00000000f001', 'Team USD', 500, 'USD')"),
          QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status, quantity) "
                         "VALUES ('%1', '00000000-0000-0000-0000-000000000101', 'active', 1), "
                         "('%2', '00000000-0000-0000-0000-000000000102', 'active', 2)")
              .arg(Acme, Globex),
          QStringLiteral("INSERT INTO usage_records (organization_id, metric, quantity, "
                         "occurred_at, idempotency_key) VALUES "
                         "('%1', 'api_calls', 5, now() - interval '1 day', 'a'), "
                         "('%2', 'storage_gb', 9, now() - interval '2 days', 'b')")
              .arg(Acme, Globex),
          QStringLiteral("INSERT INTO invoices (organization_id, number, status, currency, "
                         "total, amount_due, amount_remaining, due_date, finalized_at) VALUES "
                         "('%1', 'ACME-9', 'open', 'EUR', 5000, 5000, 5000, "
                         "now() - interval '3 days', now() - interval '33 days')")
              .arg(Acme)}) {
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text() + QLatin1Char(' ') + sql));
    }
}

QString labelText(QWidget *page, const QString &name)
{
    auto *label = page->findChild<QLabel *>(name);
    return label ? label->text() : QStringLiteral("<no label %1>").arg(name);
}

QStringList seriesNames(QChart *chart)
{
    QStringList names;
    const auto series = chart->series();
    for (QAbstractSeries *s : series)
        names << s->name();
    return names;
}
} // namespace

class OverviewGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void showsTheFiguresOfTheSelection()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        OverviewPage page(db.settings());
        page.resize(1100, 760);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.hasFigures(), 10000);
        QVERIFY2(page.banner()->text().isEmpty(), qPrintable(page.banner()->text()));

        const QLocale locale;
        QCOMPARE(labelText(&page, QStringLiteral("amount_EUR")),
                 formatMoney(123456, QStringLiteral("EUR"), locale));
        QCOMPARE(labelText(&page, QStringLiteral("amount_EUR")), QStringLiteral("1,234.56 EUR"));
        QCOMPARE(labelText(&page, QStringLiteral("amount_USD")), QStringLiteral("10.00 USD"));
        QCOMPARE(labelText(&page, QStringLiteral("statusCount_active")), QStringLiteral("2"));
        QCOMPARE(labelText(&page, QStringLiteral("statusCount_paused")), QStringLiteral("0"));
        QCOMPARE(page.figures().statusCounts.size(), 8);
        QVERIFY(
            labelText(&page, QStringLiteral("mrrCardNote")).contains(QStringLiteral("Metered")));

        QCOMPARE(seriesNames(page.chart()),
                 (QStringList{QStringLiteral("api_calls"), QStringLiteral("storage_gb")}));
        QCOMPARE(page.failedPaymentsView()->topLevelItemCount(), 1);
        QTreeWidgetItem *failed = page.failedPaymentsView()->topLevelItem(0);
        QCOMPARE(failed->text(0), QStringLiteral("Acme Ltd"));
        QCOMPARE(failed->text(1), QStringLiteral("ACME-9"));
        QCOMPARE(failed->text(2), QStringLiteral("50.00 EUR"));

        // One organization: its figures only.
        QComboBox *combo = page.scopePicker()->comboBox();
        QTRY_COMPARE(combo->count(), 3);
        QCOMPARE(combo->itemText(0), QStringLiteral("All organizations"));
        combo->setCurrentIndex(combo->findData(Globex));
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.figures().organizationId == Globex, 10000);
        QCOMPARE(labelText(&page, QStringLiteral("amount_USD")), QStringLiteral("10.00 USD"));
        QVERIFY(!page.findChild<QLabel *>(QStringLiteral("amount_EUR")));
        QCOMPARE(seriesNames(page.chart()), QStringList{QStringLiteral("storage_gb")});
        QCOMPARE(page.failedPaymentsView()->topLevelItemCount(), 0);

        // Refresh computes again and shows what changed meanwhile.
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(q.exec(QStringLiteral("UPDATE subscriptions SET quantity = 3 WHERE "
                                      "organization_id = '%1'")
                           .arg(Globex)));
        auto *refresh = page.findChild<QPushButton *>(QStringLiteral("overviewRefreshButton"));
        QVERIFY(refresh);
        QTRY_VERIFY(refresh->isEnabled());
        refresh->click();
        QTRY_COMPARE_WITH_TIMEOUT(labelText(&page, QStringLiteral("amount_USD")),
                                  QStringLiteral("15.00 USD"), 10000);
    }
};

QTEST_MAIN(OverviewGuiTest)
#include "tst_overviewgui.moc"
