// Stripe-Signature parsing and verification, and the mapping of a verified body to an inbox
// row: every kind of bad input the listener must refuse, as a table.

#include "webhooks/httprequesthead.h"
#include "webhooks/inboxevent.h"
#include "webhooks/stripesignature.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

using namespace nobill;

Q_DECLARE_METATYPE(nobill::SignatureRejection)
Q_DECLARE_METATYPE(nobill::EventRejection)
Q_DECLARE_METATYPE(nobill::HttpHeadError)

namespace {

const QByteArray SecretA = "whsec_test_A";
const QByteArray SecretB = "whsec_test_B";
const QByteArray Body = R"({"id":"evt_1","object":"event"})";
constexpr qint64 T = 1700000000;

QByteArray sig(const QByteArray &secret, qint64 t = T, const QByteArray &body = Body)
{
    return stripeSignature(body, t, secret);
}

QByteArray ts(qint64 t = T)
{
    return "t=" + QByteArray::number(t);
}

} // namespace

class TestStripeSignature : public QObject
{
    Q_OBJECT

private slots:
    void knownVector()
    {
        // Computed independently: openssl dgst -sha256 -hmac whsec_test_A over "<t>.<body>".
        QCOMPARE(stripeSignature(Body, T, SecretA),
                 QByteArray("2f847b277ce31c13f3f4ae91c0477d0fffaf2debab4750e84b17097b06825285"));
        QCOMPARE(stripeSignatureHeader(Body, T, SecretA), ts() + ",v1=" + sig(SecretA));
    }

    void verify_data()
    {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QList<QByteArray>>("secrets");
        QTest::addColumn<qint64>("now");
        QTest::addColumn<int>("tolerance");
        QTest::addColumn<SignatureRejection>("expected");

        const QList<QByteArray> a{SecretA};
        const QList<QByteArray> ab{SecretA, SecretB};
        using R = SignatureRejection;
        const QByteArray good = ts() + ",v1=" + sig(SecretA);
        const QByteArray wrong = sig("whsec_other");

        QTest::newRow("valid") << good << Body << a << T << 300 << R::None;
        QTest::newRow("valid, second secret (rotation)")
            << ts() + ",v1=" + sig(SecretB) << Body << ab << T << 300 << R::None;
        QTest::newRow("valid, several v1, the last matches")
            << ts() + ",v1=" + wrong + ",v1=" + sig(SecretA) << Body << a << T << 300 << R::None;
        QTest::newRow("valid, v0 and unknown schemes ignored")
            << ts() + ",v0=" + wrong + ",v1=" + sig(SecretA) + ",x9=whatever" << Body << a << T
            << 300 << R::None;
        QTest::newRow("valid, parts in another order with spaces")
            << " v1=" + sig(SecretA) + " , " + ts() + " " << Body << a << T << 300 << R::None;
        QTest::newRow("valid, uppercase hex")
            << ts() + ",v1=" + sig(SecretA).toUpper() << Body << a << T << 300 << R::None;
        QTest::newRow("missing header")
            << QByteArray() << Body << a << T << 300 << R::MissingHeader;
        QTest::newRow("blank header")
            << QByteArray("  ") << Body << a << T << 300 << R::MissingHeader;
        QTest::newRow("no key=value")
            << QByteArray("garbage") << Body << a << T << 300 << R::MalformedHeader;
        QTest::newRow("empty part")
            << ts() + ",,v1=" + sig(SecretA) << Body << a << T << 300 << R::MalformedHeader;
        QTest::newRow("trailing comma")
            << good + "," << Body << a << T << 300 << R::MalformedHeader;
        QTest::newRow("empty key") << "=1," + good << Body << a << T << 300 << R::MalformedHeader;
        QTest::newRow("far too long")
            << good + ",v0=" + QByteArray(5000, 'a') << Body << a << T << 300 << R::MalformedHeader;
        QTest::newRow("missing timestamp")
            << "v1=" + sig(SecretA) << Body << a << T << 300 << R::MissingTimestamp;
        QTest::newRow("duplicate timestamp")
            << ts() + "," + good << Body << a << T << 300 << R::DuplicateTimestamp;
        QTest::newRow("timestamp not a number")
            << "t=abc,v1=" + sig(SecretA) << Body << a << T << 300 << R::BadTimestamp;
        QTest::newRow("negative timestamp")
            << "t=-5,v1=" + sig(SecretA) << Body << a << T << 300 << R::BadTimestamp;
        QTest::newRow("exponent timestamp")
            << "t=1.7e9,v1=" + sig(SecretA) << Body << a << T << 300 << R::BadTimestamp;
        QTest::newRow("empty timestamp")
            << "t=,v1=" + sig(SecretA) << Body << a << T << 300 << R::BadTimestamp;
        QTest::newRow("huge timestamp") << "t=99999999999999999999,v1=" + sig(SecretA) << Body << a
                                        << T << 300 << R::BadTimestamp;
        QTest::newRow("only v0") << ts() + ",v0=" + sig(SecretA) << Body << a << T << 300
                                 << R::NoSignature;
        QByteArray many = ts();
        for (int i = 0; i < MaxV1Signatures + 1; ++i)
            many += ",v1=" + wrong;
        QTest::newRow("too many v1") << many << Body << a << T << 300 << R::TooManySignatures;
        QTest::newRow("non-hex v1") << ts() + ",v1=" + QByteArray(64, 'z') << Body << a << T << 300
                                    << R::BadSignatureEncoding;
        QTest::newRow("short v1") << ts() + ",v1=" + sig(SecretA).left(63) << Body << a << T << 300
                                  << R::BadSignatureEncoding;
        QTest::newRow("empty v1") << ts() + ",v1=" << Body << a << T << 300
                                  << R::BadSignatureEncoding;
        QTest::newRow("non-hex v1 beside a valid one")
            << good + ",v1=xyz" << Body << a << T << 300 << R::BadSignatureEncoding;
        QTest::newRow("wrong secret")
            << ts() + ",v1=" + wrong << Body << a << T << 300 << R::NoMatch;
        QTest::newRow("body changed")
            << good << QByteArray(Body + " ") << a << T << 300 << R::NoMatch;
        QTest::newRow("timestamp changed (replay)")
            << ts(T + 1) + ",v1=" + sig(SecretA) << Body << a << T << 300 << R::NoMatch;
        QTest::newRow("third secret is not used")
            << ts() + ",v1=" + sig(SecretA) << Body
            << QList<QByteArray>{"whsec_x", "whsec_y", SecretA} << T << 300 << R::NoMatch;
        QTest::newRow("no secret")
            << good << Body << QList<QByteArray>{} << T << 300 << R::NoSecret;
        QTest::newRow("empty secret")
            << good << Body << QList<QByteArray>{QByteArray()} << T << 300 << R::NoSecret;
        QTest::newRow("old, at the tolerance") << good << Body << a << T + 300 << 300 << R::None;
        QTest::newRow("expired") << good << Body << a << T + 301 << 300 << R::TimestampTooOld;
        QTest::newRow("future, at the tolerance") << good << Body << a << T - 300 << 300 << R::None;
        QTest::newRow("future") << good << Body << a << T - 301 << 300 << R::TimestampInFuture;
        QTest::newRow("custom tolerance, expired")
            << good << Body << a << T + 11 << 10 << R::TimestampTooOld;
        QTest::newRow("custom tolerance, future")
            << good << Body << a << T - 11 << 10 << R::TimestampInFuture;
        QTest::newRow("expired and wrong: the time is checked first")
            << ts() + ",v1=" + wrong << Body << a << T + 1000 << 300 << R::TimestampTooOld;
    }

    void verify()
    {
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, body);
        QFETCH(QList<QByteArray>, secrets);
        QFETCH(qint64, now);
        QFETCH(int, tolerance);
        QFETCH(SignatureRejection, expected);
        const SignatureRejection actual =
            verifyStripeSignature(body, header, secrets, now, tolerance);
        QVERIFY2(actual == expected, signatureRejectionCode(actual).constData());
        QVERIFY(!signatureRejectionCode(actual).isEmpty());
        QVERIFY(!signatureRejectionText(actual).isEmpty());
    }

    void parseKeepsEverySignature()
    {
        StripeSignatureHeader parsed;
        const QByteArray header = ts() + ",v1=" + sig(SecretA) + ",v0=ab,v1=" + sig(SecretB);
        QCOMPARE(parseStripeSignatureHeader(header, &parsed), SignatureRejection::None);
        QCOMPARE(parsed.timestamp, T);
        QCOMPARE(parsed.signatures.size(), 2);
        QCOMPARE(parsed.signatures.at(1).toHex(), sig(SecretB));
    }

    void parseEvent_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<EventRejection>("expected");
        using R = EventRejection;
        const QByteArray ok =
            R"({"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"livemode":false,"api_version":"2025-03-31.basil","data":{"object":{"id":"in_1","customer":"cus_9"}}})";
        QTest::newRow("valid") << ok << R::None;
        QTest::newRow("minimal") << QByteArray(R"({"id":"evt_2","type":"x","created":1700000000})")
                                 << R::None;
        QTest::newRow("empty") << QByteArray() << R::NotJson;
        QTest::newRow("not json") << QByteArray("hello") << R::NotJson;
        QTest::newRow("truncated") << ok.left(ok.size() - 3) << R::NotJson;
        QTest::newRow("trailing garbage") << ok + "x" << R::NotJson;
        QTest::newRow("array") << QByteArray("[1,2]") << R::NotAnObject;
        QTest::newRow("not an event")
            << QByteArray(R"({"id":"evt_1","object":"customer","type":"x","created":1700000000})")
            << R::NotAnEvent;
        QTest::newRow("no id") << QByteArray(R"({"type":"x","created":1700000000})") << R::BadId;
        QTest::newRow("id of another object")
            << QByteArray(R"({"id":"cus_1","type":"x","created":1700000000})") << R::BadId;
        QTest::newRow("id with a quote")
            // Not a raw string: moc cannot read a raw string holding a backslash-quote.
            << QByteArray("{\"id\":\"evt_1\\\"\",\"type\":\"x\",\"created\":1700000000}")
            << R::BadId;
        QTest::newRow("numeric id")
            << QByteArray(R"({"id":5,"type":"x","created":1700000000})") << R::BadId;
        QTest::newRow("no type") << QByteArray(R"({"id":"evt_1","created":1700000000})")
                                 << R::BadType;
        QTest::newRow("blank type")
            << QByteArray(R"({"id":"evt_1","type":"  ","created":1700000000})") << R::BadType;
        QTest::newRow("long type")
            << QByteArray(R"({"id":"evt_1","type":")" + QByteArray(201, 'a') + R"(","created":1})")
            << R::BadType;
        QTest::newRow("no created") << QByteArray(R"({"id":"evt_1","type":"x"})") << R::BadCreated;
        QTest::newRow("created as text")
            << QByteArray(R"({"id":"evt_1","type":"x","created":"1700000000"})") << R::BadCreated;
        QTest::newRow("created fractional")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1700000000.5})") << R::BadCreated;
        QTest::newRow("created far away")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1e300})") << R::BadCreated;
        QTest::newRow("api_version number")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1700000000,"api_version":3})")
            << R::BadField;
        QTest::newRow("livemode text")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1700000000,"livemode":"yes"})")
            << R::BadField;
        QTest::newRow("data.object text")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1700000000,"data":{"object":"x"}})")
            << R::BadField;
        QTest::newRow("data text")
            << QByteArray(R"({"id":"evt_1","type":"x","created":1700000000,"data":7})")
            << R::BadField;
    }

    void parseEvent()
    {
        QFETCH(QByteArray, body);
        QFETCH(EventRejection, expected);
        InboxEvent event;
        const EventRejection actual = parseInboxEvent(body, &event);
        QVERIFY2(actual == expected, eventRejectionCode(actual).constData());
        QVERIFY(!eventRejectionText(actual).isEmpty());
        if (expected == EventRejection::None)
            QCOMPARE(event.payload, body);
    }

    void eventFields()
    {
        InboxEvent event;
        QCOMPARE(
            parseInboxEvent(
                R"({"id":"evt_1","object":"event","type":"invoice.paid","created":1700000000,"livemode":true,"api_version":"2025-03-31.basil","data":{"object":{"id":"in_1","customer":"cus_9"}}})",
                &event),
            EventRejection::None);
        QCOMPARE(event.id, QStringLiteral("evt_1"));
        QCOMPARE(event.type, QStringLiteral("invoice.paid"));
        QCOMPARE(event.created, qint64(1700000000));
        QCOMPARE(event.livemode, true);
        QCOMPARE(event.apiVersion, QStringLiteral("2025-03-31.basil"));
        QCOMPARE(event.objectId, QStringLiteral("in_1"));
        QCOMPARE(event.customerId, QStringLiteral("cus_9"));

        // An expanded customer, and a customer object itself.
        QCOMPARE(
            parseInboxEvent(
                R"({"id":"evt_2","type":"x","created":1700000000,"data":{"object":{"id":"sub_1","customer":{"id":"cus_7"}}}})",
                &event),
            EventRejection::None);
        QCOMPARE(event.customerId, QStringLiteral("cus_7"));
        QCOMPARE(
            parseInboxEvent(
                R"({"id":"evt_3","type":"customer.updated","created":1700000000,"data":{"object":{"id":"cus_5","object":"customer"}}})",
                &event),
            EventRejection::None);
        QCOMPARE(event.customerId, QStringLiteral("cus_5"));
        QCOMPARE(event.apiVersion, QString());
    }

    void httpHead_data()
    {
        QTest::addColumn<QByteArray>("head");
        QTest::addColumn<HttpHeadError>("expected");
        using E = HttpHeadError;
        QTest::newRow("post") << QByteArray("POST /stripe/webhook HTTP/1.1\r\nContent-Length: 5")
                              << E::None;
        QTest::newRow("no headers") << QByteArray("GET /healthz HTTP/1.0") << E::None;
        QTest::newRow("empty") << QByteArray() << E::BadRequestLine;
        QTest::newRow("two parts") << QByteArray("GET /") << E::BadRequestLine;
        QTest::newRow("double space") << QByteArray("GET  / HTTP/1.1") << E::BadRequestLine;
        QTest::newRow("absolute form") << QByteArray("GET http://a/ HTTP/1.1") << E::BadRequestLine;
        QTest::newRow("HTTP/2") << QByteArray("GET / HTTP/2.0") << E::BadRequestLine;
        QTest::newRow("method not a token") << QByteArray("G(T / HTTP/1.1") << E::BadRequestLine;
        QTest::newRow("no colon") << QByteArray("GET / HTTP/1.1\r\nHost") << E::BadHeaderLine;
        QTest::newRow("space before colon")
            << QByteArray("GET / HTTP/1.1\r\nHost : a") << E::BadHeaderLine;
        QTest::newRow("folded line")
            << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n b") << E::BadHeaderLine;
        QTest::newRow("negative length")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: -1") << E::BadContentLength;
        QTest::newRow("huge length") << QByteArray("POST / HTTP/1.1\r\nContent-Length: "
                                                   "9999999999999999999")
                                     << E::BadContentLength;
        QTest::newRow("two lengths") << QByteArray("POST / HTTP/1.1\r\nContent-Length: "
                                                   "1\r\ncontent-length: 2")
                                     << E::BadContentLength;
        QTest::newRow("same length twice")
            << QByteArray("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 1") << E::None;
    }

    void httpHead()
    {
        QFETCH(QByteArray, head);
        QFETCH(HttpHeadError, expected);
        HttpRequestHead request;
        QCOMPARE(int(parseHttpRequestHead(head, &request)), int(expected));
    }

    void httpHeadFields()
    {
        HttpRequestHead request;
        QCOMPARE(parseHttpRequestHead("POST /stripe/webhook?a=b HTTP/1.1\r\nstripe-signature:  "
                                      "t=1,v1=ab \r\nConnection: close\r\nExpect: "
                                      "100-Continue\r\nContent-Length: 42",
                                      &request),
                 HttpHeadError::None);
        QCOMPARE(request.method, QByteArray("POST"));
        QCOMPARE(request.path, QByteArray("/stripe/webhook"));
        QCOMPARE(request.stripeSignature, QByteArray("t=1,v1=ab"));
        QCOMPARE(request.stripeSignatureHeaders, 1);
        QCOMPARE(request.contentLength, qint64(42));
        QVERIFY(!request.keepAlive);
        QVERIFY(request.expectContinue);
        QVERIFY(!request.transferEncoding);
        QCOMPARE(parseHttpRequestHead("GET / HTTP/1.0\r\nConnection: Keep-Alive", &request),
                 HttpHeadError::None);
        QVERIFY(request.keepAlive);
        QCOMPARE(request.contentLength, qint64(-1));
    }

    void batchDocument()
    {
        // The batch is JSON that PostgreSQL reads back field by field: quotes, backslashes,
        // control characters and non-ASCII text in the mapped fields survive it.
        InboxEvent first;
        QCOMPARE(
            parseInboxEvent(
                "{\"id\":\"evt_a\",\"type\":\"t\\\"q\\\\b\\n\\u0001\u00e9\",\"created\":1700000000,"
                "\"data\":{\"object\":{\"id\":\"x\\\"y\"}}}",
                &first),
            EventRejection::None);
        InboxEvent second;
        QCOMPARE(parseInboxEvent(R"({"id":"evt_b","type":"y","created":1700000001})", &second),
                 EventRejection::None);
        QByteArray batch = "[";
        appendInboxBatch(&batch, first);
        appendInboxBatch(&batch, second);
        closeInboxBatch(&batch);
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(batch, &error);
        QCOMPARE(error.error, QJsonParseError::NoError);
        const QJsonArray rows = document.array();
        QCOMPARE(rows.size(), 2);
        const QJsonObject row = rows.at(0).toObject();
        QCOMPARE(row.value(QLatin1String("type")).toString(), first.type);
        QCOMPARE(row.value(QLatin1String("object_id")).toString(), QStringLiteral("x\"y"));
        QVERIFY(row.value(QLatin1String("api_version")).isNull());
        QCOMPARE(row.value(QLatin1String("payload")).toObject().value(QLatin1String("id")),
                 QJsonValue(QStringLiteral("evt_a")));
        QCOMPARE(rows.at(1).toObject().value(QLatin1String("created")).toInteger(),
                 qint64(1700000001));
    }
};

QTEST_GUILESS_MAIN(TestStripeSignature)
#include "tst_stripesignature.moc"
