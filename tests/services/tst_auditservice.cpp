// The audit trail read through AuditService: filters, keyset paging that shows every row
// exactly once, the before/after comparison, and what an organization's Viewer may see.

#include "testcluster.h"
#include "testoperators.h"

#include "audit/auditservice.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString OrgB = QStringLiteral("00000000-0000-0000-0000-0000000000b1");

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

// Two tenants, each changed a few times, a product of the platform (no organization).
bool seed(const TestDatabase &db)
{
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
                        " ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'),"
                        " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD');"
                        "UPDATE organizations SET name = 'Acme Limited', city = 'Leeds' "
                        "WHERE id = '%1';"
                        "UPDATE organizations SET status = 'suspended' WHERE id = '%2';"
                        "INSERT INTO products (name) VALUES ('Platform');")
                        .arg(OrgA, OrgB));
}

QList<AuditEntry> allPages(AuditService &service, const AuditQuery &query, int limit,
                           int *pages = nullptr)
{
    QList<AuditEntry> rows;
    std::optional<AuditCursor> after;
    int count = 0;
    for (;;) {
        auto page = service.page(query, after, limit);
        if (!page) {
            qWarning().noquote() << page.error().message << page.error().detail;
            return {};
        }
        ++count;
        rows += page.value().rows;
        if (!page.value().hasMore)
            break;
        after = page.value().next;
    }
    if (pages)
        *pages = count;
    return rows;
}
} // namespace

class AuditServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void filtersNarrowTheList()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        AuditService service(db.connectionName());

        AuditQuery all;
        auto everything = service.page(all, std::nullopt);
        QVERIFY(everything);
        const int total = int(everything.value().rows.size());
        QVERIFY(total >= 5);
        QCOMPARE(service.count(all).value(), total);
        // Newest first.
        QVERIFY(everything.value().rows.first().id > everything.value().rows.last().id);

        AuditQuery byEntity;
        byEntity.entity = QStringLiteral("organizations");
        auto organizations = service.page(byEntity, std::nullopt);
        QVERIFY(organizations);
        QCOMPARE(organizations.value().rows.size(), 4);
        for (const AuditEntry &e : organizations.value().rows)
            QCOMPARE(e.entity, QStringLiteral("organizations"));

        AuditQuery updates = byEntity;
        updates.action = QStringLiteral("update");
        auto changed = service.page(updates, std::nullopt);
        QVERIFY(changed);
        QCOMPARE(changed.value().rows.size(), 2);
        QCOMPARE(service.count(updates).value(), 2);

        AuditQuery ofAcme;
        ofAcme.organizationId = OrgA;
        auto acme = service.page(ofAcme, std::nullopt);
        QVERIFY(acme);
        QCOMPARE(acme.value().rows.size(), 2);
        QCOMPARE(acme.value().rows.first().organizationName, QStringLiteral("Acme Limited"));
        QCOMPARE(acme.value().rows.first().changedFields,
                 QStringList({QStringLiteral("city"), QStringLiteral("name")}));

        AuditQuery platform;
        platform.organizationId = AuditQuery::platformRows();
        auto products = service.page(platform, std::nullopt);
        QVERIFY(products);
        QVERIFY(!products.value().rows.isEmpty());
        for (const AuditEntry &e : products.value().rows)
            QVERIFY(e.organizationId.isEmpty());

        // The actor is a login, matched exactly whatever its case.
        const QString login = everything.value().rows.first().login;
        AuditQuery byActor;
        byActor.actor = login.toUpper();
        QCOMPARE(service.count(byActor).value(), total);
        byActor.actor = QStringLiteral("somebody_else");
        QCOMPARE(service.count(byActor).value(), 0);

        // Time range: from an hour ago includes everything; from the next hour nothing.
        const QDateTime now = scalar(db, QStringLiteral("SELECT now()")).toDateTime();
        AuditQuery recent;
        recent.from = now.addSecs(-3600);
        QCOMPARE(service.count(recent).value(), total);
        recent.to = now.addSecs(-1800);
        QCOMPARE(service.count(recent).value(), 0);
        AuditQuery future;
        future.from = now.addSecs(3600);
        QCOMPARE(service.count(future).value(), 0);

        // A malformed organization id is refused with a sentence, not an SQL error.
        AuditQuery bad;
        bad.organizationId = QStringLiteral("not-a-uuid");
        auto refused = service.page(bad, std::nullopt);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::NotFound);
    }

    void pagingShowsEveryRowOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(
            db,
            QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                           "SELECT 'Tenant ' || g, 'tenant-' || g, 't' || g || '@example.com',"
                           " 'EUR' FROM generate_series(1, 40) g;"
                           "UPDATE organizations SET city = 'Oslo' WHERE slug LIKE 'tenant-1%';")));
        AuditService service(db.connectionName());
        const int total = service.count(AuditQuery{}).value();
        QVERIFY(total >= 51);

        for (bool oldestFirst : {false, true}) {
            AuditQuery query;
            query.oldestFirst = oldestFirst;
            int pages = 0;
            const QList<AuditEntry> rows = allPages(service, query, 7, &pages);
            QCOMPARE(int(rows.size()), total);
            QCOMPARE(pages, (total + 6) / 7);
            QSet<qint64> seen;
            for (int i = 0; i < rows.size(); ++i) {
                QVERIFY2(!seen.contains(rows.at(i).id), "a row came twice");
                seen.insert(rows.at(i).id);
                if (i > 0) {
                    QVERIFY(oldestFirst ? rows.at(i).id > rows.at(i - 1).id
                                        : rows.at(i).id < rows.at(i - 1).id);
                }
            }
            // Ids are gapless: the trail numbers its rows one by one.
            QCOMPARE(qAbs(rows.first().id - rows.last().id) + 1, qint64(total));
        }

        // Filtered and paged: the updates only, every one once.
        AuditQuery updates;
        updates.action = QStringLiteral("update");
        const QList<AuditEntry> changed = allPages(service, updates, 4);
        QCOMPARE(int(changed.size()), service.count(updates).value());
        QCOMPARE(int(changed.size()), 11); // tenant-1 and tenant-10..19

        // Starting at a row (as "Verify chain" does) lists that row and the older ones.
        AuditQuery from;
        from.startAtId = changed.last().id;
        auto page = service.page(from, std::nullopt, 3);
        QVERIFY(page);
        QCOMPARE(page.value().rows.first().id, changed.last().id);
        QCOMPARE(page.value().rows.at(1).id, changed.last().id - 1);
    }

    void detailComparesBeforeAndAfter()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        AuditService service(db.connectionName());
        AuditQuery query;
        query.organizationId = OrgA;
        auto page = service.page(query, std::nullopt);
        QVERIFY(page);
        QCOMPARE(page.value().rows.size(), 2);
        QVERIFY(!page.value().rows.first().hasImages); // the list leaves the images out

        auto update = service.get(page.value().rows.first().id);
        QVERIFY(update);
        QCOMPARE(update.value().action, QStringLiteral("update"));
        QVERIFY(update.value().hasImages);
        const QList<AuditFieldChange> diff = auditDiff(update.value());
        QVERIFY(diff.size() > 10); // every column of the row
        QStringList changed;
        for (const AuditFieldChange &c : diff) {
            if (c.changed)
                changed << c.field;
            if (c.field == QLatin1String("name")) {
                QCOMPARE(c.before, QStringLiteral("Acme Ltd"));
                QCOMPARE(c.after, QStringLiteral("Acme Limited"));
            }
            if (c.field == QLatin1String("city")) {
                QCOMPARE(c.before, QStringLiteral("null"));
                QCOMPARE(c.after, QStringLiteral("Leeds"));
            }
            if (c.field == QLatin1String("slug")) {
                QVERIFY(!c.changed);
                QCOMPARE(c.before, c.after);
            }
        }
        // What the trigger recorded as changed, plus what it leaves out on purpose
        // (updated_at, version) when they differ.
        QVERIFY(changed.contains(QStringLiteral("name")));
        QVERIFY(changed.contains(QStringLiteral("city")));
        QVERIFY(!changed.contains(QStringLiteral("slug")));
        QVERIFY(!changed.contains(QStringLiteral("billing_email")));

        auto insert = service.get(page.value().rows.last().id);
        QVERIFY(insert);
        QCOMPARE(insert.value().action, QStringLiteral("insert"));
        for (const AuditFieldChange &c : auditDiff(insert.value())) {
            QVERIFY(!c.inBefore);
            QVERIFY(c.inAfter);
            QVERIFY(c.changed);
        }

        auto missing = service.get(999999);
        QVERIFY(!missing);
        QCOMPARE(missing.error().kind, ErrorKind::NotFound);
    }

    void aViewerSeesOnlyTheirOrganization()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto vera = test::createOperator(db, QStringLiteral("vera"), false,
                                         {{OrgA, QStringLiteral("viewer")}});
        QVERIFY2(vera, qPrintable(vera ? QString() : vera.error().message));
        const int acmeRows =
            scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE organization_id = '%1'")
                           .arg(OrgA))
                .toInt();
        QVERIFY(acmeRows >= 3); // the tenant, its changes, the viewer's membership
        QVERIFY(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE organization_id "
                                          "IS NULL"))
                    .toInt() > 0);

        ScopedConnection connection(vera.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        AuditService service(connection.name());
        const QList<AuditEntry> rows = allPages(service, AuditQuery{}, 2);
        QCOMPARE(int(rows.size()), acmeRows);
        for (const AuditEntry &e : rows)
            QCOMPARE(e.organizationId, OrgA);
        QCOMPARE(service.count(AuditQuery{}).value(), acmeRows);

        AuditQuery platform;
        platform.organizationId = AuditQuery::platformRows();
        QCOMPARE(service.count(platform).value(), 0);
        QVERIFY(service.page(platform, std::nullopt).value().rows.isEmpty());
        AuditQuery other;
        other.organizationId = OrgB;
        QCOMPARE(service.count(other).value(), 0);

        // Another organization's row, asked for by id, does not exist for them.
        const qint64 globexRow =
            scalar(db, QStringLiteral("SELECT max(id) FROM audit_log WHERE organization_id = '%1'")
                           .arg(OrgB))
                .toLongLong();
        auto hidden = service.get(globexRow);
        QVERIFY(!hidden);
        QCOMPARE(hidden.error().kind, ErrorKind::NotFound);
    }
};

QTEST_GUILESS_MAIN(AuditServiceTest)
#include "tst_auditservice.moc"
