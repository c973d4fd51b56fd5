// The connection dialog explains why a connection cannot be used and stays open so the
// details can be fixed; it closes only on a database the console can work with.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "connection/connectiondialog.h"

#include <QLineEdit>
#include <QSpinBox>
#include <QTest>

using namespace nobill;
using nobill::test::TestCluster;
using nobill::test::TestDatabase;

namespace {
QString bannerText(ConnectionDialog &dialog)
{
    return dialog.findChild<MessageBanner *>()->text();
}
} // namespace

class ConnectionDialogTest : public QObject
{
    Q_OBJECT
private slots:
    void unreachableServerIsExplained()
    {
        ConnectionSettings nowhere;
        nowhere.port = 1;
        nowhere.user = QStringLiteral("ann");
        ConnectionDialog dialog(nowhere);
        dialog.show();
        dialog.tryConnect();
        QTRY_VERIFY_WITH_TIMEOUT(!bannerText(dialog).isEmpty(), 10000);
        QVERIFY2(bannerText(dialog).contains(QLatin1String("cannot be reached")),
                 qPrintable(bannerText(dialog)));
        QVERIFY(dialog.isVisible());
        QCOMPARE(dialog.result(), int(QDialog::Rejected)); // still open, nothing accepted
    }

    void databaseWithoutSchemaIsRefused()
    {
        TestDatabase empty(false); // a database without the NOBill schema
        NOBILL_REQUIRE_DB(empty);
        ConnectionDialog dialog(empty.settings());
        dialog.show();
        dialog.tryConnect();
        QTRY_VERIFY_WITH_TIMEOUT(!bannerText(dialog).isEmpty(), 10000);
        QVERIFY2(bannerText(dialog).contains(QLatin1String("no NOBill schema")),
                 qPrintable(bannerText(dialog)));
        QVERIFY(dialog.isVisible());
    }

    void missingDatabaseIsNamed()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        ConnectionSettings settings = db.settings();
        settings.database = QStringLiteral("no_such_database");
        ConnectionDialog dialog(settings);
        dialog.show();
        dialog.tryConnect();
        QTRY_VERIFY_WITH_TIMEOUT(!bannerText(dialog).isEmpty(), 10000);
        QVERIFY2(bannerText(dialog).contains(QLatin1String("no such database")),
                 qPrintable(bannerText(dialog)));
    }

    void workingDatabaseIsAccepted()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        ConnectionDialog dialog(db.settings());
        dialog.show();
        dialog.tryConnect();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.result(), int(QDialog::Accepted), 10000);
        QCOMPARE(dialog.serverInfo().database, db.name());
        QVERIFY(dialog.readOnlyReason().isEmpty());
        QVERIFY(dialog.serverInfo().schema.isCurrent());
    }
};

QTEST_MAIN(ConnectionDialogTest)
#include "tst_connectiondialog.moc"
