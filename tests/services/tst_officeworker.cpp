// The job worker run inside the console (OfficeWorker): the Stripe key comes from the secret
// store off the calling thread, queued work is done through the fake Stripe, and a missing
// key is reported in a sentence instead of starting.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "jobs/jobkinds.h"
#include "jobs/officeworker.h"

#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

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

class TestOfficeWorker : public QObject
{
    Q_OBJECT

private slots:
    void runsQueuedWorkWithTheStoredKey()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(scalar(db, QStringLiteral("INSERT INTO organizations (id, name, slug, "
                                          "billing_email, currency) VALUES ('%1', 'Acme', 'acme', "
                                          "'ap@acme.example', 'EUR') RETURNING true")
                               .arg(OrgA))
                    .toBool());
        auto service = test::createServiceLogin(db, QStringLiteral("office"));
        QVERIFY(service);
        QTemporaryDir secrets;
        QVERIFY(secrets.isValid());
        const QString key = QStringLiteral("sk_test_officeworker0123456789");
        {
            SecretStore store(fileSecrets(secrets.path()));
            QVERIFY(store.write(OfficeWorker::stripeKeyName(), key));
        }
        FakeStripeServer fake;
        fake.setExpectedSecretKey(key); // any other key gets 401
        QVERIFY(fake.start());

        OfficeWorker office;
        QSignalSpy started(&office, &OfficeWorker::started);
        QSignalSpy failed(&office, &OfficeWorker::failed);
        OfficeWorker::Options options;
        options.serviceLogin = service.value();
        options.stripeBaseUrl = fake.baseUrl();
        options.secrets = fileSecrets(secrets.path());
        options.worker.workerName = QStringLiteral("console");
        options.worker.pollIntervalMs = 200;
        office.start(options);
        QVERIFY(started.wait(10000));
        QVERIFY(failed.isEmpty());
        QVERIFY(office.isRunning());

        QVERIFY(scalar(db, QStringLiteral("SELECT nobill_enqueue_job('%1', '%2', '{}', 'k1') IS "
                                          "NOT NULL")
                               .arg(OrgA, jobkinds::SyncCustomer))
                    .toBool());
        QTRY_COMPARE_WITH_TIMEOUT(scalar(db, QStringLiteral("SELECT status FROM jobs")).toString(),
                                  QStringLiteral("succeeded"), 20000);
        QCOMPARE(fake.createdCount(QStringLiteral("customer")), 1);

        QSignalSpy stopped(&office, &OfficeWorker::stopped);
        office.stop();
        QVERIFY(stopped.wait(10000));
        QVERIFY(!office.isRunning());
    }

    void aMissingKeyIsASentenceNotAStart()
    {
        QTemporaryDir empty;
        OfficeWorker office;
        QSignalSpy started(&office, &OfficeWorker::started);
        QSignalSpy failed(&office, &OfficeWorker::failed);
        OfficeWorker::Options options;
        options.secrets = fileSecrets(empty.path());
        office.start(options);
        QVERIFY(failed.wait(10000));
        QVERIFY(started.isEmpty());
        QVERIFY2(failed.first().first().toString().startsWith(QLatin1String("No Stripe key")),
                 qPrintable(failed.first().first().toString()));
        QVERIFY(!office.isRunning());
    }
};

QTEST_GUILESS_MAIN(TestOfficeWorker)
#include "tst_officeworker.moc"
