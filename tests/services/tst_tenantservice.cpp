// The tenants service against a real PostgreSQL: what an operator does to tenants, and
// what the database must refuse.

#include "testcluster.h"

#include "tenants/tenantservice.h"
#include "tenants/tenantvalidator.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
TenantDraft acme()
{
    TenantDraft d;
    d.name = QStringLiteral("  Acme   Ltd ");
    d.slug = QStringLiteral("Acme-Ltd");
    d.billingEmail = QStringLiteral("Billing@ACME.Example");
    d.currency = QStringLiteral("eur");
    d.country = QStringLiteral("de");
    return d;
}

TenantDraft draftNamed(const QString &name)
{
    TenantDraft d;
    d.name = name;
    d.slug = TenantValidator::suggestSlug(name);
    d.billingEmail = QStringLiteral("billing@example.com");
    d.currency = QStringLiteral("USD");
    return d;
}

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql))
        QFAIL(qPrintable(q.lastError().text() + QStringLiteral(" in ") + sql));
}

int scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return -1;
    return q.value(0).toInt();
}

// A subscription needs a product and a plan; the tenant keeps it from being deleted.
void addSubscription(const TestDatabase &db, const QString &tenantId)
{
    exec(db, QStringLiteral("INSERT INTO products (id, name) VALUES "
                            "('00000000-0000-0000-0000-00000000a001', 'Platform') "
                            "ON CONFLICT DO NOTHING"));
    exec(db, QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency) VALUES "
                            "('00000000-0000-0000-0000-00000000b001', "
                            "'00000000-0000-0000-0000-00000000a001', 'Pro', 4900, 'USD') "
                            "ON CONFLICT DO NOTHING"));
    exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status) VALUES "
                            "('%1', '00000000-0000-0000-0000-00000000b001', 'active')")
                 .arg(tenantId));
}
} // namespace

class TenantServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void createNormalisesAndStores()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY2(created, qPrintable(created ? QString() : created.error().message));
        QCOMPARE(created->name, QStringLiteral("Acme Ltd"));
        QCOMPARE(created->slug, QStringLiteral("acme-ltd"));
        QCOMPARE(created->billingEmail, QStringLiteral("Billing@acme.example"));
        QCOMPARE(created->currency, QStringLiteral("EUR"));
        QCOMPARE(created->country, QStringLiteral("DE"));
        QCOMPARE(created->status, QStringLiteral("active"));
        QCOMPARE(created->version, 1);
        QVERIFY(created->taxId.isEmpty());

        auto fetched = service.get(created->id);
        QVERIFY(fetched);
        QCOMPARE(fetched->slug, created->slug);
        QCOMPARE(
            scalar(db, QStringLiteral("SELECT count(*) FROM organizations WHERE tax_id IS NULL")),
            1);
    }

    void createRejectsBadInput_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("messagePart");
        QTest::newRow("empty name") << "name"
                                    << "   "
                                    << "name";
        QTest::newRow("slug with spaces") << "slug"
                                          << "acme ltd"
                                          << "lowercase";
        QTest::newRow("slug with double hyphen") << "slug"
                                                 << "acme--ltd"
                                                 << "hyphen";
        QTest::newRow("one-letter slug") << "slug"
                                         << "a"
                                         << "2 to 63";
        QTest::newRow("email without domain") << "billingEmail"
                                              << "billing@"
                                              << "email";
        QTest::newRow("email with spaces") << "billingEmail"
                                           << "bill ing@x.com"
                                           << "email";
        QTest::newRow("unknown currency") << "currency"
                                          << "EUX"
                                          << "ISO 4217";
        QTest::newRow("currency too long") << "currency"
                                           << "EURO"
                                           << "ISO 4217";
        QTest::newRow("unknown country") << "country"
                                         << "XX"
                                         << "country";
    }

    void createRejectsBadInput()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, messagePart);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantDraft d = acme();
        if (field == QLatin1String("name"))
            d.name = value;
        else if (field == QLatin1String("slug"))
            d.slug = value;
        else if (field == QLatin1String("billingEmail"))
            d.billingEmail = value;
        else if (field == QLatin1String("currency"))
            d.currency = value;
        else if (field == QLatin1String("country"))
            d.country = value;

        const QList<FieldProblem> problems = TenantValidator::validate(d);
        QCOMPARE(problems.size(), 1);
        QCOMPARE(problems.first().field, field);

        auto created = TenantService(db.connectionName()).create(d);
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ErrorKind::InvalidInput);
        QVERIFY2(created.error().message.contains(messagePart, Qt::CaseInsensitive),
                 qPrintable(created.error().message));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM organizations")), 0);
    }

    void duplicateSlugIsAPlainConflict()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        QVERIFY(service.create(acme()));
        TenantDraft other = draftNamed(QStringLiteral("Another Acme"));
        other.slug = QStringLiteral("acme-ltd");
        auto available = service.isSlugAvailable(other.slug);
        QVERIFY(available);
        QVERIFY(!available.value());
        auto duplicate = service.create(other);
        QVERIFY(!duplicate);
        QCOMPARE(duplicate.error().kind, ErrorKind::Conflict);
        QCOMPARE(duplicate.error().subject, QStringLiteral("organizations_slug_key"));
        QVERIFY2(!duplicate.error().message.contains(QLatin1String("duplicate key")),
                 qPrintable(duplicate.error().message));
        QVERIFY(duplicate.error().message.contains(QLatin1String("slug")));
    }

    void editUsesOptimisticLocking()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY(created);
        TenantDraft change = TenantDraft::from(created.value());
        change.name = QStringLiteral("Acme Holdings");
        change.taxId = QStringLiteral("DE123456789");
        auto updated = service.update(created->id, created->version, change);
        QVERIFY2(updated, qPrintable(updated ? QString() : updated.error().message));
        QCOMPARE(updated->name, QStringLiteral("Acme Holdings"));
        QCOMPARE(updated->taxId, QStringLiteral("DE123456789"));
        QCOMPARE(updated->version, created->version + 1);

        // A second operator still holding the old version must not overwrite the change.
        change.name = QStringLiteral("Stale Edit");
        auto stale = service.update(created->id, created->version, change);
        QVERIFY(!stale);
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QVERIFY(stale.error().message.contains(QLatin1String("Acme Holdings")));
        QCOMPARE(service.get(created->id)->name, QStringLiteral("Acme Holdings"));
    }

    void suspendAndReactivate()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY(created);
        auto suspended = service.suspend(created->id, created->version);
        QVERIFY(suspended);
        QVERIFY(suspended->isSuspended());
        auto again = service.suspend(created->id, created->version); // stale version
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Conflict);
        auto active = service.reactivate(suspended->id, suspended->version);
        QVERIFY(active);
        QCOMPARE(active->status, QStringLiteral("active"));
        // Each change left an audit row.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                           "'organizations' AND action = 'update'")),
                 2);
    }

    void deleteWithSubscriptionsIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY(created);
        addSubscription(db, created->id);
        Status removed = service.remove(created->id);
        QVERIFY(!removed);
        QCOMPARE(removed.error().kind, ErrorKind::Conflict);
        QVERIFY2(removed.error().message.contains(QLatin1String("1 subscription")),
                 qPrintable(removed.error().message));
        QVERIFY(removed.error().message.contains(QLatin1String("Acme Ltd")));
        QVERIFY(service.get(created->id)); // still there
    }

    void deleteWithoutHistoryRemovesMemberships()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY(created);
        exec(db,
             QStringLiteral("INSERT INTO users (id, email, display_name) VALUES "
                            "('00000000-0000-0000-0000-0000000000c1', 'ann@example.com', 'Ann')"));
        exec(db, QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                                "SELECT '%1', '00000000-0000-0000-0000-0000000000c1', id "
                                "FROM roles WHERE key = 'viewer' AND is_builtin")
                     .arg(created->id));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships")), 1);
        Status removed = service.remove(created->id);
        QVERIFY2(removed, qPrintable(removed ? QString() : removed.error().message));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM organizations")), 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships")), 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM users")), 1); // people stay
        auto gone = service.remove(created->id);
        QVERIFY(!gone);
        QCOMPARE(gone.error().kind, ErrorKind::NotFound);
    }

    void pagesCoverEveryRowOnce_data()
    {
        QTest::addColumn<int>("sort");
        QTest::addColumn<bool>("descending");
        QTest::newRow("name ascending") << int(TenantSort::Name) << false;
        QTest::newRow("name descending") << int(TenantSort::Name) << true;
        QTest::newRow("status (many equal values)") << int(TenantSort::TenantStatus) << false;
        QTest::newRow("created descending (same instant)") << int(TenantSort::CreatedAt) << true;
        QTest::newRow("currency") << int(TenantSort::Currency) << false;
    }

    void pagesCoverEveryRowOnce()
    {
        QFETCH(int, sort);
        QFETCH(bool, descending);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        // 45 tenants created in one statement share created_at to the microsecond, so only
        // the id tie-breaker keeps paging exact.
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (name, slug, billing_email, currency, status) "
                     "SELECT 'Tenant ' || lpad(g::text, 3, '0'), 'tenant-' || g, "
                     "'t' || g || '@example.com', (ARRAY['EUR','USD','GBP'])[1 + g % 3], "
                     "CASE WHEN g % 4 = 0 THEN 'suspended' ELSE 'active' END "
                     "FROM generate_series(1, 45) g"));
        TenantService service(db.connectionName());
        TenantQuery query;
        query.sort = TenantSort(sort);
        query.descending = descending;
        QStringList seen;
        std::optional<TenantCursor> cursor;
        int pages = 0;
        do {
            auto page = service.page(query, cursor, 10);
            QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
            for (const Tenant &t : page->rows)
                seen << t.id;
            cursor = page->next;
            QCOMPARE(page->hasMore, page->next.has_value());
            ++pages;
        } while (cursor && pages < 20);
        QCOMPARE(pages, 5);
        QCOMPARE(seen.size(), 45);
        QCOMPARE(QSet<QString>(seen.cbegin(), seen.cend()).size(), 45);
        QCOMPARE(service.count(query).value(), 45);

        if (query.sort == TenantSort::Name) {
            auto first = service.page(query, std::nullopt, 1);
            QCOMPARE(first->rows.first().name,
                     descending ? QStringLiteral("Tenant 045") : QStringLiteral("Tenant 001"));
        }
    }

    void filterMatchesTextAsData_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("status");
        QTest::addColumn<int>("expected");
        QTest::newRow("name part") << "acme"
                                   << "" << 2;
        QTest::newRow("case-insensitive") << "ACME"
                                          << "" << 2;
        QTest::newRow("slug") << "globex-corp"
                              << "" << 1;
        QTest::newRow("email") << "ledger@"
                               << "" << 1;
        QTest::newRow("stripe id") << "cus_Q1"
                                   << "" << 1;
        QTest::newRow("percent is literal") << "50%"
                                            << "" << 1;
        QTest::newRow("underscore is literal") << "a_b"
                                               << "" << 0;
        QTest::newRow("status only") << ""
                                     << "suspended" << 1;
        QTest::newRow("text and status") << "acme"
                                         << "active" << 1;
        QTest::newRow("injection") << "'; DROP TABLE organizations; --"
                                   << "" << 0;
        QTest::newRow("quote") << "O'Brien"
                               << "" << 1;
        QTest::newRow("no match") << "zzz"
                                  << "" << 0;
    }

    void filterMatchesTextAsData()
    {
        QFETCH(QString, text);
        QFETCH(QString, status);
        QFETCH(int, expected);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (name, slug, billing_email, currency, status, "
                     "stripe_customer_id) VALUES "
                     "('Acme Ltd', 'acme-ltd', 'a@acme.example', 'EUR', 'active', NULL), "
                     "('Acme Two', 'acme-two', 'b@acme.example', 'EUR', 'suspended', NULL), "
                     "('Globex Corp', 'globex-corp', 'ledger@globex.example', 'USD', 'active', "
                     "'cus_Q1abc'), "
                     "('50% Off Shop', 'fifty-off', 'shop@example.com', 'USD', 'active', NULL), "
                     "('O''Brien & Sons', 'obrien', 'ob@example.com', 'GBP', 'active', NULL)"));
        TenantQuery query;
        query.text = text;
        query.status = status;
        TenantService service(db.connectionName());
        auto page = service.page(query, std::nullopt, 50);
        QVERIFY2(page, qPrintable(page ? QString() : page.error().message));
        QCOMPARE(page->rows.size(), expected);
        QCOMPARE(service.count(query).value(), expected);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM organizations")), 5);
    }

    void detailsCountWhatFinanceAsks()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        TenantService service(db.connectionName());
        auto created = service.create(acme());
        QVERIFY(created);
        addSubscription(db, created->id);
        exec(db, QStringLiteral("INSERT INTO invoices (organization_id, status, currency, total, "
                                "amount_due, amount_remaining) VALUES "
                                "('%1', 'open', 'EUR', 1000, 1000, 1000), "
                                "('%1', 'open', 'EUR', 2550, 2550, 2550), "
                                "('%1', 'paid', 'EUR', 900, 900, 0)")
                     .arg(created->id));
        auto details = service.details(created->id);
        QVERIFY2(details, qPrintable(details ? QString() : details.error().message));
        QCOMPARE(details->subscriptionCount, 1);
        QCOMPARE(details->liveSubscriptionCount, 1);
        QCOMPARE(details->openInvoiceCount, 2);
        QCOMPARE(details->openInvoiceAmount, qint64(3550));
        QCOMPARE(details->openInvoiceCurrency, QStringLiteral("EUR"));
        QCOMPARE(details->memberCount, 0);
    }

    void slugSuggestions_data()
    {
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("slug");
        QTest::newRow("plain") << "Acme Ltd."
                               << "acme-ltd";
        QTest::newRow("accents") << "Café Zürich"
                                 << "cafe-zurich";
        QTest::newRow("symbols") << "  A&B -- Partners!! "
                                 << "a-b-partners";
        QTest::newRow("nothing usable") << "!!!"
                                        << "";
    }

    void slugSuggestions()
    {
        QFETCH(QString, name);
        QFETCH(QString, slug);
        QCOMPARE(TenantValidator::suggestSlug(name), slug);
    }
};

QTEST_GUILESS_MAIN(TenantServiceTest)
#include "tst_tenantservice.moc"
