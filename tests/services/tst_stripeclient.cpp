// The Stripe client against the fake Stripe server in the same process: headers, retries,
// timeouts, typed errors, idempotent replays, pagination, and the secret key kept out of
// every message.
#include "fakestripeserver.h"
#include "stripe/stripeclient.h"

#include <QJsonArray>
#include <QLoggingCategory>
#include <QMutex>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <optional>

using namespace nobill;
using nobill::test::FakeStripeServer;

namespace {
const QString SecretKey = QStringLiteral("sk_test_51SecretKeyThatMustNeverBeLogged0123456789");

QMutex logMutex;
QStringList capturedLog;
QtMessageHandler previousHandler = nullptr;

void captureMessages(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    {
        QMutexLocker lock(&logMutex);
        capturedLog.append(message);
    }
    if (previousHandler)
        previousHandler(type, context, message);
}

QVariantMap customerParams(const QString &email)
{
    return QVariantMap{{QStringLiteral("email"), email},
                       {QStringLiteral("metadata"),
                        QVariantMap{{QStringLiteral("org_id"), QStringLiteral("org-1")}}}};
}
} // namespace

class TestStripeClient : public QObject
{
    Q_OBJECT

private slots:
    void initTestCase();
    void init();
    void cleanup();
    void cleanupTestCase();

    void postSendsStripesHeadersAndForm();
    void getEncodesQueryAndReturnsObject();
    void listAllFollowsPages();
    void listAllStopsAtMaxPages();
    void listAllReportsAFailedPage();
    void errorTypes_data();
    void errorTypes();
    void idempotencyMismatchIsIdempotencyError();
    void authenticationError();
    void networkErrorWhenNothingListens();
    void retriesThenSucceeds_data();
    void retriesThenSucceeds();
    void retriesEndInApiError();
    void noRetryWhenStripeSaysNo();
    void rateLimitIsRetriedWithBackoff();
    void rateLimitGivesUp();
    void timeoutIsNetworkErrorWithTimedOut();
    void lostReplyIsRetriedWithoutSecondObject_data();
    void lostReplyIsRetriedWithoutSecondObject();
    void storedFailureIsReplayed();
    void malformedJsonIsMalformed();
    void htmlPageIsMalformedWithShortHint();
    void sameKeyTwiceCreatesOneObject();
    void emptyIdempotencyKeySendsNothing();
    void oddRepliesNeverCrash_data();
    void oddRepliesNeverCrash();
    void secretKeyNeverInMessages();

private:
    StripeReply call(const std::function<void(StripeClient::Callback)> &start);
    StripeReply post(const QString &path, const QVariantMap &params, const QString &key);
    StripeReply get(const QString &path, const QVariantMap &query = {});
    StripeClientOptions options() const;

    std::unique_ptr<FakeStripeServer> m_fake;
    std::unique_ptr<StripeClient> m_client;
    QStringList m_sentences;
};

void TestStripeClient::initTestCase()
{
    previousHandler = qInstallMessageHandler(captureMessages);
    // The client's retry and failure lines are part of what must never show the key.
    QLoggingCategory::setFilterRules(QStringLiteral("nobill.stripe.debug=true"));
}

void TestStripeClient::cleanupTestCase()
{
    qInstallMessageHandler(previousHandler);
}

StripeClientOptions TestStripeClient::options() const
{
    StripeClientOptions o;
    o.baseUrl = m_fake->baseUrl();
    o.secretKey = SecretKey;
    o.timeoutMs = 5000;
    o.retryDelayScale = 0.01; // retries in milliseconds, the policy unchanged
    return o;
}

void TestStripeClient::init()
{
    m_fake = std::make_unique<FakeStripeServer>();
    QVERIFY2(m_fake->start(), qPrintable(m_fake->errorString()));
    m_client = std::make_unique<StripeClient>(options());
}

void TestStripeClient::cleanup()
{
    m_client.reset();
    m_fake.reset();
}

StripeReply TestStripeClient::call(const std::function<void(StripeClient::Callback)> &start)
{
    std::optional<StripeReply> result;
    start([&result](const StripeReply &reply) { result = reply; });
    if (!QTest::qWaitFor([&] { return result.has_value(); }, 30000)) {
        StripeReply none;
        none.error.message = QStringLiteral("the test gave up waiting for a reply");
        return none;
    }
    if (!result->ok)
        m_sentences.append(result->error.sentence());
    return *result;
}

StripeReply TestStripeClient::post(const QString &path, const QVariantMap &params,
                                   const QString &key)
{
    return call([&](StripeClient::Callback done) { m_client->post(path, params, key, done); });
}

StripeReply TestStripeClient::get(const QString &path, const QVariantMap &query)
{
    return call([&](StripeClient::Callback done) { m_client->get(path, query, done); });
}

void TestStripeClient::postSendsStripesHeadersAndForm()
{
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("a+b@example.com")),
             QStringLiteral("key-1"));
    QVERIFY2(reply.ok, qPrintable(reply.error.sentence()));
    QCOMPARE(reply.httpStatus, 200);
    QCOMPARE(reply.attempts, 1);
    QVERIFY(reply.requestId.startsWith(QLatin1String("req_")));
    QVERIFY(!reply.idempotentReplayed);
    QVERIFY(reply.object.value(QLatin1String("id")).toString().startsWith(QLatin1String("cus_")));
    QCOMPARE(reply.object.value(QLatin1String("email")).toString(),
             QStringLiteral("a+b@example.com"));
    QCOMPARE(
        reply.object.value(QLatin1String("metadata")).toObject().value(QLatin1String("org_id")),
        QJsonValue(QStringLiteral("org-1")));

    const QJsonObject sent = m_fake->recentRequests().last();
    const QJsonObject headers = sent.value(QLatin1String("headers")).toObject();
    QCOMPARE(headers.value(QLatin1String("authorization")).toString(),
             QString(QStringLiteral("Bearer ") + SecretKey));
    QCOMPARE(headers.value(QLatin1String("stripe-version")).toString(),
             QStringLiteral("2025-03-31.basil"));
    QCOMPARE(headers.value(QLatin1String("idempotency-key")).toString(), QStringLiteral("key-1"));
    QCOMPARE(headers.value(QLatin1String("content-type")).toString(),
             QStringLiteral("application/x-www-form-urlencoded"));
    QCOMPARE(sent.value(QLatin1String("body")).toString(),
             QStringLiteral("email=a%2Bb%40example.com&metadata[org_id]=org-1"));
}

void TestStripeClient::getEncodesQueryAndReturnsObject()
{
    const StripeReply created =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("x@example.com")),
             QStringLiteral("key-get"));
    QVERIFY(created.ok);
    const QString id = created.object.value(QLatin1String("id")).toString();
    const StripeReply fetched = get(QStringLiteral("/v1/customers/") + id);
    QVERIFY2(fetched.ok, qPrintable(fetched.error.sentence()));
    QCOMPARE(fetched.object.value(QLatin1String("id")).toString(), id);
    const QJsonObject sent = m_fake->recentRequests().last();
    QVERIFY(!sent.value(QLatin1String("headers"))
                 .toObject()
                 .contains(QLatin1String("idempotency-key")));

    const StripeReply listed =
        get(QStringLiteral("/v1/customers"),
            QVariantMap{{QStringLiteral("email"), QStringLiteral("x@example.com")},
                        {QStringLiteral("limit"), 5}});
    QVERIFY2(listed.ok, qPrintable(listed.error.sentence()));
    QCOMPARE(listed.object.value(QLatin1String("data")).toArray().size(), 1);
    QCOMPARE(m_fake->recentRequests().last().value(QLatin1String("query")).toString(),
             QStringLiteral("email=x%40example.com&limit=5"));
}

void TestStripeClient::listAllFollowsPages()
{
    int done = 0;
    int failed = 0;
    for (int i = 0; i < 250; ++i) {
        m_client->post(QStringLiteral("/v1/customers"),
                       customerParams(QStringLiteral("c%1@example.com").arg(i)),
                       QStringLiteral("bulk-%1").arg(i), [&](const StripeReply &reply) {
                           ++done;
                           if (!reply.ok)
                               ++failed;
                       });
    }
    QVERIFY(QTest::qWaitFor([&] { return done == 250; }, 60000));
    QCOMPARE(failed, 0);

    std::optional<StripeListReply> result;
    m_client->listAll(QStringLiteral("/v1/customers"), {},
                      [&](const StripeListReply &reply) { result = reply; });
    QVERIFY(QTest::qWaitFor([&] { return result.has_value(); }, 30000));
    QVERIFY2(result->ok, qPrintable(result->error.sentence()));
    QCOMPARE(result->items.size(), 250);
    QCOMPARE(result->pages, 3);
    QSet<QString> ids;
    for (const QJsonObject &item : std::as_const(result->items))
        ids.insert(item.value(QLatin1String("id")).toString());
    QCOMPARE(ids.size(), 250);
    // Newest first, as Stripe lists.
    QCOMPARE(
        result->items.first().value(QLatin1String("id")).toString(),
        m_fake->objects(QStringLiteral("customer")).first().value(QLatin1String("id")).toString());
}

void TestStripeClient::listAllStopsAtMaxPages()
{
    for (int i = 0; i < 5; ++i)
        QVERIFY(post(QStringLiteral("/v1/customers"), {}, QStringLiteral("mp-%1").arg(i)).ok);
    StripeClientOptions o = options();
    o.maxPages = 2;
    m_client = std::make_unique<StripeClient>(o);
    std::optional<StripeListReply> result;
    m_client->listAll(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), 2}},
                      [&](const StripeListReply &reply) { result = reply; });
    QVERIFY(QTest::qWaitFor([&] { return result.has_value(); }, 10000));
    QVERIFY(!result->ok);
    QVERIFY(result->items.isEmpty());
    QVERIFY2(result->error.sentence().contains(QLatin1String("longer than")),
             qPrintable(result->error.sentence()));
}

void TestStripeClient::listAllReportsAFailedPage()
{
    for (int i = 0; i < 3; ++i)
        QVERIFY(post(QStringLiteral("/v1/customers"), {}, QStringLiteral("fp-%1").arg(i)).ok);
    // The second page is refused.
    int pages = 0;
    connect(m_fake.get(), &FakeStripeServer::requestHandled, this,
            [&](const QString &method, const QString &) {
                if (method == QLatin1String("GET") && ++pages == 1)
                    m_fake->failNext(1, QStringLiteral("403"));
            });
    std::optional<StripeListReply> result;
    m_client->listAll(QStringLiteral("/v1/customers"), {{QStringLiteral("limit"), 1}},
                      [&](const StripeListReply &reply) { result = reply; });
    QVERIFY(QTest::qWaitFor([&] { return result.has_value(); }, 10000));
    QVERIFY(!result->ok);
    QCOMPARE(result->error.type, StripeErrorType::Permission);
    QVERIFY(result->items.isEmpty());
}

void TestStripeClient::errorTypes_data()
{
    QTest::addColumn<QString>("fault");
    QTest::addColumn<int>("type");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<bool>("retryable");
    QTest::newRow("card") << QStringLiteral("card_declined") << int(StripeErrorType::Card) << 402
                          << QStringLiteral("card_declined") << false;
    QTest::newRow("invalid request")
        << QStringLiteral("400") << int(StripeErrorType::InvalidRequest) << 400 << QString()
        << false;
    QTest::newRow("authentication") << QStringLiteral("401") << int(StripeErrorType::Authentication)
                                    << 401 << QString() << false;
    QTest::newRow("permission") << QStringLiteral("403") << int(StripeErrorType::Permission) << 403
                                << QString() << false;
    QTest::newRow("api (no retry)")
        << QStringLiteral("500_no_retry") << int(StripeErrorType::Api) << 500 << QString() << false;
}

void TestStripeClient::errorTypes()
{
    QFETCH(QString, fault);
    QFETCH(int, type);
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(bool, retryable);
    m_fake->failNext(1, fault);
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("e@example.com")),
             QStringLiteral("key-") + fault);
    QVERIFY(!reply.ok);
    QCOMPARE(int(reply.error.type), type);
    QCOMPARE(reply.error.httpStatus, status);
    QCOMPARE(reply.error.code, code);
    QCOMPARE(reply.error.retryable, retryable);
    QCOMPARE(reply.attempts, 1);
    QVERIFY(!reply.error.message.isEmpty());
    QVERIFY(reply.error.requestId.startsWith(QLatin1String("req_")));
    const QString sentence = reply.error.sentence();
    QVERIFY2(sentence.contains(reply.error.requestId), qPrintable(sentence));
    QVERIFY2(sentence.endsWith(u'.'), qPrintable(sentence));
    if (fault == QLatin1String("card_declined"))
        QCOMPARE(reply.error.declineCode, QStringLiteral("insufficient_funds"));
}

void TestStripeClient::idempotencyMismatchIsIdempotencyError()
{
    QVERIFY(post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("one@example.com")),
                 QStringLiteral("shared-key"))
                .ok);
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("two@example.com")),
             QStringLiteral("shared-key"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::Idempotency);
    QCOMPARE(reply.error.httpStatus, 400);
    QVERIFY(!reply.error.retryable);
    QVERIFY(reply.error.message.contains(QLatin1String("same parameters")));
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 1);

    // A missing object: Stripe's 404 is an invalid request with its code.
    const StripeReply missing = get(QStringLiteral("/v1/customers/cus_doesnotexist"));
    QCOMPARE(missing.error.type, StripeErrorType::InvalidRequest);
    QCOMPARE(missing.error.httpStatus, 404);
    QCOMPARE(missing.error.code, QStringLiteral("resource_missing"));
    QVERIFY(missing.error.sentence().contains(QLatin1String("cus_doesnotexist")));
}

void TestStripeClient::authenticationError()
{
    m_fake->setExpectedSecretKey(QStringLiteral("sk_test_another_key_entirely"));
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::Authentication);
    QCOMPARE(reply.error.httpStatus, 401);
    QVERIFY(!reply.error.sentence().contains(SecretKey));
}

void TestStripeClient::networkErrorWhenNothingListens()
{
    const quint16 port = m_fake->port();
    m_fake->stop();
    StripeClientOptions o = options();
    o.baseUrl.setPort(port);
    m_client = std::make_unique<StripeClient>(o);
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::Network);
    QCOMPARE(reply.error.httpStatus, 0);
    QVERIFY(!reply.error.timedOut);
    QVERIFY(reply.error.retryable);
    QCOMPARE(reply.attempts, 3); // the first try and the SDKs' two retries
    QVERIFY2(reply.error.sentence().contains(QLatin1String("refused")),
             qPrintable(reply.error.sentence()));
}

void TestStripeClient::retriesThenSucceeds_data()
{
    QTest::addColumn<QString>("fault");
    QTest::newRow("500") << QStringLiteral("500");
    QTest::newRow("409") << QStringLiteral("409");
    QTest::newRow("reset") << QStringLiteral("reset");
    QTest::newRow("html 502") << QStringLiteral("html");
}

void TestStripeClient::retriesThenSucceeds()
{
    QFETCH(QString, fault);
    m_fake->failNext(2, fault);
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("r@example.com")),
             QStringLiteral("retry-key"));
    QVERIFY2(reply.ok, qPrintable(reply.error.sentence()));
    // Qt itself sends a request again, once, when a kept-alive connection closes before any
    // reply: the same bytes on a new connection, which a reset may use up instead of ours.
    if (fault == QLatin1String("reset"))
        QVERIFY(reply.attempts >= 2);
    else
        QCOMPARE(reply.attempts, 3);
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 1);
    // Every attempt carried the same key and the same bytes.
    const QList<QJsonObject> sent = m_fake->recentRequests();
    QCOMPARE(sent.size(), 3);
    for (const QJsonObject &request : sent) {
        QCOMPARE(request.value(QLatin1String("headers"))
                     .toObject()
                     .value(QLatin1String("idempotency-key"))
                     .toString(),
                 QStringLiteral("retry-key"));
        QCOMPARE(request.value(QLatin1String("body")), sent.first().value(QLatin1String("body")));
    }
}

void TestStripeClient::retriesEndInApiError()
{
    m_fake->failNext(3, QStringLiteral("500"));
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("f@example.com")),
             QStringLiteral("fail-key"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.attempts, 3);
    QCOMPARE(reply.error.type, StripeErrorType::Api);
    QCOMPARE(reply.error.httpStatus, 500);
    QVERIFY(reply.error.retryable);
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 0);
}

void TestStripeClient::noRetryWhenStripeSaysNo()
{
    m_fake->failNext(3, QStringLiteral("500_no_retry"));
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.attempts, 1);
    QVERIFY(!reply.error.retryable);
    QCOMPARE(m_fake->stats().value(QLatin1String("requests_total")).toInt(), 1);
}

void TestStripeClient::rateLimitIsRetriedWithBackoff()
{
    FakeStripeServer::Faults faults;
    faults.next = 2;
    faults.nextKind = QStringLiteral("429");
    faults.retryAfterSeconds = 1; // honoured, scaled down by the test's retryDelayScale
    m_fake->setFaults(faults);
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY2(reply.ok, qPrintable(reply.error.sentence()));
    QCOMPARE(reply.attempts, 3);
    // 429s do not use up the retries for other failures.
    m_fake->failNext(3, QStringLiteral("429"));
    QTRY_COMPARE(m_fake->faults().next, 3);
    const StripeReply again =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("rl@example.com")),
             QStringLiteral("rl-key"));
    QVERIFY2(again.ok, qPrintable(again.error.sentence()));
    QCOMPARE(again.attempts, 4);
}

void TestStripeClient::rateLimitGivesUp()
{
    m_fake->failNext(10, QStringLiteral("429"));
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::RateLimit);
    QCOMPARE(reply.error.httpStatus, 429);
    QVERIFY(reply.error.retryable);
    QCOMPARE(reply.attempts, 1 + options().maxRateLimitRetries);
}

void TestStripeClient::timeoutIsNetworkErrorWithTimedOut()
{
    StripeClientOptions o = options();
    o.timeoutMs = 200;
    o.maxRetries = 1;
    m_client = std::make_unique<StripeClient>(o);
    FakeStripeServer::Faults faults;
    faults.next = 2;
    faults.nextKind = QStringLiteral("slow");
    faults.slowMs = 2000;
    m_fake->setFaults(faults);
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::Network);
    QVERIFY(reply.error.timedOut);
    QVERIFY(reply.error.retryable);
    QCOMPARE(reply.attempts, 2);
    QVERIFY2(reply.error.sentence().contains(QLatin1String("did not answer")),
             qPrintable(reply.error.sentence()));
}

void TestStripeClient::lostReplyIsRetriedWithoutSecondObject_data()
{
    QTest::addColumn<QString>("fault");
    QTest::newRow("reset after executing") << QStringLiteral("lost");
    QTest::newRow("reply after the timeout") << QStringLiteral("lost_slow");
}

void TestStripeClient::lostReplyIsRetriedWithoutSecondObject()
{
    // The real-world case for idempotency keys: Stripe made the object, the reply never
    // arrived. The retry must get the first result, not a second customer.
    QFETCH(QString, fault);
    StripeClientOptions o = options();
    // Room for the retry to be answered in time on a loaded machine; the held reply comes
    // well after that.
    o.timeoutMs = 1500;
    m_client = std::make_unique<StripeClient>(o);
    FakeStripeServer::Faults faults;
    faults.next = 1;
    faults.nextKind = fault;
    faults.slowMs = 5000;
    m_fake->setFaults(faults);
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("lost@example.com")),
             QStringLiteral("lost-key"));
    QVERIFY2(reply.ok, qPrintable(reply.error.sentence()));
    // After a reset Qt may send again by itself (see retriesThenSucceeds); either way the
    // second request is answered from the stored result.
    QCOMPARE(m_fake->stats().value(QLatin1String("requests_total")).toInt(), 2);
    QVERIFY(reply.idempotentReplayed);
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 1);
    QCOMPARE(m_fake->stats().value(QLatin1String("replays")).toInt(), 1);
}

void TestStripeClient::storedFailureIsReplayed()
{
    m_fake->failNext(1, QStringLiteral("500_stored"));
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("s@example.com")),
             QStringLiteral("stored-key"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.attempts, 3);
    QCOMPARE(reply.error.type, StripeErrorType::Api);
    QCOMPARE(m_fake->stats().value(QLatin1String("replays")).toInt(), 2);
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 0);
}

void TestStripeClient::malformedJsonIsMalformed()
{
    m_fake->failNext(1, QStringLiteral("malformed"));
    const StripeReply reply =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("m@example.com")),
             QStringLiteral("malformed-key"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::Malformed);
    QCOMPARE(reply.error.httpStatus, 200);
    QVERIFY(reply.error.retryable);
    const QString sentence = reply.error.sentence();
    QVERIFY2(sentence.contains(QLatin1String("could not be read")), qPrintable(sentence));
    QVERIFY2(sentence.contains(QLatin1String("cut off")), qPrintable(sentence));
    // The same key later gets Stripe's stored answer: the object exists once.
    const StripeReply again =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("m@example.com")),
             QStringLiteral("malformed-key"));
    QVERIFY2(again.ok, qPrintable(again.error.sentence()));
    QVERIFY(again.idempotentReplayed);
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 1);
}

void TestStripeClient::htmlPageIsMalformedWithShortHint()
{
    m_fake->failNext(3, QStringLiteral("html"));
    const StripeReply reply = get(QStringLiteral("/v1/customers"));
    QVERIFY(!reply.ok);
    QCOMPARE(reply.attempts, 3);
    QCOMPARE(reply.error.type, StripeErrorType::Malformed);
    QCOMPARE(reply.error.httpStatus, 502);
    const QString sentence = reply.error.sentence();
    QVERIFY2(sentence.contains(QLatin1String("502 Bad Gateway")), qPrintable(sentence));
    QVERIFY2(!sentence.contains(u'<'), qPrintable(sentence));
    QVERIFY2(!sentence.contains(QLatin1String("nginx")), qPrintable(sentence));
    QVERIFY(sentence.size() < 200);
}

void TestStripeClient::sameKeyTwiceCreatesOneObject()
{
    const StripeReply first =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("twice@example.com")),
             QStringLiteral("twice-key"));
    const StripeReply second =
        post(QStringLiteral("/v1/customers"), customerParams(QStringLiteral("twice@example.com")),
             QStringLiteral("twice-key"));
    QVERIFY(first.ok);
    QVERIFY(second.ok);
    QVERIFY(!first.idempotentReplayed);
    QVERIFY(second.idempotentReplayed);
    QCOMPARE(second.object.value(QLatin1String("id")), first.object.value(QLatin1String("id")));
    QCOMPARE(m_fake->createdCount(QStringLiteral("customer")), 1);

    // DELETE carries its key too.
    const QString id = first.object.value(QLatin1String("id")).toString();
    const StripeReply removed = call([&](StripeClient::Callback done) {
        m_client->remove(QStringLiteral("/v1/customers/") + id, QStringLiteral("del-key"), done);
    });
    QVERIFY2(removed.ok, qPrintable(removed.error.sentence()));
    QVERIFY(removed.object.value(QLatin1String("deleted")).toBool());
    QCOMPARE(m_fake->recentRequests()
                 .last()
                 .value(QLatin1String("headers"))
                 .toObject()
                 .value(QLatin1String("idempotency-key"))
                 .toString(),
             QStringLiteral("del-key"));
}

void TestStripeClient::emptyIdempotencyKeySendsNothing()
{
    const StripeReply reply = post(QStringLiteral("/v1/customers"),
                                   customerParams(QStringLiteral("nokey@example.com")), QString());
    QVERIFY(!reply.ok);
    QCOMPARE(reply.error.type, StripeErrorType::InvalidRequest);
    QCOMPARE(reply.attempts, 0);
    QCOMPARE(m_fake->stats().value(QLatin1String("requests_total")).toInt(), 0);

    // Paths that could aim anywhere but the object meant are not sent either.
    for (const QString &path :
         {QStringLiteral("/v1/customers/cus_1/../../v1/products"),
          QStringLiteral("/v1/customers/cus_1?expand[]=x"), QStringLiteral("v1/customers"),
          QStringLiteral("/v1/customers/cus 1"), QStringLiteral("/v2/anything"),
          QStringLiteral("/v1/customers/..")}) {
        const StripeReply refused = get(path);
        QVERIFY2(!refused.ok, qPrintable(path));
        QCOMPARE(refused.error.type, StripeErrorType::InvalidRequest);
        QCOMPARE(refused.attempts, 0);
    }
    // Nor anything without a key to send it with.
    StripeClientOptions o = options();
    o.secretKey.clear();
    m_client = std::make_unique<StripeClient>(o);
    const StripeReply keyless = get(QStringLiteral("/v1/customers"));
    QCOMPARE(keyless.error.type, StripeErrorType::Authentication);
    QCOMPARE(m_fake->stats().value(QLatin1String("requests_total")).toInt(), 0);
}

void TestStripeClient::oddRepliesNeverCrash_data()
{
    QTest::addColumn<QByteArray>("raw");
    QTest::addColumn<int>("type"); // -1: ok; -2: any failure; -3: any outcome
    const QByteArray ok200 = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n";
    // Returns a QByteArray, not the string builder that would refer to dead temporaries.
    auto withBody = [](const QByteArray &head, const QByteArray &body) -> QByteArray {
        return head + "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    };
    const int malformed = int(StripeErrorType::Malformed);
    QTest::newRow("empty 200") << withBody(ok200, {}) << malformed;
    QTest::newRow("null") << withBody(ok200, "null") << malformed;
    QTest::newRow("array") << withBody(ok200, "[]") << malformed;
    QTest::newRow("binary") << withBody(ok200, QByteArray("\x00\xff\xfe{\x01", 5)) << malformed;
    QTest::newRow("nested 100000 deep")
        << withBody(ok200, QByteArray(100000, '[') + QByteArray(100000, ']')) << malformed;
    QTest::newRow("error is a string")
        << withBody("HTTP/1.1 400 Bad Request\r\n", "{\"error\":\"nope\"}") << malformed;
    QTest::newRow("error fields of the wrong type")
        << withBody("HTTP/1.1 402 Payment Required\r\n",
                    "{\"error\":{\"message\":5,\"type\":[1],\"code\":{}}}")
        << int(StripeErrorType::Card);
    QTest::newRow("204") << QByteArray("HTTP/1.1 204 No Content\r\n\r\n") << malformed;
    QTest::newRow("redirect") << withBody("HTTP/1.1 301 Moved Permanently\r\nLocation: "
                                          "http://127.0.0.1:1/elsewhere\r\n",
                                          {})
                              << malformed;
    QTest::newRow("chunked") << QByteArray("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                                           "5\r\n{\"id\"\r\n9\r\n:\"cus_1\"}\r\n0\r\n\r\n")
                             << -1;
    QTest::newRow("body cut off") << QByteArray(ok200 + "Content-Length: 100\r\n\r\n{\"id\":\"cus_")
                                  << int(StripeErrorType::Network);
    QTest::newRow("not http") << QByteArray("SSH-2.0-OpenSSH_9.2\r\n\r\n") << -2;
    QTest::newRow("headers cut off") << QByteArray("HTTP/1.1 200 OK\r\nContent-Le") << -2;
    QTest::newRow("huge header")
        << withBody("HTTP/1.1 200 OK\r\nX-Big: " + QByteArray(200000, 'a') + "\r\n", "{}") << -3;
}

void TestStripeClient::oddRepliesNeverCrash()
{
    // Whatever comes back, the caller gets a reply with a sentence, never a crash.
    QFETCH(QByteArray, raw);
    QFETCH(int, type);
    QTcpServer server;
    QVERIFY(server.listen(QHostAddress::LocalHost));
    connect(&server, &QTcpServer::newConnection, this, [&server, raw] {
        QTcpSocket *socket = server.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket, raw] {
            if (!socket->readAll().contains("\r\n\r\n"))
                return;
            socket->write(raw);
            socket->disconnectFromHost();
        });
    });
    StripeClientOptions o = options();
    o.baseUrl.setPort(server.serverPort());
    o.maxRetries = 0;
    m_client = std::make_unique<StripeClient>(o);
    const StripeReply reply = get(QStringLiteral("/v1/customers/cus_1"));
    QVERIFY(reply.ok || reply.error.sentence().size() > 20);
    if (type == -3)
        return;
    if (type == -1) {
        QVERIFY2(reply.ok, qPrintable(reply.error.sentence()));
        QCOMPARE(reply.object.value(QLatin1String("id")).toString(), QStringLiteral("cus_1"));
        return;
    }
    QVERIFY(!reply.ok);
    if (type >= 0)
        QCOMPARE(int(reply.error.type), type);
    const QString sentence = reply.error.sentence();
    QVERIFY(sentence.size() > 20);
    QVERIFY2(sentence.size() < 300, qPrintable(sentence));
}

void TestStripeClient::secretKeyNeverInMessages()
{
    // A server that echoes the Authorization header back in its error message: the client
    // must still never repeat the key.
    QTcpServer echo;
    QVERIFY(echo.listen(QHostAddress::LocalHost));
    connect(&echo, &QTcpServer::newConnection, this, [&echo] {
        QTcpSocket *socket = echo.nextPendingConnection();
        connect(socket, &QTcpSocket::readyRead, socket, [socket] {
            const QByteArray request = socket->readAll();
            const qsizetype at = request.indexOf("Bearer ");
            const QByteArray key = request.mid(at + 7, request.indexOf('\r', at) - at - 7);
            const QByteArray body =
                "{\"error\":{\"type\":\"invalid_request_error\",\"message\":\"Bad key " + key +
                " and sk_live_SomeOtherKeyShape99\"}}";
            socket->write("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n"
                          "Connection: close\r\nContent-Length: " +
                          QByteArray::number(body.size()) + "\r\n\r\n" + body);
            socket->disconnectFromHost();
        });
    });
    StripeClientOptions o = options();
    o.baseUrl.setPort(echo.serverPort());
    m_client = std::make_unique<StripeClient>(o);
    const StripeReply echoed = get(QStringLiteral("/v1/customers"));
    QVERIFY(!echoed.ok);
    QCOMPARE(echoed.error.type, StripeErrorType::InvalidRequest);
    QVERIFY2(echoed.error.message.contains(QLatin1String("Bad key")),
             qPrintable(echoed.error.message));
    QVERIFY(!echoed.error.message.contains(QLatin1String("SomeOtherKeyShape99")));

    // Every sentence and every log line of this whole test run.
    QVERIFY(!m_sentences.isEmpty());
    const QString secretTail = SecretKey.mid(8);
    for (const QString &sentence : std::as_const(m_sentences))
        QVERIFY2(!sentence.contains(secretTail), qPrintable(sentence));
    QMutexLocker lock(&logMutex);
    QVERIFY(!capturedLog.isEmpty());
    for (const QString &line : std::as_const(capturedLog))
        QVERIFY2(!line.contains(secretTail), qPrintable(line));
}

QTEST_GUILESS_MAIN(TestStripeClient)
#include "tst_stripeclient.moc"
