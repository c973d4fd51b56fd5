// The webhook listener end to end: real sockets on loopback, a real database and a service
// login. Valid events are stored once; every kind of bad request is refused, counted and
// leaves nothing behind, while valid traffic keeps flowing.

#include "testcluster.h"
#include "testoperators.h"
#include "webhooks/stripesignature.h"
#include "webhooks/webhooklistener.h"

#include <QDateTime>
#include <QDeadlineTimer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSqlError>
#include <QSqlQuery>
#include <QSslSocket>
#include <QStandardPaths>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace nobill;
using namespace nobill::test;

namespace {

const QByteArray Secret = "whsec_listener_test";
const QByteArray OldSecret = "whsec_listener_old";

// Every wait in these tests is bounded by this, and is never a timing assertion: the event
// loop runs until the expected thing happens.
constexpr int WaitMs = 20000;

QByteArray eventBody(const QString &id, const QString &customer = QStringLiteral("cus_none"))
{
    return QStringLiteral(
               R"({"id":"%1","object":"event","api_version":"2025-03-31.basil","created":%2,)"
               R"("livemode":false,"type":"invoice.paid","data":{"object":{"id":"in_%1",)"
               R"("object":"invoice","customer":"%3","amount_paid":4900}}})")
        .arg(id)
        .arg(QDateTime::currentSecsSinceEpoch())
        .arg(customer)
        .toUtf8();
}

QByteArray post(const QByteArray &body, const QByteArray &signature,
                const QByteArray &extraHeaders = {})
{
    QByteArray request = "POST /stripe/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                         "Content-Type: application/json\r\nContent-Length: " +
                         QByteArray::number(body.size()) + "\r\n";
    if (!signature.isNull())
        request += "Stripe-Signature: " + signature + "\r\n";
    return request + extraHeaders + "\r\n" + body;
}

QByteArray signedPost(const QByteArray &body, const QByteArray &secret = Secret)
{
    return post(body, stripeSignatureHeader(body, QDateTime::currentSecsSinceEpoch(), secret));
}

struct Response
{
    int status = 0;
    QByteArray headers;
    QByteArray body;
};

// A raw HTTP/1.1 client, so that malformed requests can be sent exactly as written.
class Client
{
public:
    explicit Client(quint16 port, bool tls = false)
    {
        if (tls) {
            // The test's own self-signed certificate: nothing to verify it against.
            m_socket.setPeerVerifyMode(QSslSocket::VerifyNone);
            m_socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port);
        } else {
            m_socket.connectToHost(QHostAddress(QHostAddress::LocalHost), port);
        }
        QObject::connect(&m_socket, &QTcpSocket::readyRead,
                         [this] { m_received += m_socket.readAll(); });
    }

    void send(const QByteArray &bytes) { m_socket.write(bytes); }

    // Spins the event loop (the listener runs on this thread) until a whole response is in.
    std::optional<Response> response()
    {
        QDeadlineTimer deadline(WaitMs);
        while (!deadline.hasExpired()) {
            if (std::optional<Response> r = take())
                return r;
            if (m_socket.state() == QAbstractSocket::UnconnectedState)
                return take();
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        }
        return std::nullopt;
    }

    Response exchange(const QByteArray &request)
    {
        send(request);
        const std::optional<Response> r = response();
        return r ? *r : Response{};
    }

    bool waitClosed()
    {
        QDeadlineTimer deadline(WaitMs);
        while (!deadline.hasExpired() && m_socket.state() != QAbstractSocket::UnconnectedState)
            QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        return m_socket.state() == QAbstractSocket::UnconnectedState;
    }

private:
    std::optional<Response> take()
    {
        const qsizetype end = m_received.indexOf("\r\n\r\n");
        if (end < 0)
            return std::nullopt;
        Response r;
        r.headers = m_received.left(end);
        const QList<QByteArray> first = r.headers.left(r.headers.indexOf("\r\n")).split(' ');
        r.status = first.size() >= 2 ? first.at(1).toInt() : -1;
        qsizetype length = 0;
        for (const QByteArray &line : r.headers.split('\n')) {
            if (line.toLower().startsWith("content-length:"))
                length = line.mid(15).trimmed().toLongLong();
        }
        if (m_received.size() < end + 4 + length)
            return std::nullopt;
        r.body = m_received.mid(end + 4, length);
        m_received.remove(0, end + 4 + length);
        return r;
    }

    QSslSocket m_socket; // plain TCP unless connected encrypted
    QByteArray m_received;
};

int countEvents(const TestDatabase &db, const QString &where = QStringLiteral("true"))
{
    QSqlQuery query(QSqlDatabase::database(db.connectionName(), false));
    if (!query.exec(QStringLiteral("SELECT count(*) FROM stripe_events WHERE ") + where) ||
        !query.next())
        return -1;
    return query.value(0).toInt();
}

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery query(QSqlDatabase::database(db.connectionName(), false));
    if (!query.exec(sql)) {
        qWarning() << query.lastError().text();
        return false;
    }
    return true;
}

} // namespace

class TestWebhookListener : public QObject
{
    Q_OBJECT

private:
    // A listener for `db` with a fresh service login.
    std::unique_ptr<WebhookListener> makeListener(const TestDatabase &db,
                                                  WebhookListenerOptions options = {})
    {
        Result<ConnectionSettings> login = createServiceLogin(db, QStringLiteral("hook"));
        if (!login) {
            qWarning() << login.error().message;
            return nullptr;
        }
        options.database = login.value();
        if (options.secrets.isEmpty())
            options.secrets = {Secret, OldSecret};
        auto listener = std::make_unique<WebhookListener>(options);
        if (Status started = listener->start(); !started) {
            qWarning() << started.error().message;
            return nullptr;
        }
        return listener;
    }

private slots:
    void initTestCase() { QVERIFY(TestCluster::instance().createDatabase().isOk()); }

    void startNeedsASecret()
    {
        WebhookListener listener(WebhookListenerOptions{});
        const Status started = listener.start();
        QVERIFY(!started);
        QVERIFY(started.error().message.contains(QLatin1String("secret")));
        QVERIFY(!listener.isListening());
    }

    void bindsLoopbackByDefault()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        QCOMPARE(listener->address(), QHostAddress(QHostAddress::LocalHost));
        QVERIFY(listener->port() != 0);
    }

    void https()
    {
        const QString openssl = QStandardPaths::findExecutable(QStringLiteral("openssl"));
        if (openssl.isEmpty())
            QSKIP("the openssl command is needed to make a test certificate");
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString certificate = dir.filePath(QStringLiteral("cert.pem"));
        const QString key = dir.filePath(QStringLiteral("key.pem"));
        QProcess make;
        make.start(openssl,
                   {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                    QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"),
                    key, QStringLiteral("-out"), certificate, QStringLiteral("-days"),
                    QStringLiteral("1"), QStringLiteral("-subj"), QStringLiteral("/CN=127.0.0.1")});
        QVERIFY(make.waitForFinished(WaitMs));
        QCOMPARE(make.exitCode(), 0);

        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        {
            // A missing key is refused with a sentence naming the file.
            WebhookListenerOptions broken;
            broken.secrets = {Secret};
            broken.certificateFile = certificate;
            broken.privateKeyFile = dir.filePath(QStringLiteral("missing.pem"));
            WebhookListener listener(broken);
            const Status started = listener.start();
            QVERIFY(!started);
            QVERIFY(started.error().message.contains(QLatin1String("missing.pem")));
        }
        WebhookListenerOptions options;
        options.certificateFile = certificate;
        options.privateKeyFile = key;
        auto listener = makeListener(db, options);
        QVERIFY(listener);
        Client client(listener->port(), true);
        const Response r = client.exchange(signedPost(eventBody(QStringLiteral("evt_tls"))));
        QCOMPARE(r.status, 200);
        QCOMPARE(countEvents(db, QStringLiteral("id = 'evt_tls'")), 1);
        // Plain HTTP to the HTTPS port gets no answer, only a closed connection.
        Client plain(listener->port());
        plain.send(signedPost(eventBody(QStringLiteral("evt_plain"))));
        QVERIFY(plain.waitClosed());
        QCOMPARE(countEvents(db), 1);
    }

    void validEventStoredOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(
            db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency, "
                               "stripe_customer_id) VALUES ('Acme', 'acme', 'a@acme.example', "
                               "'EUR', 'cus_acme')")));
        auto listener = makeListener(db);
        QVERIFY(listener);
        Client client(listener->port());

        const QByteArray body = eventBody(QStringLiteral("evt_once"), QStringLiteral("cus_acme"));
        Response r = client.exchange(signedPost(body));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("\"stored\":true"));
        QCOMPARE(countEvents(db), 1);
        QCOMPARE(countEvents(
                     db, QStringLiteral("id = 'evt_once' AND type = 'invoice.paid' AND source = "
                                        "'push' AND status = 'received' AND object_id = "
                                        "'in_evt_once' AND NOT livemode AND api_version = "
                                        "'2025-03-31.basil' AND payload->'data'->'object'->>"
                                        "'amount_paid' = '4900' AND organization_id = (SELECT id "
                                        "FROM organizations WHERE slug = 'acme')")),
                 1);

        // Stripe delivers at least once: the same event again is a 200 that stores nothing,
        // on the same keep-alive connection, and signed with the secret being rotated out.
        r = client.exchange(signedPost(body, OldSecret));
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.contains("\"duplicate\":true"));
        QCOMPARE(countEvents(db), 1);
        QCOMPARE(listener->metrics().stored.load(), quint64(1));
        QCOMPARE(listener->metrics().duplicates.load(), quint64(1));
        QCOMPARE(listener->metrics().verified.load(), quint64(2));
        QCOMPARE(listener->metrics().rejectedTotal(), quint64(0));

        // An event of no known customer is stored without an organization.
        r = client.exchange(signedPost(eventBody(QStringLiteral("evt_nobody"))));
        QCOMPARE(r.status, 200);
        QCOMPARE(countEvents(db, QStringLiteral("id = 'evt_nobody' AND organization_id IS NULL")),
                 1);
    }

    void badRequests_data()
    {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::addColumn<QByteArray>("reason");
        QTest::addColumn<bool>("closes");

        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray body = eventBody(QStringLiteral("evt_bad"));
        const QByteArray good = stripeSignature(body, now, Secret);
        const QByteArray t = "t=" + QByteArray::number(now);

        QTest::newRow("missing signature")
            << post(body, QByteArray()) << 400 << QByteArray("missing_header") << false;
        QTest::newRow("malformed signature")
            << post(body, "nonsense") << 400 << QByteArray("malformed_header") << false;
        QTest::newRow("duplicate timestamp") << post(body, t + "," + t + ",v1=" + good) << 400
                                             << QByteArray("duplicate_timestamp") << false;
        QTest::newRow("duplicate header")
            << post(body, t + ",v1=" + good, "Stripe-Signature: " + t + ",v1=" + good + "\r\n")
            << 400 << QByteArray("duplicate_header") << false;
        QTest::newRow("no v1") << post(body, t + ",v0=" + good) << 400 << QByteArray("no_signature")
                               << false;
        QTest::newRow("non-hex signature") << post(body, t + ",v1=" + QByteArray(64, 'g')) << 400
                                           << QByteArray("bad_signature_encoding") << false;
        QTest::newRow("wrong secret") << post(body, stripeSignatureHeader(body, now, "whsec_wrong"))
                                      << 400 << QByteArray("no_match") << false;
        QTest::newRow("expired") << post(body, stripeSignatureHeader(body, now - 3600, Secret))
                                 << 400 << QByteArray("timestamp_too_old") << false;
        QTest::newRow("future") << post(body, stripeSignatureHeader(body, now + 3600, Secret))
                                << 400 << QByteArray("timestamp_in_future") << false;
        QTest::newRow("non-JSON body")
            << signedPost("this is not json") << 400 << QByteArray("not_json") << false;
        QTest::newRow("truncated body")
            << signedPost(body.left(body.size() / 2)) << 400 << QByteArray("not_json") << false;
        QTest::newRow("not an event id")
            << signedPost(R"({"id":"cus_1","type":"x","created":1700000000})") << 400
            << QByteArray("bad_event_id") << false;
        QTest::newRow("oversized body")
            << QByteArray("POST /stripe/webhook HTTP/1.1\r\nContent-Length: 2000000\r\n"
                          "Stripe-Signature: " +
                          t + ",v1=" + good + "\r\n\r\n")
            << 413 << QByteArray("body_too_large") << true;
        QTest::newRow("no length")
            << QByteArray("POST /stripe/webhook HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
            << 411 << QByteArray("length_required") << true;
        QTest::newRow("bad length")
            << QByteArray("POST /stripe/webhook HTTP/1.1\r\nContent-Length: -1\r\n\r\n") << 400
            << QByteArray("bad_request") << true;
        QTest::newRow("wrong method") << QByteArray("GET /stripe/webhook HTTP/1.1\r\n\r\n") << 405
                                      << QByteArray("method_not_allowed") << false;
        QTest::newRow("wrong method on metrics")
            << QByteArray("DELETE /metrics HTTP/1.1\r\n\r\n") << 405
            << QByteArray("method_not_allowed") << false;
        QTest::newRow("wrong path")
            << post(body, t + ",v1=" + good).replace("/stripe/webhook", "/stripe/hook") << 404
            << QByteArray("not_found") << true;
        QTest::newRow("garbage request line")
            << QByteArray("HELLO\r\n\r\n") << 400 << QByteArray("bad_request") << true;
        QTest::newRow("malformed header line")
            << QByteArray("GET /healthz HTTP/1.1\r\nno colon here\r\n\r\n") << 400
            << QByteArray("bad_request") << true;
        QTest::newRow("headers too large")
            << QByteArray("GET /healthz HTTP/1.1\r\nX-Big: " +
                          QByteArray(WebhookListener::MaxHeadBytes + 10, 'a') + "\r\n\r\n")
            << 431 << QByteArray("headers_too_large") << true;
    }

    void badRequests()
    {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        QFETCH(QByteArray, reason);
        QFETCH(bool, closes);

        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        WebhookListenerOptions options;
        auto listener = makeListener(db, options);
        QVERIFY(listener);

        Client bad(listener->port());
        const Response r = bad.exchange(request);
        QCOMPARE(r.status, status);
        QVERIFY(!r.body.isEmpty());
        QCOMPARE(listener->metrics().rejected(reason), quint64(1));
        QCOMPARE(listener->metrics().rejectedTotal(), quint64(1));
        if (closes) {
            QVERIFY(r.headers.contains("Connection: close"));
            QVERIFY(bad.waitClosed());
        } else {
            // The connection stays usable: a valid event on it is stored.
            const Response next = bad.exchange(signedPost(eventBody(QStringLiteral("evt_next"))));
            QCOMPARE(next.status, 200);
        }
        // Nothing of a refused request is stored; valid traffic on another connection flows.
        Client good(listener->port());
        QCOMPARE(good.exchange(signedPost(eventBody(QStringLiteral("evt_good")))).status, 200);
        QCOMPARE(countEvents(db, QStringLiteral("id NOT IN ('evt_next', 'evt_good')")), 0);
        QCOMPARE(listener->metrics().stored.load(), quint64(closes ? 1 : 2));
    }

    void slowConnectionClosedWhileValidTrafficFlows()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        WebhookListenerOptions options;
        // Long enough that the valid client below, which sends each request right after the
        // previous answer, never hits it even on a loaded machine under AddressSanitizer.
        options.idleTimeoutMs = 1500;
        auto listener = makeListener(db, options);
        QVERIFY(listener);

        // Starts a request and never finishes it: half the headers, then half a body.
        Client slowHead(listener->port());
        slowHead.send("POST /stripe/webhook HTTP/1.1\r\nContent-Le");
        Client slowBody(listener->port());
        slowBody.send(post(eventBody(QStringLiteral("evt_slow")), "t=1,v1=00").left(150));
        // An idle keep-alive connection is closed too, but quietly.
        Client idle(listener->port());

        // Valid traffic on its own connection, posted while the slow ones hang. Each request
        // is sent within the timeout of the previous answer, so this connection stays open.
        Client good(listener->port());
        for (int i = 0; i < 5; ++i) {
            QCOMPARE(
                good.exchange(signedPost(eventBody(QStringLiteral("evt_flow_%1").arg(i)))).status,
                200);
        }
        std::optional<Response> r = slowHead.response();
        QVERIFY(r);
        QCOMPARE(r->status, 408);
        QVERIFY(slowHead.waitClosed());
        r = slowBody.response();
        QVERIFY(r);
        QCOMPARE(r->status, 408);
        QVERIFY(slowBody.waitClosed());
        QVERIFY(idle.waitClosed());
        QCOMPARE(listener->metrics().rejected("timeout"), quint64(2));
        QCOMPARE(countEvents(db), 5);
    }

    void connectionCap()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        WebhookListenerOptions options;
        options.maxConnections = 2;
        auto listener = makeListener(db, options);
        QVERIFY(listener);
        Client first(listener->port());
        Client second(listener->port());
        QCOMPARE(first.exchange("GET /healthz HTTP/1.1\r\n\r\n").status, 200);
        QCOMPARE(second.exchange("GET /healthz HTTP/1.1\r\n\r\n").status, 200);
        Client third(listener->port());
        const std::optional<Response> r = third.response();
        QVERIFY(r);
        QCOMPARE(r->status, 503);
        QVERIFY(third.waitClosed());
        QCOMPARE(listener->metrics().rejected("connection_limit"), quint64(1));
        // The two admitted connections still work.
        QCOMPARE(first.exchange(signedPost(eventBody(QStringLiteral("evt_cap")))).status, 200);
    }

    void healthAndMetrics()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        Client client(listener->port());
        QCOMPARE(client.exchange(signedPost(eventBody(QStringLiteral("evt_m1")))).status, 200);
        QCOMPARE(client.exchange(post("{}", "bad")).status, 400);

        Response r = client.exchange("GET /healthz HTTP/1.1\r\n\r\n");
        QCOMPARE(r.status, 200);
        const QJsonObject health = QJsonDocument::fromJson(r.body).object();
        QCOMPARE(health.value(QLatin1String("status")).toString(), QStringLiteral("ok"));
        QCOMPARE(health.value(QLatin1String("database")).toBool(), true);
        // One event waits to be processed: the lag is its age.
        QVERIFY(health.value(QLatin1String("processing_lag_seconds")).toDouble(-1) >= 0);

        r = client.exchange("GET /metrics?x=1 HTTP/1.1\r\n\r\n");
        QCOMPARE(r.status, 200);
        QVERIFY(r.headers.contains("text/plain; version=0.0.4"));
        QVERIFY2(r.body.contains("\nnobill_webhook_stored_total 1\n"), r.body.constData());
        QVERIFY(r.body.contains("nobill_webhook_received_total 2\n"));
        QVERIFY(r.body.contains("nobill_webhook_verified_total 1\n"));
        QVERIFY(r.body.contains("nobill_webhook_rejected_total{reason=\"malformed_header\"} 1\n"));
        QVERIFY(r.body.contains("nobill_webhook_database_up 1\n"));
        QVERIFY(r.body.contains("# TYPE nobill_webhook_processing_lag_seconds gauge\n"));
    }

    void databaseDownThenRecovery()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        Client client(listener->port());
        QCOMPARE(client.exchange(signedPost(eventBody(QStringLiteral("evt_before")))).status, 200);

        // The database goes away for the listener: its session is ended and it cannot
        // connect again. (Changed from another database: one cannot lock out its own. The
        // test keeps its own owner session.)
        ScopedConnection admin(TestCluster::instance().ownerSettings(QStringLiteral("postgres")));
        QVERIFY2(admin.isOpen(), qPrintable(admin.error()));
        QSqlQuery adminQuery(admin.database());
        QVERIFY(adminQuery.exec(
            QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS false").arg(db.name())));
        QVERIFY(adminQuery.exec(QStringLiteral("SELECT pg_terminate_backend(pid) FROM "
                                               "pg_stat_activity WHERE datname = '%1' AND "
                                               "usename <> current_user")
                                    .arg(db.name())));
        const QByteArray during = signedPost(eventBody(QStringLiteral("evt_during")));
        Response r = client.exchange(during);
        QCOMPARE(r.status, 503);
        QVERIFY(r.headers.contains("Retry-After:"));
        QCOMPARE(client.exchange(during).status, 503);
        r = client.exchange("GET /healthz HTTP/1.1\r\n\r\n");
        QCOMPARE(r.status, 503);
        QVERIFY(r.body.contains("\"database\":false"));
        QCOMPARE(countEvents(db, QStringLiteral("id = 'evt_during'")), 0);

        // Back: Stripe's retry of the same delivery is stored.
        QVERIFY(adminQuery.exec(
            QStringLiteral("ALTER DATABASE %1 ALLOW_CONNECTIONS true").arg(db.name())));
        QDeadlineTimer deadline(WaitMs);
        int status = 0;
        while (!deadline.hasExpired()) {
            status = client.exchange(during).status;
            if (status != 503)
                break;
            QTest::qWait(50);
        }
        QCOMPARE(status, 200);
        QCOMPARE(countEvents(db, QStringLiteral("id = 'evt_during'")), 1);
        QVERIFY(listener->metrics().unavailable.load() >= 2);
    }

    void concurrentPostsAllCommitted()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        constexpr int Clients = 16;
        constexpr int PerClient = 25;
        std::vector<std::unique_ptr<Client>> clients;
        for (int c = 0; c < Clients; ++c)
            clients.push_back(std::make_unique<Client>(listener->port()));
        int ok = 0;
        for (int round = 0; round < PerClient; ++round) {
            // Every client sends before any answer is awaited, so requests overlap.
            for (int c = 0; c < Clients; ++c)
                clients[c]->send(
                    signedPost(eventBody(QStringLiteral("evt_c%1_%2").arg(c).arg(round))));
            for (int c = 0; c < Clients; ++c) {
                const std::optional<Response> r = clients[c]->response();
                if (r && r->status == 200)
                    ++ok;
            }
        }
        QCOMPARE(ok, Clients * PerClient);
        QCOMPARE(countEvents(db), Clients * PerClient);
        const WebhookMetrics &m = listener->metrics();
        QCOMPARE(m.stored.load(), quint64(Clients * PerClient));
        QCOMPARE(m.batchedEvents.load(), quint64(Clients * PerClient));
        // Each round's 16 requests arrive together: if no two of all 400 ever shared a
        // commit, group commit would not be happening.
        QVERIFY(m.batches.load() < quint64(Clients * PerClient));
        QVERIFY(m.largestBatch.load() > 1);
        qInfo("%llu events in %llu commits, largest %llu", m.batchedEvents.load(), m.batches.load(),
              m.largestBatch.load());
    }

    void duplicatesInOneBatch()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        // The same event on several connections at once: stored once, every sender gets 200.
        const QByteArray request = signedPost(eventBody(QStringLiteral("evt_same")));
        std::vector<std::unique_ptr<Client>> clients;
        for (int c = 0; c < 6; ++c) {
            clients.push_back(std::make_unique<Client>(listener->port()));
            clients.back()->send(request);
        }
        for (auto &client : clients) {
            const std::optional<Response> r = client->response();
            QVERIFY(r);
            QCOMPARE(r->status, 200);
        }
        QCOMPARE(countEvents(db), 1);
        QCOMPARE(listener->metrics().stored.load(), quint64(1));
        QCOMPARE(listener->metrics().duplicates.load(), quint64(5));
    }

    void databaseRefusesAValue()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto listener = makeListener(db);
        QVERIFY(listener);
        // Qt's JSON parser accepts \u0000; PostgreSQL's jsonb does not. The bad event is
        // refused alone; the others of its batch are stored.
        Client bad(listener->port());
        Client good(listener->port());
        bad.send(
            signedPost(R"({"id":"evt_nul","type":"x","created":1700000000,"note":"a\u0000b"})"));
        good.send(signedPost(eventBody(QStringLiteral("evt_fine"))));
        std::optional<Response> r = bad.response();
        QVERIFY(r);
        QCOMPARE(r->status, 400);
        r = good.response();
        QVERIFY(r);
        QCOMPARE(r->status, 200);
        QCOMPARE(countEvents(db), 1);
        QCOMPARE(listener->metrics().rejected("refused_by_database"), quint64(1));
    }
};

QTEST_GUILESS_MAIN(TestWebhookListener)
#include "tst_webhooklistener.moc"
