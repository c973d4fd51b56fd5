// Issue 6's reliability criterion, end to end: 5,000 distinct Stripe events about 50
// subscriptions and their invoices, sent with duplicates and in a scrambled order to the
// webhook listener, by a sender that retries like Stripe (on anything but a 2xx, and on
// timeouts), while the process running the listener and the event processor is killed
// (SIGKILL) twice and PostgreSQL is restarted once. Afterwards every distinct event is stored
// once and handled, and every subscription and invoice says what its newest event says.
//
// The process is the real office service, `nobillctl serve`, as systemd runs it: secrets from
// $CREDENTIALS_DIRECTORY, the listener on loopback, the event processor, pull mode against an
// in-process fake Stripe (which has no events: push and pull side by side), the job worker
// with a fake key. At the end it is stopped with SIGTERM and must exit cleanly.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "database/connection.h"
#include "webhooks/stripesignature.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QProcess>
#include <QRandomGenerator>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>
#include <deque>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {

const QByteArray Secret = QByteArrayLiteral("whsec_reliability_test_secret");
constexpr int Subscriptions = 50;
constexpr int SubscriptionEvents = 60; // per subscription
constexpr int InvoiceEvents = 40;      // per subscription's invoice
constexpr int Distinct = Subscriptions * (SubscriptionEvents + InvoiceEvents);
constexpr int Duplicates = 500;
constexpr qint64 T0 = 1750000000;
const char *const Statuses[] = {"active", "past_due", "unpaid", "trialing"};

QByteArray eventBody(const QString &id, const QString &type, qint64 created,
                     const QJsonObject &object)
{
    return QJsonDocument(
               QJsonObject{
                   {QStringLiteral("id"), id},
                   {QStringLiteral("object"), QStringLiteral("event")},
                   {QStringLiteral("api_version"), QStringLiteral("2025-03-31.basil")},
                   {QStringLiteral("created"), created},
                   {QStringLiteral("livemode"), false},
                   {QStringLiteral("type"), type},
                   {QStringLiteral("data"), QJsonObject{{QStringLiteral("object"), object}}}})
        .toJson(QJsonDocument::Compact);
}

// Subscription n: created, then updated; status and quantity change with each event.
QByteArray subscriptionEvent(int n, int u)
{
    const QJsonObject object{
        {QStringLiteral("id"), QStringLiteral("sub_r%1").arg(n)},
        {QStringLiteral("object"), QStringLiteral("subscription")},
        {QStringLiteral("customer"), QStringLiteral("cus_r%1").arg(n)},
        {QStringLiteral("status"), QString::fromLatin1(Statuses[u % 4])},
        {QStringLiteral("collection_method"), QStringLiteral("charge_automatically")},
        {QStringLiteral("items"),
         QJsonObject{{QStringLiteral("data"),
                      QJsonArray{QJsonObject{
                          {QStringLiteral("quantity"), u + 1},
                          {QStringLiteral("current_period_start"), T0},
                          {QStringLiteral("current_period_end"), T0 + 30 * 86400},
                          {QStringLiteral("price"),
                           QJsonObject{{QStringLiteral("id"), QStringLiteral("price_r")}}}}}}}}};
    return eventBody(QStringLiteral("evt_rs%1x%2").arg(n).arg(u),
                     u == 0 ? QStringLiteral("customer.subscription.created")
                            : QStringLiteral("customer.subscription.updated"),
                     T0 + 10 * u, object);
}

// Its invoice: draft, open, a failed payment, then paid; the amount paid grows to the end.
QByteArray invoiceEvent(int n, int k)
{
    const int phase = k * 4 / InvoiceEvents;
    const char *types[] = {"invoice.created", "invoice.finalized", "invoice.payment_failed",
                           "invoice.paid"};
    const char *statuses[] = {"draft", "open", "open", "paid"};
    const int paid = phase == 3 ? 1000 + k : 0;
    const QJsonObject object{{QStringLiteral("id"), QStringLiteral("in_r%1").arg(n)},
                             {QStringLiteral("object"), QStringLiteral("invoice")},
                             {QStringLiteral("customer"), QStringLiteral("cus_r%1").arg(n)},
                             {QStringLiteral("subscription"), QStringLiteral("sub_r%1").arg(n)},
                             {QStringLiteral("status"), QString::fromLatin1(statuses[phase])},
                             {QStringLiteral("currency"), QStringLiteral("eur")},
                             {QStringLiteral("subtotal"), 2000},
                             {QStringLiteral("tax"), 0},
                             {QStringLiteral("total"), 2000},
                             {QStringLiteral("amount_due"), 2000},
                             {QStringLiteral("amount_paid"), paid},
                             {QStringLiteral("amount_remaining"), 2000 - paid},
                             {QStringLiteral("created"), T0}};
    return eventBody(QStringLiteral("evt_ri%1x%2").arg(n).arg(k), QString::fromLatin1(types[phase]),
                     T0 + 1000 + 10 * k, object);
}

quint16 freePort()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    return probe.serverPort();
}

} // namespace

class TestEventReliability : public QObject
{
    Q_OBJECT

    QProcess m_server;
    QString m_uri; // the service login, without its password
    quint16 m_port = 0;
    QUrl m_stripe;
    QTemporaryDir m_home;
    QTemporaryDir m_credentials;

    bool startServer()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), m_credentials.path());
        env.insert(QStringLiteral("HOME"), m_home.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.filePath(QStringLiteral(".config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), m_home.filePath(QStringLiteral(".local")));
        env.insert(QStringLiteral("NOBILL_OFFICE_PROFILE"),
                   m_home.filePath(QStringLiteral("no-office.conf")));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("nobill.serve.info=false"));
        env.insert(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("detect_leaks=0"));
        env.remove(QStringLiteral("PGPASSWORD"));
        m_server.setProcessEnvironment(env);
        m_server.setProgram(QStringLiteral(NOBILLCTL));
        m_server.setArguments({QStringLiteral("serve"), QStringLiteral("--db"), m_uri,
                               QStringLiteral("--listen"),
                               QStringLiteral("127.0.0.1:%1").arg(m_port), QStringLiteral("--pull"),
                               QStringLiteral("--pull-seconds"), QStringLiteral("1"),
                               QStringLiteral("--stripe-base-url"), m_stripe.toString(),
                               QStringLiteral("--events-poll-ms"), QStringLiteral("500"),
                               QStringLiteral("--event-backoff-seconds"), QStringLiteral("1"),
                               QStringLiteral("--event-attempts"), QStringLiteral("1000"),
                               QStringLiteral("--worker-name"), QStringLiteral("reliability")});
        m_server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_server.start();
        if (!m_server.waitForStarted(10000))
            return false;
        // The job worker's line comes last: by then the listener listens.
        QElapsedTimer waited;
        waited.start();
        QByteArray startup;
        while (!startup.contains("serving: job worker") && waited.elapsed() < 30000 &&
               m_server.state() == QProcess::Running) {
            m_server.waitForReadyRead(200);
            startup += m_server.readAll();
        }
        const QByteArray where =
            "serving: webhook listener on http://127.0.0.1:" + QByteArray::number(m_port) +
            "/stripe/webhook";
        if (!startup.contains(where) || !startup.contains("serving: event processor") ||
            !startup.contains("serving: pulling Stripe's events") ||
            !startup.contains("serving: job worker") || startup.contains(Secret)) {
            qWarning() << "nobillctl serve did not start as expected:" << startup;
            return false;
        }
        return true;
    }

    void killServer()
    {
        m_server.kill(); // SIGKILL: no goodbye, nothing flushed
        m_server.waitForFinished(10000);
    }

private slots:
    void cleanup()
    {
        if (m_server.state() != QProcess::NotRunning)
            killServer();
    }

    void fiveThousandEventsThroughKillsAndARestart()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        {
            QSqlQuery q(QSqlDatabase::database(db.connectionName()));
            QVERIFY2(
                q.exec(
                    QStringLiteral(
                        "INSERT INTO organizations (name, slug, billing_email, currency, "
                        "  stripe_customer_id) "
                        "SELECT 'Org ' || g, 'org-' || g, 'b' || g || '@example.com', 'EUR', "
                        "  'cus_r' || g FROM generate_series(0, %1) g; "
                        "INSERT INTO products (name, stripe_product_id) VALUES ('Team', "
                        "  'prod_r'); "
                        "INSERT INTO plans (product_id, name, amount, currency, stripe_price_id) "
                        "SELECT id, 'Team', 2000, 'EUR', 'price_r' FROM products")
                        .arg(Subscriptions - 1)),
                qPrintable(q.lastError().text()));
        }
        auto login = test::createServiceLogin(db, QStringLiteral("reliable"));
        QVERIFY(login);
        m_uri = login.value().toUri(false);
        m_port = freePort();
        test::FakeStripeServer stripe;
        QVERIFY2(stripe.start(), qPrintable(stripe.errorString()));
        m_stripe = stripe.baseUrl();
        QVERIFY(m_home.isValid() && m_credentials.isValid());
        const auto writeCredential = [&](const char *name, const QByteArray &text) {
            QFile file(m_credentials.filePath(QString::fromLatin1(name)));
            return file.open(QIODevice::WriteOnly) && file.write(text) == text.size();
        };
        QVERIFY(writeCredential("stripe-secret-key", "sk_test_reliability_fake_key\n"));
        QVERIFY(writeCredential("webhook-secret", Secret + "\n"));
        QVERIFY(writeCredential("db-password", login.value().password.toUtf8()));
        QVERIFY(startServer());

        // Every distinct event once, some twice, in a scrambled order.
        std::deque<QByteArray> queue;
        QList<QByteArray> all;
        for (int n = 0; n < Subscriptions; ++n) {
            for (int u = 0; u < SubscriptionEvents; ++u)
                all << subscriptionEvent(n, u);
            for (int k = 0; k < InvoiceEvents; ++k)
                all << invoiceEvent(n, k);
        }
        QRandomGenerator random(20261123);
        for (int i = 0; i < Duplicates; ++i)
            all << all.at(static_cast<int>(random.bounded(Distinct)));
        std::shuffle(all.begin(), all.end(), random);
        queue.assign(all.cbegin(), all.cend());
        const int deliveries = static_cast<int>(queue.size());

        // The sender: eight deliveries at a time, each retried until a 2xx, as Stripe does
        // (on errors, non-2xx answers and timeouts), after a short pause.
        QNetworkAccessManager network;
        const QUrl url(QStringLiteral("http://127.0.0.1:%1/stripe/webhook").arg(m_port));
        int acknowledged = 0;
        int retries = 0;
        int inFlight = 0;
        int disruptions = 0;
        std::function<void()> pump;
        std::function<void(const QByteArray &)> send = [&](const QByteArray &body) {
            QNetworkRequest request(url);
            request.setHeader(QNetworkRequest::ContentTypeHeader,
                              QByteArrayLiteral("application/json"));
            request.setRawHeader(
                "Stripe-Signature",
                stripeSignatureHeader(body, QDateTime::currentSecsSinceEpoch(), Secret));
            request.setTransferTimeout(5000);
            ++inFlight;
            QNetworkReply *reply = network.post(request, body);
            connect(reply, &QNetworkReply::finished, this, [&, reply, body]() {
                reply->deleteLater();
                --inFlight;
                const int status =
                    reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                if (reply->error() == QNetworkReply::NoError && status >= 200 && status < 300) {
                    ++acknowledged;
                } else {
                    ++retries;
                    ++inFlight; // the retry is still this delivery's
                    QTimer::singleShot(
                        100 + static_cast<int>(QRandomGenerator::global()->bounded(200)), this,
                        [&, body]() {
                            --inFlight;
                            send(body);
                        });
                }
                pump();
            });
        };
        pump = [&]() {
            while (inFlight < 8 && !queue.empty()) {
                const QByteArray body = queue.front();
                queue.pop_front();
                send(body);
            }
        };
        pump();

        QElapsedTimer elapsed;
        elapsed.start();
        while (acknowledged < deliveries && elapsed.elapsed() < 240000) {
            QTest::qWait(20);
            // The disruptions, at a third, a half and two thirds of the way.
            if (disruptions == 0 && acknowledged >= deliveries / 3) {
                ++disruptions;
                killServer();
                QVERIFY(startServer());
            } else if (disruptions == 1 && acknowledged >= deliveries / 2) {
                ++disruptions;
                EmbeddedCluster &cluster = test::TestCluster::instance().cluster();
                QVERIFY(cluster.stop());
                QTest::qWait(300);
                QVERIFY(cluster.start());
            } else if (disruptions == 2 && acknowledged >= deliveries * 2 / 3) {
                ++disruptions;
                killServer();
                QVERIFY(startServer());
            }
        }
        QCOMPARE(acknowledged, deliveries);
        QCOMPARE(disruptions, 3);
        qInfo("%d deliveries acknowledged, %d retried, in %.1f s", deliveries, retries,
              static_cast<double>(elapsed.elapsed()) / 1000.0);

        // The test's own connection did not survive the restart.
        closeConnection(db.connectionName());
        QVERIFY(openConnection(db.settings(), db.connectionName()));
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        auto pending = [&]() {
            return q.exec(QStringLiteral("SELECT count(*) FROM stripe_events WHERE status IN "
                                         "('received', 'waiting')")) &&
                           q.next()
                       ? q.value(0).toInt()
                       : -1;
        };
        QTRY_COMPARE_WITH_TIMEOUT(pending(), 0, 120000);
        // A clean stop: listener, processor, worker, in that order, and exit status 0.
        m_server.terminate();
        QVERIFY(m_server.waitForFinished(30000));
        QCOMPARE(m_server.exitStatus(), QProcess::NormalExit);
        QCOMPARE(m_server.exitCode(), 0);
        QVERIFY(stripe.stats().value(QStringLiteral("requests_total")).toInt() > 0); // pulled

        QVERIFY(q.exec(QStringLiteral("SELECT count(*), count(DISTINCT id), "
                                      "  count(*) FILTER (WHERE status = 'processed'), "
                                      "  count(*) FILTER (WHERE status = 'ignored'), "
                                      "  count(*) FILTER (WHERE processed_at IS NULL) "
                                      "FROM stripe_events")) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), Distinct);
        QCOMPARE(q.value(1).toInt(), Distinct);
        QCOMPARE(q.value(2).toInt() + q.value(3).toInt(), Distinct); // none failed
        QCOMPARE(q.value(4).toInt(), 0);
        qInfo("%d applied, %d older than what was applied already", q.value(2).toInt(),
              q.value(3).toInt());

        // The newest event about each object is the one applied last...
        QVERIFY(q.exec(QStringLiteral(
                    "SELECT count(*) FROM stripe_object_versions v "
                    "WHERE v.event_id <> (SELECT e.id FROM stripe_events e "
                    "                     WHERE e.object_id = v.object_id "
                    "                     ORDER BY e.stripe_created DESC LIMIT 1)")) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), 0);
        // ...and the rows say what it says.
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM subscriptions WHERE status = '%1' "
                                      "AND quantity = %2")
                           .arg(QString::fromLatin1(Statuses[(SubscriptionEvents - 1) % 4]))
                           .arg(SubscriptionEvents)) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), Subscriptions);
        QVERIFY(q.exec(QStringLiteral("SELECT count(*) FROM invoices WHERE status = 'paid' "
                                      "AND amount_paid = %1 AND subscription_id IS NOT NULL")
                           .arg(1000 + InvoiceEvents - 1)) &&
                q.next());
        QCOMPARE(q.value(0).toInt(), Subscriptions);
    }
};

QTEST_GUILESS_MAIN(TestEventReliability)
#include "tst_eventreliability.moc"
