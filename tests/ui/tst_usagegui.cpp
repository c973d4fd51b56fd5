// The Usage screen offscreen: the list and chart load, a CSV import through the page reports
// its sentence and refreshes the list, a bad file says which line and imports nothing, and
// an operator without usage.import finds the button disabled with the reason.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "core/translations.h"
#include "usage/usagelistmodel.h"
#include "usage/usagepage.h"

#include <QApplication>
#include <QDateTime>
#include <QFile>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                   "currency) VALUES ('%1', 'Acme Ltd', 'acme', "
                                   "'ap@acme.example', 'EUR')")
                        .arg(Acme)),
             qPrintable(q.lastError().text()));
    QVERIFY2(q.exec(QStringLiteral("INSERT INTO usage_records (organization_id, metric, "
                                   "quantity, occurred_at, idempotency_key) SELECT '%1', "
                                   "'api_calls', g, now() - g * interval '1 hour', 'old' || g "
                                   "FROM generate_series(1, 100) g")
                        .arg(Acme)),
             qPrintable(q.lastError().text()));
}

QString writeCsv(const QTemporaryDir &dir, const QByteArray &body)
{
    const QString path = dir.filePath(QStringLiteral("usage.csv"));
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return {};
    f.write("organization,subscription,metric,quantity,occurred_at,idempotency_key\n" + body);
    return path;
}

QByteArray line(int n, const QByteArray &quantity = {})
{
    return "acme,,api_calls," + (quantity.isEmpty() ? QByteArray::number(n) : quantity) + ',' +
           QDateTime::currentDateTimeUtc().addSecs(-60 * n).toString(Qt::ISODate).toUtf8() +
           ",new" + QByteArray::number(n) + '\n';
}
} // namespace

class UsageGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase() { installTranslations(QLocale(QLocale::English, QLocale::UnitedStates)); }

    void importThroughThePage()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        UsagePage page(db.settings());
        page.resize(1100, 700);
        page.show();
        page.activate();
        QVERIFY(QTest::qWaitFor([&page]() { return !page.isBusy(); }, 10000));
        QCOMPARE(page.model()->totalCount(), 100);
        QVERIFY(!page.aggregation().buckets.isEmpty());

        QTemporaryDir dir;
        QSignalSpy finished(&page, &UsagePage::importFinished);
        page.importFile(writeCsv(dir, line(1) + line(2) + line(3)));
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.first().at(0).toBool(), true);
        QCOMPARE(page.banner()->text(), QStringLiteral("Imported 3 records."));
        QVERIFY(QTest::qWaitFor([&page]() { return !page.isBusy(); }, 10000));
        QCOMPARE(page.model()->totalCount(), 103);
        QVERIFY(page.importButton()->isEnabled());

        page.importFile(writeCsv(dir, line(4) + line(5, "abc")));
        QVERIFY(finished.wait(20000));
        QCOMPARE(finished.last().at(0).toBool(), false);
        QCOMPARE(page.banner()->text(),
                 QStringLiteral("Nothing was imported: line 3: quantity \"abc\" is not a whole "
                                "number."));
        QVERIFY(QTest::qWaitFor([&page]() { return !page.isBusy(); }, 10000));
        QCOMPARE(page.model()->totalCount(), 103);

        page.setGranularity(UsageGranularity::Month);
        QVERIFY(QTest::qWaitFor([&page]() { return !page.isBusy(); }, 10000));
        QCOMPARE(page.aggregation().granularity, UsageGranularity::Month);
    }

    void importNeedsPermission()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        UsagePage page(db.settings());
        SessionAccess viewer;
        viewer.login = QStringLiteral("vera");
        viewer.permissionsByOrganization.insert(Acme, {QStringLiteral("usage.read")});
        page.setAccess(viewer);
        QVERIFY(!page.importButton()->isEnabled());
        QVERIFY(page.importButton()->toolTip().contains(QStringLiteral("usage.import")));
        SessionAccess finance = viewer;
        finance.permissionsByOrganization[Acme].insert(QStringLiteral("usage.import"));
        page.setAccess(finance);
        QVERIFY(page.importButton()->isEnabled());
    }
};

QTEST_MAIN(UsageGuiTest)
#include "tst_usagegui.moc"
