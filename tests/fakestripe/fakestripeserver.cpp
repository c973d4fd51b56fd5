#include "fakestripeserver.h"

#include "stripe/stripeclient.h"

#include <QDateTime>
#include <QFile>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMessageAuthenticationCode>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSaveFile>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <optional>

namespace nobill::test {

namespace {
constexpr qsizetype MaxHeaderBytes = 64 * 1024;
constexpr qsizetype MaxBodyBytes = 1024 * 1024;
constexpr int MaxConnections = 256;
constexpr int MaxRequestLog = 200;
const QString ApiVersion = QStringLiteral("2025-03-31.basil");

struct Request
{
    QByteArray method;
    QString path;
    QByteArray query;
    QHash<QByteArray, QByteArray> headers; // names in lower case
    QByteArray body;
    bool keepAlive = true;
    QVariantMap params;
    QString requestId;
    QString idempotencyKey;
};

struct Response
{
    int status = 200;
    QByteArray body;
    QByteArray contentType = QByteArrayLiteral("application/json");
    QList<QPair<QByteArray, QByteArray>> headers;
};

void addHeader(Response &response, const char *name, const QByteArray &value)
{
    response.headers.append(qMakePair(QByteArray(name), value));
}

struct StoredResult
{
    QByteArray fingerprint;
    Response response;
};

QByteArray reasonPhrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 402:
        return "Payment Required";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    default:
        return "Status";
    }
}

QString randomToken(int length)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    QString token;
    token.reserve(length);
    for (int i = 0; i < length; ++i)
        token.append(QLatin1Char(alphabet[QRandomGenerator::global()->bounded(62)]));
    return token;
}

Response jsonResponse(const QJsonObject &object, int status = 200)
{
    Response r;
    r.status = status;
    r.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
    return r;
}

Response stripeError(int status, const QString &type, const QString &message,
                     const QString &code = {}, const QString &param = {})
{
    QJsonObject error{{QStringLiteral("type"), type}, {QStringLiteral("message"), message}};
    if (!code.isEmpty())
        error.insert(QStringLiteral("code"), code);
    if (!param.isEmpty())
        error.insert(QStringLiteral("param"), param);
    return jsonResponse(QJsonObject{{QStringLiteral("error"), error}}, status);
}

Response invalid(const QString &message, const QString &param = {}, const QString &code = {})
{
    return stripeError(400, QStringLiteral("invalid_request_error"), message, code, param);
}

Response missing(const QString &what, const QString &id, const QString &param = {})
{
    return stripeError(param.isEmpty() ? 404 : 400, QStringLiteral("invalid_request_error"),
                       QStringLiteral("No such %1: '%2'").arg(what, id),
                       QStringLiteral("resource_missing"), param);
}

QString objectTypeForId(const QString &id)
{
    static const QList<QPair<QString, QString>> prefixes{
        {QStringLiteral("cus_"), QStringLiteral("customer")},
        {QStringLiteral("prod_"), QStringLiteral("product")},
        {QStringLiteral("price_"), QStringLiteral("price")},
        {QStringLiteral("sub_"), QStringLiteral("subscription")},
        {QStringLiteral("si_"), QStringLiteral("subscription_item")},
        {QStringLiteral("in_"), QStringLiteral("invoice")},
        {QStringLiteral("cs_"), QStringLiteral("checkout.session")},
        {QStringLiteral("mtr_"), QStringLiteral("billing.meter")},
        {QStringLiteral("evt_"), QStringLiteral("event")},
    };
    for (const auto &[prefix, type] : prefixes) {
        if (id.startsWith(prefix))
            return type;
    }
    return {};
}

// "/v1/customers/cus_123" -> "/v1/customers/{id}", so statistics group by endpoint.
QString endpointName(const QString &path)
{
    QStringList parts = path.split(u'/');
    for (QString &part : parts) {
        if (!objectTypeForId(part).isEmpty())
            part = QStringLiteral("{id}");
    }
    return parts.join(u'/');
}

QJsonValue nullValue()
{
    return QJsonValue(QJsonValue::Null);
}

QJsonObject listObject(const QJsonArray &data, bool hasMore, const QString &url)
{
    return QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                       {QStringLiteral("data"), data},
                       {QStringLiteral("has_more"), hasMore},
                       {QStringLiteral("url"), url}};
}

qint64 periodEnd(qint64 start, const QString &interval, int count)
{
    const QDateTime from = QDateTime::fromSecsSinceEpoch(start, Qt::UTC);
    if (interval == QLatin1String("day"))
        return start + 86400LL * count;
    if (interval == QLatin1String("week"))
        return start + 7LL * 86400 * count;
    if (interval == QLatin1String("year"))
        return from.addYears(count).toSecsSinceEpoch();
    return from.addMonths(count).toSecsSinceEpoch();
}

// Parameter access with Stripe's answers to wrong input.
class Params
{
public:
    explicit Params(const QVariantMap &map)
        : m_map(map)
    {}

    bool has(const QString &key) const { return m_map.contains(key); }
    QString str(const QString &key) const { return m_map.value(key).toString(); }
    QVariant value(const QString &key) const { return m_map.value(key); }
    QVariantMap map(const QString &key) const { return m_map.value(key).toMap(); }
    QVariantList list(const QString &key) const { return m_map.value(key).toList(); }

    std::optional<Response> allowOnly(const QStringList &allowed) const
    {
        for (auto it = m_map.constBegin(); it != m_map.constEnd(); ++it) {
            if (it.key() != QLatin1String("expand") && !allowed.contains(it.key()))
                return invalid(QStringLiteral("Received unknown parameter: %1").arg(it.key()),
                               it.key());
        }
        return std::nullopt;
    }
    std::optional<Response> require(const QStringList &keys) const
    {
        for (const QString &key : keys) {
            if (str(key).isEmpty() && !m_map.value(key).canConvert<QVariantMap>())
                return invalid(QStringLiteral("Missing required param: %1.").arg(key), key,
                               QStringLiteral("parameter_missing"));
        }
        return std::nullopt;
    }
    static std::optional<Response> integer(const QVariant &value, const QString &name, qint64 *out)
    {
        bool ok = false;
        const qint64 number = value.toString().toLongLong(&ok);
        if (!ok)
            return invalid(QStringLiteral("Invalid integer: %1").arg(value.toString()), name,
                           QStringLiteral("parameter_invalid_integer"));
        *out = number;
        return std::nullopt;
    }
    std::optional<Response> integer(const QString &key, qint64 *out) const
    {
        return integer(m_map.value(key), key, out);
    }
    std::optional<Response> boolean(const QString &key, bool *out) const
    {
        const QString text = str(key);
        if (text != QLatin1String("true") && text != QLatin1String("false"))
            return invalid(QStringLiteral("Invalid boolean: %1").arg(text), key);
        *out = text == QLatin1String("true");
        return std::nullopt;
    }
    // Stripe's metadata: values are strings; an empty value removes the key; an empty
    // metadata parameter clears all.
    QJsonObject metadata(QJsonObject current) const
    {
        const QVariant value = m_map.value(QStringLiteral("metadata"));
        if (!value.isValid())
            return current;
        if (value.typeId() == QMetaType::QString && value.toString().isEmpty())
            return {};
        const QVariantMap changes = value.toMap();
        for (auto it = changes.constBegin(); it != changes.constEnd(); ++it) {
            if (it.value().toString().isEmpty())
                current.remove(it.key());
            else
                current.insert(it.key(), it.value().toString());
        }
        return current;
    }

private:
    QVariantMap m_map;
};

#define RETURN_IF(expr)                                                                            \
    do {                                                                                           \
        if (auto problem_ = (expr))                                                                \
            return *problem_;                                                                      \
    } while (false)

struct Connection
{
    QByteArray buffer;
    bool busy = false;
};
} // namespace

QStringList FakeStripeServer::defaultFaultKinds()
{
    return {QStringLiteral("500"),   QStringLiteral("409"),  QStringLiteral("429"),
            QStringLiteral("reset"), QStringLiteral("lost"), QStringLiteral("malformed"),
            QStringLiteral("html")};
}

QStringList FakeStripeServer::allFaultKinds()
{
    return {QStringLiteral("500"),  QStringLiteral("500_no_retry"), QStringLiteral("500_stored"),
            QStringLiteral("409"),  QStringLiteral("429"),          QStringLiteral("reset"),
            QStringLiteral("html"), QStringLiteral("slow"),         QStringLiteral("400"),
            QStringLiteral("401"),  QStringLiteral("403"),          QStringLiteral("card_declined"),
            QStringLiteral("lost"), QStringLiteral("lost_slow"),    QStringLiteral("malformed")};
}

struct FakeStripeServer::Private
{
    FakeStripeServer *q = nullptr;
    QTcpServer server;
    QString error;
    QString expectedKey;
    QUrl webhookUrl;
    QString webhookSecret;
    QNetworkAccessManager *webhookNetwork = nullptr;
    QHash<QTcpSocket *, Connection> connections;

    Faults faults;
    QRandomGenerator rng{1};

    // State, as Stripe would hold it.
    QHash<QString, QJsonObject> objects;      // id -> object
    QHash<QString, QStringList> order;        // object type -> ids, oldest first
    QHash<QString, int> created;              // object type -> ever created
    QHash<QString, QString> itemSubscription; // si_ -> sub_
    QHash<QString, QJsonObject> meterEvents;  // identifier -> meter event
    QList<QJsonObject> meterEventList;        // in arrival order
    QList<QJsonObject> eventList;             // oldest first
    QList<QJsonObject> requestLog;            // the last MaxRequestLog API requests
    QHash<QString, qsizetype> eventIndex;     // evt_ -> index in eventList
    QHash<QString, StoredResult> idempotency; // key -> first result
    qint64 clockOffset = 0;
    int invoiceNumber = 0;

    // Statistics.
    QMap<QString, int> requestCounts;
    int requestsTotal = 0;
    QMap<QString, int> faultCounts;
    int faultsTotal = 0;
    int replays = 0;
    int mismatches = 0;
    int meterEventDuplicates = 0;
    int webhooksSent = 0;
    int webhooksFailed = 0;
    QString stateFile; // rewritten after every change when set

    // The request being executed, for the events it emits.
    const Request *current = nullptr;

    qint64 now() const { return QDateTime::currentSecsSinceEpoch() + clockOffset; }

    void resetState()
    {
        objects.clear();
        order.clear();
        created.clear();
        itemSubscription.clear();
        meterEvents.clear();
        meterEventList.clear();
        eventList.clear();
        eventIndex.clear();
        requestLog.clear();
        idempotency.clear();
        invoiceNumber = 0;
        requestCounts.clear();
        requestsTotal = 0;
        faultCounts.clear();
        faultsTotal = 0;
        replays = 0;
        mismatches = 0;
        meterEventDuplicates = 0;
        webhooksSent = 0;
        webhooksFailed = 0;
        faults = Faults{};
        rng.seed(1);
    }

    // ---- HTTP -------------------------------------------------------------------------

    void onNewConnection()
    {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            if (connections.size() >= MaxConnections) {
                socket->abort();
                socket->deleteLater();
                continue;
            }
            connections.insert(socket, Connection{});
            QObject::connect(socket, &QTcpSocket::readyRead, q,
                             [this, socket] { onReadyRead(socket); });
            QObject::connect(socket, &QTcpSocket::disconnected, q, [this, socket] {
                connections.remove(socket);
                socket->deleteLater();
            });
        }
    }

    void onReadyRead(QTcpSocket *socket)
    {
        auto it = connections.find(socket);
        if (it == connections.end())
            return;
        it->buffer += socket->readAll();
        if (it->buffer.size() > MaxHeaderBytes + MaxBodyBytes) {
            dropConnection(socket);
            return;
        }
        processBuffer(socket);
    }

    void dropConnection(QTcpSocket *socket)
    {
        connections.remove(socket);
        socket->abort();
        socket->deleteLater();
    }

    void sendRaw(QTcpSocket *socket, const Response &response, bool keepAlive)
    {
        QByteArray head = "HTTP/1.1 " + QByteArray::number(response.status) + ' ' +
                          reasonPhrase(response.status) + "\r\n";
        head += "Content-Type: " + response.contentType + "\r\n";
        head += "Content-Length: " + QByteArray::number(response.body.size()) + "\r\n";
        for (const auto &[name, value] : response.headers)
            head += name + ": " + value + "\r\n";
        head += keepAlive ? QByteArrayLiteral("Connection: keep-alive\r\n")
                          : QByteArrayLiteral("Connection: close\r\n");
        head += "\r\n";
        socket->write(head + response.body);
        if (!keepAlive)
            socket->disconnectFromHost();
    }

    void processBuffer(QTcpSocket *socket)
    {
        while (true) {
            auto it = connections.find(socket);
            if (it == connections.end() || it->busy)
                return;
            QByteArray &buffer = it->buffer;
            const qsizetype headerEnd = buffer.indexOf("\r\n\r\n");
            if (headerEnd < 0) {
                if (buffer.size() > MaxHeaderBytes) {
                    sendRaw(socket,
                            stripeError(431, QStringLiteral("invalid_request_error"),
                                        QStringLiteral("Request headers too large.")),
                            false);
                    connections.remove(socket);
                }
                return;
            }
            const QList<QByteArray> lines = buffer.left(headerEnd).split('\n');
            Request request;
            const QList<QByteArray> requestLine = lines.value(0).trimmed().split(' ');
            if (requestLine.size() != 3 || !requestLine.at(2).startsWith("HTTP/1.")) {
                sendRaw(socket, invalid(QStringLiteral("Malformed request line.")), false);
                connections.remove(socket);
                return;
            }
            request.method = requestLine.at(0);
            const QByteArray target = requestLine.at(1);
            const qsizetype question = target.indexOf('?');
            request.path = QString::fromUtf8(
                QByteArray::fromPercentEncoding(question < 0 ? target : target.left(question)));
            request.query = question < 0 ? QByteArray() : target.mid(question + 1);
            for (qsizetype i = 1; i < lines.size(); ++i) {
                const QByteArray line = lines.at(i).trimmed();
                const qsizetype colon = line.indexOf(':');
                if (colon <= 0)
                    continue;
                request.headers.insert(line.left(colon).trimmed().toLower(),
                                       line.mid(colon + 1).trimmed());
            }
            if (request.headers.contains("transfer-encoding")) {
                sendRaw(socket, invalid(QStringLiteral("Chunked bodies are not supported.")),
                        false);
                connections.remove(socket);
                return;
            }
            bool lengthOk = true;
            const qint64 length =
                request.headers.value("content-length", "0").toLongLong(&lengthOk);
            if (!lengthOk || length < 0 || length > MaxBodyBytes) {
                sendRaw(socket,
                        stripeError(413, QStringLiteral("invalid_request_error"),
                                    QStringLiteral("Request body too large.")),
                        false);
                connections.remove(socket);
                return;
            }
            if (buffer.size() < headerEnd + 4 + length)
                return; // the rest of the body is still on its way
            request.body = buffer.mid(headerEnd + 4, length);
            buffer.remove(0, headerEnd + 4 + length);
            const QByteArray connectionHeader = request.headers.value("connection").toLower();
            request.keepAlive = requestLine.at(2) == "HTTP/1.1" ? connectionHeader != "close"
                                                                : connectionHeader == "keep-alive";
            it->busy = true;
            handle(socket, std::move(request));
        }
    }

    // Sends the reply if the client is still there, and carries on with the next request
    // that arrived on the same connection.
    void finish(const QPointer<QTcpSocket> &socket, const Request &request,
                const Response &response)
    {
        emit q->requestHandled(QString::fromLatin1(request.method), request.path, response.status);
        if (!socket)
            return;
        auto it = connections.find(socket.data());
        if (it == connections.end())
            return;
        sendRaw(socket.data(), response, request.keepAlive);
        if (!request.keepAlive) {
            connections.remove(socket.data());
            return;
        }
        it->busy = false;
        QTimer::singleShot(0, socket.data(), [this, socket] {
            if (socket)
                processBuffer(socket.data());
        });
    }

    void resetConnection(const QPointer<QTcpSocket> &socket, const Request &request)
    {
        emit q->requestHandled(QString::fromLatin1(request.method), request.path, 0);
        if (socket)
            dropConnection(socket.data());
    }

    // ---- requests ---------------------------------------------------------------------

    QString pickFault(const Request &request)
    {
        if (!request.path.startsWith(faults.pathPrefix))
            return {};
        if (!faults.methods.isEmpty() &&
            !faults.methods.contains(QString::fromLatin1(request.method), Qt::CaseInsensitive))
            return {};
        if (faults.next > 0) {
            --faults.next;
            return faults.nextKind;
        }
        if (faults.rate <= 0.0 || rng.generateDouble() >= faults.rate)
            return {};
        const QStringList kinds = faults.kinds.isEmpty() ? defaultFaultKinds() : faults.kinds;
        return kinds.at(rng.bounded(static_cast<int>(kinds.size())));
    }

    void handle(QTcpSocket *rawSocket, Request request)
    {
        QPointer<QTcpSocket> socket(rawSocket);
        request.requestId = QStringLiteral("req_") + randomToken(14);
        if (request.path.startsWith(QLatin1String("/_fake/"))) {
            finish(socket, request, control(request));
            return;
        }
        ++requestsTotal;
        QJsonObject headers;
        for (auto it = request.headers.constBegin(); it != request.headers.constEnd(); ++it)
            headers.insert(QString::fromLatin1(it.key()), QString::fromUtf8(it.value()));
        requestLog.append(
            QJsonObject{{QStringLiteral("method"), QString::fromLatin1(request.method)},
                        {QStringLiteral("path"), request.path},
                        {QStringLiteral("query"), QString::fromUtf8(request.query)},
                        {QStringLiteral("body"), QString::fromUtf8(request.body)},
                        {QStringLiteral("headers"), headers}});
        if (requestLog.size() > MaxRequestLog)
            requestLog.removeFirst();
        ++requestCounts[QString::fromLatin1(request.method) + u' ' + endpointName(request.path)];

        if (request.method == "POST")
            request.params = decodeStripeForm(request.body);
        else
            request.params = decodeStripeForm(request.query);
        if (request.method != "GET")
            request.idempotencyKey =
                QString::fromUtf8(request.headers.value("idempotency-key")).trimmed();

        if (auto refusal = authenticate(request)) {
            finish(socket, request, withRequestId(*refusal, request));
            return;
        }

        const QString fault = pickFault(request);
        if (!fault.isEmpty()) {
            ++faultsTotal;
            ++faultCounts[fault];
        }
        if (fault == QLatin1String("reset")) {
            resetConnection(socket, request);
            return;
        }
        if (fault == QLatin1String("slow")) {
            QTimer::singleShot(faults.slowMs, q,
                               [this, socket, request] { execute(socket, request, QString()); });
            return;
        }
        if (auto early = earlyFault(fault)) {
            finish(socket, request, withRequestId(*early, request));
            return;
        }
        execute(socket, request, fault);
    }

    std::optional<Response> authenticate(const Request &request) const
    {
        QByteArray authorization = request.headers.value("authorization");
        // Stripe also takes the key as a Basic user name (curl -u sk_test_...:).
        if (authorization.startsWith("Basic ")) {
            const QByteArray user =
                QByteArray::fromBase64(authorization.mid(6)).split(':').value(0);
            authorization = "Bearer " + user;
        }
        if (!authorization.startsWith("Bearer ")) {
            return stripeError(401, QStringLiteral("invalid_request_error"),
                               QStringLiteral("You did not provide an API key. You need to "
                                              "provide your API key in the Authorization "
                                              "header, using Bearer auth."));
        }
        const QString key = QString::fromUtf8(authorization.mid(7)).trimmed();
        const bool shaped =
            key.startsWith(QLatin1String("sk_")) || key.startsWith(QLatin1String("rk_"));
        if (!shaped || (!expectedKey.isEmpty() && key != expectedKey)) {
            // As Stripe: the key is shown with all but its last four characters hidden.
            return stripeError(401, QStringLiteral("invalid_request_error"),
                               QStringLiteral("Invalid API Key provided: %1****%2")
                                   .arg(key.left(8), key.right(4)));
        }
        return std::nullopt;
    }

    std::optional<Response> earlyFault(const QString &fault) const
    {
        if (fault == QLatin1String("500"))
            return stripeError(500, QStringLiteral("api_error"),
                               QStringLiteral("An unknown error occurred (injected by the fake)."));
        if (fault == QLatin1String("500_no_retry")) {
            Response r = stripeError(500, QStringLiteral("api_error"),
                                     QStringLiteral("An unknown error occurred (injected by the "
                                                    "fake; do not retry)."));
            addHeader(r, "Stripe-Should-Retry", "false");
            return r;
        }
        if (fault == QLatin1String("409"))
            return stripeError(409, QStringLiteral("idempotency_error"),
                               QStringLiteral("There is currently another in-progress request "
                                              "using this Idempotent Key (injected by the fake)."));
        if (fault == QLatin1String("429")) {
            Response r = stripeError(429, QStringLiteral("invalid_request_error"),
                                     QStringLiteral("Request rate limit exceeded (injected by the "
                                                    "fake)."),
                                     QStringLiteral("rate_limit"));
            if (faults.retryAfterSeconds >= 0)
                addHeader(r, "Retry-After", QByteArray::number(faults.retryAfterSeconds));
            return r;
        }
        if (fault == QLatin1String("html")) {
            Response r;
            r.status = 502;
            r.contentType = "text/html";
            r.body = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
                     "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>"
                     "\r\n</body>\r\n</html>\r\n";
            return r;
        }
        if (fault == QLatin1String("400"))
            return invalid(QStringLiteral("Invalid request (injected by the fake)."),
                           QStringLiteral("fake"));
        if (fault == QLatin1String("401"))
            return stripeError(401, QStringLiteral("invalid_request_error"),
                               QStringLiteral("Invalid API Key provided: sk_test_****fake"));
        if (fault == QLatin1String("403"))
            return stripeError(403, QStringLiteral("invalid_request_error"),
                               QStringLiteral("The provided key does not have the required "
                                              "permissions for this endpoint (injected by the "
                                              "fake)."));
        if (fault == QLatin1String("card_declined")) {
            Response r = stripeError(402, QStringLiteral("card_error"),
                                     QStringLiteral("Your card has insufficient funds."),
                                     QStringLiteral("card_declined"));
            QJsonObject body = QJsonDocument::fromJson(r.body).object();
            QJsonObject errorJson = body.value(QStringLiteral("error")).toObject();
            errorJson.insert(QStringLiteral("decline_code"), QStringLiteral("insufficient_funds"));
            body.insert(QStringLiteral("error"), errorJson);
            r.body = QJsonDocument(body).toJson(QJsonDocument::Compact);
            return r;
        }
        return std::nullopt;
    }

    static Response withRequestId(Response response, const Request &request)
    {
        addHeader(response, "Request-Id", request.requestId.toUtf8());
        addHeader(response, "Stripe-Version", ApiVersion.toUtf8());
        return response;
    }

    void execute(const QPointer<QTcpSocket> &socket, const Request &request, const QString &fault)
    {
        Response response;
        const QString &key = request.idempotencyKey;
        // Stripe compares the parameters, not the bytes: decoded and encoded again.
        const QByteArray fingerprint =
            request.method + ' ' + request.path.toUtf8() + '\n' + encodeStripeForm(request.params);
        auto stored = key.isEmpty() ? idempotency.end() : idempotency.find(key);
        if (stored != idempotency.end()) {
            if (stored->fingerprint != fingerprint) {
                ++mismatches;
                response = withRequestId(
                    stripeError(400, QStringLiteral("idempotency_error"),
                                QStringLiteral("Keys for idempotent requests can only be used "
                                               "with the same parameters they were first used "
                                               "with. Try using a key other than '%1' if you "
                                               "meant to execute a different request.")
                                    .arg(key)),
                    request);
            } else {
                ++replays;
                response = stored->response;
                addHeader(response, "Idempotent-Replayed", "true");
            }
        } else if (fault == QLatin1String("500_stored")) {
            response = withRequestId(
                stripeError(500, QStringLiteral("api_error"),
                            QStringLiteral("An unknown error occurred (injected by the fake, "
                                           "stored for the idempotency key).")),
                request);
            if (!key.isEmpty())
                idempotency.insert(key, StoredResult{fingerprint, response});
        } else {
            current = &request;
            response = withRequestId(route(request), request);
            current = nullptr;
            if (response.status == 200 && request.method == "GET")
                response = expand(response, request.params);
            // Results of an execution are kept; refusals before it (validation) are not.
            const bool executed = response.status == 200 || response.status == 402;
            if (!key.isEmpty() && executed)
                idempotency.insert(key, StoredResult{fingerprint, response});
        }
        // Written before the reply leaves: what a client was told exists survives a restart.
        if (request.method != "GET")
            persist();

        if (fault == QLatin1String("lost")) {
            resetConnection(socket, request);
            return;
        }
        if (fault == QLatin1String("lost_slow")) {
            QTimer::singleShot(faults.slowMs, q, [this, socket, request, response] {
                finish(socket, request, response);
            });
            return;
        }
        if (fault == QLatin1String("malformed")) {
            Response garbage = response;
            garbage.status = 200;
            garbage.body = response.body.left(std::max<qsizetype>(1, response.body.size() / 2));
            finish(socket, request, garbage);
            return;
        }
        finish(socket, request, response);
    }

    // ---- the state file ---------------------------------------------------------------

    template <typename Map> static QJsonObject countsJson(const Map &map)
    {
        QJsonObject object;
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            object.insert(it.key(), it.value());
        return object;
    }

    void persist()
    {
        if (stateFile.isEmpty())
            return;
        QJsonObject objectsJson;
        for (auto it = objects.constBegin(); it != objects.constEnd(); ++it)
            objectsJson.insert(it.key(), it.value());
        QJsonObject orderJson;
        for (auto it = order.constBegin(); it != order.constEnd(); ++it)
            orderJson.insert(it.key(), QJsonArray::fromStringList(it.value()));
        QJsonObject items;
        for (auto it = itemSubscription.constBegin(); it != itemSubscription.constEnd(); ++it)
            items.insert(it.key(), it.value());
        QJsonArray meterEventsJson;
        for (const QJsonObject &event : std::as_const(meterEventList))
            meterEventsJson.append(event);
        QJsonArray eventsJson;
        for (const QJsonObject &event : std::as_const(eventList))
            eventsJson.append(event);
        QJsonObject keys;
        for (auto it = idempotency.constBegin(); it != idempotency.constEnd(); ++it) {
            QJsonArray headers;
            for (const auto &[name, value] : it->response.headers)
                headers.append(QJsonArray{QString::fromLatin1(name), QString::fromLatin1(value)});
            keys.insert(it.key(), QJsonObject{{QStringLiteral("fingerprint"),
                                               QString::fromLatin1(it->fingerprint.toBase64())},
                                              {QStringLiteral("status"), it->response.status},
                                              {QStringLiteral("content_type"),
                                               QString::fromLatin1(it->response.contentType)},
                                              {QStringLiteral("body"),
                                               QString::fromLatin1(it->response.body.toBase64())},
                                              {QStringLiteral("headers"), headers}});
        }
        const QJsonObject state{{QStringLiteral("version"), 1},
                                {QStringLiteral("objects"), objectsJson},
                                {QStringLiteral("order"), orderJson},
                                {QStringLiteral("created"), countsJson(created)},
                                {QStringLiteral("item_subscription"), items},
                                {QStringLiteral("meter_events"), meterEventsJson},
                                {QStringLiteral("events"), eventsJson},
                                {QStringLiteral("idempotency"), keys},
                                {QStringLiteral("clock_offset"), clockOffset},
                                {QStringLiteral("invoice_number"), invoiceNumber},
                                {QStringLiteral("requests_total"), requestsTotal},
                                {QStringLiteral("requests"), countsJson(requestCounts)},
                                {QStringLiteral("faults_total"), faultsTotal},
                                {QStringLiteral("faults"), countsJson(faultCounts)},
                                {QStringLiteral("replays"), replays},
                                {QStringLiteral("mismatches"), mismatches},
                                {QStringLiteral("meter_event_duplicates"), meterEventDuplicates}};
        QSaveFile file(stateFile);
        if (!file.open(QIODevice::WriteOnly) ||
            file.write(QJsonDocument(state).toJson(QJsonDocument::Compact)) < 0 || !file.commit())
            qWarning("fake Stripe: cannot write %s: %s", qPrintable(stateFile),
                     qPrintable(file.errorString()));
    }

    bool load(const QString &path)
    {
        QFile file(path);
        if (!file.exists())
            return true; // a first start
        if (!file.open(QIODevice::ReadOnly)) {
            error = file.errorString();
            return false;
        }
        QJsonParseError parseError{};
        const QJsonObject state = QJsonDocument::fromJson(file.readAll(), &parseError).object();
        if (parseError.error != QJsonParseError::NoError ||
            state.value(QStringLiteral("version")).toInt() != 1) {
            error = QStringLiteral("%1 is not a fake Stripe state file").arg(path);
            return false;
        }
        resetState();
        const QJsonObject objectsJson = state.value(QStringLiteral("objects")).toObject();
        for (auto it = objectsJson.constBegin(); it != objectsJson.constEnd(); ++it)
            objects.insert(it.key(), it.value().toObject());
        const QJsonObject orderJson = state.value(QStringLiteral("order")).toObject();
        for (auto it = orderJson.constBegin(); it != orderJson.constEnd(); ++it) {
            QStringList ids;
            for (const QJsonValue &id : it.value().toArray())
                ids.append(id.toString());
            order.insert(it.key(), ids);
        }
        const QJsonObject createdJson = state.value(QStringLiteral("created")).toObject();
        for (auto it = createdJson.constBegin(); it != createdJson.constEnd(); ++it)
            created.insert(it.key(), it.value().toInt());
        const QJsonObject items = state.value(QStringLiteral("item_subscription")).toObject();
        for (auto it = items.constBegin(); it != items.constEnd(); ++it)
            itemSubscription.insert(it.key(), it.value().toString());
        for (const QJsonValue &value : state.value(QStringLiteral("meter_events")).toArray()) {
            const QJsonObject event = value.toObject();
            meterEventList.append(event);
            meterEvents.insert(event.value(QStringLiteral("identifier")).toString(), event);
        }
        for (const QJsonValue &value : state.value(QStringLiteral("events")).toArray()) {
            eventIndex.insert(value.toObject().value(QStringLiteral("id")).toString(),
                              eventList.size());
            eventList.append(value.toObject());
        }
        const QJsonObject keys = state.value(QStringLiteral("idempotency")).toObject();
        for (auto it = keys.constBegin(); it != keys.constEnd(); ++it) {
            const QJsonObject stored = it.value().toObject();
            StoredResult result;
            result.fingerprint = QByteArray::fromBase64(
                stored.value(QStringLiteral("fingerprint")).toString().toLatin1());
            result.response.status = stored.value(QStringLiteral("status")).toInt();
            result.response.contentType =
                stored.value(QStringLiteral("content_type")).toString().toLatin1();
            result.response.body =
                QByteArray::fromBase64(stored.value(QStringLiteral("body")).toString().toLatin1());
            for (const QJsonValue &header : stored.value(QStringLiteral("headers")).toArray())
                addHeader(result.response, header.toArray().at(0).toString().toLatin1().constData(),
                          header.toArray().at(1).toString().toLatin1());
            idempotency.insert(it.key(), result);
        }
        clockOffset = state.value(QStringLiteral("clock_offset")).toInteger();
        invoiceNumber = state.value(QStringLiteral("invoice_number")).toInt();
        requestsTotal = state.value(QStringLiteral("requests_total")).toInt();
        const QJsonObject requestsJson = state.value(QStringLiteral("requests")).toObject();
        for (auto it = requestsJson.constBegin(); it != requestsJson.constEnd(); ++it)
            requestCounts.insert(it.key(), it.value().toInt());
        faultsTotal = state.value(QStringLiteral("faults_total")).toInt();
        const QJsonObject faultsJsonIn = state.value(QStringLiteral("faults")).toObject();
        for (auto it = faultsJsonIn.constBegin(); it != faultsJsonIn.constEnd(); ++it)
            faultCounts.insert(it.key(), it.value().toInt());
        replays = state.value(QStringLiteral("replays")).toInt();
        mismatches = state.value(QStringLiteral("mismatches")).toInt();
        meterEventDuplicates = state.value(QStringLiteral("meter_event_duplicates")).toInt();
        return true;
    }

    // ---- control endpoints ------------------------------------------------------------

    Response control(const Request &request)
    {
        const QString path = request.path;
        if (path == QLatin1String("/_fake/stats") && request.method == "GET")
            return jsonResponse(stats());
        if (path == QLatin1String("/_fake/reset") && request.method == "POST") {
            resetState();
            persist();
            return jsonResponse(QJsonObject{{QStringLiteral("reset"), true}});
        }
        if (path == QLatin1String("/_fake/faults") && request.method == "POST")
            return setFaultsFrom(request);
        if (path == QLatin1String("/_fake/faults") && request.method == "GET")
            return jsonResponse(faultsJson());
        if (path == QLatin1String("/_fake/objects") && request.method == "GET") {
            const Params p(decodeStripeForm(request.query));
            QJsonArray data;
            const QStringList ids = order.value(p.str(QStringLiteral("type")));
            for (auto it = ids.crbegin(); it != ids.crend(); ++it)
                data.append(objects.value(*it));
            return jsonResponse(listObject(data, false, path));
        }
        if (path == QLatin1String("/_fake/clock") && request.method == "POST") {
            const Params p(decodeStripeForm(request.body));
            qint64 seconds = 0;
            RETURN_IF(p.integer(QStringLiteral("advance"), &seconds));
            clockOffset += seconds;
            renewSubscriptions();
            persist();
            return jsonResponse(QJsonObject{{QStringLiteral("now"), now()}});
        }
        static const QRegularExpression completePattern(
            QStringLiteral("^/_fake/checkout/sessions/([^/]+)/complete$"));
        const QRegularExpressionMatch complete = completePattern.match(path);
        if (complete.hasMatch() && request.method == "POST") {
            const QJsonObject session = completeSession(complete.captured(1));
            persist();
            if (session.isEmpty())
                return missing(QStringLiteral("checkout.session"), complete.captured(1));
            return jsonResponse(session);
        }
        return stripeError(404, QStringLiteral("invalid_request_error"),
                           QStringLiteral("Unknown control endpoint: %1").arg(path));
    }

    Response setFaultsFrom(const Request &request)
    {
        QVariantMap map;
        if (request.headers.value("content-type").contains("json"))
            map = QJsonDocument::fromJson(request.body).object().toVariantMap();
        else
            map = decodeStripeForm(request.body);
        const Params p(map);
        Faults next;
        bool ok = true;
        if (p.has(QStringLiteral("rate"))) {
            next.rate = p.str(QStringLiteral("rate")).toDouble(&ok);
            if (!ok || next.rate < 0 || next.rate > 1)
                return invalid(QStringLiteral("rate must be between 0 and 1."),
                               QStringLiteral("rate"));
        }
        QVariant kinds = p.value(QStringLiteral("kinds"));
        QStringList kindList;
        if (kinds.typeId() == QMetaType::QString)
            kindList = kinds.toString().split(u',', Qt::SkipEmptyParts);
        else
            kindList = kinds.toStringList();
        const QStringList known = allFaultKinds();
        for (const QString &kind : std::as_const(kindList)) {
            if (!known.contains(kind))
                return invalid(QStringLiteral("Unknown fault kind: %1").arg(kind),
                               QStringLiteral("kinds"));
        }
        next.kinds = kindList;
        auto integer = [&](const QString &name, auto *out) -> bool {
            if (!p.has(name))
                return true;
            bool valid = false;
            const qint64 v = p.str(name).toLongLong(&valid);
            if (valid)
                *out = static_cast<std::remove_pointer_t<decltype(out)>>(v);
            return valid;
        };
        if (!integer(QStringLiteral("seed"), &next.seed) ||
            !integer(QStringLiteral("next"), &next.next) ||
            !integer(QStringLiteral("slow_ms"), &next.slowMs) ||
            !integer(QStringLiteral("retry_after"), &next.retryAfterSeconds))
            return invalid(QStringLiteral("seed, next, slow_ms and retry_after are integers."));
        next.nextKind = p.str(QStringLiteral("next_kind"));
        if (next.next > 0 && !known.contains(next.nextKind))
            return invalid(QStringLiteral("Unknown fault kind: %1").arg(next.nextKind),
                           QStringLiteral("next_kind"));
        if (p.has(QStringLiteral("path_prefix")))
            next.pathPrefix = p.str(QStringLiteral("path_prefix"));
        const QVariant methods = p.value(QStringLiteral("methods"));
        next.methods = methods.typeId() == QMetaType::QString
                           ? methods.toString().split(u',', Qt::SkipEmptyParts)
                           : methods.toStringList();
        q->setFaults(next);
        return jsonResponse(faultsJson());
    }

    QJsonObject faultsJson() const
    {
        return QJsonObject{{QStringLiteral("rate"), faults.rate},
                           {QStringLiteral("kinds"), QJsonArray::fromStringList(faults.kinds)},
                           {QStringLiteral("seed"), qint64(faults.seed)},
                           {QStringLiteral("next"), faults.next},
                           {QStringLiteral("next_kind"), faults.nextKind},
                           {QStringLiteral("slow_ms"), faults.slowMs},
                           {QStringLiteral("retry_after"), faults.retryAfterSeconds},
                           {QStringLiteral("path_prefix"), faults.pathPrefix},
                           {QStringLiteral("methods"), QJsonArray::fromStringList(faults.methods)}};
    }

    QJsonObject stats() const
    {
        auto toJson = [](const auto &map) {
            QJsonObject object;
            for (auto it = map.constBegin(); it != map.constEnd(); ++it)
                object.insert(it.key(), it.value());
            return object;
        };
        QJsonObject createdJson;
        for (auto it = created.constBegin(); it != created.constEnd(); ++it)
            createdJson.insert(it.key(), it.value());
        QJsonObject live;
        for (auto it = order.constBegin(); it != order.constEnd(); ++it) {
            int count = 0;
            for (const QString &id : it.value()) {
                if (!objects.value(id).value(QStringLiteral("deleted")).toBool())
                    ++count;
            }
            live.insert(it.key(), count);
        }
        return QJsonObject{{QStringLiteral("requests_total"), requestsTotal},
                           {QStringLiteral("requests"), toJson(requestCounts)},
                           {QStringLiteral("objects_created"), createdJson},
                           {QStringLiteral("objects"), live},
                           {QStringLiteral("idempotency_keys"), idempotency.size()},
                           {QStringLiteral("replays"), replays},
                           {QStringLiteral("idempotency_mismatches"), mismatches},
                           {QStringLiteral("faults_total"), faultsTotal},
                           {QStringLiteral("faults"), toJson(faultCounts)},
                           {QStringLiteral("meter_events"), meterEvents.size()},
                           {QStringLiteral("meter_event_duplicates"), meterEventDuplicates},
                           {QStringLiteral("events"), eventList.size()},
                           {QStringLiteral("webhooks_sent"), webhooksSent},
                           {QStringLiteral("webhooks_failed"), webhooksFailed}};
    }

    // ---- objects and events -----------------------------------------------------------

    QString newId(const QString &prefix) const { return prefix + u'_' + randomToken(14); }

    void store(const QJsonObject &object, const QString &type)
    {
        const QString id = object.value(QStringLiteral("id")).toString();
        if (!objects.contains(id)) {
            order[type].append(id);
            ++created[type];
        }
        objects.insert(id, object);
    }

    QJsonObject live(const QString &id, const QString &type) const
    {
        const auto it = objects.constFind(id);
        if (it == objects.constEnd() || it->value(QStringLiteral("object")).toString() != type)
            return {};
        return *it;
    }

    void emitEvent(const QString &type, const QJsonObject &object, const QJsonObject &previous = {})
    {
        QJsonObject data{{QStringLiteral("object"), object}};
        if (!previous.isEmpty())
            data.insert(QStringLiteral("previous_attributes"), previous);
        QJsonObject requestInfo{{QStringLiteral("id"), nullValue()},
                                {QStringLiteral("idempotency_key"), nullValue()}};
        if (current) {
            requestInfo.insert(QStringLiteral("id"), current->requestId);
            if (!current->idempotencyKey.isEmpty())
                requestInfo.insert(QStringLiteral("idempotency_key"), current->idempotencyKey);
        }
        const QJsonObject event{{QStringLiteral("id"), newId(QStringLiteral("evt"))},
                                {QStringLiteral("object"), QStringLiteral("event")},
                                {QStringLiteral("api_version"), ApiVersion},
                                {QStringLiteral("created"), now()},
                                {QStringLiteral("data"), data},
                                {QStringLiteral("livemode"), false},
                                {QStringLiteral("pending_webhooks"), webhookUrl.isValid() ? 1 : 0},
                                {QStringLiteral("request"), requestInfo},
                                {QStringLiteral("type"), type}};
        eventIndex.insert(event.value(QStringLiteral("id")).toString(), eventList.size());
        eventList.append(event);
        deliverWebhook(event);
    }

    void deliverWebhook(const QJsonObject &event)
    {
        if (!webhookUrl.isValid() || webhookSecret.isEmpty())
            return;
        if (!webhookNetwork)
            webhookNetwork = new QNetworkAccessManager(q);
        const QByteArray body = QJsonDocument(event).toJson(QJsonDocument::Compact);
        const QByteArray timestamp = QByteArray::number(QDateTime::currentSecsSinceEpoch());
        const QByteArray signature =
            QMessageAuthenticationCode::hash(timestamp + '.' + body, webhookSecret.toUtf8(),
                                             QCryptographicHash::Sha256)
                .toHex();
        QNetworkRequest request(webhookUrl);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json; charset=utf-8"));
        request.setRawHeader("Stripe-Signature", "t=" + timestamp + ",v1=" + signature);
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        request.setTransferTimeout(10000);
        QNetworkReply *reply = webhookNetwork->post(request, body);
        QObject::connect(reply, &QNetworkReply::finished, q, [this, reply] {
            reply->deleteLater();
            const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
            if (status >= 200 && status < 300)
                ++webhooksSent;
            else
                ++webhooksFailed;
        });
    }

    static QJsonObject changedAttributes(const QJsonObject &before, const QJsonObject &after)
    {
        QJsonObject previous;
        for (auto it = before.constBegin(); it != before.constEnd(); ++it) {
            if (after.value(it.key()) != it.value())
                previous.insert(it.key(), it.value());
        }
        return previous;
    }

    Response expand(const Response &response, const QVariantMap &params) const
    {
        const QStringList paths = params.value(QStringLiteral("expand")).toStringList();
        if (paths.isEmpty())
            return response;
        QJsonObject object = QJsonDocument::fromJson(response.body).object();
        auto expandOne = [this](QJsonObject target, const QString &field) {
            const QJsonValue value = target.value(field);
            if (value.isString() && objects.contains(value.toString()))
                target.insert(field, objects.value(value.toString()));
            return target;
        };
        for (const QString &path : paths) {
            if (path.startsWith(QLatin1String("data."))) {
                QJsonArray data = object.value(QStringLiteral("data")).toArray();
                for (qsizetype i = 0; i < data.size(); ++i)
                    data[i] = expandOne(data.at(i).toObject(), path.mid(5));
                object.insert(QStringLiteral("data"), data);
            } else {
                object = expandOne(object, path);
            }
        }
        Response expanded = response;
        expanded.body = QJsonDocument(object).toJson(QJsonDocument::Compact);
        return expanded;
    }

    Response list(const QString &type, const Params &p, const QString &url,
                  const std::function<bool(const QJsonObject &)> &keep = {}) const
    {
        QList<QJsonObject> all;
        const QStringList ids = order.value(type);
        for (auto it = ids.crbegin(); it != ids.crend(); ++it) {
            const QJsonObject object = objects.value(*it);
            if (object.value(QStringLiteral("deleted")).toBool())
                continue;
            if (!keep || keep(object))
                all.append(object);
        }
        return page(all, p, url, type);
    }

    static Response page(const QList<QJsonObject> &newestFirst, const Params &p, const QString &url,
                         const QString &type)
    {
        qint64 limit = 10;
        if (p.has(QStringLiteral("limit"))) {
            RETURN_IF(p.integer(QStringLiteral("limit"), &limit));
            if (limit < 1 || limit > 100)
                return invalid(QStringLiteral("This value must be between 1 and 100 (it "
                                              "currently is %1).")
                                   .arg(limit),
                               QStringLiteral("limit"));
        }
        auto indexOf = [&](const QString &id) -> qsizetype {
            for (qsizetype i = 0; i < newestFirst.size(); ++i) {
                if (newestFirst.at(i).value(QStringLiteral("id")).toString() == id)
                    return i;
            }
            return -1;
        };
        qsizetype begin = 0;
        qsizetype end = newestFirst.size();
        if (p.has(QStringLiteral("starting_after"))) {
            const qsizetype at = indexOf(p.str(QStringLiteral("starting_after")));
            if (at < 0)
                return missing(type, p.str(QStringLiteral("starting_after")),
                               QStringLiteral("starting_after"));
            begin = at + 1;
        } else if (p.has(QStringLiteral("ending_before"))) {
            const qsizetype at = indexOf(p.str(QStringLiteral("ending_before")));
            if (at < 0)
                return missing(type, p.str(QStringLiteral("ending_before")),
                               QStringLiteral("ending_before"));
            end = at;
            begin = std::max<qsizetype>(0, end - limit);
        }
        QJsonArray data;
        for (qsizetype i = begin; i < end && data.size() < limit; ++i)
            data.append(newestFirst.at(i));
        const bool hasMore =
            p.has(QStringLiteral("ending_before")) ? begin > 0 : begin + limit < end;
        return jsonResponse(listObject(data, hasMore, url));
    }

    // ---- the API ----------------------------------------------------------------------

    Response route(const Request &request)
    {
        const QStringList s = request.path.split(u'/', Qt::SkipEmptyParts);
        const Params p(request.params);
        const QByteArray &m = request.method;
        if (s.value(0) != QLatin1String("v1"))
            return unknownRoute(request);
        const QString resource = s.value(1);
        const int n = static_cast<int>(s.size());

        if (resource == QLatin1String("customers"))
            return simpleResource(request, s, p, QStringLiteral("customer"), QStringLiteral("cus"));
        if (resource == QLatin1String("products"))
            return simpleResource(request, s, p, QStringLiteral("product"), QStringLiteral("prod"));
        if (resource == QLatin1String("prices"))
            return prices(request, s, p);
        if (resource == QLatin1String("billing") && s.value(2) == QLatin1String("meters"))
            return meters(request, s, p);
        if (resource == QLatin1String("billing") && s.value(2) == QLatin1String("meter_events") &&
            n == 3 && m == "POST")
            return createMeterEvent(p);
        if (resource == QLatin1String("subscriptions"))
            return subscriptions(request, s, p);
        if (resource == QLatin1String("subscription_items") && n == 3 && m == "GET") {
            const QString subscriptionId = itemSubscription.value(s.at(2));
            const QJsonArray items = objects.value(subscriptionId)
                                         .value(QStringLiteral("items"))
                                         .toObject()
                                         .value(QStringLiteral("data"))
                                         .toArray();
            for (const QJsonValue &item : items) {
                if (item.toObject().value(QStringLiteral("id")).toString() == s.at(2))
                    return jsonResponse(item.toObject());
            }
            return missing(QStringLiteral("subscription_item"), s.at(2));
        }
        if (resource == QLatin1String("invoices"))
            return invoices(request, s, p);
        if (resource == QLatin1String("invoiceitems") && n == 2 && m == "POST")
            return createInvoiceItem(p);
        if (resource == QLatin1String("checkout") && s.value(2) == QLatin1String("sessions"))
            return checkoutSessions(request, s, p);
        if (resource == QLatin1String("events"))
            return eventsRoute(request, s, p);
        return unknownRoute(request);
    }

    // What POST /v1/customers and /v1/customers/{id} accept besides the stored text fields
    // (Stripe's API reference); the fake keeps the address and ignores the rest.
    static QStringList customerExtraParameters()
    {
        return {QStringLiteral("address"),
                QStringLiteral("balance"),
                QStringLiteral("cash_balance"),
                QStringLiteral("coupon"),
                QStringLiteral("invoice_prefix"),
                QStringLiteral("invoice_settings"),
                QStringLiteral("next_invoice_sequence"),
                QStringLiteral("payment_method"),
                QStringLiteral("preferred_locales"),
                QStringLiteral("promotion_code"),
                QStringLiteral("shipping"),
                QStringLiteral("source"),
                QStringLiteral("tax"),
                QStringLiteral("tax_exempt"),
                QStringLiteral("tax_id_data"),
                QStringLiteral("test_clock")};
    }

    // address[line1|line2|city|postal_code|state|country], as Stripe: an unknown part is
    // refused, an empty address parameter clears it, missing parts are null.
    static std::optional<Response> customerAddress(const Params &p, QJsonValue *out)
    {
        const QVariant value = p.value(QStringLiteral("address"));
        if (!value.isValid() ||
            (value.typeId() == QMetaType::QString && value.toString().isEmpty())) {
            *out = nullValue();
            return std::nullopt;
        }
        if (!value.canConvert<QVariantMap>() || value.typeId() == QMetaType::QString)
            return invalid(QStringLiteral("Invalid object"), QStringLiteral("address"));
        const QVariantMap parts = value.toMap();
        static const QStringList known = {QStringLiteral("line1"),       QStringLiteral("line2"),
                                          QStringLiteral("city"),        QStringLiteral("state"),
                                          QStringLiteral("postal_code"), QStringLiteral("country")};
        QJsonObject address;
        for (auto it = parts.constBegin(); it != parts.constEnd(); ++it) {
            if (!known.contains(it.key()))
                return invalid(
                    QStringLiteral("Received unknown parameter: address[%1]").arg(it.key()),
                    QStringLiteral("address[%1]").arg(it.key()));
        }
        for (const QString &part : known) {
            const QString text = parts.value(part).toString();
            address.insert(part, text.isEmpty() ? nullValue() : QJsonValue(text));
        }
        *out = address;
        return std::nullopt;
    }

    static Response unknownRoute(const Request &request)
    {
        return stripeError(404, QStringLiteral("invalid_request_error"),
                           QStringLiteral("Unrecognized request URL (%1: %2).")
                               .arg(QString::fromLatin1(request.method), request.path));
    }

    // Customers and products: create, retrieve, update, delete, list.
    Response simpleResource(const Request &request, const QStringList &s, const Params &p,
                            const QString &type, const QString &prefix)
    {
        const bool isCustomer = type == QLatin1String("customer");
        // Text fields stored as given; "address" and the parameters Stripe accepts but the fake
        // does not model (preferred_locales, invoice_settings, ...) are handled below.
        const QStringList fields =
            isCustomer ? QStringList{QStringLiteral("email"), QStringLiteral("name"),
                                     QStringLiteral("description"), QStringLiteral("phone"),
                                     QStringLiteral("metadata")}
                       : QStringList{QStringLiteral("name"), QStringLiteral("description"),
                                     QStringLiteral("active"), QStringLiteral("metadata")};
        const QStringList accepted = isCustomer ? fields + customerExtraParameters() : fields;
        const QString url = QStringLiteral("/v1/") + s.at(1);
        const QByteArray &m = request.method;
        if (s.size() == 2 && m == "POST") {
            RETURN_IF(p.allowOnly(accepted));
            if (!isCustomer)
                RETURN_IF(p.require({QStringLiteral("name")}));
            QJsonValue address = nullValue();
            if (isCustomer)
                RETURN_IF(customerAddress(p, &address));
            QJsonObject object{{QStringLiteral("id"), newId(prefix)},
                               {QStringLiteral("object"), type},
                               {QStringLiteral("created"), now()},
                               {QStringLiteral("livemode"), false},
                               {QStringLiteral("metadata"), p.metadata({})}};
            for (const QString &field : fields) {
                if (field == QLatin1String("metadata") || field == QLatin1String("active"))
                    continue;
                object.insert(field, p.has(field) ? QJsonValue(p.str(field)) : nullValue());
            }
            if (isCustomer)
                object.insert(QStringLiteral("address"), address);
            if (!isCustomer) {
                bool active = true;
                if (p.has(QStringLiteral("active")))
                    RETURN_IF(p.boolean(QStringLiteral("active"), &active));
                object.insert(QStringLiteral("active"), active);
            }
            store(object, type);
            emitEvent(type + QStringLiteral(".created"), object);
            return jsonResponse(object);
        }
        if (s.size() == 2 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("email"),
                                   QStringLiteral("active")}));
            return list(type, p, url, [&](const QJsonObject &o) {
                if (p.has(QStringLiteral("email")) &&
                    o.value(QStringLiteral("email")).toString() != p.str(QStringLiteral("email")))
                    return false;
                if (p.has(QStringLiteral("active")) &&
                    o.value(QStringLiteral("active")).toBool() !=
                        (p.str(QStringLiteral("active")) == QLatin1String("true")))
                    return false;
                return true;
            });
        }
        if (s.size() != 3)
            return unknownRoute(request);
        const QString id = s.at(2);
        QJsonObject object = live(id, type);
        if (object.isEmpty())
            return missing(type, id);
        if (m == "GET")
            return jsonResponse(object);
        if (object.value(QStringLiteral("deleted")).toBool())
            return missing(type, id);
        if (m == "POST") {
            RETURN_IF(p.allowOnly(accepted));
            const QJsonObject before = object;
            if (isCustomer && p.has(QStringLiteral("address"))) {
                QJsonValue address = nullValue();
                RETURN_IF(customerAddress(p, &address));
                object.insert(QStringLiteral("address"), address);
            }
            for (const QString &field : fields) {
                if (!p.has(field) || field == QLatin1String("metadata"))
                    continue;
                if (field == QLatin1String("active")) {
                    bool active = true;
                    RETURN_IF(p.boolean(field, &active));
                    object.insert(field, active);
                } else {
                    object.insert(field,
                                  p.str(field).isEmpty() ? nullValue() : QJsonValue(p.str(field)));
                }
            }
            object.insert(QStringLiteral("metadata"),
                          p.metadata(object.value(QStringLiteral("metadata")).toObject()));
            store(object, type);
            emitEvent(type + QStringLiteral(".updated"), object, changedAttributes(before, object));
            return jsonResponse(object);
        }
        if (m == "DELETE") {
            if (!isCustomer) {
                const QStringList priceIds = order.value(QStringLiteral("price"));
                for (const QString &priceId : priceIds) {
                    if (objects.value(priceId).value(QStringLiteral("product")).toString() == id)
                        return invalid(QStringLiteral("This product cannot be deleted because it "
                                                      "has one or more user-created prices."));
                }
            }
            const QJsonObject deleted{{QStringLiteral("id"), id},
                                      {QStringLiteral("object"), type},
                                      {QStringLiteral("deleted"), true}};
            store(deleted, type);
            emitEvent(type + QStringLiteral(".deleted"), object);
            return jsonResponse(deleted);
        }
        return unknownRoute(request);
    }

    Response prices(const Request &request, const QStringList &s, const Params &p)
    {
        const QByteArray &m = request.method;
        const QString type = QStringLiteral("price");
        if (s.size() == 2 && m == "POST") {
            RETURN_IF(p.allowOnly({QStringLiteral("currency"), QStringLiteral("unit_amount"),
                                   QStringLiteral("product"), QStringLiteral("product_data"),
                                   QStringLiteral("recurring"), QStringLiteral("active"),
                                   QStringLiteral("nickname"), QStringLiteral("metadata"),
                                   QStringLiteral("lookup_key"), QStringLiteral("tax_behavior")}));
            RETURN_IF(p.require({QStringLiteral("currency")}));
            QString productId = p.str(QStringLiteral("product"));
            if (productId.isEmpty() && p.map(QStringLiteral("product_data")).isEmpty())
                return invalid(QStringLiteral("Missing required param: product."),
                               QStringLiteral("product"), QStringLiteral("parameter_missing"));
            if (!productId.isEmpty() && live(productId, QStringLiteral("product")).isEmpty())
                return missing(QStringLiteral("product"), productId, QStringLiteral("product"));
            qint64 amount = 0;
            RETURN_IF(p.require({QStringLiteral("unit_amount")}));
            RETURN_IF(p.integer(QStringLiteral("unit_amount"), &amount));
            if (amount < 0)
                return invalid(QStringLiteral("This value must be greater than or equal to 0."),
                               QStringLiteral("unit_amount"));
            QJsonValue recurring = nullValue();
            if (p.has(QStringLiteral("recurring"))) {
                const Params r(p.map(QStringLiteral("recurring")));
                const QString interval = r.str(QStringLiteral("interval"));
                if (!QStringList{QStringLiteral("day"), QStringLiteral("week"),
                                 QStringLiteral("month"), QStringLiteral("year")}
                         .contains(interval))
                    return invalid(QStringLiteral("Invalid recurring[interval]: must be one of "
                                                  "day, month, week, or year"),
                                   QStringLiteral("recurring[interval]"));
                qint64 count = 1;
                if (r.has(QStringLiteral("interval_count")))
                    RETURN_IF(r.integer(QStringLiteral("interval_count"), &count));
                const QString usage = r.has(QStringLiteral("usage_type"))
                                          ? r.str(QStringLiteral("usage_type"))
                                          : QStringLiteral("licensed");
                const QString meter = r.str(QStringLiteral("meter"));
                if (usage == QLatin1String("metered") && meter.isEmpty())
                    return invalid(QStringLiteral("A meter is required for metered prices."),
                                   QStringLiteral("recurring[meter]"));
                if (!meter.isEmpty() && live(meter, QStringLiteral("billing.meter")).isEmpty())
                    return missing(QStringLiteral("billing.meter"), meter,
                                   QStringLiteral("recurring[meter]"));
                recurring = QJsonObject{
                    {QStringLiteral("interval"), interval},
                    {QStringLiteral("interval_count"), count},
                    {QStringLiteral("usage_type"), usage},
                    {QStringLiteral("meter"), meter.isEmpty() ? nullValue() : QJsonValue(meter)}};
            }
            if (productId.isEmpty()) {
                const Params data(p.map(QStringLiteral("product_data")));
                RETURN_IF(data.require({QStringLiteral("name")}));
                productId = newId(QStringLiteral("prod"));
                const QJsonObject product{
                    {QStringLiteral("id"), productId},
                    {QStringLiteral("object"), QStringLiteral("product")},
                    {QStringLiteral("name"), data.str(QStringLiteral("name"))},
                    {QStringLiteral("active"), true},
                    {QStringLiteral("created"), now()},
                    {QStringLiteral("metadata"), QJsonObject()}};
                store(product, QStringLiteral("product"));
                emitEvent(QStringLiteral("product.created"), product);
            }
            bool active = true;
            if (p.has(QStringLiteral("active")))
                RETURN_IF(p.boolean(QStringLiteral("active"), &active));
            const QJsonObject price{
                {QStringLiteral("id"), newId(QStringLiteral("price"))},
                {QStringLiteral("object"), type},
                {QStringLiteral("active"), active},
                {QStringLiteral("currency"), p.str(QStringLiteral("currency")).toLower()},
                {QStringLiteral("unit_amount"), amount},
                {QStringLiteral("product"), productId},
                {QStringLiteral("recurring"), recurring},
                {QStringLiteral("type"),
                 recurring.isNull() ? QStringLiteral("one_time") : QStringLiteral("recurring")},
                {QStringLiteral("nickname"), p.has(QStringLiteral("nickname"))
                                                 ? QJsonValue(p.str(QStringLiteral("nickname")))
                                                 : nullValue()},
                {QStringLiteral("lookup_key"), p.has(QStringLiteral("lookup_key"))
                                                   ? QJsonValue(p.str(QStringLiteral("lookup_key")))
                                                   : nullValue()},
                {QStringLiteral("created"), now()},
                {QStringLiteral("livemode"), false},
                {QStringLiteral("metadata"), p.metadata({})}};
            store(price, type);
            emitEvent(QStringLiteral("price.created"), price);
            return jsonResponse(price);
        }
        if (s.size() == 2 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("product"),
                                   QStringLiteral("active"), QStringLiteral("currency")}));
            return list(type, p, QStringLiteral("/v1/prices"), [&](const QJsonObject &o) {
                for (const QString &field :
                     {QStringLiteral("product"), QStringLiteral("currency")}) {
                    if (p.has(field) && o.value(field).toString() != p.str(field))
                        return false;
                }
                if (p.has(QStringLiteral("active")) &&
                    o.value(QStringLiteral("active")).toBool() !=
                        (p.str(QStringLiteral("active")) == QLatin1String("true")))
                    return false;
                return true;
            });
        }
        if (s.size() != 3)
            return unknownRoute(request);
        QJsonObject price = live(s.at(2), type);
        if (price.isEmpty())
            return missing(type, s.at(2));
        if (m == "GET")
            return jsonResponse(price);
        if (m == "POST") {
            // Amounts are immutable: Stripe does not even know the parameter here.
            RETURN_IF(p.allowOnly({QStringLiteral("active"), QStringLiteral("nickname"),
                                   QStringLiteral("metadata"), QStringLiteral("lookup_key")}));
            const QJsonObject before = price;
            if (p.has(QStringLiteral("active"))) {
                bool active = true;
                RETURN_IF(p.boolean(QStringLiteral("active"), &active));
                price.insert(QStringLiteral("active"), active);
            }
            for (const QString &field :
                 {QStringLiteral("nickname"), QStringLiteral("lookup_key")}) {
                if (p.has(field))
                    price.insert(field,
                                 p.str(field).isEmpty() ? nullValue() : QJsonValue(p.str(field)));
            }
            price.insert(QStringLiteral("metadata"),
                         p.metadata(price.value(QStringLiteral("metadata")).toObject()));
            store(price, type);
            emitEvent(QStringLiteral("price.updated"), price, changedAttributes(before, price));
            return jsonResponse(price);
        }
        return unknownRoute(request);
    }

    Response meters(const Request &request, const QStringList &s, const Params &p)
    {
        const QByteArray &m = request.method;
        const QString type = QStringLiteral("billing.meter");
        if (s.size() == 3 && m == "POST") {
            RETURN_IF(p.allowOnly(
                {QStringLiteral("display_name"), QStringLiteral("event_name"),
                 QStringLiteral("default_aggregation"), QStringLiteral("customer_mapping"),
                 QStringLiteral("value_settings"), QStringLiteral("event_time_window")}));
            RETURN_IF(p.require({QStringLiteral("display_name"), QStringLiteral("event_name")}));
            const QString formula = p.map(QStringLiteral("default_aggregation"))
                                        .value(QStringLiteral("formula"))
                                        .toString();
            if (!QStringList{QStringLiteral("sum"), QStringLiteral("count"), QStringLiteral("last")}
                     .contains(formula))
                return invalid(QStringLiteral("Invalid default_aggregation[formula]: must be one "
                                              "of count, last, or sum"),
                               QStringLiteral("default_aggregation[formula]"));
            for (const QString &id : order.value(type)) {
                const QJsonObject other = objects.value(id);
                if (other.value(QStringLiteral("event_name")).toString() ==
                        p.str(QStringLiteral("event_name")) &&
                    other.value(QStringLiteral("status")).toString() == QLatin1String("active"))
                    return invalid(QStringLiteral("An active meter with event_name `%1` already "
                                                  "exists.")
                                       .arg(p.str(QStringLiteral("event_name"))),
                                   QStringLiteral("event_name"));
            }
            const QString valueKey =
                p.map(QStringLiteral("value_settings"))
                    .value(QStringLiteral("event_payload_key"), QStringLiteral("value"))
                    .toString();
            const QString customerKey = p.map(QStringLiteral("customer_mapping"))
                                            .value(QStringLiteral("event_payload_key"),
                                                   QStringLiteral("stripe_customer_id"))
                                            .toString();
            const QJsonObject meter{
                {QStringLiteral("id"), newId(QStringLiteral("mtr"))},
                {QStringLiteral("object"), type},
                {QStringLiteral("created"), now()},
                {QStringLiteral("display_name"), p.str(QStringLiteral("display_name"))},
                {QStringLiteral("event_name"), p.str(QStringLiteral("event_name"))},
                {QStringLiteral("default_aggregation"),
                 QJsonObject{{QStringLiteral("formula"), formula}}},
                {QStringLiteral("customer_mapping"),
                 QJsonObject{{QStringLiteral("event_payload_key"), customerKey},
                             {QStringLiteral("type"), QStringLiteral("by_id")}}},
                {QStringLiteral("value_settings"),
                 QJsonObject{{QStringLiteral("event_payload_key"), valueKey}}},
                {QStringLiteral("status"), QStringLiteral("active")},
                {QStringLiteral("livemode"), false}};
            store(meter, type);
            emitEvent(QStringLiteral("billing.meter.created"), meter);
            return jsonResponse(meter);
        }
        if (s.size() == 3 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("status")}));
            return list(type, p, QStringLiteral("/v1/billing/meters"), [&](const QJsonObject &o) {
                return !p.has(QStringLiteral("status")) ||
                       o.value(QStringLiteral("status")).toString() ==
                           p.str(QStringLiteral("status"));
            });
        }
        if (s.size() < 4)
            return unknownRoute(request);
        QJsonObject meter = live(s.at(3), type);
        if (meter.isEmpty())
            return missing(type, s.at(3));
        if (s.size() == 4 && m == "GET")
            return jsonResponse(meter);
        if (s.size() == 5 && m == "POST" &&
            (s.at(4) == QLatin1String("deactivate") || s.at(4) == QLatin1String("reactivate"))) {
            const QJsonObject before = meter;
            meter.insert(QStringLiteral("status"), s.at(4) == QLatin1String("deactivate")
                                                       ? QStringLiteral("inactive")
                                                       : QStringLiteral("active"));
            store(meter, type);
            emitEvent(QStringLiteral("billing.meter.updated"), meter,
                      changedAttributes(before, meter));
            return jsonResponse(meter);
        }
        if (s.size() == 5 && m == "GET" && s.at(4) == QLatin1String("event_summaries")) {
            RETURN_IF(p.require({QStringLiteral("customer"), QStringLiteral("start_time"),
                                 QStringLiteral("end_time")}));
            qint64 start = 0;
            qint64 end = 0;
            RETURN_IF(p.integer(QStringLiteral("start_time"), &start));
            RETURN_IF(p.integer(QStringLiteral("end_time"), &end));
            const double total = aggregate(meter, p.str(QStringLiteral("customer")), start, end);
            const QJsonObject summary{
                {QStringLiteral("id"), newId(QStringLiteral("mtrusg"))},
                {QStringLiteral("object"), QStringLiteral("billing.meter_event_summary")},
                {QStringLiteral("aggregated_value"), total},
                {QStringLiteral("start_time"), start},
                {QStringLiteral("end_time"), end},
                {QStringLiteral("meter"), meter.value(QStringLiteral("id"))},
                {QStringLiteral("livemode"), false}};
            return jsonResponse(listObject(QJsonArray{summary}, false, request.path));
        }
        return unknownRoute(request);
    }

    Response createMeterEvent(const Params &p)
    {
        RETURN_IF(p.allowOnly({QStringLiteral("event_name"), QStringLiteral("payload"),
                               QStringLiteral("identifier"), QStringLiteral("timestamp")}));
        RETURN_IF(p.require({QStringLiteral("event_name")}));
        const QVariantMap payload = p.map(QStringLiteral("payload"));
        QJsonObject meter;
        for (const QString &id : order.value(QStringLiteral("billing.meter"))) {
            const QJsonObject candidate = objects.value(id);
            if (candidate.value(QStringLiteral("event_name")).toString() ==
                    p.str(QStringLiteral("event_name")) &&
                candidate.value(QStringLiteral("status")).toString() == QLatin1String("active"))
                meter = candidate;
        }
        if (meter.isEmpty())
            return invalid(QStringLiteral("No active meter was found for event_name `%1`.")
                               .arg(p.str(QStringLiteral("event_name"))),
                           QStringLiteral("event_name"));
        const QString customerKey = meter.value(QStringLiteral("customer_mapping"))
                                        .toObject()
                                        .value(QStringLiteral("event_payload_key"))
                                        .toString();
        const QString valueKey = meter.value(QStringLiteral("value_settings"))
                                     .toObject()
                                     .value(QStringLiteral("event_payload_key"))
                                     .toString();
        const QString customer = payload.value(customerKey).toString();
        if (customer.isEmpty())
            return invalid(QStringLiteral("Missing required param: payload[%1].").arg(customerKey),
                           QStringLiteral("payload[%1]").arg(customerKey));
        if (live(customer, QStringLiteral("customer")).isEmpty())
            return missing(QStringLiteral("customer"), customer,
                           QStringLiteral("payload[%1]").arg(customerKey));
        const QString formula = meter.value(QStringLiteral("default_aggregation"))
                                    .toObject()
                                    .value(QStringLiteral("formula"))
                                    .toString();
        if (formula != QLatin1String("count")) {
            bool numeric = false;
            payload.value(valueKey).toString().toDouble(&numeric);
            if (!numeric)
                return invalid(QStringLiteral("payload[%1] must be a number.").arg(valueKey),
                               QStringLiteral("payload[%1]").arg(valueKey));
        }
        qint64 timestamp = now();
        if (p.has(QStringLiteral("timestamp"))) {
            RETURN_IF(p.integer(QStringLiteral("timestamp"), &timestamp));
            if (timestamp < now() - 35LL * 86400 || timestamp > now() + 5 * 60)
                return invalid(QStringLiteral("Timestamp must be within the past 35 days and "
                                              "not more than 5 minutes in the future."),
                               QStringLiteral("timestamp"));
        }
        const QString identifier = p.has(QStringLiteral("identifier"))
                                       ? p.str(QStringLiteral("identifier"))
                                       : randomToken(24);
        // Stripe keeps identifiers unique for at least 24 hours: a second event with the same
        // identifier is not counted again.
        if (const auto known = meterEvents.constFind(identifier); known != meterEvents.constEnd()) {
            ++meterEventDuplicates;
            return jsonResponse(*known);
        }
        QJsonObject payloadJson;
        for (auto it = payload.constBegin(); it != payload.constEnd(); ++it)
            payloadJson.insert(it.key(), it.value().toString());
        const QJsonObject event{{QStringLiteral("object"), QStringLiteral("billing.meter_event")},
                                {QStringLiteral("created"), now()},
                                {QStringLiteral("event_name"), p.str(QStringLiteral("event_name"))},
                                {QStringLiteral("identifier"), identifier},
                                {QStringLiteral("livemode"), false},
                                {QStringLiteral("payload"), payloadJson},
                                {QStringLiteral("timestamp"), timestamp}};
        meterEvents.insert(identifier, event);
        meterEventList.append(event);
        ++created[QStringLiteral("billing.meter_event")];
        return jsonResponse(event);
    }

    // ---- subscriptions ----------------------------------------------------------------

    std::optional<Response> buildItem(const QVariantMap &entry, const QString &subscriptionId,
                                      qint64 periodStart, qint64 periodEndAt, QJsonObject *item,
                                      int index)
    {
        const Params e(entry);
        const QString param = QStringLiteral("items[%1]").arg(index);
        const QString priceId = e.str(QStringLiteral("price"));
        if (priceId.isEmpty())
            return invalid(QStringLiteral("Missing required param: %1[price].").arg(param),
                           param + QStringLiteral("[price]"));
        const QJsonObject price = live(priceId, QStringLiteral("price"));
        if (price.isEmpty())
            return missing(QStringLiteral("price"), priceId, param + QStringLiteral("[price]"));
        if (price.value(QStringLiteral("recurring")).isNull())
            return invalid(QStringLiteral("The price specified is set to `type=one_time` but this "
                                          "field only accepts prices with `type=recurring`."),
                           param + QStringLiteral("[price]"));
        if (!price.value(QStringLiteral("active")).toBool())
            return invalid(QStringLiteral("The price specified is inactive. This field only "
                                          "accepts active prices."),
                           param + QStringLiteral("[price]"));
        qint64 quantity = 1;
        if (e.has(QStringLiteral("quantity"))) {
            RETURN_IF(e.integer(QStringLiteral("quantity"), &quantity));
            if (quantity < 0)
                return invalid(QStringLiteral("Invalid quantity: must be non-negative"),
                               param + QStringLiteral("[quantity]"));
        }
        const QString itemId = newId(QStringLiteral("si"));
        *item = QJsonObject{{QStringLiteral("id"), itemId},
                            {QStringLiteral("object"), QStringLiteral("subscription_item")},
                            {QStringLiteral("created"), now()},
                            {QStringLiteral("price"), price},
                            {QStringLiteral("quantity"), quantity},
                            {QStringLiteral("subscription"), subscriptionId},
                            {QStringLiteral("current_period_start"), periodStart},
                            {QStringLiteral("current_period_end"), periodEndAt},
                            {QStringLiteral("metadata"), e.metadata({})}};
        itemSubscription.insert(itemId, subscriptionId);
        ++created[QStringLiteral("subscription_item")];
        return std::nullopt;
    }

    static qint64 itemAmount(const QJsonObject &item)
    {
        const QJsonObject price = item.value(QStringLiteral("price")).toObject();
        const QJsonObject recurring = price.value(QStringLiteral("recurring")).toObject();
        if (recurring.value(QStringLiteral("usage_type")).toString() == QLatin1String("metered"))
            return 0; // billed in arrears from meter events
        return price.value(QStringLiteral("unit_amount")).toInteger() *
               item.value(QStringLiteral("quantity")).toInteger();
    }

    QJsonObject invoiceLine(const QJsonObject &item, qint64 amount, bool proration,
                            const QString &description, qint64 start, qint64 end)
    {
        const QJsonObject price = item.value(QStringLiteral("price")).toObject();
        return QJsonObject{
            {QStringLiteral("id"), newId(QStringLiteral("il"))},
            {QStringLiteral("object"), QStringLiteral("line_item")},
            {QStringLiteral("amount"), amount},
            {QStringLiteral("currency"), price.value(QStringLiteral("currency"))},
            {QStringLiteral("description"), description},
            {QStringLiteral("quantity"), item.value(QStringLiteral("quantity"))},
            {QStringLiteral("period"),
             QJsonObject{{QStringLiteral("start"), start}, {QStringLiteral("end"), end}}},
            {QStringLiteral("pricing"),
             QJsonObject{
                 {QStringLiteral("type"), QStringLiteral("price_details")},
                 {QStringLiteral("price_details"),
                  QJsonObject{{QStringLiteral("price"), price.value(QStringLiteral("id"))},
                              {QStringLiteral("product"), price.value(QStringLiteral("product"))}}},
                 {QStringLiteral("unit_amount_decimal"),
                  QString::number(price.value(QStringLiteral("unit_amount")).toInteger())}}},
            {QStringLiteral("parent"),
             QJsonObject{
                 {QStringLiteral("type"), QStringLiteral("subscription_item_details")},
                 {QStringLiteral("subscription_item_details"),
                  QJsonObject{
                      {QStringLiteral("subscription"), item.value(QStringLiteral("subscription"))},
                      {QStringLiteral("subscription_item"), item.value(QStringLiteral("id"))},
                      {QStringLiteral("proration"), proration}}}}}};
    }

    // An invoice as Stripe's API version 2025-03-31.basil shapes it: the subscription is
    // under parent.subscription_details, prices under each line's pricing.
    QJsonObject newInvoice(const QString &customer, const QString &subscription,
                           const QJsonArray &lines, const QString &currency,
                           const QString &collectionMethod, const QJsonValue &daysUntilDue,
                           const QString &billingReason, qint64 periodStart, qint64 periodEndAt)
    {
        qint64 total = 0;
        for (const QJsonValue &line : lines)
            total += line.toObject().value(QStringLiteral("amount")).toInteger();
        const QString id = newId(QStringLiteral("in"));
        QJsonValue parentValue = nullValue();
        if (!subscription.isEmpty()) {
            parentValue =
                QJsonObject{{QStringLiteral("type"), QStringLiteral("subscription_details")},
                            {QStringLiteral("subscription_details"),
                             QJsonObject{{QStringLiteral("subscription"), subscription},
                                         {QStringLiteral("metadata"), QJsonObject()}}}};
        }
        return QJsonObject{
            {QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("invoice")},
            {QStringLiteral("customer"), customer},
            {QStringLiteral("parent"), parentValue},
            {QStringLiteral("status"), QStringLiteral("draft")},
            {QStringLiteral("collection_method"), collectionMethod},
            {QStringLiteral("days_until_due"), daysUntilDue},
            {QStringLiteral("due_date"), nullValue()},
            {QStringLiteral("currency"), currency},
            {QStringLiteral("subtotal"), total},
            {QStringLiteral("total"), total},
            {QStringLiteral("amount_due"), std::max<qint64>(0, total)},
            {QStringLiteral("amount_paid"), 0},
            {QStringLiteral("amount_remaining"), std::max<qint64>(0, total)},
            {QStringLiteral("billing_reason"), billingReason},
            {QStringLiteral("number"), nullValue()},
            {QStringLiteral("hosted_invoice_url"), nullValue()},
            {QStringLiteral("invoice_pdf"), nullValue()},
            {QStringLiteral("auto_advance"), true},
            {QStringLiteral("created"), now()},
            {QStringLiteral("period_start"), periodStart},
            {QStringLiteral("period_end"), periodEndAt},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), QJsonObject()},
            {QStringLiteral("description"), nullValue()},
            {QStringLiteral("lines"),
             QJsonObject{{QStringLiteral("object"), QStringLiteral("list")},
                         {QStringLiteral("data"), lines},
                         {QStringLiteral("has_more"), false},
                         {QStringLiteral("total_count"), lines.size()},
                         {QStringLiteral("url"), QStringLiteral("/v1/invoices/%1/lines").arg(id)}}},
            {QStringLiteral("status_transitions"),
             QJsonObject{{QStringLiteral("finalized_at"), nullValue()},
                         {QStringLiteral("paid_at"), nullValue()},
                         {QStringLiteral("voided_at"), nullValue()},
                         {QStringLiteral("marked_uncollectible_at"), nullValue()}}}};
    }

    void setTransition(QJsonObject &invoice, const QString &field)
    {
        QJsonObject transitions = invoice.value(QStringLiteral("status_transitions")).toObject();
        transitions.insert(field, now());
        invoice.insert(QStringLiteral("status_transitions"), transitions);
    }

    void finalizeInvoice(QJsonObject &invoice)
    {
        invoice.insert(QStringLiteral("status"), QStringLiteral("open"));
        invoice.insert(QStringLiteral("number"),
                       QStringLiteral("FAKE-%1").arg(++invoiceNumber, 4, 10, QLatin1Char('0')));
        const QString id = invoice.value(QStringLiteral("id")).toString();
        invoice.insert(QStringLiteral("hosted_invoice_url"),
                       QStringLiteral("https://invoice.stripe.com/i/fake/%1").arg(id));
        invoice.insert(QStringLiteral("invoice_pdf"),
                       QStringLiteral("https://pay.stripe.com/invoice/fake/%1/pdf").arg(id));
        if (invoice.value(QStringLiteral("collection_method")).toString() ==
            QLatin1String("send_invoice")) {
            const qint64 days = invoice.value(QStringLiteral("days_until_due")).toInteger();
            invoice.insert(QStringLiteral("due_date"), now() + days * 86400);
        }
        setTransition(invoice, QStringLiteral("finalized_at"));
        store(invoice, QStringLiteral("invoice"));
        emitEvent(QStringLiteral("invoice.finalized"), invoice);
    }

    void payInvoice(QJsonObject &invoice)
    {
        invoice.insert(QStringLiteral("status"), QStringLiteral("paid"));
        invoice.insert(QStringLiteral("amount_paid"), invoice.value(QStringLiteral("amount_due")));
        invoice.insert(QStringLiteral("amount_remaining"), 0);
        setTransition(invoice, QStringLiteral("paid_at"));
        store(invoice, QStringLiteral("invoice"));
        emitEvent(QStringLiteral("invoice.paid"), invoice);
        emitEvent(QStringLiteral("invoice.payment_succeeded"), invoice);
    }

    // Creates, finalizes and (when charged automatically) pays a subscription's invoice.
    // A meter's aggregate of one customer's events within [start, end).
    double aggregate(const QJsonObject &meter, const QString &customer, qint64 start,
                     qint64 end) const
    {
        const QString customerKey = meter.value(QStringLiteral("customer_mapping"))
                                        .toObject()
                                        .value(QStringLiteral("event_payload_key"))
                                        .toString();
        const QString valueKey = meter.value(QStringLiteral("value_settings"))
                                     .toObject()
                                     .value(QStringLiteral("event_payload_key"))
                                     .toString();
        const QString formula = meter.value(QStringLiteral("default_aggregation"))
                                    .toObject()
                                    .value(QStringLiteral("formula"))
                                    .toString();
        double total = 0;
        for (const QJsonObject &event : meterEventList) {
            const qint64 at = event.value(QStringLiteral("timestamp")).toInteger();
            const QJsonObject payload = event.value(QStringLiteral("payload")).toObject();
            if (event.value(QStringLiteral("event_name")) !=
                    meter.value(QStringLiteral("event_name")) ||
                payload.value(customerKey).toString() != customer || at < start || at >= end)
                continue;
            const double value = payload.value(valueKey).toString().toDouble();
            if (formula == QLatin1String("count"))
                total += 1;
            else if (formula == QLatin1String("last"))
                total = value;
            else
                total += value;
        }
        return total;
    }

    double meteredUsage(const QJsonObject &item, const QString &customer, qint64 start,
                        qint64 end) const
    {
        const QString meterId = item.value(QStringLiteral("price"))
                                    .toObject()
                                    .value(QStringLiteral("recurring"))
                                    .toObject()
                                    .value(QStringLiteral("meter"))
                                    .toString();
        return aggregate(objects.value(meterId), customer, start, end);
    }

    // What time passing does to subscriptions: at a period's end a subscription set to
    // cancel then is canceled; otherwise a trial ends and the next period starts with an
    // invoice (licensed items in advance, metered items for the usage of the period ended).
    void renewSubscriptions()
    {
        const QStringList ids = order.value(QStringLiteral("subscription"));
        for (const QString &id : ids) {
            QJsonObject sub = objects.value(id);
            const QJsonObject before = sub;
            bool changed = false;
            for (int guard = 0; guard < 1000; ++guard) {
                const QString status = sub.value(QStringLiteral("status")).toString();
                if (status != QLatin1String("active") && status != QLatin1String("trialing") &&
                    status != QLatin1String("past_due"))
                    break;
                QJsonArray items = sub.value(QStringLiteral("items"))
                                       .toObject()
                                       .value(QStringLiteral("data"))
                                       .toArray();
                if (items.isEmpty())
                    break;
                const qint64 end = items.first()
                                       .toObject()
                                       .value(QStringLiteral("current_period_end"))
                                       .toInteger();
                if (end > now())
                    break;
                changed = true;
                if (sub.value(QStringLiteral("cancel_at_period_end")).toBool()) {
                    sub.insert(QStringLiteral("status"), QStringLiteral("canceled"));
                    sub.insert(QStringLiteral("canceled_at"), end);
                    sub.insert(QStringLiteral("ended_at"), end);
                    store(sub, QStringLiteral("subscription"));
                    emitEvent(QStringLiteral("customer.subscription.deleted"), sub,
                              changedAttributes(before, sub));
                    changed = false;
                    break;
                }
                sub.insert(QStringLiteral("status"), QStringLiteral("active"));
                QJsonArray lines;
                const QString customer = sub.value(QStringLiteral("customer")).toString();
                for (qsizetype i = 0; i < items.size(); ++i) {
                    QJsonObject item = items.at(i).toObject();
                    const qint64 oldStart =
                        item.value(QStringLiteral("current_period_start")).toInteger();
                    const QJsonObject recurring = item.value(QStringLiteral("price"))
                                                      .toObject()
                                                      .value(QStringLiteral("recurring"))
                                                      .toObject();
                    const qint64 nextEnd =
                        periodEnd(end, recurring.value(QStringLiteral("interval")).toString(),
                                  recurring.value(QStringLiteral("interval_count")).toInt(1));
                    qint64 amount = itemAmount(item);
                    if (recurring.value(QStringLiteral("usage_type")).toString() ==
                        QLatin1String("metered")) {
                        const double usage = meteredUsage(item, customer, oldStart, end);
                        amount =
                            std::llround(usage * double(item.value(QStringLiteral("price"))
                                                            .toObject()
                                                            .value(QStringLiteral("unit_amount"))
                                                            .toInteger()));
                    }
                    item.insert(QStringLiteral("current_period_start"), end);
                    item.insert(QStringLiteral("current_period_end"), nextEnd);
                    items[i] = item;
                    lines.append(
                        invoiceLine(item, amount, false, QStringLiteral("Renewal"), end, nextEnd));
                }
                sub.insert(QStringLiteral("items"), itemsList(items, id));
                store(sub, QStringLiteral("subscription"));
                sub.insert(QStringLiteral("latest_invoice"),
                           invoiceSubscription(sub, lines, QStringLiteral("subscription_cycle")));
                store(sub, QStringLiteral("subscription"));
            }
            if (changed)
                emitEvent(QStringLiteral("customer.subscription.updated"), sub,
                          changedAttributes(before, sub));
        }
    }

    QString invoiceSubscription(const QJsonObject &subscription, const QJsonArray &lines,
                                const QString &reason)
    {
        const QJsonObject firstItem = subscription.value(QStringLiteral("items"))
                                          .toObject()
                                          .value(QStringLiteral("data"))
                                          .toArray()
                                          .first()
                                          .toObject();
        QJsonObject invoice =
            newInvoice(subscription.value(QStringLiteral("customer")).toString(),
                       subscription.value(QStringLiteral("id")).toString(), lines,
                       subscription.value(QStringLiteral("currency")).toString(),
                       subscription.value(QStringLiteral("collection_method")).toString(),
                       subscription.value(QStringLiteral("days_until_due")), reason,
                       firstItem.value(QStringLiteral("current_period_start")).toInteger(),
                       firstItem.value(QStringLiteral("current_period_end")).toInteger());
        store(invoice, QStringLiteral("invoice"));
        emitEvent(QStringLiteral("invoice.created"), invoice);
        finalizeInvoice(invoice);
        if (invoice.value(QStringLiteral("amount_due")).toInteger() == 0 ||
            invoice.value(QStringLiteral("collection_method")).toString() ==
                QLatin1String("charge_automatically"))
            payInvoice(invoice);
        return invoice.value(QStringLiteral("id")).toString();
    }

    static QJsonObject itemsList(const QJsonArray &items, const QString &subscriptionId)
    {
        return QJsonObject{
            {QStringLiteral("object"), QStringLiteral("list")},
            {QStringLiteral("data"), items},
            {QStringLiteral("has_more"), false},
            {QStringLiteral("total_count"), items.size()},
            {QStringLiteral("url"),
             QStringLiteral("/v1/subscription_items?subscription=%1").arg(subscriptionId)}};
    }

    Response subscriptions(const Request &request, const QStringList &s, const Params &p)
    {
        const QByteArray &m = request.method;
        const QString type = QStringLiteral("subscription");
        if (s.size() == 2 && m == "POST")
            return createSubscription(p);
        if (s.size() == 2 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("customer"),
                                   QStringLiteral("price"), QStringLiteral("status")}));
            const QString status = p.str(QStringLiteral("status"));
            return list(type, p, QStringLiteral("/v1/subscriptions"), [&](const QJsonObject &o) {
                if (p.has(QStringLiteral("customer")) &&
                    o.value(QStringLiteral("customer")).toString() !=
                        p.str(QStringLiteral("customer")))
                    return false;
                const QString own = o.value(QStringLiteral("status")).toString();
                // As Stripe: canceled subscriptions only when asked for.
                if (status.isEmpty() && own == QLatin1String("canceled"))
                    return false;
                if (!status.isEmpty() && status != QLatin1String("all") && own != status)
                    return false;
                if (p.has(QStringLiteral("price"))) {
                    const QJsonArray items = o.value(QStringLiteral("items"))
                                                 .toObject()
                                                 .value(QStringLiteral("data"))
                                                 .toArray();
                    return std::any_of(items.begin(), items.end(), [&](const QJsonValue &item) {
                        return item.toObject()
                                   .value(QStringLiteral("price"))
                                   .toObject()
                                   .value(QStringLiteral("id"))
                                   .toString() == p.str(QStringLiteral("price"));
                    });
                }
                return true;
            });
        }
        if (s.size() < 3)
            return unknownRoute(request);
        QJsonObject subscription = live(s.at(2), type);
        if (subscription.isEmpty())
            return missing(type, s.at(2));
        if (s.size() == 3 && m == "GET")
            return jsonResponse(subscription);
        const QJsonObject before = subscription;
        const bool canceled =
            subscription.value(QStringLiteral("status")).toString() == QLatin1String("canceled");
        if (s.size() == 3 && m == "DELETE") {
            if (canceled)
                return invalid(
                    QStringLiteral("No such subscription: '%1' is already canceled.").arg(s.at(2)),
                    QString(), QStringLiteral("resource_missing"));
            subscription.insert(QStringLiteral("status"), QStringLiteral("canceled"));
            subscription.insert(QStringLiteral("canceled_at"), now());
            subscription.insert(QStringLiteral("ended_at"), now());
            store(subscription, type);
            emitEvent(QStringLiteral("customer.subscription.deleted"), subscription,
                      changedAttributes(before, subscription));
            return jsonResponse(subscription);
        }
        if (s.size() == 4 && m == "POST" && s.at(3) == QLatin1String("resume")) {
            RETURN_IF(p.allowOnly({QStringLiteral("billing_cycle_anchor"),
                                   QStringLiteral("proration_behavior"),
                                   QStringLiteral("proration_date")}));
            // Stripe resumes only status=paused; the fake also lifts a pause_collection,
            // which is what a console's "resume" means for a paused collection.
            const bool paused =
                subscription.value(QStringLiteral("status")).toString() == QLatin1String("paused");
            if (!paused && subscription.value(QStringLiteral("pause_collection")).isNull())
                return invalid(QStringLiteral("Only a paused subscription can be resumed."));
            subscription.insert(QStringLiteral("status"), QStringLiteral("active"));
            subscription.insert(QStringLiteral("pause_collection"), nullValue());
            store(subscription, type);
            emitEvent(paused ? QStringLiteral("customer.subscription.resumed")
                             : QStringLiteral("customer.subscription.updated"),
                      subscription, changedAttributes(before, subscription));
            return jsonResponse(subscription);
        }
        if (s.size() == 3 && m == "POST") {
            if (canceled)
                return invalid(QStringLiteral("A canceled subscription can only update its "
                                              "cancellation_details and metadata."));
            return updateSubscription(subscription, p);
        }
        return unknownRoute(request);
    }

    Response createSubscription(const Params &p)
    {
        RETURN_IF(p.allowOnly(
            {QStringLiteral("customer"), QStringLiteral("items"),
             QStringLiteral("collection_method"), QStringLiteral("days_until_due"),
             QStringLiteral("trial_period_days"), QStringLiteral("metadata"),
             QStringLiteral("cancel_at_period_end"), QStringLiteral("proration_behavior"),
             QStringLiteral("payment_behavior"), QStringLiteral("default_payment_method")}));
        RETURN_IF(p.require({QStringLiteral("customer")}));
        const QString customer = p.str(QStringLiteral("customer"));
        const QJsonObject customerObject = live(customer, QStringLiteral("customer"));
        if (customerObject.isEmpty() || customerObject.value(QStringLiteral("deleted")).toBool())
            return missing(QStringLiteral("customer"), customer, QStringLiteral("customer"));
        const QVariantList items = p.list(QStringLiteral("items"));
        if (items.isEmpty())
            return invalid(QStringLiteral("Missing required param: items."),
                           QStringLiteral("items"), QStringLiteral("parameter_missing"));
        const QString method = p.has(QStringLiteral("collection_method"))
                                   ? p.str(QStringLiteral("collection_method"))
                                   : QStringLiteral("charge_automatically");
        if (method != QLatin1String("charge_automatically") &&
            method != QLatin1String("send_invoice"))
            return invalid(QStringLiteral("Invalid collection_method: must be one of "
                                          "charge_automatically or send_invoice"),
                           QStringLiteral("collection_method"));
        QJsonValue daysUntilDue = nullValue();
        if (method == QLatin1String("send_invoice")) {
            if (!p.has(QStringLiteral("days_until_due")))
                return invalid(QStringLiteral("Missing required param: days_until_due. It is "
                                              "required when collection_method is send_invoice."),
                               QStringLiteral("days_until_due"));
            qint64 days = 0;
            RETURN_IF(p.integer(QStringLiteral("days_until_due"), &days));
            daysUntilDue = days;
        } else if (p.has(QStringLiteral("days_until_due"))) {
            return invalid(QStringLiteral("days_until_due can only be set when "
                                          "collection_method is send_invoice."),
                           QStringLiteral("days_until_due"));
        }
        qint64 trialDays = 0;
        if (p.has(QStringLiteral("trial_period_days")))
            RETURN_IF(p.integer(QStringLiteral("trial_period_days"), &trialDays));
        bool cancelAtPeriodEnd = false;
        if (p.has(QStringLiteral("cancel_at_period_end")))
            RETURN_IF(p.boolean(QStringLiteral("cancel_at_period_end"), &cancelAtPeriodEnd));

        const QString id = newId(QStringLiteral("sub"));
        const qint64 start = now();
        QJsonArray itemArray;
        QString currency;
        for (int i = 0; i < items.size(); ++i) {
            const QJsonObject price =
                live(items.at(i).toMap().value(QStringLiteral("price")).toString(),
                     QStringLiteral("price"));
            const QJsonObject recurring = price.value(QStringLiteral("recurring")).toObject();
            const qint64 end =
                trialDays > 0
                    ? start + trialDays * 86400
                    : periodEnd(start, recurring.value(QStringLiteral("interval")).toString(),
                                recurring.value(QStringLiteral("interval_count")).toInt(1));
            QJsonObject item;
            if (auto problem = buildItem(items.at(i).toMap(), id, start, end, &item, i)) {
                for (const QJsonValue &made : std::as_const(itemArray))
                    itemSubscription.remove(made.toObject().value(QStringLiteral("id")).toString());
                return *problem;
            }
            const QString itemCurrency = price.value(QStringLiteral("currency")).toString();
            if (!currency.isEmpty() && itemCurrency != currency)
                return invalid(QStringLiteral("All prices on a subscription must have the same "
                                              "currency."),
                               QStringLiteral("items"));
            currency = itemCurrency;
            itemArray.append(item);
        }
        const qint64 periodEndAt =
            itemArray.first().toObject().value(QStringLiteral("current_period_end")).toInteger();
        QJsonObject subscription{
            {QStringLiteral("id"), id},
            {QStringLiteral("object"), QStringLiteral("subscription")},
            {QStringLiteral("customer"), customer},
            {QStringLiteral("status"),
             trialDays > 0 ? QStringLiteral("trialing") : QStringLiteral("active")},
            {QStringLiteral("items"), itemsList(itemArray, id)},
            {QStringLiteral("currency"), currency},
            {QStringLiteral("collection_method"), method},
            {QStringLiteral("days_until_due"), daysUntilDue},
            {QStringLiteral("cancel_at_period_end"), cancelAtPeriodEnd},
            {QStringLiteral("cancel_at"),
             cancelAtPeriodEnd ? QJsonValue(periodEndAt) : nullValue()},
            {QStringLiteral("canceled_at"), nullValue()},
            {QStringLiteral("ended_at"), nullValue()},
            {QStringLiteral("pause_collection"), nullValue()},
            {QStringLiteral("trial_start"), trialDays > 0 ? QJsonValue(start) : nullValue()},
            {QStringLiteral("trial_end"), trialDays > 0 ? QJsonValue(periodEndAt) : nullValue()},
            {QStringLiteral("start_date"), start},
            {QStringLiteral("billing_cycle_anchor"), periodEndAt},
            {QStringLiteral("created"), start},
            {QStringLiteral("livemode"), false},
            {QStringLiteral("metadata"), p.metadata({})},
            {QStringLiteral("latest_invoice"), nullValue()}};
        QJsonArray lines;
        for (const QJsonValue &value : std::as_const(itemArray)) {
            const QJsonObject item = value.toObject();
            lines.append(invoiceLine(item, trialDays > 0 ? 0 : itemAmount(item), false,
                                     QStringLiteral("%1 × %2")
                                         .arg(item.value(QStringLiteral("quantity")).toInteger())
                                         .arg(item.value(QStringLiteral("price"))
                                                  .toObject()
                                                  .value(QStringLiteral("id"))
                                                  .toString()),
                                     start,
                                     item.value(QStringLiteral("current_period_end")).toInteger()));
        }
        store(subscription, QStringLiteral("subscription"));
        emitEvent(QStringLiteral("customer.subscription.created"), subscription);
        const QString invoiceId =
            invoiceSubscription(subscription, lines, QStringLiteral("subscription_create"));
        subscription.insert(QStringLiteral("latest_invoice"), invoiceId);
        store(subscription, QStringLiteral("subscription"));
        return jsonResponse(subscription);
    }

    Response updateSubscription(QJsonObject subscription, const Params &p)
    {
        RETURN_IF(
            p.allowOnly({QStringLiteral("items"), QStringLiteral("proration_behavior"),
                         QStringLiteral("proration_date"), QStringLiteral("cancel_at_period_end"),
                         QStringLiteral("pause_collection"), QStringLiteral("metadata"),
                         QStringLiteral("collection_method"), QStringLiteral("days_until_due"),
                         QStringLiteral("trial_end"), QStringLiteral("payment_behavior")}));
        const QJsonObject before = subscription;
        const QString id = subscription.value(QStringLiteral("id")).toString();
        const QString behavior = p.has(QStringLiteral("proration_behavior"))
                                     ? p.str(QStringLiteral("proration_behavior"))
                                     : QStringLiteral("create_prorations");
        if (!QStringList{QStringLiteral("create_prorations"), QStringLiteral("none"),
                         QStringLiteral("always_invoice")}
                 .contains(behavior))
            return invalid(QStringLiteral("Invalid proration_behavior: must be one of "
                                          "always_invoice, create_prorations, or none"),
                           QStringLiteral("proration_behavior"));
        qint64 prorationDate = now();
        if (p.has(QStringLiteral("proration_date")))
            RETURN_IF(p.integer(QStringLiteral("proration_date"), &prorationDate));

        QJsonArray items = subscription.value(QStringLiteral("items"))
                               .toObject()
                               .value(QStringLiteral("data"))
                               .toArray();
        QJsonArray prorationLines;
        const QVariantList changes = p.list(QStringLiteral("items"));
        for (int i = 0; i < changes.size(); ++i) {
            const Params change(changes.at(i).toMap());
            const QString param = QStringLiteral("items[%1]").arg(i);
            const QString itemId = change.str(QStringLiteral("id"));
            if (itemId.isEmpty()) {
                const QJsonObject firstItem = items.first().toObject();
                QJsonObject item;
                RETURN_IF(buildItem(
                    changes.at(i).toMap(), id,
                    firstItem.value(QStringLiteral("current_period_start")).toInteger(),
                    firstItem.value(QStringLiteral("current_period_end")).toInteger(), &item, i));
                items.append(item);
                continue;
            }
            qsizetype at = -1;
            for (qsizetype k = 0; k < items.size(); ++k) {
                if (items.at(k).toObject().value(QStringLiteral("id")).toString() == itemId)
                    at = k;
            }
            if (at < 0)
                return missing(QStringLiteral("subscription_item"), itemId,
                               param + QStringLiteral("[id]"));
            QJsonObject item = items.at(at).toObject();
            const QJsonObject old = item;
            if (change.str(QStringLiteral("deleted")) == QLatin1String("true")) {
                items.removeAt(at);
                itemSubscription.remove(itemId);
                continue;
            }
            if (change.has(QStringLiteral("price"))) {
                const QJsonObject price =
                    live(change.str(QStringLiteral("price")), QStringLiteral("price"));
                if (price.isEmpty())
                    return missing(QStringLiteral("price"), change.str(QStringLiteral("price")),
                                   param + QStringLiteral("[price]"));
                item.insert(QStringLiteral("price"), price);
            }
            if (change.has(QStringLiteral("quantity"))) {
                qint64 quantity = 0;
                RETURN_IF(change.integer(QStringLiteral("quantity"), &quantity));
                item.insert(QStringLiteral("quantity"), quantity);
            }
            items[at] = item;
            const qint64 oldAmount = itemAmount(old);
            const qint64 newAmount = itemAmount(item);
            if (behavior != QLatin1String("none") && oldAmount != newAmount) {
                const qint64 start = item.value(QStringLiteral("current_period_start")).toInteger();
                const qint64 end = item.value(QStringLiteral("current_period_end")).toInteger();
                const double fraction =
                    end > start
                        ? std::clamp(double(end - prorationDate) / double(end - start), 0.0, 1.0)
                        : 0.0;
                prorationLines.append(invoiceLine(old, -std::llround(oldAmount * fraction), true,
                                                  QStringLiteral("Unused time"), prorationDate,
                                                  end));
                prorationLines.append(invoiceLine(item, std::llround(newAmount * fraction), true,
                                                  QStringLiteral("Remaining time"), prorationDate,
                                                  end));
            }
        }
        if (!changes.isEmpty()) {
            if (items.isEmpty())
                return invalid(QStringLiteral("A subscription must keep at least one item."),
                               QStringLiteral("items"));
            subscription.insert(QStringLiteral("items"), itemsList(items, id));
        }
        if (p.has(QStringLiteral("cancel_at_period_end"))) {
            bool cancel = false;
            RETURN_IF(p.boolean(QStringLiteral("cancel_at_period_end"), &cancel));
            subscription.insert(QStringLiteral("cancel_at_period_end"), cancel);
            subscription.insert(
                QStringLiteral("cancel_at"),
                cancel ? items.first().toObject().value(QStringLiteral("current_period_end"))
                       : nullValue());
        }
        if (p.has(QStringLiteral("pause_collection"))) {
            const QVariant pause = p.value(QStringLiteral("pause_collection"));
            if (pause.typeId() == QMetaType::QString && pause.toString().isEmpty()) {
                subscription.insert(QStringLiteral("pause_collection"), nullValue());
            } else {
                const Params pp(pause.toMap());
                const QString how = pp.str(QStringLiteral("behavior"));
                if (!QStringList{QStringLiteral("keep_as_draft"),
                                 QStringLiteral("mark_uncollectible"), QStringLiteral("void")}
                         .contains(how))
                    return invalid(QStringLiteral("Invalid pause_collection[behavior]: must be "
                                                  "one of keep_as_draft, mark_uncollectible, or "
                                                  "void"),
                                   QStringLiteral("pause_collection[behavior]"));
                QJsonValue resumesAt = nullValue();
                if (pp.has(QStringLiteral("resumes_at"))) {
                    qint64 at = 0;
                    RETURN_IF(pp.integer(QStringLiteral("resumes_at"), &at));
                    resumesAt = at;
                }
                subscription.insert(QStringLiteral("pause_collection"),
                                    QJsonObject{{QStringLiteral("behavior"), how},
                                                {QStringLiteral("resumes_at"), resumesAt}});
            }
        }
        if (p.has(QStringLiteral("collection_method")))
            subscription.insert(QStringLiteral("collection_method"),
                                p.str(QStringLiteral("collection_method")));
        if (p.has(QStringLiteral("days_until_due"))) {
            qint64 days = 0;
            RETURN_IF(p.integer(QStringLiteral("days_until_due"), &days));
            subscription.insert(QStringLiteral("days_until_due"), days);
        }
        if (subscription.value(QStringLiteral("collection_method")).toString() ==
                QLatin1String("send_invoice") &&
            subscription.value(QStringLiteral("days_until_due")).isNull())
            return invalid(QStringLiteral("days_until_due is required when collection_method is "
                                          "send_invoice."),
                           QStringLiteral("days_until_due"));
        if (p.str(QStringLiteral("trial_end")) == QLatin1String("now") &&
            subscription.value(QStringLiteral("status")).toString() == QLatin1String("trialing")) {
            subscription.insert(QStringLiteral("status"), QStringLiteral("active"));
            subscription.insert(QStringLiteral("trial_end"), now());
        }
        subscription.insert(QStringLiteral("metadata"),
                            p.metadata(subscription.value(QStringLiteral("metadata")).toObject()));
        store(subscription, QStringLiteral("subscription"));
        if (behavior == QLatin1String("always_invoice") && !prorationLines.isEmpty()) {
            const QString invoiceId = invoiceSubscription(subscription, prorationLines,
                                                          QStringLiteral("subscription_update"));
            subscription.insert(QStringLiteral("latest_invoice"), invoiceId);
            store(subscription, QStringLiteral("subscription"));
        }
        emitEvent(QStringLiteral("customer.subscription.updated"), subscription,
                  changedAttributes(before, subscription));
        return jsonResponse(subscription);
    }

    // ---- invoices ---------------------------------------------------------------------

    Response invoices(const Request &request, const QStringList &s, const Params &p)
    {
        const QByteArray &m = request.method;
        const QString type = QStringLiteral("invoice");
        if (s.size() == 3 && m == "POST" && s.at(2) == QLatin1String("create_preview"))
            return previewInvoice(p);
        if (s.size() == 2 && m == "POST") {
            RETURN_IF(
                p.allowOnly({QStringLiteral("customer"), QStringLiteral("subscription"),
                             QStringLiteral("collection_method"), QStringLiteral("days_until_due"),
                             QStringLiteral("description"), QStringLiteral("metadata"),
                             QStringLiteral("auto_advance"), QStringLiteral("currency")}));
            RETURN_IF(p.require({QStringLiteral("customer")}));
            const QString customer = p.str(QStringLiteral("customer"));
            if (live(customer, QStringLiteral("customer")).isEmpty())
                return missing(QStringLiteral("customer"), customer, QStringLiteral("customer"));
            const QString subscription = p.str(QStringLiteral("subscription"));
            if (!subscription.isEmpty() &&
                live(subscription, QStringLiteral("subscription")).isEmpty())
                return missing(QStringLiteral("subscription"), subscription,
                               QStringLiteral("subscription"));
            const QString method = p.has(QStringLiteral("collection_method"))
                                       ? p.str(QStringLiteral("collection_method"))
                                       : QStringLiteral("charge_automatically");
            QJsonValue days = nullValue();
            if (p.has(QStringLiteral("days_until_due"))) {
                qint64 value = 0;
                RETURN_IF(p.integer(QStringLiteral("days_until_due"), &value));
                days = value;
            } else if (method == QLatin1String("send_invoice")) {
                return invalid(QStringLiteral("days_until_due is required when collection_method "
                                              "is send_invoice."),
                               QStringLiteral("days_until_due"));
            }
            QJsonObject invoice =
                newInvoice(customer, subscription, QJsonArray(),
                           p.has(QStringLiteral("currency")) ? p.str(QStringLiteral("currency"))
                                                             : QStringLiteral("usd"),
                           method, days, QStringLiteral("manual"), now(), now());
            if (p.has(QStringLiteral("description")))
                invoice.insert(QStringLiteral("description"), p.str(QStringLiteral("description")));
            if (p.has(QStringLiteral("auto_advance"))) {
                bool advance = true;
                RETURN_IF(p.boolean(QStringLiteral("auto_advance"), &advance));
                invoice.insert(QStringLiteral("auto_advance"), advance);
            }
            invoice.insert(QStringLiteral("metadata"), p.metadata({}));
            store(invoice, type);
            emitEvent(QStringLiteral("invoice.created"), invoice);
            return jsonResponse(invoice);
        }
        if (s.size() == 2 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("customer"),
                                   QStringLiteral("subscription"), QStringLiteral("status"),
                                   QStringLiteral("collection_method")}));
            return list(type, p, QStringLiteral("/v1/invoices"), [&](const QJsonObject &o) {
                for (const QString &field : {QStringLiteral("customer"), QStringLiteral("status"),
                                             QStringLiteral("collection_method")}) {
                    if (p.has(field) && o.value(field).toString() != p.str(field))
                        return false;
                }
                if (p.has(QStringLiteral("subscription")) &&
                    o.value(QStringLiteral("parent"))
                            .toObject()
                            .value(QStringLiteral("subscription_details"))
                            .toObject()
                            .value(QStringLiteral("subscription"))
                            .toString() != p.str(QStringLiteral("subscription")))
                    return false;
                return true;
            });
        }
        if (s.size() < 3)
            return unknownRoute(request);
        QJsonObject invoice = live(s.at(2), type);
        if (invoice.isEmpty())
            return missing(type, s.at(2));
        const QString status = invoice.value(QStringLiteral("status")).toString();
        if (s.size() == 3 && m == "GET")
            return jsonResponse(invoice);
        if (s.size() == 3 && m == "DELETE") {
            if (status != QLatin1String("draft"))
                return invalid(QStringLiteral("You can only delete draft invoices."));
            const QJsonObject deleted{{QStringLiteral("id"), s.at(2)},
                                      {QStringLiteral("object"), type},
                                      {QStringLiteral("deleted"), true}};
            store(deleted, type);
            emitEvent(QStringLiteral("invoice.deleted"), invoice);
            return jsonResponse(deleted);
        }
        if (s.size() == 3 && m == "POST") {
            RETURN_IF(
                p.allowOnly({QStringLiteral("description"), QStringLiteral("metadata"),
                             QStringLiteral("auto_advance"), QStringLiteral("days_until_due")}));
            const QJsonObject before = invoice;
            if (p.has(QStringLiteral("description")))
                invoice.insert(QStringLiteral("description"), p.str(QStringLiteral("description")));
            if (p.has(QStringLiteral("auto_advance"))) {
                bool advance = true;
                RETURN_IF(p.boolean(QStringLiteral("auto_advance"), &advance));
                invoice.insert(QStringLiteral("auto_advance"), advance);
            }
            if (p.has(QStringLiteral("days_until_due"))) {
                if (status != QLatin1String("draft"))
                    return invalid(QStringLiteral("days_until_due can only be changed on a draft "
                                                  "invoice."),
                                   QStringLiteral("days_until_due"));
                qint64 days = 0;
                RETURN_IF(p.integer(QStringLiteral("days_until_due"), &days));
                invoice.insert(QStringLiteral("days_until_due"), days);
            }
            invoice.insert(QStringLiteral("metadata"),
                           p.metadata(invoice.value(QStringLiteral("metadata")).toObject()));
            store(invoice, type);
            emitEvent(QStringLiteral("invoice.updated"), invoice,
                      changedAttributes(before, invoice));
            return jsonResponse(invoice);
        }
        if (s.size() != 4 || m != "POST")
            return unknownRoute(request);
        const QString action = s.at(3);
        if (action == QLatin1String("finalize")) {
            if (status != QLatin1String("draft"))
                return invalid(QStringLiteral("This invoice is already finalized, you can't "
                                              "re-finalize a non-draft invoice."));
            finalizeInvoice(invoice);
            if (invoice.value(QStringLiteral("amount_due")).toInteger() == 0)
                payInvoice(invoice);
            return jsonResponse(invoice);
        }
        if (action == QLatin1String("send")) {
            if (invoice.value(QStringLiteral("collection_method")).toString() !=
                QLatin1String("send_invoice"))
                return invalid(QStringLiteral("You can only send invoices with "
                                              "collection_method=send_invoice."));
            if (status == QLatin1String("draft"))
                finalizeInvoice(invoice);
            else if (status != QLatin1String("open"))
                return invalid(QStringLiteral("You can only send an open invoice."));
            emitEvent(QStringLiteral("invoice.sent"), invoice);
            return jsonResponse(invoice);
        }
        if (action == QLatin1String("void")) {
            if (status != QLatin1String("open") && status != QLatin1String("uncollectible"))
                return invalid(QStringLiteral("You can only pass in open or uncollectible "
                                              "invoices."));
            invoice.insert(QStringLiteral("status"), QStringLiteral("void"));
            invoice.insert(QStringLiteral("amount_remaining"), 0);
            setTransition(invoice, QStringLiteral("voided_at"));
            store(invoice, type);
            emitEvent(QStringLiteral("invoice.voided"), invoice);
            return jsonResponse(invoice);
        }
        if (action == QLatin1String("mark_uncollectible")) {
            if (status != QLatin1String("open"))
                return invalid(QStringLiteral("You can only mark an open invoice as "
                                              "uncollectible."));
            invoice.insert(QStringLiteral("status"), QStringLiteral("uncollectible"));
            setTransition(invoice, QStringLiteral("marked_uncollectible_at"));
            store(invoice, type);
            emitEvent(QStringLiteral("invoice.marked_uncollectible"), invoice);
            return jsonResponse(invoice);
        }
        if (action == QLatin1String("pay")) {
            if (status == QLatin1String("paid"))
                return invalid(QStringLiteral("Invoice is already paid."), QString(),
                               QStringLiteral("invoice_already_paid"));
            if (status == QLatin1String("void"))
                return invalid(QStringLiteral("This invoice is void and cannot be paid."));
            if (status == QLatin1String("draft"))
                finalizeInvoice(invoice);
            payInvoice(invoice);
            return jsonResponse(invoice);
        }
        return unknownRoute(request);
    }

    // A one-off line on a draft invoice (POST /v1/invoiceitems with invoice=in_...).
    Response createInvoiceItem(const Params &p)
    {
        RETURN_IF(p.allowOnly({QStringLiteral("customer"), QStringLiteral("invoice"),
                               QStringLiteral("amount"), QStringLiteral("currency"),
                               QStringLiteral("description"), QStringLiteral("price"),
                               QStringLiteral("quantity"), QStringLiteral("metadata")}));
        RETURN_IF(p.require({QStringLiteral("customer"), QStringLiteral("invoice")}));
        QJsonObject invoice = live(p.str(QStringLiteral("invoice")), QStringLiteral("invoice"));
        if (invoice.isEmpty())
            return missing(QStringLiteral("invoice"), p.str(QStringLiteral("invoice")),
                           QStringLiteral("invoice"));
        if (invoice.value(QStringLiteral("status")).toString() != QLatin1String("draft"))
            return invalid(QStringLiteral("Invoice items can only be added to draft invoices."),
                           QStringLiteral("invoice"));
        qint64 quantity = 1;
        if (p.has(QStringLiteral("quantity")))
            RETURN_IF(p.integer(QStringLiteral("quantity"), &quantity));
        QJsonObject item{{QStringLiteral("id"), newId(QStringLiteral("ii"))},
                         {QStringLiteral("quantity"), quantity},
                         {QStringLiteral("subscription"), nullValue()}};
        qint64 amount = 0;
        if (p.has(QStringLiteral("price"))) {
            const QJsonObject price = live(p.str(QStringLiteral("price")), QStringLiteral("price"));
            if (price.isEmpty())
                return missing(QStringLiteral("price"), p.str(QStringLiteral("price")),
                               QStringLiteral("price"));
            item.insert(QStringLiteral("price"), price);
            amount = price.value(QStringLiteral("unit_amount")).toInteger() * quantity;
        } else {
            RETURN_IF(p.require({QStringLiteral("amount")}));
            RETURN_IF(p.integer(QStringLiteral("amount"), &amount));
        }
        QJsonObject lines = invoice.value(QStringLiteral("lines")).toObject();
        QJsonArray data = lines.value(QStringLiteral("data")).toArray();
        data.append(
            invoiceLine(item, amount, false, p.str(QStringLiteral("description")), now(), now()));
        qint64 total = 0;
        for (const QJsonValue &line : std::as_const(data))
            total += line.toObject().value(QStringLiteral("amount")).toInteger();
        lines.insert(QStringLiteral("data"), data);
        lines.insert(QStringLiteral("total_count"), data.size());
        invoice.insert(QStringLiteral("lines"), lines);
        invoice.insert(QStringLiteral("subtotal"), total);
        invoice.insert(QStringLiteral("total"), total);
        invoice.insert(QStringLiteral("amount_due"), std::max<qint64>(0, total));
        invoice.insert(QStringLiteral("amount_remaining"), std::max<qint64>(0, total));
        store(invoice, QStringLiteral("invoice"));
        ++created[QStringLiteral("invoiceitem")];
        return jsonResponse(
            QJsonObject{{QStringLiteral("id"), item.value(QStringLiteral("id"))},
                        {QStringLiteral("object"), QStringLiteral("invoiceitem")},
                        {QStringLiteral("amount"), amount},
                        {QStringLiteral("currency"), invoice.value(QStringLiteral("currency"))},
                        {QStringLiteral("customer"), p.str(QStringLiteral("customer"))},
                        {QStringLiteral("invoice"), invoice.value(QStringLiteral("id"))},
                        {QStringLiteral("description"), p.str(QStringLiteral("description"))},
                        {QStringLiteral("quantity"), quantity}});
    }

    // The invoice a plan change would produce now: prorations only (the fraction of the
    // period left times the change in amount), as the console's preview needs.
    Response previewInvoice(const Params &p)
    {
        RETURN_IF(p.allowOnly({QStringLiteral("customer"), QStringLiteral("subscription"),
                               QStringLiteral("subscription_details")}));
        const QString subscriptionId = p.str(QStringLiteral("subscription"));
        QJsonObject subscription;
        if (!subscriptionId.isEmpty()) {
            subscription = live(subscriptionId, QStringLiteral("subscription"));
            if (subscription.isEmpty())
                return missing(QStringLiteral("subscription"), subscriptionId,
                               QStringLiteral("subscription"));
        }
        QString customer = p.str(QStringLiteral("customer"));
        if (customer.isEmpty())
            customer = subscription.value(QStringLiteral("customer")).toString();
        if (customer.isEmpty())
            return invalid(QStringLiteral("Missing required param: customer."),
                           QStringLiteral("customer"), QStringLiteral("parameter_missing"));
        if (live(customer, QStringLiteral("customer")).isEmpty())
            return missing(QStringLiteral("customer"), customer, QStringLiteral("customer"));
        const Params details(p.map(QStringLiteral("subscription_details")));
        qint64 prorationDate = now();
        if (details.has(QStringLiteral("proration_date")))
            RETURN_IF(details.integer(QStringLiteral("proration_date"), &prorationDate));
        const QString behavior = details.has(QStringLiteral("proration_behavior"))
                                     ? details.str(QStringLiteral("proration_behavior"))
                                     : QStringLiteral("create_prorations");
        const QJsonArray items = subscription.value(QStringLiteral("items"))
                                     .toObject()
                                     .value(QStringLiteral("data"))
                                     .toArray();
        QJsonArray lines;
        QString currency = subscription.value(QStringLiteral("currency")).toString();
        qint64 periodStart = now();
        qint64 periodEndAt = now();
        const QVariantList changes = details.list(QStringLiteral("items"));
        for (int i = 0; i < changes.size(); ++i) {
            const Params change(changes.at(i).toMap());
            const QString param = QStringLiteral("subscription_details[items][%1]").arg(i);
            QJsonObject old;
            for (const QJsonValue &value : items) {
                if (value.toObject().value(QStringLiteral("id")).toString() ==
                    change.str(QStringLiteral("id")))
                    old = value.toObject();
            }
            if (change.has(QStringLiteral("id")) && old.isEmpty())
                return missing(QStringLiteral("subscription_item"),
                               change.str(QStringLiteral("id")), param + QStringLiteral("[id]"));
            QJsonObject item = old;
            if (change.has(QStringLiteral("price"))) {
                const QJsonObject price =
                    live(change.str(QStringLiteral("price")), QStringLiteral("price"));
                if (price.isEmpty())
                    return missing(QStringLiteral("price"), change.str(QStringLiteral("price")),
                                   param + QStringLiteral("[price]"));
                item.insert(QStringLiteral("price"), price);
                if (currency.isEmpty())
                    currency = price.value(QStringLiteral("currency")).toString();
            }
            if (!item.contains(QStringLiteral("quantity")))
                item.insert(QStringLiteral("quantity"), 1);
            if (change.has(QStringLiteral("quantity"))) {
                qint64 quantity = 0;
                RETURN_IF(change.integer(QStringLiteral("quantity"), &quantity));
                item.insert(QStringLiteral("quantity"), quantity);
            }
            if (change.str(QStringLiteral("deleted")) == QLatin1String("true"))
                item.insert(QStringLiteral("quantity"), 0);
            const QJsonObject reference = old.isEmpty() ? items.first().toObject() : old;
            const qint64 start =
                reference.value(QStringLiteral("current_period_start")).toInteger();
            const qint64 end = reference.value(QStringLiteral("current_period_end")).toInteger();
            periodStart = start;
            periodEndAt = end;
            const double fraction =
                end > start
                    ? std::clamp(double(end - prorationDate) / double(end - start), 0.0, 1.0)
                    : 0.0;
            if (behavior == QLatin1String("none"))
                continue;
            const qint64 oldAmount = old.isEmpty() ? 0 : itemAmount(old);
            const qint64 newAmount = itemAmount(item);
            if (oldAmount == newAmount)
                continue;
            if (oldAmount != 0)
                lines.append(invoiceLine(old, -std::llround(oldAmount * fraction), true,
                                         QStringLiteral("Unused time"), prorationDate, end));
            if (newAmount != 0)
                lines.append(invoiceLine(item, std::llround(newAmount * fraction), true,
                                         QStringLiteral("Remaining time"), prorationDate, end));
        }
        QJsonObject preview = newInvoice(customer, subscriptionId, lines,
                                         currency.isEmpty() ? QStringLiteral("usd") : currency,
                                         subscription.value(QStringLiteral("collection_method"))
                                             .toString(QStringLiteral("charge_automatically")),
                                         subscription.value(QStringLiteral("days_until_due")),
                                         QStringLiteral("upcoming"), periodStart, periodEndAt);
        preview.insert(
            QStringLiteral("id"),
            QString(QStringLiteral("upcoming_") + preview.value(QStringLiteral("id")).toString()));
        preview.insert(QStringLiteral("subscription_proration_date"), prorationDate);
        return jsonResponse(preview);
    }

    // ---- checkout and events ----------------------------------------------------------

    Response checkoutSessions(const Request &request, const QStringList &s, const Params &p)
    {
        const QByteArray &m = request.method;
        const QString type = QStringLiteral("checkout.session");
        if (s.size() == 3 && m == "POST") {
            RETURN_IF(
                p.allowOnly({QStringLiteral("mode"), QStringLiteral("customer"),
                             QStringLiteral("customer_email"), QStringLiteral("line_items"),
                             QStringLiteral("success_url"), QStringLiteral("cancel_url"),
                             QStringLiteral("metadata"), QStringLiteral("client_reference_id"),
                             QStringLiteral("subscription_data")}));
            RETURN_IF(p.require({QStringLiteral("mode"), QStringLiteral("success_url")}));
            const QString mode = p.str(QStringLiteral("mode"));
            if (!QStringList{QStringLiteral("payment"), QStringLiteral("subscription"),
                             QStringLiteral("setup")}
                     .contains(mode))
                return invalid(QStringLiteral("Invalid mode: must be one of payment, setup, or "
                                              "subscription"),
                               QStringLiteral("mode"));
            const QString customer = p.str(QStringLiteral("customer"));
            if (!customer.isEmpty() && live(customer, QStringLiteral("customer")).isEmpty())
                return missing(QStringLiteral("customer"), customer, QStringLiteral("customer"));
            const QVariantList lineItems = p.list(QStringLiteral("line_items"));
            if (mode != QLatin1String("setup") && lineItems.isEmpty())
                return invalid(QStringLiteral("line_items is required in %1 mode.").arg(mode),
                               QStringLiteral("line_items"));
            QJsonArray storedLines;
            qint64 total = 0;
            QString currency;
            for (int i = 0; i < lineItems.size(); ++i) {
                const Params line(lineItems.at(i).toMap());
                const QJsonObject price =
                    live(line.str(QStringLiteral("price")), QStringLiteral("price"));
                if (price.isEmpty())
                    return missing(QStringLiteral("price"), line.str(QStringLiteral("price")),
                                   QStringLiteral("line_items[%1][price]").arg(i));
                qint64 quantity = 1;
                if (line.has(QStringLiteral("quantity")))
                    RETURN_IF(line.integer(QStringLiteral("quantity"), &quantity));
                total += price.value(QStringLiteral("unit_amount")).toInteger() * quantity;
                currency = price.value(QStringLiteral("currency")).toString();
                storedLines.append(
                    QJsonObject{{QStringLiteral("price"), price.value(QStringLiteral("id"))},
                                {QStringLiteral("quantity"), quantity}});
            }
            const QString id = QStringLiteral("cs_test_") + randomToken(24);
            const QJsonObject session{
                {QStringLiteral("id"), id},
                {QStringLiteral("object"), type},
                {QStringLiteral("mode"), mode},
                {QStringLiteral("customer"),
                 customer.isEmpty() ? nullValue() : QJsonValue(customer)},
                {QStringLiteral("customer_email"),
                 p.has(QStringLiteral("customer_email"))
                     ? QJsonValue(p.str(QStringLiteral("customer_email")))
                     : nullValue()},
                {QStringLiteral("client_reference_id"),
                 p.has(QStringLiteral("client_reference_id"))
                     ? QJsonValue(p.str(QStringLiteral("client_reference_id")))
                     : nullValue()},
                {QStringLiteral("status"), QStringLiteral("open")},
                {QStringLiteral("payment_status"), QStringLiteral("unpaid")},
                {QStringLiteral("url"),
                 QStringLiteral("https://checkout.stripe.com/c/pay/%1").arg(id)},
                {QStringLiteral("success_url"), p.str(QStringLiteral("success_url"))},
                {QStringLiteral("cancel_url"), p.has(QStringLiteral("cancel_url"))
                                                   ? QJsonValue(p.str(QStringLiteral("cancel_url")))
                                                   : nullValue()},
                {QStringLiteral("amount_total"), total},
                {QStringLiteral("currency"),
                 currency.isEmpty() ? nullValue() : QJsonValue(currency)},
                {QStringLiteral("subscription"), nullValue()},
                {QStringLiteral("expires_at"), now() + 86400},
                {QStringLiteral("created"), now()},
                {QStringLiteral("livemode"), false},
                {QStringLiteral("metadata"), p.metadata({})},
                // Not part of Stripe's object (line items are a separate list there); the
                // fake keeps them to complete the session.
                {QStringLiteral("x_fake_line_items"), storedLines},
                {QStringLiteral("x_fake_subscription_data"),
                 QJsonObject::fromVariantMap(p.map(QStringLiteral("subscription_data")))}};
            store(session, type);
            return jsonResponse(session);
        }
        if (s.size() == 3 && m == "GET") {
            RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                                   QStringLiteral("ending_before"), QStringLiteral("customer"),
                                   QStringLiteral("status")}));
            return list(type, p, QStringLiteral("/v1/checkout/sessions"),
                        [&](const QJsonObject &o) {
                            for (const QString &field :
                                 {QStringLiteral("customer"), QStringLiteral("status")}) {
                                if (p.has(field) && o.value(field).toString() != p.str(field))
                                    return false;
                            }
                            return true;
                        });
        }
        if (s.size() < 4)
            return unknownRoute(request);
        QJsonObject session = live(s.at(3), type);
        if (session.isEmpty())
            return missing(type, s.at(3));
        if (s.size() == 4 && m == "GET")
            return jsonResponse(session);
        if (s.size() == 5 && m == "POST" && s.at(4) == QLatin1String("expire")) {
            if (session.value(QStringLiteral("status")).toString() != QLatin1String("open"))
                return invalid(QStringLiteral("Only open sessions can be expired."));
            session.insert(QStringLiteral("status"), QStringLiteral("expired"));
            store(session, type);
            emitEvent(QStringLiteral("checkout.session.expired"), session);
            return jsonResponse(session);
        }
        return unknownRoute(request);
    }

    QJsonObject completeSession(const QString &id)
    {
        QJsonObject session = live(id, QStringLiteral("checkout.session"));
        if (session.isEmpty() ||
            session.value(QStringLiteral("status")).toString() != QLatin1String("open"))
            return session;
        QString customer = session.value(QStringLiteral("customer")).toString();
        if (customer.isEmpty()) {
            customer = newId(QStringLiteral("cus"));
            const QJsonObject object{
                {QStringLiteral("id"), customer},
                {QStringLiteral("object"), QStringLiteral("customer")},
                {QStringLiteral("email"), session.value(QStringLiteral("customer_email"))},
                {QStringLiteral("name"), nullValue()},
                {QStringLiteral("created"), now()},
                {QStringLiteral("livemode"), false},
                {QStringLiteral("metadata"), QJsonObject()}};
            store(object, QStringLiteral("customer"));
            emitEvent(QStringLiteral("customer.created"), object);
            session.insert(QStringLiteral("customer"), customer);
        }
        if (session.value(QStringLiteral("mode")).toString() == QLatin1String("subscription")) {
            QVariantList items;
            const QJsonArray lines = session.value(QStringLiteral("x_fake_line_items")).toArray();
            for (const QJsonValue &line : lines)
                items.append(line.toObject().toVariantMap());
            // subscription_data (metadata, trial_period_days) becomes the subscription's.
            QVariantMap params =
                session.value(QStringLiteral("x_fake_subscription_data")).toObject().toVariantMap();
            params.insert(QStringLiteral("customer"), customer);
            params.insert(QStringLiteral("items"), items);
            const Response made = createSubscription(Params(params));
            if (made.status == 200)
                session.insert(
                    QStringLiteral("subscription"),
                    QJsonDocument::fromJson(made.body).object().value(QStringLiteral("id")));
        }
        session.insert(QStringLiteral("status"), QStringLiteral("complete"));
        session.insert(QStringLiteral("payment_status"), QStringLiteral("paid"));
        store(session, QStringLiteral("checkout.session"));
        emitEvent(QStringLiteral("checkout.session.completed"), session);
        return session;
    }

    Response eventsRoute(const Request &request, const QStringList &s, const Params &p)
    {
        if (request.method != "GET")
            return unknownRoute(request);
        if (s.size() == 3) {
            const auto at = eventIndex.constFind(s.at(2));
            if (at == eventIndex.constEnd())
                return missing(QStringLiteral("event"), s.at(2));
            return jsonResponse(eventList.at(*at));
        }
        RETURN_IF(p.allowOnly({QStringLiteral("limit"), QStringLiteral("starting_after"),
                               QStringLiteral("ending_before"), QStringLiteral("created"),
                               QStringLiteral("type"), QStringLiteral("types")}));
        qint64 gte = std::numeric_limits<qint64>::min();
        qint64 lte = std::numeric_limits<qint64>::max();
        const QVariant createdParam = p.value(QStringLiteral("created"));
        if (createdParam.typeId() == QMetaType::QVariantMap) {
            const Params c(createdParam.toMap());
            qint64 value = 0;
            if (c.has(QStringLiteral("gte"))) {
                RETURN_IF(c.integer(QStringLiteral("gte"), &value));
                gte = std::max(gte, value);
            }
            if (c.has(QStringLiteral("gt"))) {
                RETURN_IF(c.integer(QStringLiteral("gt"), &value));
                gte = std::max(gte, value + 1);
            }
            if (c.has(QStringLiteral("lte"))) {
                RETURN_IF(c.integer(QStringLiteral("lte"), &value));
                lte = std::min(lte, value);
            }
            if (c.has(QStringLiteral("lt"))) {
                RETURN_IF(c.integer(QStringLiteral("lt"), &value));
                lte = std::min(lte, value - 1);
            }
        } else if (createdParam.isValid()) {
            qint64 value = 0;
            RETURN_IF(p.integer(QStringLiteral("created"), &value));
            gte = lte = value;
        }
        QStringList types = p.list(QStringLiteral("types")).isEmpty()
                                ? QStringList()
                                : p.value(QStringLiteral("types")).toStringList();
        if (p.has(QStringLiteral("type")))
            types.append(p.str(QStringLiteral("type")));
        auto typeMatches = [&](const QString &type) {
            if (types.isEmpty())
                return true;
            for (const QString &wanted : std::as_const(types)) {
                if (wanted == type ||
                    (wanted.endsWith(QLatin1String(".*")) && type.startsWith(wanted.chopped(1))))
                    return true;
            }
            return false;
        };
        QList<QJsonObject> newestFirst;
        for (auto it = eventList.crbegin(); it != eventList.crend(); ++it) {
            const qint64 at = it->value(QStringLiteral("created")).toInteger();
            if (at >= gte && at <= lte && typeMatches(it->value(QStringLiteral("type")).toString()))
                newestFirst.append(*it);
        }
        return page(newestFirst, p, QStringLiteral("/v1/events"), QStringLiteral("event"));
    }
};

FakeStripeServer::FakeStripeServer(QObject *parent)
    : QObject(parent)
    , d(std::make_unique<Private>())
{
    d->q = this;
    connect(&d->server, &QTcpServer::newConnection, this, [this] { d->onNewConnection(); });
}

FakeStripeServer::~FakeStripeServer()
{
    stop();
}

bool FakeStripeServer::start(quint16 port)
{
    if (!d->server.listen(QHostAddress::LocalHost, port)) {
        d->error = d->server.errorString();
        return false;
    }
    return true;
}

void FakeStripeServer::stop()
{
    d->server.close();
    const auto sockets = d->connections.keys();
    d->connections.clear();
    for (QTcpSocket *socket : sockets) {
        socket->disconnect(this);
        socket->abort();
        socket->deleteLater();
    }
}

quint16 FakeStripeServer::port() const
{
    return d->server.serverPort();
}

QUrl FakeStripeServer::baseUrl() const
{
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(QStringLiteral("127.0.0.1"));
    url.setPort(port());
    return url;
}

QString FakeStripeServer::errorString() const
{
    return d->error;
}

void FakeStripeServer::setExpectedSecretKey(const QString &key)
{
    d->expectedKey = key;
}

void FakeStripeServer::setWebhookEndpoint(const QUrl &url, const QString &secret)
{
    d->webhookUrl = url;
    d->webhookSecret = secret;
}

void FakeStripeServer::setFaults(const Faults &faults)
{
    d->faults = faults;
    d->rng.seed(faults.seed == 0 ? 1 : faults.seed);
}

void FakeStripeServer::failNext(int count, const QString &kind)
{
    d->faults.next = count;
    d->faults.nextKind = kind;
}

void FakeStripeServer::clearFaults()
{
    d->faults = Faults{};
}

FakeStripeServer::Faults FakeStripeServer::faults() const
{
    return d->faults;
}

void FakeStripeServer::reset()
{
    d->resetState();
}

QJsonObject FakeStripeServer::stats() const
{
    return d->stats();
}

int FakeStripeServer::createdCount(const QString &objectType) const
{
    return d->created.value(objectType);
}

QJsonObject FakeStripeServer::object(const QString &id) const
{
    return d->objects.value(id);
}

QList<QJsonObject> FakeStripeServer::objects(const QString &objectType) const
{
    QList<QJsonObject> result;
    const QStringList ids = d->order.value(objectType);
    for (auto it = ids.crbegin(); it != ids.crend(); ++it)
        result.append(d->objects.value(*it));
    return result;
}

QList<QJsonObject> FakeStripeServer::events() const
{
    return d->eventList;
}

QList<QJsonObject> FakeStripeServer::recentRequests() const
{
    return d->requestLog;
}

QJsonObject FakeStripeServer::completeCheckoutSession(const QString &sessionId)
{
    const QJsonObject session = d->completeSession(sessionId);
    d->persist();
    return session;
}

bool FakeStripeServer::setStateFile(const QString &path)
{
    if (!d->load(path))
        return false;
    d->stateFile = path;
    d->persist();
    return true;
}

void FakeStripeServer::advanceClock(qint64 seconds)
{
    d->clockOffset += seconds;
    d->renewSubscriptions();
    d->persist();
}

qint64 FakeStripeServer::now() const
{
    return d->now();
}

} // namespace nobill::test
