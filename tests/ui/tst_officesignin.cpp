// The sign-in window offers the office profile's servers, so nobody types server details;
// what an operator used last on this machine still wins. Offscreen, no database needed.

#include "common/messagebanner.h"
#include "connection/signindialog.h"
#include "database/officeprofile.h"

#include <QComboBox>
#include <QFile>
#include <QGroupBox>
#include <QLineEdit>
#include <QSettings>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;

namespace {
OfficeProfile officeProfile(const QTemporaryDir &dir, const QByteArray &text)
{
    const QString path = dir.filePath(QStringLiteral("office.conf"));
    QFile file(path);
    if (file.open(QIODevice::WriteOnly))
        file.write(text);
    file.close();
    return OfficeProfile::load(path, QString());
}

const QByteArray kOffice = "[office]\n"
                           "name=Head office Berlin\n"
                           "defaultServer=main\n"
                           "[server.main]\n"
                           "label=Head office\n"
                           "host=db.office.example\n"
                           "port=6432\n"
                           "database=nobill\n"
                           "sslmode=verify-full\n"
                           "sslrootcert=/etc/nobill/office-ca.pem\n"
                           "[server.test]\n"
                           "label=Test database\n"
                           "host=test.office.example\n"
                           "database=nobill_test\n"
                           "sslmode=require\n";

template <typename T> T *child(QWidget &parent, const char *name)
{
    return parent.findChild<T *>(QString::fromLatin1(name));
}
} // namespace

class OfficeSignInTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // keep the profile out of the user's settings
    }

    void init() { QSettings().remove(QStringLiteral("connection")); }

    void officeServersAreOffered()
    {
        QTemporaryDir dir;
        const OfficeProfile office = officeProfile(dir, kOffice);
        SignInDialog dialog(SignInDialog::savedProfile(office), office);
        dialog.show();
        auto *servers = child<QComboBox>(dialog, "officeServer");
        QVERIFY(servers);
        QCOMPARE(servers->count(), 3);
        QCOMPARE(servers->itemText(0), QStringLiteral("Head office"));
        QCOMPARE(servers->itemText(1), QStringLiteral("Test database"));
        QCOMPARE(servers->itemText(2), QStringLiteral("Other server…"));
        QCOMPARE(servers->currentIndex(), 0); // the office's default, nothing typed
        QVERIFY(
            dialog.findChild<QGroupBox *>()->title().contains(QLatin1String("Head office Berlin")));
        QCOMPARE(child<QLineEdit>(dialog, "host")->text(), QStringLiteral("db.office.example"));
        QCOMPARE(child<QSpinBox>(dialog, "port")->value(), 6432);
        QCOMPARE(child<QComboBox>(dialog, "sslMode")->currentText(), QStringLiteral("verify-full"));
        QCOMPARE(dialog.settings().sslRootCert, QStringLiteral("/etc/nobill/office-ca.pem"));
        QVERIFY(!servers->accessibleName().isEmpty());
        QVERIFY(dialog.findChild<MessageBanner *>()->text().isEmpty());
        // NOBILL_SCREENSHOT_DIR=packaging/screenshots refreshes the README's picture.
        if (const QString shots = qEnvironmentVariable("NOBILL_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(dialog.grab().save(shots + QStringLiteral("/sign-in-office.png")));

        // Choosing another office server fills in all of its details.
        servers->setCurrentIndex(1);
        emit servers->activated(1);
        QCOMPARE(child<QLineEdit>(dialog, "host")->text(), QStringLiteral("test.office.example"));
        QCOMPARE(child<QSpinBox>(dialog, "port")->value(), 5432);
        QCOMPARE(child<QLineEdit>(dialog, "database")->text(), QStringLiteral("nobill_test"));
        QCOMPARE(child<QComboBox>(dialog, "sslMode")->currentText(), QStringLiteral("require"));
        QVERIFY(dialog.settings().sslRootCert.isEmpty());
        QVERIFY(dialog.settings().password.isEmpty());

        // Typing another host makes it "Other server…"; typing an office server's details back
        // selects that server again.
        auto *host = child<QLineEdit>(dialog, "host");
        host->setFocus();
        host->selectAll();
        QTest::keyClicks(host, QStringLiteral("elsewhere"));
        QCOMPARE(servers->currentIndex(), 2);
        host->selectAll();
        QTest::keyClicks(host, QStringLiteral("test.office.example"));
        QCOMPARE(servers->currentIndex(), 1);
    }

    void operatorsLastChoiceWins()
    {
        QTemporaryDir dir;
        const OfficeProfile office = officeProfile(dir, kOffice);
        ConnectionSettings mine;
        mine.host = QStringLiteral("test.office.example");
        mine.database = QStringLiteral("nobill_test");
        mine.user = QStringLiteral("ann");
        mine.sslMode = QStringLiteral("require");
        SignInDialog::saveProfile(mine, false);

        const ConnectionSettings initial = SignInDialog::savedProfile(office);
        QCOMPARE(initial.host, mine.host);
        QCOMPARE(initial.user, QStringLiteral("ann"));
        QVERIFY(initial.password.isEmpty());
        SignInDialog dialog(initial, office);
        dialog.show();
        QCOMPARE(child<QComboBox>(dialog, "officeServer")->currentIndex(), 1);
        QCOMPARE(child<QLineEdit>(dialog, "user")->text(), QStringLiteral("ann"));
        // The password field has the focus: the rest is filled in.
        QCOMPARE(dialog.focusWidget(), child<QLineEdit>(dialog, "password"));
    }

    void noOfficeProfileKeepsTheDialogAsItWas()
    {
        SignInDialog dialog(SignInDialog::savedProfile(OfficeProfile()), OfficeProfile());
        QVERIFY(!child<QComboBox>(dialog, "officeServer"));
        QCOMPARE(child<QLineEdit>(dialog, "host")->text(), QStringLiteral("127.0.0.1"));
    }

    void profileProblemsAreShown()
    {
        QTemporaryDir dir;
        const OfficeProfile office =
            officeProfile(dir, "[server.main]\nhost=db.office.example\npassword=secret-here\n");
        SignInDialog dialog(SignInDialog::savedProfile(office), office);
        const QString banner = dialog.findChild<MessageBanner *>()->text();
        QVERIFY2(banner.contains(QLatin1String("has a password")), qPrintable(banner));
        QVERIFY(!banner.contains(QLatin1String("secret-here")));
        QVERIFY(child<QLineEdit>(dialog, "password")->text().isEmpty());
    }
};

QTEST_MAIN(OfficeSignInTest)
#include "tst_officesignin.moc"
