#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QUrl>

#include <memory>

namespace nobill::test {

// A stand-in for Stripe's API for the project's own tests and benchmarks: loopback only,
// stateful (customers, products, prices, billing meters and meter events, subscriptions
// with items, invoices, checkout sessions, events), honours Idempotency-Key as Stripe does,
// and injects failures on demand. HTTP/1.1 is spoken directly over QTcpServer so that a
// connection can be reset, stalled or fed garbage on purpose.
//
// Event-loop driven, never blocking: a client on the same thread works. The executable
// nobill-fake-stripe runs the same server in its own process; tests in another process
// use the control endpoints under /_fake/ (see README.md in this folder).
class FakeStripeServer final : public QObject
{
    Q_OBJECT
public:
    // Fault kinds (the strings are also what POST /_fake/faults accepts):
    //   before the request is executed (nothing stored for its idempotency key):
    //     "500"          500 api_error
    //     "500_no_retry" 500 api_error with Stripe-Should-Retry: false
    //     "409"          409 (another request with the same key is in progress)
    //     "429"          429 rate limit (Retry-After when retryAfterSeconds >= 0)
    //     "reset"        the connection is closed without a reply
    //     "html"         502 with a proxy's HTML page
    //     "slow"         the request is executed and answered only after slowMs
    //     "400" "401" "403" "card_declined" (402)   Stripe's error of that kind
    //   "500_stored"     the request fails and that 500 is stored for its key and replayed
    //                    (Stripe's "first result is kept, even a 500")
    //   after the request was executed (its result is stored for the key):
    //     "lost"         the connection is closed instead of sending the reply
    //     "lost_slow"    the reply is held for slowMs (past the client's timeout)
    //     "malformed"    200 with a truncated JSON body
    struct Faults
    {
        double rate = 0.0; // share of /v1/ requests that get a fault, 0..1
        QStringList kinds; // chosen at random for rate; empty: DefaultFaultKinds
        quint32 seed = 0;  // for the random choices; 0: a fixed default seed
        int next = 0;      // the next N /v1/ requests fail with nextKind (before rate)
        QString nextKind;
        int slowMs = 3000;                           // how long "slow" and "lost_slow" hold a reply
        int retryAfterSeconds = -1;                  // Retry-After on "429"; -1: none, as Stripe
        QString pathPrefix = QStringLiteral("/v1/"); // only requests under this prefix
        QStringList methods;                         // only these methods; empty: all
    };
    static QStringList defaultFaultKinds(); // 500 409 429 reset lost malformed html
    static QStringList allFaultKinds();

    explicit FakeStripeServer(QObject *parent = nullptr);
    ~FakeStripeServer() override;

    // Listens on 127.0.0.1 only. Port 0 picks a free port.
    bool start(quint16 port = 0);
    void stop();
    quint16 port() const;
    QUrl baseUrl() const; // http://127.0.0.1:<port>
    QString errorString() const;

    // When set, a request with another key gets 401; any sk_/rk_ key is accepted otherwise.
    void setExpectedSecretKey(const QString &key);
    // When set (with a whsec_ secret), every event is also POSTed there, signed as Stripe
    // signs webhooks. Deliveries are not retried.
    void setWebhookEndpoint(const QUrl &url, const QString &secret);

    void setFaults(const Faults &faults);
    void failNext(int count, const QString &kind);
    void clearFaults();
    Faults faults() const;

    // Forgets every object, event, idempotency key, statistic and fault.
    void reset();

    // Keeps the state (objects, events, idempotency keys, statistics; not faults) in this
    // file: loaded now if it exists, rewritten after every change before the reply is sent,
    // so a restarted fake still knows what it acknowledged. False (see errorString()) when
    // the file exists but cannot be read as a state file.
    bool setStateFile(const QString &path);

    // The same JSON as GET /_fake/stats:
    // {"requests_total":n, "requests":{"POST /v1/customers":n, "GET /v1/customers/{id}":n},
    //  "objects_created":{"customer":n,...}, "objects":{"customer":n live,...},
    //  "idempotency_keys":n, "replays":n, "idempotency_mismatches":n,
    //  "faults_total":n, "faults":{"500":n,...}, "meter_event_duplicates":n, "events":n,
    //  "webhooks_sent":n, "webhooks_failed":n}
    QJsonObject stats() const;
    int createdCount(const QString &objectType) const;           // "customer", "subscription", ...
    QJsonObject object(const QString &id) const;                 // empty when unknown
    QList<QJsonObject> objects(const QString &objectType) const; // newest first
    QList<QJsonObject> events() const;                           // oldest first
    // The last 200 API requests as received, oldest first, for tests that check what the
    // client sent: {"method","path","query","body","headers":{lower-case name: value}}.
    QList<QJsonObject> recentRequests() const;

    // What Stripe does when a customer pays on the hosted page: creates the subscription
    // (mode=subscription) and the customer if needed, completes the session, emits
    // checkout.session.completed. Returns the session, or an empty object when unknown.
    QJsonObject completeCheckoutSession(const QString &sessionId);
    // Moves the fake's clock forward and lets the time pass for subscriptions: at a period's
    // end one set to cancel at period end is canceled (customer.subscription.deleted);
    // others start the next period (a trial ends) with an invoice: licensed items in advance,
    // metered items for the period's reported usage (subscription_cycle).
    void advanceClock(qint64 seconds);
    qint64 now() const;

signals:
    void requestHandled(const QString &method, const QString &path, int status);

private:
    struct Private;
    std::unique_ptr<Private> d;
};

} // namespace nobill::test
