// The invoices service against a real PostgreSQL: filters, keyset paging that visits every
// row once in every order, the detail's figures, what another organization's operator sees,
// and which hosted-invoice addresses the console would open.

#include "testcluster.h"
#include "testoperators.h"

#include "core/money.h"
#include "invoices/invoiceservice.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString AcmeSub = QStringLiteral("00000000-0000-0000-0000-00000000d001");
const QString GlobexSub = QStringLiteral("00000000-0000-0000-0000-00000000d011");
const QString PaidInvoice = QStringLiteral("00000000-0000-0000-0000-00000000f001");
const QString OpenInvoice = QStringLiteral("00000000-0000-0000-0000-00000000f002");
const QString DraftInvoice = QStringLiteral("00000000-0000-0000-0000-00000000f003");
const QString GlobexOverdue = QStringLiteral("00000000-0000-0000-0000-00000000f011");
const QString GlobexOneOff = QStringLiteral("00000000-0000-0000-0000-00000000f012");

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning() << q.lastError().text() << sql;
        return false;
    }
    return true;
}

QString message(const Error &e)
{
    return e.message + QStringLiteral(" / ") + e.detail;
}

bool seed(const TestDatabase &db)
{
    return exec(
        db,
        QStringLiteral(
            "INSERT INTO organizations (id, name, slug, billing_email, currency, "
            "stripe_customer_id)"
            " VALUES ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR', 'cus_acme'),"
            " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'JPY', NULL);"
            "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-00000000e001', "
            "'Platform');"
            "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
            " ('00000000-0000-0000-0000-00000000c001', '00000000-0000-0000-0000-00000000e001', "
            "'Pro',"
            "  4900, 'EUR'),"
            " ('00000000-0000-0000-0000-00000000c002', '00000000-0000-0000-0000-00000000e001', "
            "'Team',"
            "  12000, 'JPY');"
            "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity,"
            "  stripe_subscription_id, collection_method, days_until_due) VALUES"
            " ('%3', '%1', '00000000-0000-0000-0000-00000000c001', 'active', 5, 'sub_a1',"
            "  'charge_automatically', NULL),"
            " ('%4', '%2', '00000000-0000-0000-0000-00000000c002', 'past_due', 1, 'sub_b1',"
            "  'send_invoice', 14);"
            "INSERT INTO invoices (id, organization_id, subscription_id, number, status, currency,"
            "  subtotal, tax, total, amount_due, amount_paid, amount_remaining, period_start,"
            "  period_end, due_date, hosted_invoice_url, stripe_invoice_id, created_at, "
            "finalized_at,"
            "  paid_at) VALUES"
            " ('%5', '%1', '%3', 'ACME-0001', 'paid', 'EUR', 123456, 23457, 146913, 146913, "
            "146913, 0,"
            "  '2026-09-01 00:00+00', '2026-10-01 00:00+00', NULL,"
            "  'https://invoice.stripe.com/i/acct_1/test_a1', 'in_a1', '2026-09-01 00:05+00',"
            "  '2026-09-01 01:00+00', '2026-09-01 01:04+00'),"
            " ('%6', '%1', '%3', 'ACME-0002', 'open', 'EUR', 24500, 4655, 29155, 29155, 0, 29155,"
            "  '2026-10-01 00:00+00', '2026-11-01 00:00+00', now() + interval '3 days',"
            "  'https://invoice.stripe.com/i/acct_1/test_a2', 'in_a2', '2026-10-01 00:05+00',"
            "  '2026-10-01 01:00+00', NULL),"
            " ('%7', '%1', '%3', NULL, 'draft', 'EUR', 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL,"
            "  NULL, '2026-11-01 00:05+00', NULL, NULL),"
            " ('%8', '%2', '%4', 'GLOB-0001', 'open', 'JPY', 12000, 0, 12000, 12000, 0, 12000,"
            "  '2026-10-01 00:00+00', '2026-11-01 00:00+00', now() - interval '2 days',"
            "  'https://invoice.stripe.com/i/acct_1/test_b1', 'in_b1', '2026-10-02 00:00+00',"
            "  '2026-10-02 00:00+00', NULL),"
            " ('%9', '%2', NULL, 'GLOB-0002', 'uncollectible', 'JPY', 5000, 0, 5000, 5000, 0, 5000,"
            "  NULL, NULL, '2026-08-15 00:00+00', NULL, 'in_b2', '2026-08-01 00:00+00',"
            "  '2026-08-01 00:00+00', NULL);")
            .arg(Acme, Globex, AcmeSub, GlobexSub, PaidInvoice, OpenInvoice, DraftInvoice,
                 GlobexOverdue, GlobexOneOff));
}
} // namespace

class InvoiceServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void filtersAndSorts()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        InvoiceService service(db.connectionName());
        InvoiceQuery all; // newest first
        QCOMPARE(service.count(all).value(), 5);
        auto page = service.page(all, std::nullopt);
        QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
        QCOMPARE(page->rows.first().id, DraftInvoice);
        QCOMPARE(page->rows.last().id, GlobexOneOff);

        InvoiceQuery open;
        open.status = QStringLiteral("open");
        QCOMPARE(service.count(open).value(), 2);
        open.organizationId = Globex;
        auto globexOpen = service.page(open, std::nullopt);
        QCOMPARE(globexOpen->rows.size(), 1);
        QCOMPARE(globexOpen->rows.first().number, QStringLiteral("GLOB-0001"));
        QVERIFY(globexOpen->rows.first().isOverdue());

        InvoiceQuery byTotal;
        byTotal.sort = InvoiceSort::Total;
        byTotal.descending = true;
        QCOMPARE(service.page(byTotal, std::nullopt)->rows.first().id, PaidInvoice);
        InvoiceQuery byDue;
        byDue.sort = InvoiceSort::DueDate;
        byDue.descending = false; // earliest due first, none due last
        auto due = service.page(byDue, std::nullopt);
        QCOMPARE(due->rows.first().id, GlobexOneOff);
        QVERIFY(!due->rows.last().dueDate.isValid());
        InvoiceQuery forSubscription;
        forSubscription.subscriptionId = AcmeSub;
        QCOMPARE(service.count(forSubscription).value(), 3);
    }

    void pagingVisitsEveryRowOnce_data()
    {
        QTest::addColumn<int>("sort");
        QTest::addColumn<bool>("descending");
        for (int sort = 0; sort < 4; ++sort) {
            for (bool descending : {false, true}) {
                const QByteArray name = QByteArray::number(sort) + (descending ? " desc" : " asc");
                QTest::newRow(name.constData()) << sort << descending;
            }
        }
    }

    void pagingVisitsEveryRowOnce()
    {
        QFETCH(int, sort);
        QFETCH(bool, descending);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        QVERIFY(exec(
            db,
            QStringLiteral(
                "INSERT INTO invoices (organization_id, subscription_id, status, currency, total,"
                " due_date, created_at)"
                " SELECT '%1', '%2', (ARRAY['paid','open','void'])[1 + g % 3], 'EUR', (g % 4) * "
                "1000,"
                "  CASE WHEN g % 5 = 0 THEN NULL"
                "       ELSE timestamptz '2026-03-01 00:00:00.000001+00' + (g % 6) * interval '1 "
                "day' END,"
                "  timestamptz '2026-01-01 12:00:00.999999+00' + (g % 7) * interval '1 microsecond'"
                " FROM generate_series(1, 215) g")
                .arg(Acme, AcmeSub)));
        InvoiceService service(db.connectionName());
        InvoiceQuery query;
        query.sort = InvoiceSort(sort);
        query.descending = descending;
        const int total = service.count(query).value();
        QCOMPARE(total, 220);
        QSet<QString> seen;
        std::optional<InvoiceCursor> after;
        int pages = 0;
        do {
            auto page = service.page(query, after, 13);
            QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
            for (const Invoice &i : page->rows) {
                QVERIFY2(!seen.contains(i.id), "a row came twice");
                seen.insert(i.id);
            }
            after = page->next;
            ++pages;
        } while (after && pages < 100);
        QCOMPARE(seen.size(), total);
    }

    void detailsHaveAmountsTenantAndSubscription()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        InvoiceService service(db.connectionName());
        auto details = service.details(PaidInvoice);
        QVERIFY2(details, qPrintable(details ? QString() : message(details.error())));
        const Invoice &i = details->invoice;
        QCOMPARE(i.organizationName, QStringLiteral("Acme Ltd"));
        QCOMPARE(i.planName, QStringLiteral("Pro"));
        QCOMPARE(i.stripeSubscriptionId, QStringLiteral("sub_a1"));
        QCOMPARE(i.subtotal, qint64(123456));
        QCOMPARE(i.tax, qint64(23457));
        QCOMPARE(i.total, qint64(146913));
        QCOMPARE(i.amountPaid, qint64(146913));
        QCOMPARE(i.amountRemaining, qint64(0));
        const QLocale english(QLocale::English);
        QCOMPARE(formatMoney(i.total, i.currency, english), QStringLiteral("1,469.13 EUR"));
        QCOMPARE(i.periodStart, QDateTime(QDate(2026, 9, 1), QTime(0, 0), Qt::UTC));
        QCOMPARE(i.periodEnd, QDateTime(QDate(2026, 10, 1), QTime(0, 0), Qt::UTC));
        QVERIFY(i.paidAt.isValid() && i.finalizedAt.isValid() && !i.dueDate.isValid());
        QCOMPARE(details->tenantBillingEmail, QStringLiteral("billing@acme.example"));
        QCOMPARE(details->tenantStripeCustomerId, QStringLiteral("cus_acme"));
        QCOMPARE(details->subscriptionStatus, QStringLiteral("active"));
        QCOMPARE(details->subscriptionQuantity, 5);

        auto yen = service.details(GlobexOverdue);
        QVERIFY(yen);
        QCOMPARE(formatMoney(yen->invoice.total, yen->invoice.currency, english),
                 QStringLiteral("12,000 JPY"));
        auto oneOff = service.details(GlobexOneOff);
        QVERIFY(oneOff);
        QVERIFY(oneOff->invoice.subscriptionId.isEmpty());
        QVERIFY(oneOff->subscriptionStatus.isEmpty());
        auto draft = service.get(DraftInvoice);
        QVERIFY(draft && draft->number.isEmpty() && draft->hostedInvoiceUrl.isEmpty());
        QCOMPARE(service.get(QStringLiteral("x")).error().kind, ErrorKind::NotFound);
    }

    void otherOrganizationsAreInvisible()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto viewer = test::createOperator(db, QStringLiteral("vera"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : message(viewer.error())));
        ScopedConnection connection(viewer.value().settings);
        QVERIFY(connection.isOpen());
        InvoiceService service(connection.name());
        InvoiceQuery all;
        QCOMPARE(service.count(all).value(), 3);
        // Kept in a variable: a range-for over a member of a temporary would dangle.
        const auto page = service.page(all, std::nullopt);
        QVERIFY(page);
        for (const Invoice &i : page->rows)
            QCOMPARE(i.organizationId, Acme);
        InvoiceQuery globex;
        globex.organizationId = Globex;
        QCOMPARE(service.count(globex).value(), 0);
        QCOMPARE(service.get(GlobexOverdue).error().kind, ErrorKind::NotFound);
        QCOMPARE(service.details(GlobexOverdue).error().kind, ErrorKind::NotFound);
        QVERIFY(service.details(OpenInvoice));
    }

    void onlyHttpsAddressesAreOpened_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<bool>("openable");
        QTest::newRow("stripe") << "https://invoice.stripe.com/i/acct_1/test_a1" << true;
        QTest::newRow("http") << "http://invoice.stripe.com/i/acct_1" << false;
        QTest::newRow("file") << "file:///etc/passwd" << false;
        QTest::newRow("javascript") << "javascript:alert(1)" << false;
        QTest::newRow("no host") << "https:///path" << false;
        QTest::newRow("user info") << "https://user:pw@evil.example/" << false;
        QTest::newRow("empty") << "" << false;
        QTest::newRow("upper-case scheme") << "HTTPS://invoice.stripe.com/i/x" << true;
    }

    void onlyHttpsAddressesAreOpened()
    {
        QFETCH(QString, url);
        QFETCH(bool, openable);
        QCOMPARE(InvoiceService::isOpenableUrl(url), openable);
    }
};

QTEST_GUILESS_MAIN(InvoiceServiceTest)
#include "tst_invoiceservice.moc"
