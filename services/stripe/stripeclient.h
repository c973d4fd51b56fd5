#pragma once

#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>
#include <QVariantMap>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace nobill {

// How to reach Stripe. The secret key is held here and nowhere else in the process: it is
// never logged, never part of an error message, never written to a file by this class.
struct StripeClientOptions
{
    QUrl baseUrl = QUrl(QStringLiteral("https://api.stripe.com"));
    QString secretKey; // sk_... or rk_...
    // Pinned: every request says which API version it was written for (stripe.md).
    QString apiVersion = QStringLiteral("2025-03-31.basil");
    int timeoutMs = 30000;       // per attempt, from sending to the last byte of the reply
    int maxRetries = 2;          // as the official SDKs: no reply, reset, 409, 5xx, Should-Retry
    int maxRateLimitRetries = 3; // 429 is retried with backoff, a few times more
    int maxPages = 1000;         // listAll() stops there with an error rather than loop forever
    // Multiplies every wait between attempts (tests set it small so retries take
    // milliseconds; production leaves it at 1).
    double retryDelayScale = 1.0;
    // A Retry-After longer than this is not honoured as is: the wait is capped here.
    int maxRetryAfterMs = 10000;
};

enum class StripeErrorType {
    Card,           // card_error (402)
    InvalidRequest, // invalid_request_error (400, 404)
    Idempotency,    // idempotency_error: the key was used with other parameters
    Authentication, // 401: the key is wrong or revoked
    Permission,     // 403: a restricted key lacks the right
    RateLimit,      // 429 after the retries
    Api,            // api_error, 5xx after the retries, 409 after the retries
    Network,        // no reply: refused, reset, DNS, TLS, timeout (timedOut tells which)
    Malformed,      // a reply that is not the JSON Stripe sends (HTML error page, truncated)
};

struct StripeError
{
    StripeErrorType type = StripeErrorType::Api;
    int httpStatus = 0; // 0 when there was no reply
    QString code;       // Stripe's error.code, e.g. "resource_missing"
    QString param;
    QString declineCode;
    QString message;   // Stripe's error.message, or ours for Network/Malformed
    QString requestId; // Request-Id header, when there was a reply
    bool timedOut = false;
    // True when doing the same request again later (with the same idempotency key) may
    // succeed: network errors, 409, 429, 5xx, Stripe-Should-Retry: true. The job worker
    // uses it to choose between backoff and failing the job.
    bool retryable = false;

    // One sentence for a person: what Stripe said and the request id to quote to Stripe's
    // support ("Stripe refused the request: No such customer: 'cus_X' (request req_123).").
    QString sentence() const;
};

struct StripeReply
{
    bool ok = false;
    QJsonObject object; // the decoded body when ok
    StripeError error;  // when !ok
    int httpStatus = 0;
    QString requestId;
    bool idempotentReplayed = false; // Idempotent-Replayed: true
    int attempts = 0;                // how many HTTP requests it took
};

struct StripeListReply
{
    bool ok = false;
    QList<QJsonObject> items; // all pages, in Stripe's order (newest first)
    StripeError error;
    int pages = 0;
};

// Stripe's form encoding of nested parameters: maps become name[key], lists name[0],
// booleans true/false, and keys keep the map's (sorted) order so that the same parameters
// always give the same body (a retried request must be byte-identical for the idempotency
// key). Exposed for tests and for the fake server's decoder.
QByteArray encodeStripeForm(const QVariantMap &params);
// The inverse, for the fake Stripe server: "items[0][price]=p" -> {items: [{price: p}]}.
QVariantMap decodeStripeForm(const QByteArray &body);

// Asynchronous Stripe API client over QNetworkAccessManager. Lives on one thread with an
// event loop; callbacks run on that thread, exactly once per call, never from inside the
// call that started it; a client destroyed with calls in flight drops them without calling
// back. Every POST and DELETE carries the caller's idempotency key (required: a retried
// job must reuse its key); retries reuse it too. Note that Qt itself sends a request once
// more, unseen, when a kept-alive connection closes before any reply: harmless with the key.
class StripeClient final : public QObject
{
    Q_OBJECT
public:
    using Callback = std::function<void(const StripeReply &)>;
    using ListCallback = std::function<void(const StripeListReply &)>;

    explicit StripeClient(StripeClientOptions options, QObject *parent = nullptr);
    ~StripeClient() override;

    const StripeClientOptions &options() const { return m_options; }

    // path like "/v1/customers". An empty idempotencyKey is a programming error: the reply
    // is an InvalidRequest error and nothing is sent.
    void post(const QString &path, const QVariantMap &params, const QString &idempotencyKey,
              Callback done);
    void get(const QString &path, const QVariantMap &query, Callback done);
    void remove(const QString &path, const QString &idempotencyKey, Callback done);

    // GET a list endpoint page by page (limit 100, starting_after the last id) until
    // has_more is false.
    void listAll(const QString &path, const QVariantMap &query, ListCallback done);

private:
    struct Call;
    struct ListState;
    void send(std::shared_ptr<Call> call);
    void refuse(const std::shared_ptr<Call> &call, StripeErrorType type, const QString &message);
    void handleReply(const std::shared_ptr<Call> &call, QNetworkReply *reply);
    void retryLater(const std::shared_ptr<Call> &call, int delayMs);
    void fetchPage(const std::shared_ptr<ListState> &state);
    QString redacted(QString text) const;

    StripeClientOptions m_options;
    QNetworkAccessManager *m_network = nullptr;
};

} // namespace nobill
