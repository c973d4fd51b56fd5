#pragma once

// The embedded Stripe webhook listener (issue 6): POST /stripe/webhook verifies the
// Stripe-Signature over the raw body, commits the event to the inbox, and only then answers
// 200; GET /healthz and GET /metrics report on it. `nobillctl serve` (or a one-machine
// office's console) owns one:
//
//     WebhookListenerOptions options;          // loopback, port 0 = any free port
//     options.port = 8787;
//     options.secrets = {currentSecret, previousSecret};
//     options.database = serviceLoginSettings; // a member of nobill_service
//     auto *listener = new WebhookListener(options, parent);
//     if (Status s = listener->start(); !s) { ... s.error().message ... }
//     ...
//     listener->stop();                        // or delete it
//
// The HTTP/1.1 layer is our own, over QTcpServer/QSslServer, rather than Qt HttpServer 6.4
// (a technical preview): that one buffers whole bodies before any handler can refuse them, has
// no connection cap or idle timeout, and its deferred QHttpServerResponder keeps a raw pointer
// to a socket that may be gone by the time the database has committed. Here a request is
// refused on its headers (413 before a byte of an oversized body is read), every connection
// has a deadline, and answers after a commit go only to connections still open.

#include "core/result.h"
#include "database/connectionsettings.h"
#include "webhooks/httprequesthead.h"
#include "webhooks/stripesignature.h"
#include "webhooks/webhookinbox.h"
#include "webhooks/webhookmetrics.h"

#include <QHostAddress>
#include <QObject>

#include <functional>
#include <memory>
#include <unordered_map>

class QTcpServer;
class QTcpSocket;

namespace nobill {

struct WebhookListenerOptions
{
    QHostAddress address = QHostAddress(QHostAddress::LocalHost);
    quint16 port = 0; // 0: any free port, see WebhookListener::port()
    // Both set: HTTPS (PEM files). Stripe only delivers to https endpoints; plain HTTP is for
    // a TLS-terminating proxy in front, or loopback.
    QString certificateFile;
    QString privateKeyFile;
    qint64 bodyLimit = 1024 * 1024;
    int maxConnections = 256;
    // A connection must deliver each request within this time (from the end of the previous
    // answer, or from connecting): slow connections that never finish are closed.
    int idleTimeoutMs = 30000;
    // The endpoint's signing secrets (whsec_...): the current one, and during a rotation the
    // previous one. At most two are used.
    QList<QByteArray> secrets;
    int toleranceSeconds = DefaultSignatureToleranceSeconds;
    // A login that is a member of nobill_service.
    ConnectionSettings database;
    int maxBatch = 1000;
    // Inbox connections committing in parallel: while one batch waits for its disk flush the
    // next is already on its way. Each is one PostgreSQL session of the service login.
    int inboxWriters = 2;
    // Seconds since the epoch; replaceable for tests.
    std::function<qint64()> clock;
};

class WebhookListener : public QObject
{
    Q_OBJECT

public:
    explicit WebhookListener(WebhookListenerOptions options, QObject *parent = nullptr);
    ~WebhookListener() override;

    // Binds and starts the inbox writer. Fails with a sentence saying what to change (port in
    // use, unreadable certificate, no secret).
    Status start();
    // Closes every connection and the port; events not yet committed are not acknowledged.
    void stop();
    bool isListening() const;

    quint16 port() const;
    QHostAddress address() const;
    const WebhookMetrics &metrics() const { return m_metrics; }

    static constexpr int MaxHeadBytes = 16 * 1024;

private:
    struct Connection;

    void acceptConnections();
    void readFrom(Connection *connection);
    void process(Connection *connection);
    bool parseHead(Connection *connection, QByteArrayView head);
    void routeHead(Connection *connection);
    void handleWebhook(Connection *connection, const QByteArray &body);
    void onInboxReplies(const QList<InboxReply> &replies);
    void onDeadline(Connection *connection);
    void respond(Connection *connection, int status, const QByteArray &body,
                 const QByteArray &contentType = "text/plain; charset=utf-8", bool close = false,
                 const QByteArray &extraHeaders = {});
    void reject(Connection *connection, int status, const QByteArray &reason, const QString &text,
                bool close = false, const QByteArray &extraHeaders = {});
    void dropConnection(quint64 id);

    WebhookListenerOptions m_options;
    WebhookMetrics m_metrics;
    std::unique_ptr<QTcpServer> m_server;
    std::unique_ptr<WebhookInbox> m_inbox;
    std::unordered_map<quint64, std::unique_ptr<Connection>> m_connections;
    quint64 m_nextConnectionId = 0;
};

} // namespace nobill
