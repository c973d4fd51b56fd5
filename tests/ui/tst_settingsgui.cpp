// Settings: "Run the office worker in this console". Off by default; switched on with the
// service login, it first says why it cannot run (no Stripe key stored, with the command
// that stores one), then runs once the key is there and does queued Stripe work against the
// fake Stripe; switched off, it stops. The choice is kept in QSettings.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "core/translations.h"
#include "jobs/jobkinds.h"
#include "secrets/secretstore.h"
#include "settings/officeworkercontrol.h"
#include "settings/settingsdialog.h"

#include <QApplication>
#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

SecretStore::Options fileSecrets(const QString &directory)
{
    SecretStore::Options options;
    options.mode = SecretStore::Mode::FileOnly;
    options.fallbackDirectory = directory;
    return options;
}
} // namespace

class SettingsGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("NOBill-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_settingsgui"));
        QSettings().clear();
        installTranslations(QLocale(QLocale::English, QLocale::UnitedKingdom));
    }

    void cleanupTestCase() { QSettings().clear(); }

    void officeWorkerSwitchedOnAndOff()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(scalar(db, QStringLiteral("INSERT INTO organizations (id, name, slug, "
                                          "billing_email, currency) VALUES ('%1', 'Acme', 'acme', "
                                          "'ap@acme.example', 'EUR') RETURNING true")
                               .arg(Acme))
                    .toBool());
        auto service = test::createServiceLogin(db, QStringLiteral("office"));
        QVERIFY(service);
        QTemporaryDir secrets;
        QVERIFY(secrets.isValid());
        FakeStripeServer fake;
        QVERIFY(fake.start());

        OfficeWorkerControl control;
        // The password stands in for ~/.pgpass; the key file for the keychain.
        control.setOptionsHook([&](OfficeWorker::Options &options) {
            options.serviceLogin.password = service->password;
            options.stripeBaseUrl = fake.baseUrl();
            options.secrets = fileSecrets(secrets.path());
            options.worker.pollIntervalMs = 200;
        });
        QVERIFY(!OfficeWorkerControl::enabledInSettings());
        control.startFromSettings();
        QCOMPARE(control.state(), OfficeWorkerControl::State::Off);

        SettingsDialog dialog(&control);
        dialog.show();
        QVERIFY(!dialog.runWorkerBox()->isChecked());
        QVERIFY(!dialog.serviceLoginEdit()->isEnabled());
        QVERIFY(dialog.workerState()->text().startsWith(QStringLiteral("Not running")));

        // Switched on without a login: refused, nothing saved.
        dialog.runWorkerBox()->setChecked(true);
        dialog.applyButton()->click();
        auto *problem = dialog.findChild<QLabel *>(QStringLiteral("settingsProblem"));
        QVERIFY(problem->isVisibleTo(&dialog));
        QVERIFY(problem->text().startsWith(QStringLiteral("Enter the service login")));
        QVERIFY(!OfficeWorkerControl::enabledInSettings());

        // With the login but no key: it says so, and what to do.
        ConnectionSettings login = service.value();
        dialog.serviceLoginEdit()->setText(login.toUri(false));
        dialog.applyButton()->click();
        QVERIFY(!problem->isVisibleTo(&dialog));
        QVERIFY(OfficeWorkerControl::enabledInSettings());
        QTRY_COMPARE_WITH_TIMEOUT(control.state(), OfficeWorkerControl::State::Failed, 15000);
        QVERIFY2(dialog.workerState()->text().contains(QStringLiteral("No Stripe key is stored")),
                 qPrintable(dialog.workerState()->text()));
        QVERIFY(dialog.workerState()->text().contains(QStringLiteral("nobillctl stripe set-key")));

        // The key stored: Apply again starts it, and it does queued work.
        {
            SecretStore store(fileSecrets(secrets.path()));
            QVERIFY(store.write(OfficeWorker::stripeKeyName(),
                                QStringLiteral("sk_test_settings0123456789")));
        }
        dialog.applyButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(control.state(), OfficeWorkerControl::State::Running, 15000);
        QVERIFY(dialog.workerState()->text().startsWith(QStringLiteral("Running")));
        QVERIFY(scalar(db, QStringLiteral("SELECT nobill_enqueue_job('%1', '%2', '{}', 'k1') IS "
                                          "NOT NULL")
                               .arg(Acme, jobkinds::SyncCustomer))
                    .toBool());
        QTRY_COMPARE_WITH_TIMEOUT(scalar(db, QStringLiteral("SELECT status FROM jobs")).toString(),
                                  QStringLiteral("succeeded"), 20000);
        QTRY_VERIFY_WITH_TIMEOUT(
            dialog.workerState()->text().contains(QStringLiteral("(1 job done so far)")), 10000);

        // Off again: stopped, and remembered.
        dialog.runWorkerBox()->setChecked(false);
        dialog.applyButton()->click();
        QTRY_COMPARE_WITH_TIMEOUT(control.state(), OfficeWorkerControl::State::Off, 15000);
        QVERIFY(!OfficeWorkerControl::enabledInSettings());
        QVERIFY(dialog.workerState()->text().startsWith(QStringLiteral("Not running")));
    }
};

QTEST_MAIN(SettingsGuiTest)
#include "tst_settingsgui.moc"
