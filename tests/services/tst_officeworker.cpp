// The job worker run inside the console (OfficeWorker): the Stripe key comes from the secret
// store off the calling thread, queued work is done through the fake Stripe, and a missing
// key is reported in a sentence instead of starting. For a one-machine office it also runs
// the webhook listener, the poller and the event processor: a signed delivery is stored and
// applied.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "jobs/jobkinds.h"
#include "jobs/officeworker.h"
#include "webhooks/stripesignature.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
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

    void receivesAndAppliesStripesEvents()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(scalar(db, QStringLiteral("INSERT INTO organizations (id, name, slug, "
                                          "billing_email, currency, stripe_customer_id) VALUES "
                                          "('%1', 'Acme', 'acme', 'ap@acme.example', 'EUR', "
                                          "'cus_OW') RETURNING true")
                               .arg(OrgA))
                    .toBool());
        auto service = test::createServiceLogin(db, QStringLiteral("office"));
        QVERIFY(service);
        QTemporaryDir secrets;
        QVERIFY(secrets.isValid());
        const QByteArray webhookSecret = QByteArrayLiteral("whsec_officeworker_current");
        {
            SecretStore store(fileSecrets(secrets.path()));
            QVERIFY(store.write(OfficeWorker::stripeKeyName(),
                                QStringLiteral("sk_test_officeworker0123456789")));
            // The current secret and the previous one, as during a rotation.
            QVERIFY(store.write(OfficeWorker::webhookSecretName(),
                                QString::fromLatin1(webhookSecret) +
                                    QStringLiteral("\nwhsec_officeworker_previous")));
        }
        FakeStripeServer fake;
        QVERIFY(fake.start());

        OfficeWorker office;
        QSignalSpy started(&office, &OfficeWorker::started);
        QSignalSpy failed(&office, &OfficeWorker::failed);
        OfficeWorker::Options options;
        options.serviceLogin = service.value();
        options.stripeBaseUrl = fake.baseUrl();
        options.secrets = fileSecrets(secrets.path());
        OfficeListener profile;
        profile.port = 0; // any free port
        options.useOfficeProfile(profile);
        QVERIFY(options.runListener && !options.runPoller && options.runProcessor);
        options.runPoller = true; // push and pull together
        options.poller.intervalMs = 500;
        office.start(options);
        QVERIFY(started.wait(10000));
        QVERIFY2(failed.isEmpty(),
                 failed.isEmpty() ? "" : qPrintable(failed.first().first().toString()));
        QVERIFY(office.listenerPort() != 0);

        const QByteArray body =
            QJsonDocument(
                QJsonObject{
                    {QStringLiteral("id"), QStringLiteral("evt_ow1")},
                    {QStringLiteral("object"), QStringLiteral("event")},
                    {QStringLiteral("type"), QStringLiteral("customer.updated")},
                    {QStringLiteral("created"), QDateTime::currentSecsSinceEpoch()},
                    {QStringLiteral("data"),
                     QJsonObject{
                         {QStringLiteral("object"),
                          QJsonObject{
                              {QStringLiteral("id"), QStringLiteral("cus_OW")},
                              {QStringLiteral("object"), QStringLiteral("customer")},
                              {QStringLiteral("email"), QStringLiteral("ap@acme.example")}}}}}})
                .toJson(QJsonDocument::Compact);
        QNetworkAccessManager network;
        QNetworkRequest request(
            QUrl(QStringLiteral("http://127.0.0.1:%1/stripe/webhook").arg(office.listenerPort())));
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        request.setRawHeader(
            "Stripe-Signature",
            stripeSignatureHeader(body, QDateTime::currentSecsSinceEpoch(), webhookSecret));
        QNetworkReply *reply = network.post(request, body);
        QSignalSpy finished(reply, &QNetworkReply::finished);
        QVERIFY(finished.wait(10000));
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        reply->deleteLater();

        // Stored by the listener, handled by the processor; the poller asked Stripe too.
        QTRY_VERIFY_WITH_TIMEOUT(
            scalar(db, QStringLiteral("SELECT processed_at IS NOT NULL FROM stripe_events "
                                      "WHERE id = 'evt_ow1'"))
                .toBool(),
            20000);
        QTRY_VERIFY_WITH_TIMEOUT(fake.stats()
                                     .value(QStringLiteral("requests"))
                                     .toObject()
                                     .contains(QStringLiteral("GET /v1/events")),
                                 20000);

        QSignalSpy stopped(&office, &OfficeWorker::stopped);
        office.stop();
        QVERIFY(stopped.wait(10000));
        QCOMPARE(office.listenerPort(), quint16(0));
    }

    void aMissingWebhookSecretIsASentence()
    {
        QTemporaryDir secrets;
        {
            SecretStore store(fileSecrets(secrets.path()));
            QVERIFY(store.write(OfficeWorker::stripeKeyName(),
                                QStringLiteral("sk_test_officeworker0123456789")));
        }
        OfficeWorker office;
        QSignalSpy started(&office, &OfficeWorker::started);
        QSignalSpy failed(&office, &OfficeWorker::failed);
        OfficeWorker::Options options;
        options.secrets = fileSecrets(secrets.path());
        options.runListener = true;
        office.start(options);
        QVERIFY(failed.wait(10000));
        QVERIFY(started.isEmpty());
        QVERIFY2(failed.first().first().toString().startsWith(
                     QLatin1String("No webhook signing secret")),
                 qPrintable(failed.first().first().toString()));
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
