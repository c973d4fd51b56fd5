// The usage CSV importer against a real PostgreSQL: every bad input names its line and
// imports nothing; a good file is counted exactly; a re-import skips everything; a Viewer is
// refused in plain words; a cancelled import leaves nothing.

#include "testcluster.h"
#include "testoperators.h"

#include "core/translations.h"
#include "usage/usageimporter.h"

#include <QDateTime>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");
const QByteArray Header = "organization,subscription,metric,quantity,occurred_at,idempotency_key";

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning("%s in %s", qPrintable(q.lastError().text()), qPrintable(sql));
        return false;
    }
    return true;
}

qint64 scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return -1;
    return q.value(0).toLongLong();
}

bool seed(const TestDatabase &db)
{
    return exec(db, QStringLiteral(
                        "INSERT INTO organizations (id, name, slug, billing_email, currency) "
                        "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                        "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                        .arg(Acme, Globex)) &&
           exec(db, QStringLiteral("INSERT INTO products (name) VALUES ('API')")) &&
           exec(db, QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                                   "usage_type, metric) SELECT id, 'Metered', 1, 'EUR', "
                                   "'metered', 'api_calls' FROM products")) &&
           exec(db, QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, status, "
                                   "stripe_subscription_id) SELECT o.id, p.id, 'active', "
                                   "'sub_' || o.slug || '1' FROM organizations o, plans p"));
}

QByteArray when(int hoursAgo)
{
    return QDateTime::currentDateTimeUtc().addSecs(-3600 * hoursAgo).toString(Qt::ISODate).toUtf8();
}

QByteArray record(int n, const QByteArray &org = "acme", const QByteArray &sub = "sub_acme1")
{
    return org + ',' + sub + ",api_calls," + QByteArray::number(n % 50) + ',' + when(1 + n % 48) +
           ",key-" + QByteArray::number(n);
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size())
        return {};
    return path;
}

QByteArray goodFile(int rows, int first = 0)
{
    QByteArray data = Header + '\n';
    for (int i = first; i < first + rows; ++i)
        data += record(i) + '\n';
    return data;
}
} // namespace

class TestUsageImport : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { installTranslations(QLocale(QLocale::English, QLocale::UnitedStates)); }
    void badInputImportsNothing_data();
    void badInputImportsNothing();
    void importsAndCounts();
    void reimportSkipsEverything();
    void acceptsUuidsAndQuotes();
    void viewerIsRefused();
    void financeMayImport();
    void cancelLeavesNothing();
    void sentences();
};

void TestUsageImport::badInputImportsNothing_data()
{
    QTest::addColumn<QByteArray>("content");
    QTest::addColumn<QString>("expected");

    const QByteArray ok1 = record(1) + '\n';
    const QByteArray ok2 = record(2) + '\n';
    QTest::newRow("wrong header") << QByteArray("org,sub,metric,qty,at,key\n" + ok1)
                                  << QStringLiteral("line 1: the first line must be the header");
    QTest::newRow("bad number") << QByteArray(Header + '\n' + ok1 + ok2 +
                                              "acme,sub_acme1,api_calls,abc," + when(2) + ",k3\n")
                                << QStringLiteral(
                                       "line 4: quantity \"abc\" is not a whole number.");
    QTest::newRow("negative number")
        << QByteArray(Header + '\n' + ok1 + "acme,sub_acme1,api_calls,-5," + when(2) + ",k3\n")
        << QStringLiteral("line 3: quantity \"-5\" is negative");
    QTest::newRow("decimal number")
        << QByteArray(Header + '\n' + "acme,,api_calls,1.5," + when(2) + ",k3\n")
        << QStringLiteral("line 2: quantity \"1.5\" is not a whole number.");
    QTest::newRow("unknown organization")
        << QByteArray(Header + '\n' + ok1 + ok2 + record(3, "initech", "") + '\n')
        << QStringLiteral("line 4: organization \"initech\" does not exist");
    QTest::newRow("unknown subscription")
        << QByteArray(Header + '\n' + ok1 + record(3, "acme", "sub_nope") + '\n')
        << QStringLiteral("line 3: subscription \"sub_nope\" does not exist");
    QTest::newRow("subscription of another organization")
        << QByteArray(Header + '\n' + ok1 + record(3, "acme", "sub_globex1") + '\n')
        << QStringLiteral("line 3: subscription \"sub_globex1\" belongs to Globex Corp, not to "
                          "Acme Ltd.");
    QTest::newRow("too old")
        << QByteArray(Header + '\n' + ok1 + "acme,,api_calls,1," +
                      QDateTime::currentDateTimeUtc().addDays(-36).toString(Qt::ISODate).toUtf8() +
                      ",k3\n")
        << QStringLiteral("line 3: occurred_at");
    QTest::newRow("in the future")
        << QByteArray(Header + '\n' + ok1 + "acme,,api_calls,1," +
                      QDateTime::currentDateTimeUtc().addSecs(3600).toString(Qt::ISODate).toUtf8() +
                      ",k3\n")
        << QStringLiteral("is in the future.");
    QTest::newRow("no offset")
        << QByteArray(Header + '\n' + "acme,,api_calls,1,2026-03-01T10:00:00,k3\n")
        << QStringLiteral("line 2: occurred_at \"2026-03-01T10:00:00\" is not a date and time "
                          "with a UTC offset");
    QTest::newRow("february 30th")
        << QByteArray(Header + '\n' + "acme,,api_calls,1,2026-02-30T10:00:00Z,k3\n")
        << QStringLiteral("line 2: occurred_at \"2026-02-30T10:00:00Z\"");
    QTest::newRow("bad metric") << QByteArray(Header + '\n' + "acme,,API Calls,1," + when(2) +
                                              ",k3\n")
                                << QStringLiteral("line 2: metric \"API Calls\"");
    QTest::newRow("duplicate key in the file")
        << QByteArray(Header + '\n' + ok1 + ok2 + record(1) + '\n')
        << QStringLiteral("line 4: idempotency key \"key-1\" is already used on line 2");
    QTest::newRow("duplicate before a later bad line")
        << QByteArray(Header + '\n' + ok1 + record(1) + '\n' + "acme,,api_calls,x," + when(2) +
                      ",k9\n")
        << QStringLiteral("line 3: idempotency key \"key-1\"");
    QTest::newRow("10 MB line") << QByteArray(Header + '\n' + ok1 + "acme,,api_calls,1," + when(2) +
                                              ',' + QByteArray(10 * 1024 * 1024, 'x') + '\n' + ok2)
                                << QStringLiteral("line 3: the line is longer than 64 KiB");
    QTest::newRow("invalid UTF-8")
        << QByteArray(Header + '\n' + ok1 + "acme,,api_calls,1," + when(2) + ",k\xff\xfe\n")
        << QStringLiteral("line 3: the text is not valid UTF-8");
    QTest::newRow("empty file") << QByteArray() << QStringLiteral("line 1: the file is empty");
    QTest::newRow("header only") << QByteArray(Header + '\n')
                                 << QStringLiteral("line 2: the file has a header but no records.");
    QTest::newRow("missing field")
        << QByteArray(Header + '\n' + "acme,,api_calls,1," + when(2) + '\n')
        << QStringLiteral("line 2: 5 fields where a usage record has 6");
    QTest::newRow("unclosed quote")
        << QByteArray(Header + '\n' + ok1 + "acme,,api_calls,1," + when(2) + ",\"k\n\"\n")
        << QStringLiteral("line 3: a quoted field is not closed");
}

void TestUsageImport::badInputImportsNothing()
{
    QFETCH(QByteArray, content);
    QFETCH(QString, expected);
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("usage.csv"), content);
    QVERIFY(!path.isEmpty());

    auto result = UsageImporter(db.connectionName()).importFile(path);
    QVERIFY(!result);
    QVERIFY2(result.error().message.contains(expected), qPrintable(result.error().message));
    QVERIFY(UsageImporter::describeFailure(result.error())
                .startsWith(QStringLiteral("Nothing was imported: line ")));
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records")), 0);
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'import'")),
             0);
    // The connection is usable again: the failed import's transaction is gone.
    QCOMPARE(scalar(db, QStringLiteral("SELECT 1")), 1);
}

void TestUsageImport::importsAndCounts()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    QTemporaryDir dir;
    QByteArray content = goodFile(10000);
    content += record(20000, "globex", "sub_globex1") + '\n';
    content += "\r\n"; // an empty line is ignored
    const QString path = writeFile(dir, QStringLiteral("march.csv"), content);
    qint64 lastDone = -1, lastTotal = -1;
    UsageImporter importer(db.connectionName());
    importer.setProgress([&](qint64 done, qint64 total) {
        lastDone = done;
        lastTotal = total;
    });
    auto result = importer.importFile(path);
    QVERIFY2(result, result ? "" : qPrintable(result.error().message));
    QCOMPARE(result->rows, 10001);
    QCOMPARE(result->imported, 10001);
    QCOMPARE(result->skipped, 0);
    QCOMPARE(lastDone, lastTotal);
    QCOMPARE(lastTotal, qint64(content.size()));
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records WHERE organization_id "
                                       "= '%1' AND subscription_id IS NOT NULL")
                            .arg(Acme)),
             10000);
    QCOMPARE(scalar(db, QStringLiteral("SELECT sum(quantity) FROM usage_records WHERE "
                                       "organization_id = '%1'")
                            .arg(Acme)),
             [] {
                 qint64 sum = 0;
                 for (int i = 0; i < 10000; ++i)
                     sum += i % 50;
                 return sum;
             }());
    // One audit row per organization, naming the file and the counts.
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'import' "
                                       "AND entity = 'usage_records'")),
             2);
    QCOMPARE(scalar(db, QStringLiteral("SELECT (after->>'rows')::bigint FROM audit_log WHERE "
                                       "action = 'import' AND organization_id = '%1' AND "
                                       "after->>'file' = 'march.csv'")
                            .arg(Acme)),
             10000);
    QCOMPARE(UsageImporter::describe(result.value()), QStringLiteral("Imported 10,001 records."));
}

void TestUsageImport::reimportSkipsEverything()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("a.csv"), goodFile(5000));
    QVERIFY(UsageImporter(db.connectionName()).importFile(path));
    auto again = UsageImporter(db.connectionName()).importFile(path);
    QVERIFY2(again, again ? "" : qPrintable(again.error().message));
    QCOMPARE(again->imported, 0);
    QCOMPARE(again->skipped, 5000);
    QCOMPARE(UsageImporter::describe(again.value()),
             QStringLiteral("Imported 0 records; 5,000 duplicates skipped."));
    // Half old, half new.
    const QString overlap = writeFile(dir, QStringLiteral("b.csv"), goodFile(5000, 2500));
    auto mixed = UsageImporter(db.connectionName()).importFile(overlap);
    QVERIFY2(mixed, mixed ? "" : qPrintable(mixed.error().message));
    QCOMPARE(mixed->imported, 2500);
    QCOMPARE(mixed->skipped, 2500);
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records")), 7500);
    QCOMPARE(scalar(db, QStringLiteral("SELECT (after->>'skipped')::bigint FROM audit_log WHERE "
                                       "action = 'import' AND after->>'file' = 'b.csv'")),
             2500);
}

void TestUsageImport::acceptsUuidsAndQuotes()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY(q.exec(QStringLiteral("SELECT id::text FROM subscriptions WHERE "
                                  "stripe_subscription_id = 'sub_globex1'")) &&
            q.next());
    const QByteArray subscription = q.value(0).toString().toUtf8();
    QTemporaryDir dir;
    const QByteArray content = "\xEF\xBB\xBF" + Header + "\r\n" + Globex.toUtf8() + ',' +
                               subscription + ",storage_gb,7,2026-01-01T00:00:00+01:00,x\r\n";
    // A date out of range must not hide the rest of the test: use a recent one.
    QByteArray recent = content;
    recent.replace("2026-01-01T00:00:00+01:00", when(3));
    recent += "GLOBEX,,storage_gb,8," + when(4) + ",\"with, comma and \"\"quote\"\"\"\r\n";
    const QString path = writeFile(dir, QStringLiteral("uuids.csv"), recent);
    auto result = UsageImporter(db.connectionName()).importFile(path);
    QVERIFY2(result, result ? "" : qPrintable(result.error().message));
    QCOMPARE(result->imported, 2);
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records WHERE "
                                       "idempotency_key = 'with, comma and \"quote\"' AND "
                                       "subscription_id IS NULL")),
             1);
}

void TestUsageImport::viewerIsRefused()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    auto viewer =
        test::createOperator(db, QStringLiteral("vera"), false, {{Acme, QStringLiteral("viewer")}});
    QVERIFY2(viewer, viewer ? "" : qPrintable(viewer.error().message));
    ScopedConnection connection(viewer->settings);
    QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("v.csv"), goodFile(10));
    auto result = UsageImporter(connection.name()).importFile(path);
    QVERIFY(!result);
    QCOMPARE(result.error().kind, ErrorKind::PermissionDenied);
    QCOMPARE(result.error().message,
             QStringLiteral("line 2: you don't have permission to import usage into Acme Ltd. "
                            "Ask an administrator of the organization for a role with "
                            "\"usage.import\"."));
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records")), 0);
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'import'")),
             0);
    // Globex is invisible to her: it is "unknown", not "forbidden".
    const QString other =
        writeFile(dir, QStringLiteral("g.csv"), Header + '\n' + record(1, "globex", "") + '\n');
    auto hidden = UsageImporter(connection.name()).importFile(other);
    QVERIFY(!hidden);
    QVERIFY2(hidden.error().message.contains(QStringLiteral("organization \"globex\" does not "
                                                            "exist, or you cannot see it")),
             qPrintable(hidden.error().message));
    // Nor can she call the audit function herself.
    QSqlQuery direct(connection.database());
    QVERIFY(!direct.exec(
        QStringLiteral("SELECT nobill_record_usage_import('%1', 'x', 1, 0)").arg(Acme)));
}

void TestUsageImport::financeMayImport()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                        {{Acme, QStringLiteral("finance")}});
    QVERIFY2(finance, finance ? "" : qPrintable(finance.error().message));
    ScopedConnection connection(finance->settings);
    QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("f.csv"), goodFile(100));
    auto result = UsageImporter(connection.name()).importFile(path);
    QVERIFY2(result, result ? "" : qPrintable(result.error().message));
    QCOMPARE(result->imported, 100);
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE action = 'import' "
                                       "AND login = '%1' AND source = 'console'")
                            .arg(finance->login)),
             1);
}

void TestUsageImport::cancelLeavesNothing()
{
    TestDatabase db;
    NOBILL_REQUIRE_DB(db);
    QVERIFY(seed(db));
    QTemporaryDir dir;
    const QString path = writeFile(dir, QStringLiteral("big.csv"), goodFile(100000));
    auto cancel = std::make_shared<std::atomic_bool>(false);
    UsageImporter importer(db.connectionName());
    importer.setCancelFlag(cancel);
    int calls = 0;
    importer.setProgress([&](qint64, qint64) {
        if (++calls == 2)
            cancel->store(true);
    });
    auto result = importer.importFile(path);
    QVERIFY(!result);
    QCOMPARE(result.error().kind, ErrorKind::Cancelled);
    QCOMPARE(UsageImporter::describeFailure(result.error()),
             QStringLiteral("Import cancelled; nothing was imported."));
    QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records")), 0);
    QCOMPARE(scalar(db, QStringLiteral("SELECT 1")), 1);
    // And the same importer works afterwards.
    cancel->store(false);
    auto again = UsageImporter(db.connectionName()).importFile(path);
    QVERIFY2(again, again ? "" : qPrintable(again.error().message));
    QCOMPARE(again->imported, 100000);
}

void TestUsageImport::sentences()
{
    UsageImportSummary s;
    s.imported = 10000;
    s.skipped = 12;
    QCOMPARE(UsageImporter::describe(s),
             QStringLiteral("Imported 10,000 records; 12 duplicates skipped."));
    s.imported = 1;
    s.skipped = 1;
    QCOMPARE(UsageImporter::describe(s), QStringLiteral("Imported 1 record; 1 duplicate skipped."));
    QCOMPARE(UsageImporter::describeFailure(
                 makeError(ErrorKind::InvalidInput,
                           QStringLiteral("line 17: quantity \"abc\" is not a whole number."))),
             QStringLiteral("Nothing was imported: line 17: quantity \"abc\" is not a whole "
                            "number."));
}

QTEST_GUILESS_MAIN(TestUsageImport)
#include "tst_usageimport.moc"
