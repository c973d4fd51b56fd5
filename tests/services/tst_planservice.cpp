// The plan service against a real PostgreSQL: the catalog as the owner, a platform
// administrator and tenant operators; bad input; a new amount as a new version; what may be
// deleted; and what the database itself refuses.

#include "testcluster.h"
#include "testoperators.h"

#include "core/translations.h"
#include "database/sqlerror.h"
#include "plans/planservice.h"
#include "plans/planvalidator.h"

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
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");
const QString Cloud = QStringLiteral("00000000-0000-0000-0000-0000000000c1");
const QString Api = QStringLiteral("00000000-0000-0000-0000-0000000000c2");
const QString Team = QStringLiteral("00000000-0000-0000-0000-0000000000d1");    // used
const QString Starter = QStringLiteral("00000000-0000-0000-0000-0000000000d2"); // unused
const QString Calls = QStringLiteral("00000000-0000-0000-0000-0000000000d3");   // in Stripe
const QString Retired = QStringLiteral("00000000-0000-0000-0000-0000000000d4"); // ended subs

bool exec(const QSqlDatabase &db, const QString &sql)
{
    QSqlQuery q(db);
    if (!q.exec(sql)) {
        qWarning("%s in %s", qPrintable(q.lastError().text()), qPrintable(sql));
        return false;
    }
    return true;
}

bool exec(const TestDatabase &db, const QString &sql)
{
    return exec(QSqlDatabase::database(db.connectionName()), sql);
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

QString message(const Error &error)
{
    return error.message + QStringLiteral(" (") + error.detail + QLatin1Char(')');
}

// Two tenants and a small catalog: Team is used by live subscriptions in both tenants,
// Starter by nobody, Calls is metered and in Stripe, Retired only has an ended subscription.
bool seed(const TestDatabase &db)
{
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) "
                        "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                        "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                        .arg(Acme, Globex)) &&
           exec(db, QStringLiteral("INSERT INTO products (id, name, description) VALUES "
                                   "('%1', 'Cloud', 'The hosted workspace'), "
                                   "('%2', 'API', 'Programmatic access')")
                        .arg(Cloud, Api)) &&
           exec(db, QStringLiteral(
                        "INSERT INTO plans (id, product_id, name, amount, currency, trial_days) "
                        "VALUES ('%1', '%3', 'Team', 4900, 'EUR', 14), "
                        "('%2', '%3', 'Starter', 1900, 'EUR', 0), "
                        "('%4', '%3', 'Retired', 900, 'USD', 0)")
                        .arg(Team, Starter, Cloud, Retired)) &&
           exec(db, QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency, "
                                   "usage_type, metric, stripe_price_id, stripe_meter_id) VALUES "
                                   "('%1', '%2', 'Calls', 2, 'EUR', 'metered', 'api_calls', "
                                   "'price_calls', 'mtr_calls')")
                        .arg(Calls, Api)) &&
           exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status) "
                                   "VALUES ('%1', '%3', 'active'), ('%1', '%3', 'trialing'), "
                                   "('%1', '%3', 'past_due'), ('%1', '%3', 'canceled'), "
                                   "('%2', '%3', 'active'), ('%2', '%4', 'canceled')")
                        .arg(Acme, Globex, Team, Retired));
}

// Everything an operator could have changed, as one string to compare before and after.
QString catalogSnapshot(const TestDatabase &db)
{
    return scalar(db, QStringLiteral(
                          "SELECT (SELECT string_agg(concat_ws('|', id, name, description, "
                          "archived_at, version), ',' ORDER BY id) FROM products) || ' / ' || "
                          "(SELECT string_agg(concat_ws('|', id, name, description, amount, "
                          "currency, archived_at, replaces_plan_id, version), ',' ORDER BY id) "
                          "FROM plans)"))
        .toString();
}

PlanDraft draft(const QString &productId = Cloud)
{
    PlanDraft d;
    d.productId = productId;
    d.name = QStringLiteral("  Business   (EUR) ");
    d.description = QStringLiteral(" For teams of fifty and more. ");
    d.amount = 9900;
    d.currency = QStringLiteral("eur");
    d.interval = QStringLiteral("month");
    d.intervalCount = 1;
    d.usageType = QStringLiteral("licensed");
    d.trialDays = 30;
    return d;
}

QStringList ids(const QList<Plan> &plans)
{
    QStringList result;
    for (const Plan &p : plans)
        result << p.id;
    return result;
}
} // namespace

class PlanServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        // English plural forms, and amounts formatted the same on every machine.
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedStates));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedStates));
    }

    void ownerCreatesProductsAndPlans()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());

        auto product = service.createProduct(
            {QStringLiteral("  Premium   Support "), QStringLiteral(" A named engineer. ")});
        QVERIFY2(product, qPrintable(product ? QString() : message(product.error())));
        QCOMPARE(product->name, QStringLiteral("Premium Support"));
        QCOMPARE(product->description, QStringLiteral("A named engineer."));
        QCOMPARE(product->version, 1);
        QVERIFY(!product->isArchived());

        auto taken = service.createProduct({QStringLiteral("cloud"), QString()});
        QVERIFY(!taken);
        QCOMPARE(taken.error().kind, ErrorKind::Conflict);
        QCOMPARE(taken.error().message,
                 QStringLiteral("Another product that is not archived already has this name."));

        auto plan = service.create(draft(product->id));
        QVERIFY2(plan, qPrintable(plan ? QString() : message(plan.error())));
        QCOMPARE(plan->name, QStringLiteral("Business (EUR)"));
        QCOMPARE(plan->description, QStringLiteral("For teams of fifty and more."));
        QCOMPARE(plan->productName, QStringLiteral("Premium Support"));
        QCOMPARE(plan->amount, qint64(9900));
        QCOMPARE(plan->currency, QStringLiteral("EUR"));
        QCOMPARE(plan->trialDays, 30);
        QCOMPARE(plan->version, 1);
        QCOMPARE(plan->subscriberCount, 0);
        QVERIFY(!plan->isArchived() && !plan->isInStripe() && plan->metric.isEmpty());

        PlanDraft metered = draft(Api);
        metered.name = QStringLiteral("Calls (JPY)");
        metered.currency = QStringLiteral("JPY");
        metered.amount = 3;
        metered.interval = QStringLiteral("week");
        metered.intervalCount = 2;
        metered.usageType = QStringLiteral("metered");
        metered.metric = QStringLiteral(" API_Calls ");
        auto calls = service.create(metered);
        QVERIFY2(calls, qPrintable(calls ? QString() : message(calls.error())));
        QCOMPARE(calls->metric, QStringLiteral("api_calls"));
        QCOMPARE(calls->interval, QStringLiteral("week"));
        QCOMPARE(calls->intervalCount, 2);
        QVERIFY(calls->isMetered());

        auto catalog = service.catalog();
        QVERIFY(catalog);
        QStringList names;
        for (const Product &p : catalog->products)
            names << QStringLiteral("%1:%2/%3").arg(p.name).arg(p.activePlanCount).arg(p.planCount);
        QCOMPARE(names.join(QLatin1Char(',')),
                 QStringLiteral("API:2/2,Cloud:3/3,Premium Support:1/1"));
        QCOMPARE(catalog->currencies, (QStringList{QStringLiteral("EUR"), QStringLiteral("JPY"),
                                                   QStringLiteral("USD")}));
    }

    void badInputIsRefusedInPlainWords_data()
    {
        QTest::addColumn<QString>("field");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected");
        QTest::newRow("zero amount") << "amount"
                                     << "0"
                                     << "Enter a price above zero.";
        QTest::newRow("negative amount") << "amount"
                                         << "-100"
                                         << "Enter a price above zero.";
        QTest::newRow("amount too high") << "amount"
                                         << "100000000"
                                         << "The price is too high: at most 999,999.99 EUR.";
        QTest::newRow("unknown currency")
            << "currency"
            << "EUX"
            << "\"EUX\" is not an ISO 4217 currency code (like EUR, USD, GBP).";
        QTest::newRow("no currency") << "currency"
                                     << ""
                                     << "Choose the currency of the price.";
        QTest::newRow("metered without metric")
            << "metered"
            << ""
            << "A metered plan needs the metric it charges for, like api_calls.";
        QTest::newRow("metric with spaces")
            << "metered"
            << "api calls"
            << "A metric has lowercase letters, digits and underscores, starting with a letter "
               "(like api_calls), at most 100 characters.";
        QTest::newRow("empty name") << "name"
                                    << "   "
                                    << "Enter the plan's name.";
        QTest::newRow("interval_count 0")
            << "intervalCount"
            << "0"
            << "The number of intervals between bills must be at least 1.";
        QTest::newRow("more than three years")
            << "intervalCount"
            << "37"
            << "Stripe bills at least every three years: at most 36 of these intervals "
               "between bills.";
        QTest::newRow("unknown interval")
            << "interval"
            << "fortnight"
            << "Choose how often the plan is billed: every day, week, month or year.";
        QTest::newRow("trial too long") << "trialDays"
                                        << "731"
                                        << "The trial lasts between 0 and 730 days.";
        QTest::newRow("no product") << "productId"
                                    << ""
                                    << "Choose the product this plan is a price of.";
    }

    void badInputIsRefusedInPlainWords()
    {
        QFETCH(QString, field);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        const QString before = catalogSnapshot(db);
        PlanDraft d = draft();
        if (field == QLatin1String("amount"))
            d.amount = value.toLongLong();
        else if (field == QLatin1String("currency"))
            d.currency = value;
        else if (field == QLatin1String("metered")) {
            d.usageType = QStringLiteral("metered");
            d.metric = value;
        } else if (field == QLatin1String("name"))
            d.name = value;
        else if (field == QLatin1String("intervalCount"))
            d.intervalCount = value.toInt();
        else if (field == QLatin1String("interval"))
            d.interval = value;
        else if (field == QLatin1String("trialDays"))
            d.trialDays = value.toInt();
        else if (field == QLatin1String("productId"))
            d.productId = value;
        auto created = PlanService(db.connectionName()).create(d);
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ErrorKind::InvalidInput);
        QCOMPARE(created.error().message, expected);
        QCOMPARE(catalogSnapshot(db), before); // nothing was written
    }

    void badProductInputIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        PlanService service(db.connectionName());
        auto empty = service.createProduct({QStringLiteral("  "), QString()});
        QVERIFY(!empty);
        QCOMPARE(empty.error().kind, ErrorKind::InvalidInput);
        QCOMPARE(empty.error().message, QStringLiteral("Enter the product's name."));
        auto long_ = service.createProduct({QStringLiteral("Ok"), QString(2001, QLatin1Char('x'))});
        QVERIFY(!long_);
        QCOMPARE(long_.error().message,
                 QStringLiteral("The description is too long (at most 2000 characters)."));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM products")).toInt(), 0);
    }

    void aPlanOfAnArchivedProductIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        // Archiving a product is refused while it still offers plans.
        auto cloud = service.product(Cloud);
        QVERIFY(cloud);
        auto refused = service.setProductArchived(Cloud, cloud->version, true);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::Conflict);
        QCOMPARE(refused.error().message,
                 QStringLiteral("Cloud still has active plans (3). Archive them first; nothing "
                                "was changed."));
        auto calls = service.get(Calls);
        QVERIFY(calls);
        QVERIFY(service.archive(Calls, calls->version));
        auto api = service.product(Api);
        QVERIFY(api);
        auto archived = service.setProductArchived(Api, api->version, true);
        QVERIFY2(archived, qPrintable(archived ? QString() : message(archived.error())));
        QVERIFY(archived->isArchived());

        auto plan = service.create(draft(Api));
        QVERIFY(!plan);
        QCOMPARE(plan.error().kind, ErrorKind::Conflict);
        QCOMPARE(plan.error().message,
                 QStringLiteral("API is archived: unarchive it first, or choose another product. "
                                "Nothing was saved."));
        calls = service.get(Calls);
        auto unarchive = service.unarchive(Calls, calls->version);
        QVERIFY(!unarchive);
        QCOMPARE(unarchive.error().message,
                 QStringLiteral("Calls belongs to API, which is archived. Unarchive the product "
                                "first; nothing was changed."));
        QVERIFY(service.setProductArchived(Api, archived->version, false));
        QVERIFY(service.create(draft(Api)));
    }

    void aPlatformAdminManagesTheCatalog()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto admin = test::createOperator(db, QStringLiteral("platform"), true, {});
        QVERIFY2(admin, qPrintable(admin ? QString() : message(admin.error())));
        ScopedConnection connection(admin.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        PlanService service(connection.name());

        auto product = service.createProduct({QStringLiteral("Storage"), QString()});
        QVERIFY2(product, qPrintable(product ? QString() : message(product.error())));
        auto renamed = service.updateProduct(product->id, product->version,
                                             {QStringLiteral("Storage"), QStringLiteral("Files")});
        QVERIFY(renamed);
        QCOMPARE(renamed->version, 2);
        auto plan = service.create(draft(product->id));
        QVERIFY2(plan, qPrintable(plan ? QString() : message(plan.error())));
        auto edited = service.update(plan->id, plan->version,
                                     {QStringLiteral("Business"), QStringLiteral("Big teams")});
        QVERIFY(edited);
        auto archived = service.archive(plan->id, edited->version);
        QVERIFY2(archived, qPrintable(archived ? QString() : message(archived.error())));
        QVERIFY(archived->isArchived());
        auto active = service.unarchive(plan->id, archived->version);
        QVERIFY(active);
        QVERIFY(!active->isArchived());
        auto team = service.get(Team);
        QVERIFY(team);
        QCOMPARE(team->subscriberCount, 4); // every tenant's
        auto change = service.changeAmount(Team, team->version, 5900);
        QVERIFY2(change, qPrintable(change ? QString() : message(change.error())));
        QVERIFY(change->versioned);
        QVERIFY(service.remove(plan->id));
        // The audit trail names the platform admin for each change.
        QVERIFY(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'plans' "
                                          "AND login = '%1'")
                               .arg(admin.value().login))
                    .toInt() >= 6);
    }

    void tenantOperatorsAreRefused_data()
    {
        QTest::addColumn<QString>("role");
        QTest::newRow("tenant owner") << "owner"; // its role lists plans.manage: platform only
        QTest::newRow("tenant admin") << "admin";
        QTest::newRow("viewer") << "viewer";
    }

    void tenantOperatorsAreRefused()
    {
        QFETCH(QString, role);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto op = test::createOperator(db, role, false, {{Acme, role}});
        QVERIFY2(op, qPrintable(op ? QString() : message(op.error())));
        ScopedConnection connection(op.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        PlanService service(connection.name());
        const QString before = catalogSnapshot(db);

        // Every operator reads the whole catalog.
        auto page = service.page({}, std::nullopt);
        QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
        QCOMPARE(page->rows.size(), 4);
        auto catalog = service.catalog();
        QVERIFY(catalog);
        QCOMPARE(catalog->products.size(), 2);

        const QString refusal = QStringLiteral(
            "Only platform administrators can change the plan catalog, which every tenant shares "
            "(permission \"plans.manage\"). Nothing was changed.");
        auto expectRefused = [&refusal](const Error &error) {
            QCOMPARE(error.kind, ErrorKind::PermissionDenied);
            QCOMPARE(error.message, refusal);
        };
        auto team = service.get(Team);
        QVERIFY(team);
        auto product = service.createProduct({QStringLiteral("Mine"), QString()});
        QVERIFY(!product);
        expectRefused(product.error());
        auto renamed = service.updateProduct(Cloud, 1, {QStringLiteral("Mine"), QString()});
        QVERIFY(!renamed);
        expectRefused(renamed.error());
        auto archivedProduct = service.setProductArchived(Cloud, 1, true);
        QVERIFY(!archivedProduct);
        expectRefused(archivedProduct.error());
        auto created = service.create(draft());
        QVERIFY(!created);
        expectRefused(created.error());
        auto edited = service.update(Team, team->version, {QStringLiteral("Mine"), QString()});
        QVERIFY(!edited);
        expectRefused(edited.error());
        auto repriced = service.changeAmount(Team, team->version, 100);
        QVERIFY(!repriced);
        expectRefused(repriced.error());
        auto archived = service.archive(Starter, 1);
        QVERIFY(!archived);
        expectRefused(archived.error());
        auto unarchived = service.unarchive(Starter, 1);
        QVERIFY(!unarchived);
        expectRefused(unarchived.error());
        auto removed = service.remove(Starter);
        QVERIFY(!removed);
        expectRefused(removed.error());

        // The database is the guard: the same writes straight in SQL change nothing either.
        const QSqlDatabase sql = connection.database();
        QVERIFY(!exec(sql, QStringLiteral("INSERT INTO products (name) VALUES ('Mine')")));
        QVERIFY(!exec(sql, QStringLiteral("INSERT INTO plans (product_id, name, amount, "
                                          "currency) VALUES ('%1', 'Mine', 1, 'EUR')")
                               .arg(Cloud)));
        QVERIFY(!exec(
            sql, QStringLiteral("UPDATE plans SET name = 'Mine' WHERE id = '%1'").arg(Starter)));
        QVERIFY(!exec(sql, QStringLiteral("UPDATE products SET archived_at = now()")));
        QSqlQuery deleted(sql);
        QVERIFY(deleted.exec(QStringLiteral("DELETE FROM plans WHERE id = '%1'").arg(Starter)));
        QCOMPARE(deleted.numRowsAffected(), 0);
        QCOMPARE(catalogSnapshot(db), before);
    }

    void theListPagesSortsAndFilters()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        // 40 more plans over both products, with equal names, amounts and trials, so that
        // only the id breaks ties.
        QVERIFY(exec(
            db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, trial_days, "
                               "usage_type, metric, archived_at) "
                               "SELECT CASE WHEN g % 2 = 0 THEN '%1'::uuid ELSE '%2'::uuid END, "
                               "'Bulk ' || (g % 5), 100 * (g % 7) + 100, "
                               "CASE WHEN g % 3 = 0 THEN 'USD' ELSE 'EUR' END, g % 4, "
                               "CASE WHEN g % 4 = 0 THEN 'metered' ELSE 'licensed' END, "
                               "CASE WHEN g % 4 = 0 THEN 'units' END, "
                               "CASE WHEN g % 10 = 0 THEN now() END "
                               "FROM generate_series(1, 40) g")
                    .arg(Cloud, Api)));
        PlanService service(db.connectionName());
        struct Order
        {
            PlanSort sort;
            bool descending;
            QString sql;
        };
        const QList<Order> orders{
            {PlanSort::Product, false, QStringLiteral("pr.name, p.name, p.id")},
            {PlanSort::Product, true, QStringLiteral("pr.name DESC, p.name DESC, p.id DESC")},
            {PlanSort::Name, false, QStringLiteral("p.name, p.id")},
            {PlanSort::Price, true, QStringLiteral("p.currency DESC, p.amount DESC, p.id DESC")},
            {PlanSort::TrialDays, false, QStringLiteral("p.trial_days, p.id")},
        };
        for (const Order &order : orders) {
            PlanQuery query;
            query.sort = order.sort;
            query.descending = order.descending;
            QList<Plan> all;
            std::optional<PlanCursor> after;
            int pages = 0;
            do {
                auto page = service.page(query, after, 7);
                QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
                all.append(page->rows);
                after = page->next;
                QCOMPARE(page->hasMore, page->next.has_value());
                ++pages;
            } while (after);
            QCOMPARE(pages, 7); // 44 rows, 7 a page
            const QString expected =
                scalar(db, QStringLiteral("SELECT string_agg(p.id::text, ',' ORDER BY %1) FROM "
                                          "plans p JOIN products pr ON pr.id = p.product_id")
                               .arg(order.sql))
                    .toString();
            QCOMPARE(ids(all).join(QLatin1Char(',')), expected);
        }

        auto countOf = [&service](const PlanQuery &query) {
            auto count = service.count(query);
            auto page = service.page(query, std::nullopt, 1000);
            if (!count || !page || page->rows.size() != count.value())
                return -1;
            return count.value();
        };
        PlanQuery query;
        query.productId = Api;
        QCOMPARE(countOf(query), 21);
        query = {};
        query.currency = QStringLiteral("usd");
        QCOMPARE(countOf(query), 14); // 13 bulk + Retired
        query = {};
        query.usageType = QStringLiteral("metered");
        QCOMPARE(countOf(query), 11);
        query = {};
        query.status = QStringLiteral("archived");
        QCOMPARE(countOf(query), 4);
        query.status = QStringLiteral("active");
        QCOMPARE(countOf(query), 40);
        query = {};
        query.text = QStringLiteral("api_CALLS");
        QCOMPARE(countOf(query), 1);
        query.text = QStringLiteral("price_calls");
        QCOMPARE(countOf(query), 1);
        query.text = QStringLiteral("cloud bulk"); // "Bulk n Cloud ..." does not contain it
        QCOMPARE(countOf(query), 0);
        query.text = QStringLiteral("Bulk 3");
        query.productId = Cloud;
        QCOMPARE(countOf(query), 4);

        PlanQuery bad;
        bad.productId = QStringLiteral("not-a-uuid");
        auto refused = service.page(bad, std::nullopt);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::NotFound);
    }

    void subscriberCountsAreThoseTheOperatorMaySee()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto team = PlanService(db.connectionName()).get(Team);
        QVERIFY(team);
        QCOMPARE(team->subscriberCount, 4);   // active, trialing, past_due (Acme), active
        QCOMPARE(team->subscriptionCount, 5); // and the canceled one
        auto retired = PlanService(db.connectionName()).get(Retired);
        QVERIFY(retired);
        QCOMPARE(retired->subscriberCount, 0);
        QCOMPARE(retired->subscriptionCount, 1);

        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY(viewer);
        ScopedConnection connection(viewer.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        PlanQuery query;
        query.sort = PlanSort::Name;
        auto page = PlanService(connection.name()).page(query, std::nullopt);
        QVERIFY(page);
        QCOMPARE(page->rows.size(), 4);
        const Plan &seen = page->rows.at(3); // Calls, Retired, Starter, Team
        QCOMPARE(seen.id, Team);
        QCOMPARE(seen.subscriberCount, 3); // Acme's only
        QCOMPARE(seen.subscriptionCount, 4);
        QCOMPARE(page->rows.at(1).subscriptionCount, 0); // Retired: Globex's subscription
    }

    void aNewAmountOfAnUnusedPlanRepricesIt()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        auto starter = service.get(Starter);
        QVERIFY(starter);
        auto change = service.changeAmount(Starter, starter->version, 2400);
        QVERIFY2(change, qPrintable(change ? QString() : message(change.error())));
        QVERIFY(!change->versioned);
        QCOMPARE(change->plan.id, Starter);
        QCOMPARE(change->plan.amount, qint64(2400));
        QCOMPARE(change->plan.version, starter->version + 1);
        QCOMPARE(change->previous.amount, qint64(1900));
        QVERIFY(!change->plan.isArchived());
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM plans")).toInt(), 4);

        // The same amount, nothing, and an old version are refused in plain words.
        auto same = service.changeAmount(Starter, change->plan.version, 2400);
        QVERIFY(!same);
        QCOMPARE(same.error().kind, ErrorKind::InvalidInput);
        QCOMPARE(same.error().message, QStringLiteral("Starter already costs 24.00 EUR."));
        auto zero = service.changeAmount(Starter, change->plan.version, 0);
        QVERIFY(!zero);
        QCOMPARE(zero.error().message, QStringLiteral("Enter a price above zero."));
        auto stale = service.changeAmount(Starter, starter->version, 2900);
        QVERIFY(!stale);
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QCOMPARE(scalar(db, QStringLiteral("SELECT amount FROM plans WHERE id = '%1'").arg(Starter))
                     .toInt(),
                 2400);
    }

    void aNewAmountOfAPlanInUseIsANewVersion()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        auto team = service.get(Team);
        QVERIFY(team);
        auto change = service.changeAmount(Team, team->version, 5900);
        QVERIFY2(change, qPrintable(change ? QString() : message(change.error())));
        QVERIFY(change->versioned);
        const Plan v2 = change->plan;
        QVERIFY(v2.id != Team);
        QCOMPARE(v2.amount, qint64(5900));
        QCOMPARE(v2.replacesPlanId, Team);
        QCOMPARE(v2.name, team->name);
        QCOMPARE(v2.trialDays, 14);
        QCOMPARE(v2.productId, Cloud);
        QVERIFY(!v2.isArchived());
        QCOMPARE(v2.subscriberCount, 0);
        QCOMPARE(change->previous.id, Team);
        QCOMPARE(change->previous.amount, qint64(4900)); // unchanged: subscribers keep it
        QVERIFY(change->previous.isArchived());
        QCOMPARE(change->previous.replacedByPlanId, v2.id);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions WHERE plan_id = "
                                           "'%1'")
                                .arg(Team))
                     .toInt(),
                 6 - 1);

        // The old version cannot be repriced, unarchived or deleted any more.
        auto old = service.get(Team);
        QVERIFY(old);
        auto again = service.changeAmount(Team, old->version, 6900);
        QVERIFY(!again);
        QCOMPARE(again.error().kind, ErrorKind::Conflict);
        QCOMPARE(again.error().message,
                 QStringLiteral("Team was replaced by a newer version. Change the amount of the "
                                "newest version instead; nothing was changed."));
        auto unarchive = service.unarchive(Team, old->version);
        QVERIFY(!unarchive);
        QCOMPARE(unarchive.error().message,
                 QStringLiteral("Team was replaced by a newer version, so it stays archived: "
                                "only the newest version of a plan can be offered."));

        // The new version nobody uses yet is repriced in place; once used, versioned again.
        auto inPlace = service.changeAmount(v2.id, v2.version, 5400);
        QVERIFY(inPlace);
        QVERIFY(!inPlace->versioned);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id) "
                                        "VALUES ('%1', '%2')")
                             .arg(Acme, v2.id)));
        auto v3 = service.changeAmount(v2.id, inPlace->plan.version, 6400);
        QVERIFY2(v3, qPrintable(v3 ? QString() : message(v3.error())));
        QVERIFY(v3->versioned);

        // The history is the same chain, oldest first, whichever version is asked about.
        for (const QString &id : {Team, v2.id, v3->plan.id}) {
            auto details = service.details(id);
            QVERIFY2(details, qPrintable(details ? QString() : message(details.error())));
            QCOMPARE(details->plan.id, id);
            QCOMPARE(ids(details->versions), (QStringList{Team, v2.id, v3->plan.id}));
            QCOMPARE(details->versions.at(1).amount, qint64(5400));
        }
        auto single = service.details(Starter);
        QVERIFY(single);
        QCOMPARE(ids(single->versions), QStringList{Starter});
    }

    void aNewAmountOfAPlanInStripeIsANewVersion()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        auto calls = service.get(Calls);
        QVERIFY(calls);
        QCOMPARE(calls->subscriptionCount, 0);
        auto change = service.changeAmount(Calls, calls->version, 3);
        QVERIFY2(change, qPrintable(change ? QString() : message(change.error())));
        QVERIFY(change->versioned);
        QCOMPARE(change->plan.metric, QStringLiteral("api_calls"));
        QVERIFY(change->plan.stripePriceId.isEmpty()); // the worker creates its Stripe price
        QCOMPARE(scalar(db, QStringLiteral("SELECT amount FROM plans WHERE id = '%1'").arg(Calls))
                     .toInt(),
                 2);
    }

    void theDatabaseKeepsTheTermsOfAPlanInUse()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        // Even the owner cannot reprice a plan in use in place: only by a new version.
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(
            !q.exec(QStringLiteral("UPDATE plans SET amount = 100 WHERE id = '%1'").arg(Retired)));
        QCOMPARE(violatedConstraint(q.lastError()), QStringLiteral("plans_terms_in_use_check"));
        QCOMPARE(translateSqlError(q.lastError()).message,
                 QStringLiteral("Subscriptions use this plan, so its price, currency, interval "
                                "and usage cannot change. Change its amount to create a new "
                                "version instead."));
        // Its name may change.
        QVERIFY(
            exec(db, QStringLiteral("UPDATE plans SET name = 'Old' WHERE id = '%1'").arg(Retired)));
        // A plan has at most one newer version.
        QVERIFY(exec(db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                                        "replaces_plan_id) VALUES ('%1', 'B', 1, 'EUR', '%2')")
                             .arg(Cloud, Starter)));
        QVERIFY(!q.exec(QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                                       "replaces_plan_id) VALUES ('%1', 'C', 1, 'EUR', '%2')")
                            .arg(Cloud, Starter)));
        QCOMPARE(violatedConstraint(q.lastError()), QStringLiteral("plans_replaces_plan_id_key"));
        for (const char *name :
             {"plans_terms_in_use_check", "plans_replaces_plan_id_key", "plans_description_check",
              "plans_version_check", "products_version_check"})
            QVERIFY2(!constraintMessage(QLatin1String(name)).isEmpty(), name);
    }

    void onlyAPlanNobodyUsedCanBeDeleted()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        auto retired = service.remove(Retired);
        QVERIFY(!retired);
        QCOMPARE(retired.error().kind, ErrorKind::Conflict);
        QCOMPARE(retired.error().message,
                 QStringLiteral("Retired cannot be deleted: it has 1 subscription (ended ones "
                                "count too: their history needs its price). Archive it "
                                "instead, so that nobody new can choose it."));
        auto calls = service.remove(Calls);
        QVERIFY(!calls);
        QCOMPARE(calls.error().message,
                 QStringLiteral("Calls cannot be deleted: it exists in Stripe, where prices "
                                "cannot be deleted. Archive it instead."));
        QVERIFY(service.remove(Starter));
        QCOMPARE(scalar(db, QStringLiteral("SELECT string_agg(name, ',' ORDER BY name) FROM "
                                           "plans"))
                     .toString(),
                 QStringLiteral("Calls,Retired,Team"));
        auto gone = service.remove(Starter);
        QVERIFY(!gone);
        QCOMPARE(gone.error().kind, ErrorKind::NotFound);

        // An older version stays as the history of the newer one.
        auto team = service.get(Team);
        auto change = service.changeAmount(Team, team->version, 5900);
        QVERIFY(change);
        QVERIFY(
            exec(db, QStringLiteral("DELETE FROM subscriptions WHERE plan_id = '%1'").arg(Team)));
        auto old = service.remove(Team);
        QVERIFY(!old);
        QCOMPARE(old.error().message,
                 QStringLiteral("Team cannot be deleted: it is part of the version history of a "
                                "newer plan. It stays archived."));
        QVERIFY(service.remove(change->plan.id)); // the newer one, unused, may go
    }

    void nameAndDescriptionAreEditedAgainstAVersion()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        PlanService service(db.connectionName());
        auto team = service.get(Team);
        QVERIFY(team);
        auto edited = service.update(Team, team->version,
                                     {QStringLiteral(" Team  plan "), QStringLiteral(" Seats ")});
        QVERIFY2(edited, qPrintable(edited ? QString() : message(edited.error())));
        QCOMPARE(edited->name, QStringLiteral("Team plan"));
        QCOMPARE(edited->description, QStringLiteral("Seats"));
        QCOMPARE(edited->amount, team->amount);
        QCOMPARE(edited->version, team->version + 1);
        // Someone else's edit in between: refused, nothing overwritten.
        auto stale = service.update(Team, team->version, {QStringLiteral("Mine"), QString()});
        QVERIFY(!stale);
        QCOMPARE(stale.error().kind, ErrorKind::Conflict);
        QCOMPARE(stale.error().message,
                 QStringLiteral("Someone else changed Team plan while you were looking at it. "
                                "Nothing was saved: look at their changes and try again."));
        auto empty = service.update(Team, edited->version, {QStringLiteral(" "), QString()});
        QVERIFY(!empty);
        QCOMPARE(empty.error().message, QStringLiteral("Enter the plan's name."));
        auto missing = service.update(QStringLiteral("00000000-0000-0000-0000-00000000ffff"), 1,
                                      {QStringLiteral("X"), QString()});
        QVERIFY(!missing);
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
        QCOMPARE(scalar(db, QStringLiteral("SELECT name FROM plans WHERE id = '%1'").arg(Team))
                     .toString(),
                 QStringLiteral("Team plan"));
    }

    void amountsAreReadAsTyped_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("currency");
        QTest::addColumn<QString>("locale");
        QTest::addColumn<qlonglong>("expected"); // -1: not an amount
        QTest::newRow("whole euros") << "49"
                                     << "EUR"
                                     << "en_US" << 4900LL;
        QTest::newRow("cents") << "49.5"
                               << "EUR"
                               << "en_US" << 4950LL;
        QTest::newRow("grouped") << "1,234.56"
                                 << "EUR"
                                 << "en_US" << 123456LL;
        QTest::newRow("german comma") << "1.234,56"
                                      << "EUR"
                                      << "de_DE" << 123456LL;
        QTest::newRow("french spaces") << "1 234,5"
                                       << "EUR"
                                       << "fr_FR" << 123450LL;
        QTest::newRow("point in german") << "12.5"
                                         << "EUR"
                                         << "de_DE" << -1LL;
        QTest::newRow("yen") << "4900"
                             << "JPY"
                             << "en_US" << 4900LL;
        QTest::newRow("yen with zero decimals") << "4900.00"
                                                << "JPY"
                                                << "en_US" << 4900LL;
        QTest::newRow("yen with decimals") << "4900.5"
                                           << "JPY"
                                           << "en_US" << -1LL;
        QTest::newRow("three decimals") << "1.234"
                                        << "KWD"
                                        << "en_US" << 1234LL;
        QTest::newRow("too many decimals") << "1.234"
                                           << "EUR"
                                           << "en_US" << -1LL;
        QTest::newRow("letters") << "12a"
                                 << "EUR"
                                 << "en_US" << -1LL;
        QTest::newRow("two points") << "1.2.3"
                                    << "EUR"
                                    << "en_US" << -1LL;
        QTest::newRow("empty") << ""
                               << "EUR"
                               << "en_US" << -1LL;
    }

    void amountsAreReadAsTyped()
    {
        QFETCH(QString, text);
        QFETCH(QString, currency);
        QFETCH(QString, locale);
        QFETCH(qlonglong, expected);
        const std::optional<qint64> parsed =
            PlanValidator::parseAmount(text, currency, QLocale(locale));
        if (expected < 0) {
            QVERIFY2(!parsed, qPrintable(QString::number(parsed.value_or(0))));
            return;
        }
        QVERIFY(parsed);
        QCOMPARE(*parsed, qint64(expected));
        // What an amount field shows reads back as the same amount.
        QCOMPARE(PlanValidator::parseAmount(
                     PlanValidator::amountForEditing(*parsed, currency, QLocale(locale)), currency,
                     QLocale(locale)),
                 parsed);
    }
};

QTEST_GUILESS_MAIN(PlanServiceTest)
#include "tst_planservice.moc"
