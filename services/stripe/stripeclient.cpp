#include "stripe/stripeclient.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLoggingCategory>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>

#include <algorithm>
#include <cmath>
#include <map>

Q_LOGGING_CATEGORY(lcStripe, "nobill.stripe")

namespace nobill {

namespace {
QString tr(const char *text, int n = -1)
{
    return QCoreApplication::translate("nobill::StripeClient", text, nullptr, n);
}

// Stripe's replies are small; a bigger one is not Stripe (a proxy's page, a wrong URL).
constexpr qint64 MaxReplyBytes = 16 * 1024 * 1024;
constexpr int MaxBackoffMs = 5000; // the official SDKs' cap between retries
constexpr int MinBackoffMs = 500;  // and their floor
constexpr int MaxRateLimitWaitMs = 10000;

// ---- form encoding ----------------------------------------------------------------------

// Brackets stay literal, as the official SDKs send them; everything else outside the
// unreserved set is percent-encoded, so '+' and '&' in a value can never be misread.
QByteArray encodeKey(const QString &key)
{
    return QUrl::toPercentEncoding(key, QByteArrayLiteral("[]"));
}

QByteArray scalarText(const QVariant &value)
{
    switch (value.typeId()) {
    case QMetaType::Bool:
        return value.toBool() ? QByteArrayLiteral("true") : QByteArrayLiteral("false");
    case QMetaType::Int:
    case QMetaType::LongLong:
    case QMetaType::Short:
    case QMetaType::Long:
        return QByteArray::number(value.toLongLong());
    case QMetaType::UInt:
    case QMetaType::ULongLong:
    case QMetaType::UShort:
    case QMetaType::ULong:
        return QByteArray::number(value.toULongLong());
    case QMetaType::Double:
    case QMetaType::Float: {
        // Money never travels as a double; this is for ratios like a meter's value. The
        // shortest form that reads back the same keeps equal parameters byte-identical.
        const double d = value.toDouble();
        if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 1e15)
            return QByteArray::number(static_cast<qint64>(d));
        return QByteArray::number(d, 'g', QLocale::FloatingPointShortest);
    }
    case QMetaType::QByteArray:
        return QUrl::toPercentEncoding(QString::fromUtf8(value.toByteArray()));
    default:
        // Null means "unset" to Stripe, which it spells as an empty value.
        if (value.isNull() || !value.isValid())
            return QByteArray();
        return QUrl::toPercentEncoding(value.toString());
    }
}

void encodeValue(const QByteArray &name, const QVariant &value, QList<QByteArray> &out)
{
    const int type = value.typeId();
    if (type == QMetaType::QVariantMap) {
        const QVariantMap map = value.toMap();
        for (auto it = map.constBegin(); it != map.constEnd(); ++it)
            encodeValue(name + '[' + encodeKey(it.key()) + ']', it.value(), out);
        return;
    }
    if (type == QMetaType::QVariantHash) {
        // A hash has no order of its own: sort it so the body does not depend on hashing.
        const QVariantHash hash = value.toHash();
        QStringList keys = hash.keys();
        keys.sort();
        for (const QString &key : std::as_const(keys))
            encodeValue(name + '[' + encodeKey(key) + ']', hash.value(key), out);
        return;
    }
    if (type == QMetaType::QVariantList || type == QMetaType::QStringList) {
        const QVariantList list = value.toList();
        for (qsizetype i = 0; i < list.size(); ++i)
            encodeValue(name + '[' + QByteArray::number(i) + ']', list.at(i), out);
        return;
    }
    out.append(name + '=' + scalarText(value));
}

// ---- form decoding ----------------------------------------------------------------------

QString formDecode(QByteArray part)
{
    part.replace('+', ' ');
    return QString::fromUtf8(QByteArray::fromPercentEncoding(part));
}

// A parsed key path: "items[0][price]" -> {"items", "0", "price"}; "types[]" -> {"types", ""}.
QStringList keyPath(const QString &key)
{
    QStringList path;
    const qsizetype open = key.indexOf(u'[');
    if (open < 0 || !key.endsWith(u']'))
        return {key};
    path.append(key.left(open));
    qsizetype pos = open;
    while (pos < key.size()) {
        if (key.at(pos) != u'[')
            return {key}; // "a[b]c": not a path, keep the key whole
        const qsizetype close = key.indexOf(u']', pos);
        if (close < 0)
            return {key};
        path.append(key.mid(pos + 1, close - pos - 1));
        pos = close + 1;
    }
    return path;
}

struct FormNode
{
    QString value;
    bool leaf = true;
    int appended = 0; // how many "[]" entries this node has received
    std::map<QString, FormNode> children;
};

void insertPath(FormNode &node, const QStringList &path, qsizetype at, const QString &value)
{
    if (at == path.size()) {
        node.leaf = true;
        node.value = value;
        node.children.clear();
        return;
    }
    node.leaf = false;
    QString segment = path.at(at);
    if (segment.isEmpty())
        segment = QString::number(node.appended++);
    insertPath(node.children[segment], path, at + 1, value);
}

QVariant nodeValue(const FormNode &node)
{
    if (node.leaf)
        return node.value;
    // A node whose keys are all indices is a list, in index order.
    bool allIndices = !node.children.empty();
    std::map<qint64, const FormNode *> byIndex;
    for (const auto &[key, child] : node.children) {
        bool ok = false;
        const qint64 index = key.toLongLong(&ok);
        if (!ok || index < 0 || QString::number(index) != key) {
            allIndices = false;
            break;
        }
        byIndex.emplace(index, &child);
    }
    if (allIndices) {
        QVariantList list;
        for (const auto &[index, child] : byIndex)
            list.append(nodeValue(*child));
        return list;
    }
    QVariantMap map;
    for (const auto &[key, child] : node.children)
        map.insert(key, nodeValue(child));
    return map;
}

// ---- replies ----------------------------------------------------------------------------

// A short description of a body that is not Stripe's JSON, without echoing the body: at most
// the title of an HTML page, shortened.
QString describeUnreadableBody(const QByteArray &body, const QString &contentType,
                               const QJsonParseError &parseError)
{
    const QByteArray trimmed = body.trimmed();
    if (trimmed.isEmpty())
        return tr("an empty reply");
    if (contentType.contains(QStringLiteral("html"), Qt::CaseInsensitive) ||
        trimmed.startsWith('<')) {
        static const QRegularExpression titlePattern(
            QStringLiteral("<title[^>]*>([^<]{1,200})</title>"),
            QRegularExpression::CaseInsensitiveOption);
        const QString text = QString::fromUtf8(trimmed.left(64 * 1024));
        const QRegularExpressionMatch match = titlePattern.match(text);
        if (match.hasMatch()) {
            QString title = match.captured(1).simplified();
            // Only printable text, and only a hint of it.
            title.remove(QRegularExpression(QStringLiteral("[^\\p{L}\\p{N} .,:;()/'-]")));
            if (title.size() > 60)
                title = title.left(57) + QStringLiteral("...");
            if (!title.isEmpty())
                return tr("a web page titled \"%1\" instead of Stripe's JSON").arg(title);
        }
        return tr("a web page instead of Stripe's JSON");
    }
    if (parseError.error == QJsonParseError::NoError)
        return tr("JSON that is not an object");
    if (parseError.error == QJsonParseError::UnterminatedObject ||
        parseError.error == QJsonParseError::UnterminatedArray ||
        parseError.error == QJsonParseError::UnterminatedString ||
        parseError.error == QJsonParseError::IllegalEscapeSequence) {
        return tr("JSON that was cut off after %n byte(s)", static_cast<int>(body.size()));
    }
    return tr("text that is not valid JSON (%1 at byte %2)")
        .arg(parseError.errorString())
        .arg(parseError.offset);
}

StripeErrorType errorTypeFor(int status, const QString &type)
{
    if (status == 401)
        return StripeErrorType::Authentication;
    if (status == 403)
        return StripeErrorType::Permission;
    if (status == 429)
        return StripeErrorType::RateLimit;
    if (type == QLatin1String("card_error"))
        return StripeErrorType::Card;
    if (type == QLatin1String("idempotency_error"))
        return StripeErrorType::Idempotency;
    if (type == QLatin1String("invalid_request_error"))
        return StripeErrorType::InvalidRequest;
    if (type == QLatin1String("api_error"))
        return StripeErrorType::Api;
    if (status == 402)
        return StripeErrorType::Card;
    if (status == 400 || status == 404)
        return StripeErrorType::InvalidRequest;
    return StripeErrorType::Api;
}

QString networkReason(QNetworkReply::NetworkError error)
{
    switch (error) {
    case QNetworkReply::ConnectionRefusedError:
        return tr("the connection was refused");
    case QNetworkReply::RemoteHostClosedError:
        return tr("the connection was closed before a complete reply");
    case QNetworkReply::HostNotFoundError:
        return tr("the host name could not be resolved");
    case QNetworkReply::SslHandshakeFailedError:
        return tr("the secure connection could not be established");
    case QNetworkReply::TemporaryNetworkFailureError:
    case QNetworkReply::NetworkSessionFailedError:
        return tr("the network is unavailable");
    case QNetworkReply::ProxyConnectionRefusedError:
    case QNetworkReply::ProxyConnectionClosedError:
    case QNetworkReply::ProxyNotFoundError:
    case QNetworkReply::ProxyTimeoutError:
    case QNetworkReply::ProxyAuthenticationRequiredError:
        return tr("the proxy could not be used");
    default:
        return tr("the connection failed");
    }
}

bool isNetworkLevel(QNetworkReply::NetworkError error)
{
    // Qt numbers transport and proxy failures below 200; HTTP statuses map above.
    return error != QNetworkReply::NoError && static_cast<int>(error) < 200;
}

int backoffMs(int retry)
{
    const double base =
        std::min(double(MinBackoffMs) * std::pow(2.0, retry - 1), double(MaxBackoffMs));
    const double jitter = 0.5 + 0.5 * QRandomGenerator::global()->generateDouble();
    return std::max(MinBackoffMs, static_cast<int>(base * jitter));
}

// Without a Retry-After, a rate limit is waited out longer than other failures: the limit is
// per second, so the first wait starts at a second.
int rateLimitBackoffMs(int retry)
{
    const double base = std::min(1000.0 * std::pow(2.0, retry - 1), double(MaxRateLimitWaitMs));
    const double jitter = 0.5 + 0.5 * QRandomGenerator::global()->generateDouble();
    return std::max(MinBackoffMs, static_cast<int>(base * jitter));
}
} // namespace

QByteArray encodeStripeForm(const QVariantMap &params)
{
    QList<QByteArray> parts;
    for (auto it = params.constBegin(); it != params.constEnd(); ++it)
        encodeValue(encodeKey(it.key()), it.value(), parts);
    return parts.join('&');
}

QVariantMap decodeStripeForm(const QByteArray &body)
{
    FormNode root;
    root.leaf = false;
    const QList<QByteArray> pairs = body.split('&');
    for (const QByteArray &pair : pairs) {
        if (pair.isEmpty())
            continue;
        const qsizetype eq = pair.indexOf('=');
        const QString key = formDecode(eq < 0 ? pair : pair.left(eq));
        const QString value = eq < 0 ? QString() : formDecode(pair.mid(eq + 1));
        if (key.isEmpty())
            continue;
        const QStringList path = keyPath(key);
        // The top level is always a map, even for a parameter named "0".
        FormNode &top = root.children[path.first()];
        insertPath(top, path, 1, value);
    }
    QVariantMap result;
    for (const auto &[key, child] : root.children)
        result.insert(key, nodeValue(child));
    return result;
}

QString StripeError::sentence() const
{
    QString text = message.trimmed();
    while (text.endsWith(u'.'))
        text.chop(1);
    QString lead;
    switch (type) {
    case StripeErrorType::Card:
        lead = tr("Stripe declined the payment: %1").arg(text);
        break;
    case StripeErrorType::InvalidRequest:
        lead = tr("Stripe refused the request: %1").arg(text);
        break;
    case StripeErrorType::Idempotency:
        lead = tr("Stripe refused a repeated request because its parameters differ from the "
                  "first one: %1")
                   .arg(text);
        break;
    case StripeErrorType::Authentication:
        lead = tr("Stripe did not accept the API key; check the key in the office settings: %1")
                   .arg(text);
        break;
    case StripeErrorType::Permission:
        lead = tr("The Stripe API key lacks a permission this needs: %1").arg(text);
        break;
    case StripeErrorType::RateLimit:
        lead =
            tr("Stripe is limiting the request rate; it will be tried again later: %1").arg(text);
        break;
    case StripeErrorType::Api:
        lead = tr("Stripe reported an error on its side: %1").arg(text);
        break;
    case StripeErrorType::Network:
    case StripeErrorType::Malformed:
        lead = text;
        break;
    }
    if (!requestId.isEmpty())
        return tr("%1 (request %2).").arg(lead, requestId);
    return lead + u'.';
}

struct StripeClient::Call
{
    QByteArray method;
    QString path;
    QVariantMap params;
    QString idempotencyKey;
    Callback done;
    QByteArray body;
    int attempts = 0;
    int retries = 0;
    int rateLimitRetries = 0;
};

struct StripeClient::ListState
{
    QString path;
    QVariantMap query;
    ListCallback done;
    StripeListReply result;
    QString lastId;
};

StripeClient::StripeClient(StripeClientOptions options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
    , m_network(new QNetworkAccessManager(this))
{
    m_network->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

StripeClient::~StripeClient()
{
    // Replies still in flight finish silently: their callbacks belong to a client that is
    // going away, and must not run against half-destroyed state.
    const auto replies = m_network->findChildren<QNetworkReply *>();
    for (QNetworkReply *reply : replies) {
        reply->disconnect();
        reply->abort();
    }
}

void StripeClient::post(const QString &path, const QVariantMap &params,
                        const QString &idempotencyKey, Callback done)
{
    auto call = std::make_shared<Call>();
    call->method = QByteArrayLiteral("POST");
    call->path = path;
    call->params = params;
    call->idempotencyKey = idempotencyKey;
    call->done = std::move(done);
    call->body = encodeStripeForm(params);
    send(call);
}

void StripeClient::get(const QString &path, const QVariantMap &query, Callback done)
{
    auto call = std::make_shared<Call>();
    call->method = QByteArrayLiteral("GET");
    call->path = path;
    call->params = query;
    call->done = std::move(done);
    send(call);
}

void StripeClient::remove(const QString &path, const QString &idempotencyKey, Callback done)
{
    auto call = std::make_shared<Call>();
    call->method = QByteArrayLiteral("DELETE");
    call->path = path;
    call->idempotencyKey = idempotencyKey;
    call->done = std::move(done);
    send(call);
}

QString StripeClient::redacted(QString text) const
{
    if (!m_options.secretKey.isEmpty())
        text.replace(m_options.secretKey, QStringLiteral("[secret key]"));
    // Any other key-shaped text (a server echoing a header, say) is cut to its prefix.
    static const QRegularExpression keyPattern(
        QStringLiteral("\\b((?:sk|rk|whsec)_(?:live_|test_)?)[A-Za-z0-9_]{6,}"));
    text.replace(keyPattern, QStringLiteral("\\1..."));
    return text;
}

void StripeClient::refuse(const std::shared_ptr<Call> &call, StripeErrorType type,
                          const QString &message)
{
    StripeReply reply;
    reply.error.type = type;
    reply.error.message = message;
    qCWarning(lcStripe).noquote() << call->method << call->path << "not sent:" << message;
    // Never from inside the caller's own call: it may not be ready for its callback yet.
    QTimer::singleShot(0, this, [done = call->done, reply] { done(reply); });
}

void StripeClient::send(std::shared_ptr<Call> call)
{
    const bool writes = call->method != "GET";
    if (writes && call->idempotencyKey.trimmed().isEmpty()) {
        // A write without a key could be executed twice by a retry: refuse before sending.
        return refuse(call, StripeErrorType::InvalidRequest,
                      tr("A change was about to be sent to Stripe without an idempotency key; "
                         "nothing was sent"));
    }
    if (writes && (call->idempotencyKey.size() > 255 ||
                   call->idempotencyKey.contains(QRegularExpression(QStringLiteral("[^ -~]"))))) {
        return refuse(call, StripeErrorType::InvalidRequest,
                      tr("The idempotency key is longer than Stripe's 255 characters or holds "
                         "characters a header cannot carry; nothing was sent"));
    }
    // Ids reach paths from the database and from Stripe's own events: a path is only ever
    // plain segments under /v1, so an id holding "/", "?" or ".." cannot aim elsewhere.
    static const QRegularExpression pathPattern(QStringLiteral("^/v1(/[A-Za-z0-9_.-]+)+$"));
    if (!pathPattern.match(call->path).hasMatch() || call->path.contains(QLatin1String("/../")) ||
        call->path.endsWith(QLatin1String("/..")) || call->path.contains(QLatin1String("/./")) ||
        call->path.endsWith(QLatin1String("/."))) {
        return refuse(call, StripeErrorType::InvalidRequest,
                      tr("A Stripe address was malformed (an id with characters Stripe ids never "
                         "have?); nothing was sent"));
    }
    if (m_options.secretKey.trimmed().isEmpty() ||
        m_options.secretKey.contains(QRegularExpression(QStringLiteral("[^!-~]")))) {
        return refuse(call, StripeErrorType::Authentication,
                      tr("No usable Stripe API key is configured; nothing was sent. Set the "
                         "office's Stripe key"));
    }

    QUrl url = m_options.baseUrl;
    QString basePath = url.path();
    while (basePath.endsWith(u'/'))
        basePath.chop(1);
    url.setPath(basePath + call->path);
    if (call->method == "GET" && !call->params.isEmpty())
        url.setQuery(QString::fromLatin1(encodeStripeForm(call->params)), QUrl::StrictMode);

    QNetworkRequest request(url);
    request.setRawHeader(QByteArrayLiteral("Authorization"),
                         QByteArrayLiteral("Bearer ") + m_options.secretKey.toUtf8());
    request.setRawHeader(QByteArrayLiteral("Stripe-Version"), m_options.apiVersion.toUtf8());
    request.setRawHeader(QByteArrayLiteral("Accept"), QByteArrayLiteral("application/json"));
    request.setRawHeader(QByteArrayLiteral("User-Agent"),
                         QByteArrayLiteral("NOBillConsole/" NOBILL_VERSION));
    if (writes)
        request.setRawHeader(QByteArrayLiteral("Idempotency-Key"), call->idempotencyKey.toUtf8());
    if (call->method == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/x-www-form-urlencoded"));
    // Our own timer bounds the attempt; Qt's transfer timeout only measures silence.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    if (url.scheme() != QLatin1String("https"))
        request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);

    ++call->attempts;
    QNetworkReply *reply = nullptr;
    if (call->method == "POST")
        reply = m_network->post(request, call->body);
    else if (call->method == "DELETE")
        reply = m_network->deleteResource(request);
    else
        reply = m_network->get(request);

    // The attempt's clock starts when Qt opens a connection or writes the request, not when
    // the request joins Qt's queue (six connections per host): a burst of calls must not
    // time out while waiting their turn. A request that never leaves the queue is bounded
    // too, more loosely.
    auto *timer = new QTimer(reply);
    timer->setSingleShot(true);
    connect(timer, &QTimer::timeout, reply, [reply] {
        reply->setProperty("nobillTimedOut", true);
        reply->abort();
    });
    const int timeout = std::max(1, m_options.timeoutMs);
    timer->start(timeout * 4);
    auto startClock = [timer, timeout] {
        if (!timer->property("nobillStarted").toBool()) {
            timer->setProperty("nobillStarted", true);
            timer->start(timeout);
        }
    };
    connect(reply, &QNetworkReply::socketStartedConnecting, timer, startClock);
    connect(reply, &QNetworkReply::requestSent, timer, startClock);
    connect(reply, &QNetworkReply::downloadProgress, reply, [reply](qint64 received, qint64) {
        if (received > MaxReplyBytes) {
            reply->setProperty("nobillTooLarge", true);
            reply->abort();
        }
    });
    connect(reply, &QNetworkReply::finished, this,
            [this, call, reply] { handleReply(call, reply); });
}

void StripeClient::retryLater(const std::shared_ptr<Call> &call, int delayMs)
{
    const int scaled = std::max(0, static_cast<int>(delayMs * m_options.retryDelayScale));
    QTimer::singleShot(scaled, this, [this, call] { send(call); });
}

void StripeClient::handleReply(const std::shared_ptr<Call> &call, QNetworkReply *reply)
{
    reply->deleteLater();
    StripeReply result;
    result.attempts = call->attempts;
    const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const int status = statusAttribute.isValid() ? statusAttribute.toInt() : 0;
    const QNetworkReply::NetworkError networkError = reply->error();
    const bool timedOut = reply->property("nobillTimedOut").toBool();
    // An aborted reply (timeout, too large) is closed: reading it would only warn.
    const QByteArray body = reply->isOpen() && reply->bytesAvailable() <= MaxReplyBytes
                                ? reply->readAll()
                                : QByteArray();
    result.requestId = QString::fromUtf8(reply->rawHeader(QByteArrayLiteral("Request-Id")));
    result.idempotentReplayed =
        reply->rawHeader(QByteArrayLiteral("Idempotent-Replayed")).toLower() == "true";
    const QByteArray shouldRetryHeader =
        reply->rawHeader(QByteArrayLiteral("Stripe-Should-Retry")).toLower();
    const bool serverSaysRetry = shouldRetryHeader == "true";
    const bool serverSaysNoRetry = shouldRetryHeader == "false";

    if (reply->property("nobillTooLarge").toBool()) {
        result.httpStatus = status;
        result.error.type = StripeErrorType::Malformed;
        result.error.httpStatus = status;
        result.error.requestId = result.requestId;
        result.error.message =
            tr("Stripe's reply was larger than any Stripe reply (over 16 MB); it was not read");
        qCWarning(lcStripe).noquote() << call->method << call->path << result.error.message;
        call->done(result);
        return;
    }

    // No complete reply: refused, reset, timed out, or cut off mid-body.
    if (status == 0 || isNetworkLevel(networkError) || timedOut) {
        if (call->retries < m_options.maxRetries) {
            ++call->retries;
            qCInfo(lcStripe).noquote()
                << call->method << call->path << "no complete reply"
                << (timedOut ? "(timed out)" : "") << "- retry" << call->retries;
            retryLater(call, backoffMs(call->retries));
            return;
        }
        result.error.type = StripeErrorType::Network;
        result.error.timedOut = timedOut;
        result.error.retryable = true;
        if (timedOut) {
            result.error.message = tr("Stripe did not answer within %n second(s)", nullptr,
                                      std::max(1, (m_options.timeoutMs + 999) / 1000));
        } else {
            result.error.message =
                tr("Stripe could not be reached: %1").arg(networkReason(networkError));
        }
        result.error.message = redacted(result.error.message);
        qCWarning(lcStripe).noquote() << call->method << call->path << "failed after"
                                      << call->attempts << "attempt(s):" << result.error.message;
        call->done(result);
        return;
    }

    result.httpStatus = status;
    const QString contentType = reply->header(QNetworkRequest::ContentTypeHeader).toString();
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const bool isObject = parseError.error == QJsonParseError::NoError && document.isObject();

    if (status >= 200 && status < 300) {
        if (isObject) {
            result.ok = true;
            result.object = document.object();
            call->done(result);
            return;
        }
        result.error.type = StripeErrorType::Malformed;
        result.error.httpStatus = status;
        result.error.requestId = result.requestId;
        // The change may have been made: asking again with the same key gets Stripe's
        // stored answer, so a later retry is safe and useful.
        result.error.retryable = true;
        result.error.message =
            redacted(tr("Stripe's reply could not be read (HTTP %1): %2")
                         .arg(status)
                         .arg(describeUnreadableBody(body, contentType, parseError)));
        qCWarning(lcStripe).noquote() << call->method << call->path << result.error.message;
        call->done(result);
        return;
    }

    // An error status. Retry as the official SDKs do, and 429 with its own backoff.
    if (!serverSaysNoRetry) {
        if (status == 429 && !serverSaysRetry) {
            if (call->rateLimitRetries < m_options.maxRateLimitRetries) {
                ++call->rateLimitRetries;
                bool haveSeconds = false;
                const double seconds = reply->rawHeader(QByteArrayLiteral("Retry-After"))
                                           .trimmed()
                                           .toDouble(&haveSeconds);
                const int delay = haveSeconds && seconds >= 0
                                      ? static_cast<int>(std::min(
                                            seconds * 1000.0, double(m_options.maxRetryAfterMs)))
                                      : rateLimitBackoffMs(call->rateLimitRetries);
                qCInfo(lcStripe).noquote()
                    << call->method << call->path << "rate limited - waiting" << delay << "ms";
                retryLater(call, delay);
                return;
            }
        } else if ((serverSaysRetry || status == 409 || status >= 500) &&
                   call->retries < m_options.maxRetries) {
            ++call->retries;
            qCInfo(lcStripe).noquote()
                << call->method << call->path << "HTTP" << status << "- retry" << call->retries;
            retryLater(call, backoffMs(call->retries));
            return;
        }
    }

    StripeError &error = result.error;
    error.httpStatus = status;
    error.requestId = result.requestId;
    error.retryable =
        !serverSaysNoRetry && (serverSaysRetry || status == 409 || status == 429 || status >= 500);
    const QJsonValue errorValue =
        isObject ? document.object().value(QLatin1String("error")) : QJsonValue();
    if (!errorValue.isObject()) {
        error.type = StripeErrorType::Malformed;
        error.message =
            redacted(tr("Stripe answered HTTP %1 with %2")
                         .arg(status)
                         .arg(isObject ? tr("JSON without an error description")
                                       : describeUnreadableBody(body, contentType, parseError)));
    } else {
        const QJsonObject e = errorValue.toObject();
        const QString type = e.value(QLatin1String("type")).toString();
        error.type = errorTypeFor(status, type);
        error.code = e.value(QLatin1String("code")).toString();
        error.param = e.value(QLatin1String("param")).toString();
        error.declineCode = e.value(QLatin1String("decline_code")).toString();
        QString message = e.value(QLatin1String("message")).toString().trimmed();
        if (message.isEmpty())
            message = tr("HTTP %1 without a message").arg(status);
        error.message = redacted(message);
    }
    qCWarning(lcStripe).noquote() << call->method << call->path << "HTTP" << status << error.code
                                  << "request" << error.requestId << "after" << call->attempts
                                  << "attempt(s)";
    call->done(result);
}

void StripeClient::listAll(const QString &path, const QVariantMap &query, ListCallback done)
{
    auto state = std::make_shared<ListState>();
    state->path = path;
    state->query = query;
    if (!state->query.contains(QStringLiteral("limit")))
        state->query.insert(QStringLiteral("limit"), 100);
    state->done = std::move(done);
    fetchPage(state);
}

void StripeClient::fetchPage(const std::shared_ptr<ListState> &state)
{
    QVariantMap query = state->query;
    if (!state->lastId.isEmpty())
        query.insert(QStringLiteral("starting_after"), state->lastId);
    get(state->path, query, [this, state](const StripeReply &reply) {
        StripeListReply &result = state->result;
        auto fail = [&](const QString &message) {
            result.ok = false;
            result.items.clear();
            result.error = StripeError{};
            result.error.type = StripeErrorType::Malformed;
            result.error.httpStatus = reply.httpStatus;
            result.error.requestId = reply.requestId;
            result.error.retryable = true;
            result.error.message = message;
            state->done(result);
        };
        if (!reply.ok) {
            result.ok = false;
            result.items.clear();
            result.error = reply.error;
            state->done(result);
            return;
        }
        ++result.pages;
        const QJsonValue data = reply.object.value(QLatin1String("data"));
        if (!data.isArray()) {
            fail(tr("Stripe's reply to a list request has no list of objects"));
            return;
        }
        const QJsonArray array = data.toArray();
        for (const QJsonValue &item : array) {
            if (!item.isObject()) {
                fail(tr("Stripe's list holds something that is not an object"));
                return;
            }
            result.items.append(item.toObject());
        }
        const bool hasMore = reply.object.value(QLatin1String("has_more")).toBool();
        if (!hasMore) {
            result.ok = true;
            state->done(result);
            return;
        }
        const QString last = array.isEmpty()
                                 ? QString()
                                 : array.last().toObject().value(QLatin1String("id")).toString();
        if (last.isEmpty() || last == state->lastId) {
            fail(tr("Stripe said more objects follow but gave no id to continue from"));
            return;
        }
        if (result.pages >= m_options.maxPages) {
            fail(tr("The list from Stripe is longer than %n page(s); stopped there", nullptr,
                    m_options.maxPages));
            return;
        }
        state->lastId = last;
        fetchPage(state);
    });
}

} // namespace nobill
