// CSV export: streamed with the list's filter and order, values survive the round trip
// (commas, quotes, line breaks, formula-like text), cancel and failures leave no file; every
// area's export gives the service's rows for the same query; `nobillctl export AREA`.

#include "testcluster.h"

#include "audit/auditservice.h"
#include "demo/demoseeder.h"
#include "export/csvwriter.h"
#include "export/listexport.h"
#include "invoices/invoiceservice.h"
#include "jobs/jobservice.h"
#include "members/memberservice.h"
#include "plans/planservice.h"
#include "subscriptions/subscriptionservice.h"
#include "tenants/tenantservice.h"
#include "usage/usageservice.h"
#include "webhookevents/webhookeventservice.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
// A small RFC 4180 reader, enough to check what we wrote.
QList<QStringList> readCsv(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QString text = QString::fromUtf8(file.readAll());
    QList<QStringList> rows;
    QStringList row;
    QString field;
    bool quoted = false;
    for (qsizetype i = 0; i < text.size(); ++i) {
        const QChar c = text.at(i);
        if (quoted) {
            if (c == QLatin1Char('"') && i + 1 < text.size() &&
                text.at(i + 1) == QLatin1Char('"')) {
                field += c;
                ++i;
            } else if (c == QLatin1Char('"')) {
                quoted = false;
            } else {
                field += c;
            }
        } else if (c == QLatin1Char('"')) {
            quoted = true;
        } else if (c == QLatin1Char(',')) {
            row << field;
            field.clear();
        } else if (c == QLatin1Char('\r')) {
            continue;
        } else if (c == QLatin1Char('\n')) {
            row << field;
            rows << row;
            row.clear();
            field.clear();
        } else {
            field += c;
        }
    }
    return rows;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning() << sql << q.lastError().text();
        return {};
    }
    return q.value(0);
}

// Every row of the list as the service pages it, ids in order: what the screen would show.
template <typename Service, typename Query, typename IdOf>
QStringList serviceIds(const QString &connection, const Query &query, IdOf idOf)
{
    const Service service(connection);
    QStringList ids;
    std::optional<typename decltype(service.page(query, {}, 1).value().next)::value_type> after;
    for (;;) {
        auto page = service.page(query, after, 500);
        if (!page) {
            qWarning() << page.error().message;
            return {};
        }
        for (const auto &row : page.value().rows)
            ids << idOf(row);
        if (!page.value().hasMore || !page.value().next)
            return ids;
        after = page.value().next;
    }
}

// Exports `query` and checks the file against the service: same rows in the same order,
// the area's header, every line as wide as the header. `all` is the unfiltered query, to
// show that the filter was applied.
template <typename Service, typename Query, typename IdOf>
void checkRoundTrip(const TestDatabase &db, ExportArea area, const Query &query, const Query &all,
                    int idColumn, IdOf idOf)
{
    QTemporaryDir dir;
    const QString path = dir.filePath(exportAreaName(area) + QStringLiteral(".csv"));
    qint64 progressed = 0;
    auto written = exportList(
        db.connectionName(), query, path, [&progressed](qint64 rows) { progressed = rows; },
        nullptr);
    QVERIFY2(written, qPrintable(written ? QString() : written.error().message));
    const QStringList expected = serviceIds<Service>(db.connectionName(), query, idOf);
    const QStringList unfiltered = serviceIds<Service>(db.connectionName(), all, idOf);
    const QByteArray name = exportAreaName(area).toUtf8();
    QVERIFY2(!expected.isEmpty(),
             QByteArray(name + " : the filter should leave some rows").constData());
    QVERIFY2(expected.size() < unfiltered.size(),
             QByteArray(name + " : the filter should leave some rows out").constData());
    QCOMPARE(written.value(), qint64(expected.size()));
    QCOMPARE(progressed, written.value());
    const QList<QStringList> rows = readCsv(path);
    QCOMPARE(rows.size(), expected.size() + 1);
    QCOMPARE(rows.first(), csvHeader(area));
    QStringList ids;
    for (qsizetype i = 1; i < rows.size(); ++i) {
        QCOMPARE(rows.at(i).size(), rows.first().size());
        ids << rows.at(i).at(idColumn);
    }
    QCOMPARE(ids, expected);
}

QString nobillctlPath()
{
    // The tests run from the build tree: the tool is built beside them (app/).
    return QDir(QStringLiteral(QT_TESTCASE_BUILDDIR))
        .absoluteFilePath(QStringLiteral("../../app/nobillctl"));
}

struct CtlRun
{
    int exitCode = -1;
    QString out;
    QString err;
};

CtlRun runCtl(const QStringList &arguments)
{
    QProcess process;
    process.start(nobillctlPath(), arguments);
    CtlRun run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        run.err = QStringLiteral("nobillctl did not finish");
        return run;
    }
    run.exitCode = process.exitCode();
    run.out = QString::fromLocal8Bit(process.readAllStandardOutput());
    run.err = QString::fromLocal8Bit(process.readAllStandardError());
    return run;
}
} // namespace

class ExportTest : public QObject
{
    Q_OBJECT

    // The demo platform, seeded once for the tests that only read it (seeding takes seconds).
    std::unique_ptr<TestDatabase> m_demo;
    bool demoDatabase()
    {
        if (m_demo)
            return true;
        auto db = std::make_unique<TestDatabase>();
        if (!db->isValid()) {
            qWarning() << db->error();
            return false;
        }
        Status seeded = seedDemoData(db->connectionName());
        if (!seeded) {
            qWarning() << seeded.error().message;
            return false;
        }
        m_demo = std::move(db);
        return true;
    }

private slots:
    void cleanupTestCase() { m_demo.reset(); }

    void streamsTheFilteredListAndRoundTrips()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY2(q.exec(QStringLiteral(
                     "INSERT INTO organizations (name, slug, billing_email, currency, "
                     "address_line1) SELECT 'Tenant ' || lpad(g::text, 5, '0'), 'tenant-' || g, "
                     "'t' || g || '@example.com', 'EUR', NULL FROM generate_series(1, 2500) g; "
                     "INSERT INTO organizations (name, slug, billing_email, currency, "
                     "address_line1) VALUES ('Tenant \"Quoted\", Inc.', 'quoted', "
                     "'q@example.com', 'USD', E'Line one\\nLine two'), "
                     "('Tenant =SUM(A1)', 'formula', 'f@example.com', 'USD', NULL)")),
                 qPrintable(q.lastError().text()));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("tenants.csv"));
        TenantQuery query;
        query.text = QStringLiteral("tenant");
        query.descending = true;
        qint64 lastProgress = 0;
        auto written = exportList(
            db.connectionName(), query, path, [&lastProgress](qint64 rows) { lastProgress = rows; },
            nullptr);
        QVERIFY2(written, qPrintable(written ? QString() : written.error().message));
        QCOMPARE(written.value(), qint64(2502));
        QCOMPARE(lastProgress, qint64(2502));
        const QList<QStringList> rows = readCsv(path);
        QCOMPARE(rows.size(), 2503); // header + rows
        QCOMPARE(rows.first(), csvHeader(ExportArea::Tenants));
        QStringList names;
        for (int i = 1; i < rows.size(); ++i)
            names << rows.at(i).at(1);
        QVERIFY(names.contains(QStringLiteral("Tenant \"Quoted\", Inc.")));
        // Only a leading = is defused; this one starts with "Tenant", so it stays as it is.
        QVERIFY(names.contains(QStringLiteral("Tenant =SUM(A1)")));
        // The database's order (the test cluster sorts bytewise: '=' after digits, '"' before).
        QCOMPARE(names.first(), QStringLiteral("Tenant =SUM(A1)"));
        QCOMPARE(names.at(1), QStringLiteral("Tenant 02500"));
        QCOMPARE(names.last(), QStringLiteral("Tenant \"Quoted\", Inc."));
        const int quotedRow = int(names.indexOf(QStringLiteral("Tenant \"Quoted\", Inc."))) + 1;
        QCOMPARE(rows.at(quotedRow).at(8), QStringLiteral("Line one\nLine two"));
        QVERIFY(!QFile::exists(path + QStringLiteral(".part")));
    }

    void formulasAreDefused()
    {
        QCOMPARE(CsvWriter::escape(QStringLiteral("=SUM(A1)")), QStringLiteral("\"'=SUM(A1)\""));
        QCOMPARE(CsvWriter::escape(QStringLiteral("-42")), QStringLiteral("-42"));
        QCOMPARE(CsvWriter::escape(QStringLiteral("a,b")), QStringLiteral("\"a,b\""));
        QCOMPARE(CsvWriter::escape(QStringLiteral("say \"hi\"")),
                 QStringLiteral("\"say \"\"hi\"\"\""));
    }

    void cancelLeavesNoFile()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(q.exec(QStringLiteral(
            "INSERT INTO organizations (name, slug, billing_email, currency) SELECT 'T' || g, "
            "'t-' || g, 't' || g || '@example.com', 'EUR' FROM generate_series(1, 3000) g")));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("tenants.csv"));
        std::atomic<bool> cancel{false};
        auto written = exportList(
            db.connectionName(), TenantQuery{}, path,
            [&cancel](qint64 rows) {
                if (rows >= 1000)
                    cancel = true; // the operator pressed Cancel after the first page
            },
            &cancel);
        QVERIFY(!written);
        QCOMPARE(written.error().kind, ErrorKind::Cancelled);
        QVERIFY(!QFile::exists(path));
        QVERIFY(!QFile::exists(path + QStringLiteral(".part")));
    }

    void unwritablePlaceIsAPlainError()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto written = exportList(db.connectionName(), TenantQuery{},
                                  QStringLiteral("/nonexistent-dir/tenants.csv"), {}, nullptr);
        QVERIFY(!written);
        QVERIFY2(written.error().message.contains(QLatin1String("Choose another folder")),
                 qPrintable(written.error().message));
    }

    void everyAreaRoundTripsWithItsFilter()
    {
        QVERIFY(demoDatabase());
        const TestDatabase &db = *m_demo;
        const QString busiest =
            scalar(db, QStringLiteral("SELECT organization_id FROM memberships GROUP BY 1 "
                                      "ORDER BY count(*) DESC, 1 LIMIT 1"))
                .toString();
        const QString usageOrg =
            scalar(db, QStringLiteral("SELECT organization_id FROM usage_records GROUP BY 1 "
                                      "ORDER BY count(*) DESC, 1 LIMIT 1"))
                .toString();
        QVERIFY(!busiest.isEmpty());

        {
            TenantQuery query;
            query.status = QStringLiteral("active");
            query.sort = TenantSort::CreatedAt;
            query.descending = true;
            checkRoundTrip<TenantService>(db, ExportArea::Tenants, query, TenantQuery{}, 0,
                                          [](const Tenant &t) { return t.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            MemberQuery query;
            query.organizationId = busiest;
            query.sort = MemberSort::Email;
            MemberQuery all = query;
            // One member's e-mail (before the domain): a filter that leaves the others out.
            query.text = scalar(db, QStringLiteral("SELECT split_part(u.email, '@', 1) FROM "
                                                   "users u JOIN memberships m ON m.user_id = "
                                                   "u.id WHERE m.organization_id = '%1' ORDER "
                                                   "BY u.email LIMIT 1")
                                        .arg(busiest))
                             .toString();
            checkRoundTrip<MemberService>(db, ExportArea::Members, query, all, 1,
                                          [](const Member &m) { return m.userId; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            PlanQuery query;
            query.usageType = QStringLiteral("metered");
            query.sort = PlanSort::Price;
            checkRoundTrip<PlanService>(db, ExportArea::Plans, query, PlanQuery{}, 0,
                                        [](const Plan &p) { return p.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            SubscriptionQuery query;
            query.status = QStringLiteral("active");
            query.sort = SubscriptionSort::TenantName;
            checkRoundTrip<SubscriptionService>(db, ExportArea::Subscriptions, query,
                                                SubscriptionQuery{}, 0,
                                                [](const Subscription &s) { return s.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            UsageQuery query;
            query.organizationId = usageOrg;
            query.metric = scalar(db, QStringLiteral("SELECT metric FROM usage_records WHERE "
                                                     "organization_id = '%1' GROUP BY 1 ORDER "
                                                     "BY count(*) DESC, 1 LIMIT 1")
                                          .arg(usageOrg))
                               .toString();
            checkRoundTrip<UsageService>(db, ExportArea::Usage, query, UsageQuery{}, 0,
                                         [](const UsageRecord &u) { return u.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            InvoiceQuery query;
            query.status = QStringLiteral("paid");
            query.sort = InvoiceSort::Total;
            checkRoundTrip<InvoiceService>(db, ExportArea::Invoices, query, InvoiceQuery{}, 0,
                                           [](const Invoice &i) { return i.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            AuditQuery query;
            query.entity = QStringLiteral("subscriptions");
            checkRoundTrip<AuditService>(db, ExportArea::Audit, query, AuditQuery{}, 0,
                                         [](const AuditEntry &a) { return QString::number(a.id); });
            if (QTest::currentTestFailed())
                return;
        }
        {
            WebhookEventQuery query;
            query.type = QStringLiteral("invoice.");
            checkRoundTrip<WebhookEventService>(db, ExportArea::WebhookEvents, query,
                                                WebhookEventQuery{}, 0,
                                                [](const WebhookEvent &e) { return e.id; });
            if (QTest::currentTestFailed())
                return;
        }
        {
            JobQuery query;
            query.status = scalar(db, QStringLiteral("SELECT status FROM jobs GROUP BY 1 "
                                                     "ORDER BY count(*), 1 LIMIT 1"))
                               .toString();
            checkRoundTrip<JobService>(db, ExportArea::Jobs, query, JobQuery{}, 0,
                                       [](const Job &j) { return j.id; });
            if (QTest::currentTestFailed())
                return;
        }
    }

    void commandLineExportsAreasWithTheirFilters()
    {
        if (!QFile::exists(nobillctlPath()))
            QSKIP("nobillctl is not built in this build tree (ninja nobillctl)");
        QVERIFY(demoDatabase());
        const TestDatabase &db = *m_demo;
        const QString uri = db.settings().toUri(true);
        QTemporaryDir dir;

        // Plans: two of the area's own filters.
        const QString plans = dir.filePath(QStringLiteral("plans.csv"));
        CtlRun run = runCtl({QStringLiteral("export"), QStringLiteral("plans"),
                             QStringLiteral("--db"), uri, QStringLiteral("--output"), plans,
                             QStringLiteral("--usage-type"), QStringLiteral("metered"),
                             QStringLiteral("--status"), QStringLiteral("active")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        PlanQuery planQuery;
        planQuery.usageType = QStringLiteral("metered");
        planQuery.status = QStringLiteral("active");
        const QStringList planIds = serviceIds<PlanService>(db.connectionName(), planQuery,
                                                            [](const Plan &p) { return p.id; });
        QVERIFY(!planIds.isEmpty());
        QVERIFY2(run.out.contains(QStringLiteral("Exported %1 rows").arg(planIds.size())),
                 qPrintable(run.out));
        QList<QStringList> rows = readCsv(plans);
        QCOMPARE(rows.size(), planIds.size() + 1);
        QCOMPARE(rows.first(), csvHeader(ExportArea::Plans));
        for (qsizetype i = 1; i < rows.size(); ++i)
            QCOMPARE(rows.at(i).at(0), planIds.at(i - 1));

        // The audit log over a time range and an action.
        const QString audit = dir.filePath(QStringLiteral("audit.csv"));
        run = runCtl({QStringLiteral("export"), QStringLiteral("audit"), QStringLiteral("--db"),
                      uri, QStringLiteral("--output"), audit, QStringLiteral("--action"),
                      QStringLiteral("insert"), QStringLiteral("--from"),
                      QStringLiteral("2000-01-01")});
        QVERIFY2(run.exitCode == 0, qPrintable(run.err));
        AuditQuery auditQuery;
        auditQuery.action = QStringLiteral("insert");
        auditQuery.from = QDateTime(QDate(2000, 1, 1), QTime(0, 0), Qt::UTC);
        const QStringList auditIds =
            serviceIds<AuditService>(db.connectionName(), auditQuery,
                                     [](const AuditEntry &a) { return QString::number(a.id); });
        rows = readCsv(audit);
        QCOMPARE(rows.size(), auditIds.size() + 1);
        QVERIFY(rows.size() > 1);
        for (qsizetype i = 1; i < rows.size(); ++i) {
            QCOMPARE(rows.at(i).at(0), auditIds.at(i - 1));
            QCOMPARE(rows.at(i).at(7), QStringLiteral("insert"));
        }

        // A filter of another area is refused with the area's own options named.
        run = runCtl({QStringLiteral("export"), QStringLiteral("jobs"), QStringLiteral("--db"), uri,
                      QStringLiteral("--metric"), QStringLiteral("api_calls")});
        QCOMPARE(run.exitCode, 2);
        QVERIFY2(run.err.contains(QLatin1String("--metric does not apply to jobs")),
                 qPrintable(run.err));
        QVERIFY2(run.err.contains(QLatin1String("--kind")), qPrintable(run.err));

        // The help names every area.
        run = runCtl({QStringLiteral("help")});
        QCOMPARE(run.exitCode, 0);
        for (const QString &area : exportAreaNames())
            QVERIFY2(run.out.contains(QStringLiteral("    ") + area), qPrintable(area));
    }

    void formulaCellsAreDefusedInAnyArea()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY2(q.exec(QStringLiteral(
                     "INSERT INTO products (name, description) VALUES ('=HYPERLINK(\"x\")', "
                     "'p'); INSERT INTO plans (product_id, name, amount, currency, interval) "
                     "SELECT id, '@SUM(1)', 100, 'EUR', 'month' FROM products")),
                 qPrintable(q.lastError().text()));
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("plans.csv"));
        auto written = exportList(db.connectionName(), PlanQuery{}, path, {}, nullptr);
        QVERIFY2(written, qPrintable(written ? QString() : written.error().message));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString text = QString::fromUtf8(file.readAll());
        QVERIFY2(text.contains(QLatin1String("\"'=HYPERLINK(\"\"x\"\")\"")), qPrintable(text));
        QVERIFY2(text.contains(QLatin1String("\"'@SUM(1)\"")), qPrintable(text));
    }
};

QTEST_GUILESS_MAIN(ExportTest)
#include "tst_export.moc"
