// The connection dialog explains why a connection cannot be used and stays open so the
// details can be fixed; it closes only on a database the console can work with.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "connection/signindialog.h"

#include <QLineEdit>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTest>

using namespace nobill;
using nobill::test::TestCluster;
using nobill::test::TestDatabase;

namespace {
ConnectionSettings withPassword(ConnectionSettings settings)
{
    settings.password = QStringLiteral("any"); // the test cluster trusts loopback
    return settings;
}

QString bannerText(SignInDialog &dialog)
{
    return dialog.findChild<MessageBanner *>()->text();
}
} // namespace

class SignInDialogTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // keep the profile out of the user's settings
    }

    void passwordIsRequired()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        SignInDialog dialog(db.settings());
        dialog.show();
        dialog.tryConnect();
        QVERIFY(bannerText(dialog).contains(QLatin1String("Enter your password")));
        QCOMPARE(dialog.result(), int(QDialog::Rejected));
    }

    void unreachableServerIsExplained()
    {
        ConnectionSettings nowhere;
        nowhere.port = 1;
        nowhere.user = QStringLiteral("ann");
        nowhere.password = QStringLiteral("secret");
        SignInDialog dialog(nowhere);
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
        SignInDialog dialog(withPassword(empty.settings()));
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
        SignInDialog dialog(withPassword(settings));
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
        SignInDialog dialog(withPassword(db.settings()));
        dialog.show();
        dialog.tryConnect();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.result(), int(QDialog::Accepted), 10000);
        QCOMPARE(dialog.signIn().server.database, db.name());
        QVERIFY(dialog.signIn().readOnlyReason.isEmpty());
        QVERIFY(dialog.signIn().server.schema.isCurrent());
    }
};

QTEST_MAIN(SignInDialogTest)
#include "tst_signindialog.moc"
