// nobill-bench-tenants: what row-level security costs the Tenants list.
//
// Builds a throwaway cluster with 50,000 tenants, then times the real TenantService page and
// count queries (first page, a text filter, a page deep in the list) as three kinds of
// signed-in operator: a platform admin, an admin of 3 tenants, and the database owner (who
// bypasses row-level security: the baseline). Prints medians and 95th percentiles.
// Not a test: it asserts nothing and is not run by ctest.

#include "testcluster.h"
#include "testoperators.h"

#include "database/connection.h"
#include "tenants/tenantservice.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTextStream>

#include <algorithm>

using namespace nobill;

namespace {
constexpr int TenantCount = 50000;
constexpr int Repetitions = 60;

struct Figures
{
    double median = 0;
    double p95 = 0;
};

Figures measure(const std::function<bool()> &run)
{
    QList<double> samples;
    run(); // warm the plan and the buffers
    for (int i = 0; i < Repetitions; ++i) {
        QElapsedTimer timer;
        timer.start();
        if (!run())
            return {-1, -1};
        samples << double(timer.nsecsElapsed()) / 1e6;
    }
    std::sort(samples.begin(), samples.end());
    return {samples.at(samples.size() / 2), samples.at(int(samples.size() * 0.95))};
}

void report(QTextStream &out, const QString &who, const QString &what, const Figures &f)
{
    out << QStringLiteral("%1 | %2 | %3 ms | %4 ms\n")
               .arg(who.leftJustified(22), what.leftJustified(28))
               .arg(f.median, 7, 'f', 2)
               .arg(f.p95, 7, 'f', 2);
    out.flush();
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    test::TestDatabase db;
    if (!db.isValid()) {
        out << "cannot create the benchmark database: " << db.error() << "\n";
        return 1;
    }
    QElapsedTimer setup;
    setup.start();
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    // Without the audit trigger while loading: this measures reading, not 50,000 audit rows.
    if (!q.exec(QStringLiteral("ALTER TABLE organizations DISABLE TRIGGER organizations_audit")) ||
        !q.exec(QStringLiteral(
                    "INSERT INTO organizations (name, slug, billing_email, currency, status) "
                    "SELECT 'Tenant ' || lpad(g::text, 6, '0'), 'tenant-' || g, "
                    "'billing' || g || '@example.com', (ARRAY['EUR','USD','GBP'])[1 + g % 3], "
                    "CASE WHEN g % 17 = 0 THEN 'suspended' ELSE 'active' END "
                    "FROM generate_series(1, %1) g")
                    .arg(TenantCount)) ||
        !q.exec(QStringLiteral("ALTER TABLE organizations ENABLE TRIGGER organizations_audit")) ||
        !q.exec(QStringLiteral("ANALYZE"))) {
        out << "cannot load the data\n";
        return 1;
    }
    QStringList three;
    q.exec(QStringLiteral("SELECT id::text FROM organizations WHERE slug IN "
                          "('tenant-17', 'tenant-25000', 'tenant-49999')"));
    while (q.next())
        three << q.value(0).toString();
    auto admin = test::createOperator(db, QStringLiteral("bench_admin"), true, {});
    auto orgAdmin = test::createOperator(db, QStringLiteral("bench_orgadmin"), false,
                                         {{three.value(0), QStringLiteral("admin")},
                                          {three.value(1), QStringLiteral("admin")},
                                          {three.value(2), QStringLiteral("admin")}});
    if (!admin || !orgAdmin) {
        out << "cannot create the operators\n";
        return 1;
    }
    out << QStringLiteral("nobill-bench-tenants: %1 tenants loaded in %2 s; %3 runs each\n\n")
               .arg(TenantCount)
               .arg(double(setup.elapsed()) / 1000.0, 0, 'f', 1)
               .arg(Repetitions);
    out << "who                    | query                        | median     | p95\n";

    const QList<QPair<QString, ConnectionSettings>> actors{
        {QStringLiteral("owner (no RLS)"), db.settings()},
        {QStringLiteral("platform admin"), admin->settings},
        {QStringLiteral("admin of 3 tenants"), orgAdmin->settings}};
    for (const auto &actor : actors) {
        const QString connection = uniqueConnectionName(QStringLiteral("bench"));
        if (!openConnection(actor.second, connection)) {
            out << "cannot connect as " << actor.first << "\n";
            return 1;
        }
        {
            TenantService service(connection);
            TenantQuery byName;
            report(out, actor.first, QStringLiteral("first page (200, by name)"),
                   measure([&]() { return service.page(byName, std::nullopt, 200).isOk(); }));
            TenantQuery filtered;
            filtered.text = QStringLiteral("tenant-2500");
            report(out, actor.first, QStringLiteral("filter \"tenant-2500\""),
                   measure([&]() { return service.page(filtered, std::nullopt, 200).isOk(); }));
            TenantCursor deep{QStringLiteral("Tenant 040000"), QString()};
            auto pageAt = service.page(byName, std::nullopt, 1);
            deep.id = pageAt ? pageAt->rows.value(0).id : QString();
            report(out, actor.first, QStringLiteral("page after row 40,000"),
                   measure([&]() { return service.page(byName, deep, 200).isOk(); }));
            report(out, actor.first, QStringLiteral("count"),
                   measure([&]() { return service.count(byName).isOk(); }));
        }
        closeConnection(connection);
    }
    return 0;
}
