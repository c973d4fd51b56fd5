#include "webhooks/webhooklistener.h"

#include "webhooks/httprequesthead.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslServer>
#include <QSslSocket>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

namespace nobill {

namespace {

Q_LOGGING_CATEGORY(lcListener, "nobill.webhooks.listener")

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::WebhookListener", text);
}

const QByteArray WebhookPath = "/stripe/webhook";

QByteArray statusText(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 408:
        return "Request Timeout";
    case 411:
        return "Length Required";
    case 413:
        return "Content Too Large";
    case 431:
        return "Request Header Fields Too Large";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

Result<QSslConfiguration> loadTls(const QString &certificateFile, const QString &keyFile)
{
    const QList<QSslCertificate> chain = QSslCertificate::fromPath(certificateFile);
    if (chain.isEmpty())
        return makeError(ErrorKind::InvalidInput,
                         tr("The listener's TLS certificate %1 could not be read (a PEM file "
                            "is expected).")
                             .arg(certificateFile));
    QFile file(keyFile);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(ErrorKind::InvalidInput,
                         tr("The listener's TLS key %1 could not be opened: %2.")
                             .arg(keyFile, file.errorString()));
    const QByteArray pem = file.readAll();
    QSslKey key(pem, QSsl::Rsa);
    if (key.isNull())
        key = QSslKey(pem, QSsl::Ec);
    if (key.isNull())
        return makeError(
            ErrorKind::InvalidInput,
            tr("The listener's TLS key %1 is not an unencrypted PEM RSA or EC key.").arg(keyFile));
    QSslConfiguration configuration = QSslConfiguration::defaultConfiguration();
    configuration.setLocalCertificateChain(chain);
    configuration.setPrivateKey(key);
    configuration.setPeerVerifyMode(QSslSocket::VerifyNone);
    return configuration;
}

} // namespace

struct WebhookListener::Connection
{
    enum class State { Head, Body, Waiting, Closing };
    enum class Route { Webhook, Health, Metrics };

    quint64 id = 0;
    QTcpSocket *socket = nullptr;
    QTimer deadline;
    QByteArray buffer;
    State state = State::Head;

    // The request being read.
    Route route = Route::Webhook;
    HttpRequestHead request;
};

WebhookListener::WebhookListener(WebhookListenerOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{
    if (!m_options.clock)
        m_options.clock = [] {
            return QDateTime::currentSecsSinceEpoch();
        };
}

WebhookListener::~WebhookListener()
{
    stop();
}

Status WebhookListener::start()
{
    if (m_server)
        return {};
    bool anySecret = false;
    for (const QByteArray &secret : std::as_const(m_options.secrets))
        anySecret = anySecret || !secret.isEmpty();
    if (!anySecret)
        return makeError(ErrorKind::InvalidInput,
                         tr("The webhook listener needs the endpoint's signing secret "
                            "(whsec_...) from the Stripe dashboard."));

    const bool tls = !m_options.certificateFile.isEmpty() || !m_options.privateKeyFile.isEmpty();
    if (tls) {
        if (m_options.certificateFile.isEmpty() || m_options.privateKeyFile.isEmpty())
            return makeError(ErrorKind::InvalidInput,
                             tr("HTTPS needs both a certificate file and a key file."));
        Result<QSslConfiguration> configuration =
            loadTls(m_options.certificateFile, m_options.privateKeyFile);
        if (!configuration)
            return configuration.error();
        auto server = std::make_unique<QSslServer>();
        server->setSslConfiguration(configuration.value());
        server->setHandshakeTimeout(m_options.idleTimeoutMs);
        m_server = std::move(server);
    } else {
        m_server = std::make_unique<QTcpServer>();
    }
    m_server->setMaxPendingConnections(m_options.maxConnections);
    connect(m_server.get(), &QTcpServer::pendingConnectionAvailable, this,
            &WebhookListener::acceptConnections);
    if (!m_server->listen(m_options.address, m_options.port)) {
        Error error = makeError(
            ErrorKind::Unavailable,
            tr("The webhook listener cannot listen on %1 port %2: %3. Choose another address "
               "or port, or stop the program that uses it.")
                .arg(m_options.address.toString())
                .arg(m_options.port)
                .arg(m_server->errorString()));
        m_server.reset();
        return error;
    }

    m_inbox = std::make_unique<WebhookInbox>(
        m_options.database, this,
        [this](const QList<InboxReply> &replies) { onInboxReplies(replies); }, &m_metrics);
    m_inbox->setMaxBatch(m_options.maxBatch);
    m_inbox->setWriters(m_options.inboxWriters);
    m_inbox->start();
    qCInfo(lcListener) << "listening on" << m_server->serverAddress().toString()
                       << m_server->serverPort() << (tls ? "(https)" : "(http)");
    return {};
}

void WebhookListener::stop()
{
    if (m_inbox)
        m_inbox->stop();
    m_inbox.reset();
    for (auto &[id, connection] : m_connections) {
        connection->socket->disconnect(this);
        connection->socket->abort();
        connection->socket->deleteLater();
    }
    m_connections.clear();
    m_metrics.openConnections = 0;
    if (m_server)
        m_server->close();
    m_server.reset();
}

bool WebhookListener::isListening() const
{
    return m_server && m_server->isListening();
}

quint16 WebhookListener::port() const
{
    return m_server ? m_server->serverPort() : 0;
}

QHostAddress WebhookListener::address() const
{
    return m_server ? m_server->serverAddress() : QHostAddress();
}

void WebhookListener::acceptConnections()
{
    while (m_server && m_server->hasPendingConnections()) {
        QTcpSocket *socket = m_server->nextPendingConnection();
        if (!socket)
            break;
        if (int(m_connections.size()) >= m_options.maxConnections) {
            m_metrics.countRejected("connection_limit");
            socket->write("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
                          "Connection: close\r\nRetry-After: 1\r\n\r\n");
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            socket->disconnectFromHost();
            continue;
        }
        const quint64 id = ++m_nextConnectionId;
        auto connection = std::make_unique<Connection>();
        connection->id = id;
        connection->socket = socket;
        // Bounds what Qt reads ahead from the kernel: a client cannot make us buffer more
        // than one request's worth while it waits for an answer.
        socket->setReadBufferSize(MaxHeadBytes + m_options.bodyLimit + 4096);
        connection->deadline.setSingleShot(true);
        connection->deadline.setInterval(m_options.idleTimeoutMs);
        Connection *raw = connection.get();
        connect(&connection->deadline, &QTimer::timeout, this, [this, raw] { onDeadline(raw); });
        connect(socket, &QTcpSocket::readyRead, this, [this, raw] { readFrom(raw); });
        // Dropped from the event loop, never from inside the socket's own signal or the
        // parser that is still using the connection.
        connect(socket, &QTcpSocket::disconnected, this, [this, id] {
            QMetaObject::invokeMethod(
                this, [this, id] { dropConnection(id); }, Qt::QueuedConnection);
        });
        connection->deadline.start();
        m_connections.emplace(id, std::move(connection));
        ++m_metrics.openConnections;
        if (socket->bytesAvailable() > 0)
            readFrom(raw);
    }
}

void WebhookListener::dropConnection(quint64 id)
{
    const auto it = m_connections.find(id);
    if (it == m_connections.end())
        return;
    it->second->deadline.stop();
    it->second->socket->disconnect(this);
    it->second->socket->deleteLater();
    m_connections.erase(it);
    --m_metrics.openConnections;
}

void WebhookListener::readFrom(Connection *connection)
{
    using State = Connection::State;
    // While an answer is pending, what the client sends next stays in the socket's
    // (bounded) buffer; it is read once the answer is out.
    if (connection->state == State::Waiting || connection->state == State::Closing)
        return;
    connection->buffer.append(connection->socket->readAll());
    process(connection);
}

void WebhookListener::process(Connection *connection)
{
    using State = Connection::State;
    for (;;) {
        if (connection->state == State::Head) {
            const qsizetype end = connection->buffer.indexOf("\r\n\r\n");
            if (end < 0 || end > MaxHeadBytes) {
                if (end > MaxHeadBytes || connection->buffer.size() > MaxHeadBytes)
                    reject(connection, 431, "headers_too_large",
                           tr("The request headers are too large."), true);
                return;
            }
            const QByteArray head = connection->buffer.left(end);
            connection->buffer.remove(0, end + 4);
            if (!parseHead(connection, head))
                continue;
            routeHead(connection);
        } else if (connection->state == State::Body) {
            if (connection->buffer.size() < connection->request.contentLength)
                return;
            const QByteArray body = connection->buffer.left(connection->request.contentLength);
            connection->buffer.remove(0, connection->request.contentLength);
            handleWebhook(connection, body);
        } else {
            return;
        }
    }
}

bool WebhookListener::parseHead(Connection *connection, QByteArrayView head)
{
    connection->route = Connection::Route::Webhook;
    switch (parseHttpRequestHead(head, &connection->request)) {
    case HttpHeadError::None:
        return true;
    case HttpHeadError::BadRequestLine:
        reject(connection, 400, "bad_request", tr("The request line is malformed."), true);
        return false;
    case HttpHeadError::BadHeaderLine:
        reject(connection, 400, "bad_request", tr("A request header is malformed."), true);
        return false;
    case HttpHeadError::BadContentLength:
        reject(connection, 400, "bad_request", tr("The Content-Length header is malformed."), true);
        return false;
    }
    return false;
}

void WebhookListener::routeHead(Connection *connection)
{
    using Route = Connection::Route;
    // A body we will not read leaves the stream out of step: such answers close.
    const bool hasBody =
        connection->request.contentLength > 0 || connection->request.transferEncoding;
    if (connection->request.path == WebhookPath) {
        if (connection->request.method != "POST") {
            reject(connection, 405, "method_not_allowed", tr("Only POST is accepted on this path."),
                   hasBody, "Allow: POST\r\n");
            return;
        }
        ++m_metrics.received;
        if (connection->request.transferEncoding || connection->request.contentLength < 0) {
            reject(connection, 411, "length_required",
                   tr("The request needs a Content-Length header."), true);
            return;
        }
        if (connection->request.contentLength > m_options.bodyLimit) {
            // Refused on the headers alone: not a byte of the body is read.
            reject(connection, 413, "body_too_large",
                   tr("The request body is larger than %1 bytes.").arg(m_options.bodyLimit), true);
            return;
        }
        if (connection->request.expectContinue)
            connection->socket->write("HTTP/1.1 100 Continue\r\n\r\n");
        connection->route = Route::Webhook;
        connection->state = Connection::State::Body;
        return;
    }
    if (connection->request.path == "/healthz" || connection->request.path == "/metrics") {
        if (connection->request.method != "GET") {
            reject(connection, 405, "method_not_allowed", tr("Only GET is accepted on this path."),
                   hasBody, "Allow: GET\r\n");
            return;
        }
        if (hasBody) {
            reject(connection, 400, "bad_request", tr("A GET request has no body."), true);
            return;
        }
        connection->route = connection->request.path == "/healthz" ? Route::Health : Route::Metrics;
        connection->state = Connection::State::Waiting;
        connection->deadline.stop();
        m_inbox->probe(connection->id);
        return;
    }
    reject(connection, 404, "not_found", tr("There is nothing at this path."), hasBody);
}

void WebhookListener::handleWebhook(Connection *connection, const QByteArray &body)
{
    if (connection->request.stripeSignatureHeaders > 1) {
        reject(connection, 400, "duplicate_header",
               tr("The request has more than one Stripe-Signature header."));
        return;
    }
    const SignatureRejection signature =
        verifyStripeSignature(body, connection->request.stripeSignature, m_options.secrets,
                              m_options.clock(), m_options.toleranceSeconds);
    if (signature != SignatureRejection::None) {
        reject(connection, 400, signatureRejectionCode(signature),
               signatureRejectionText(signature));
        return;
    }
    // Only a verified body is parsed.
    InboxEvent event;
    const EventRejection parsed = parseInboxEvent(body, &event);
    if (parsed != EventRejection::None) {
        reject(connection, 400, eventRejectionCode(parsed), eventRejectionText(parsed));
        return;
    }
    ++m_metrics.verified;
    connection->state = Connection::State::Waiting;
    connection->deadline.stop();
    m_inbox->submit(connection->id, std::move(event));
}

void WebhookListener::onInboxReplies(const QList<InboxReply> &replies)
{
    QList<Connection *> answered;
    for (const InboxReply &reply : replies) {
        switch (reply.outcome) {
        case InboxOutcome::Stored:
            ++m_metrics.stored;
            break;
        case InboxOutcome::Duplicate:
            ++m_metrics.duplicates;
            break;
        case InboxOutcome::Unavailable:
            ++m_metrics.unavailable;
            break;
        case InboxOutcome::Rejected:
        case InboxOutcome::Health:
            break;
        }
        const auto it = m_connections.find(reply.ticket);
        if (it == m_connections.end()) {
            // The client left before the commit: the event is stored (or not) all the same,
            // and Stripe's retry will find it a duplicate.
            if (reply.outcome == InboxOutcome::Rejected)
                m_metrics.countRejected("refused_by_database");
            continue;
        }
        Connection *connection = it->second.get();
        if (connection->state != Connection::State::Waiting)
            continue;
        switch (reply.outcome) {
        case InboxOutcome::Stored:
            respond(connection, 200, "{\"stored\":true}\n", "application/json");
            break;
        case InboxOutcome::Duplicate:
            respond(connection, 200, "{\"stored\":false,\"duplicate\":true}\n", "application/json");
            break;
        case InboxOutcome::Unavailable:
            respond(connection, 503,
                    tr("The event could not be stored: the database is unavailable. Retry "
                       "later.")
                            .toUtf8() +
                        '\n',
                    "text/plain; charset=utf-8", false, "Retry-After: 5\r\n");
            break;
        case InboxOutcome::Rejected:
            reject(connection, 400, "refused_by_database",
                   tr("The database refused a value of this event."));
            break;
        case InboxOutcome::Health:
            if (connection->route == Connection::Route::Metrics) {
                respond(connection, 200, m_metrics.prometheusText(reply.health),
                        "text/plain; version=0.0.4; charset=utf-8");
            } else {
                QJsonObject health;
                health.insert(QLatin1String("status"), reply.health.databaseReachable
                                                           ? QLatin1String("ok")
                                                           : QLatin1String("unavailable"));
                health.insert(QLatin1String("database"), reply.health.databaseReachable);
                if (reply.health.databaseReachable)
                    health.insert(QLatin1String("processing_lag_seconds"), reply.health.lagSeconds);
                health.insert(QLatin1String("open_connections"),
                              qint64(m_metrics.openConnections.load()));
                respond(connection, reply.health.databaseReachable ? 200 : 503,
                        QJsonDocument(health).toJson(QJsonDocument::Compact) + '\n',
                        "application/json");
            }
            break;
        }
        answered.append(connection);
    }
    // What the clients sent meanwhile is read now that they have their answers.
    for (Connection *connection : std::as_const(answered)) {
        if (connection->state == Connection::State::Head)
            readFrom(connection);
    }
}

void WebhookListener::onDeadline(Connection *connection)
{
    using State = Connection::State;
    if (connection->state == State::Waiting || connection->state == State::Closing)
        return;
    if (connection->state == State::Head && connection->buffer.isEmpty()) {
        // An idle keep-alive connection: closed quietly, nothing was refused.
        connection->state = State::Closing;
        connection->socket->disconnectFromHost();
        return;
    }
    reject(connection, 408, "timeout", tr("The request was not completed in time."), true);
}

void WebhookListener::respond(Connection *connection, int status, const QByteArray &body,
                              const QByteArray &contentType, bool close,
                              const QByteArray &extraHeaders)
{
    close = close || !connection->request.keepAlive;
    QByteArray response;
    response.reserve(160 + body.size());
    response.append("HTTP/1.1 ")
        .append(QByteArray::number(status))
        .append(' ')
        .append(statusText(status))
        .append("\r\nContent-Type: ")
        .append(contentType)
        .append("\r\nContent-Length: ")
        .append(QByteArray::number(body.size()))
        .append("\r\n")
        .append(extraHeaders);
    if (close)
        response.append("Connection: close\r\n");
    response.append("\r\n").append(body);
    connection->socket->write(response);
    if (close) {
        connection->state = Connection::State::Closing;
        connection->deadline.stop();
        connection->socket->disconnectFromHost();
    } else {
        connection->state = Connection::State::Head;
        connection->deadline.start();
    }
}

void WebhookListener::reject(Connection *connection, int status, const QByteArray &reason,
                             const QString &text, bool close, const QByteArray &extraHeaders)
{
    m_metrics.countRejected(reason);
    qCDebug(lcListener) << "refused:" << status << reason;
    respond(connection, status, text.toUtf8() + '\n', "text/plain; charset=utf-8", close,
            extraHeaders);
}

} // namespace nobill
