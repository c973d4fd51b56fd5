// CSV export: streamed with the list's filter and order, values survive the round trip
// (commas, quotes, line breaks, formula-like text), cancel and failures leave no file.

#include "testcluster.h"

#include "export/csvwriter.h"
#include "tenants/tenantexport.h"

#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

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
} // namespace

class ExportTest : public QObject
{
    Q_OBJECT
private slots:
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
        auto written = exportTenants(
            db.connectionName(), query, path, [&lastProgress](qint64 rows) { lastProgress = rows; },
            nullptr);
        QVERIFY2(written, qPrintable(written ? QString() : written.error().message));
        QCOMPARE(written.value(), qint64(2502));
        QCOMPARE(lastProgress, qint64(2502));
        const QList<QStringList> rows = readCsv(path);
        QCOMPARE(rows.size(), 2503); // header + rows
        QCOMPARE(rows.first(), tenantCsvHeader());
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
        auto written = exportTenants(
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
        auto written = exportTenants(db.connectionName(), TenantQuery{},
                                     QStringLiteral("/nonexistent-dir/tenants.csv"), {}, nullptr);
        QVERIFY(!written);
        QVERIFY2(written.error().message.contains(QLatin1String("Choose another folder")),
                 qPrintable(written.error().message));
    }
};

QTEST_GUILESS_MAIN(ExportTest)
#include "tst_export.moc"
