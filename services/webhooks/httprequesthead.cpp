#include "webhooks/httprequesthead.h"

namespace nobill {

namespace {

bool parseLength(QByteArrayView text, qint64 *out)
{
    // Plain digits; 15 of them are far beyond any body we accept and cannot overflow.
    if (text.isEmpty() || text.size() > 15)
        return false;
    qint64 value = 0;
    for (const char c : text) {
        if (c < '0' || c > '9')
            return false;
        value = value * 10 + (c - '0');
    }
    *out = value;
    return true;
}

QByteArrayView trimmed(QByteArrayView text)
{
    while (!text.isEmpty() && (text.front() == ' ' || text.front() == '\t'))
        text = text.sliced(1);
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\t'))
        text.chop(1);
    return text;
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        const bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                        (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.' || c == '!' ||
                        c == '#' || c == '$' || c == '%' || c == '&' || c == '\'' || c == '*' ||
                        c == '+' || c == '^' || c == '`' || c == '|' || c == '~';
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

HttpHeadError parseHttpRequestHead(QByteArrayView head, HttpRequestHead *out)
{
    HttpRequestHead result;
    qsizetype lineEnd = head.indexOf("\r\n");
    const QByteArrayView requestLine = lineEnd < 0 ? head : head.first(lineEnd);

    // METHOD SP request-target SP HTTP/1.x, single spaces.
    const qsizetype firstSpace = requestLine.indexOf(' ');
    const qsizetype lastSpace = requestLine.lastIndexOf(' ');
    if (firstSpace <= 0 || lastSpace <= firstSpace + 1)
        return HttpHeadError::BadRequestLine;
    const QByteArrayView method = requestLine.first(firstSpace);
    const QByteArrayView target = requestLine.sliced(firstSpace + 1, lastSpace - firstSpace - 1);
    const QByteArrayView version = requestLine.sliced(lastSpace + 1);
    if (!isToken(method) || !target.startsWith('/') || target.contains(' ') ||
        (version != "HTTP/1.1" && version != "HTTP/1.0"))
        return HttpHeadError::BadRequestLine;
    result.method = method.toByteArray();
    const qsizetype query = target.indexOf('?');
    result.path = (query < 0 ? target : target.first(query)).toByteArray();
    result.keepAlive = version == "HTTP/1.1";

    while (lineEnd >= 0) {
        const qsizetype start = lineEnd + 2;
        lineEnd = head.indexOf("\r\n", start);
        const QByteArrayView line =
            lineEnd < 0 ? head.sliced(start) : head.sliced(start, lineEnd - start);
        const qsizetype colon = line.indexOf(':');
        // No whitespace before the colon (RFC 9112 5.1) and no folded continuation lines.
        if (colon <= 0 || !isToken(line.first(colon)))
            return HttpHeadError::BadHeaderLine;
        const QByteArray name = line.first(colon).toByteArray().toLower();
        const QByteArrayView value = trimmed(line.sliced(colon + 1));
        if (name == "content-length") {
            qint64 length = 0;
            if (!parseLength(value, &length) ||
                (result.contentLength >= 0 && result.contentLength != length))
                return HttpHeadError::BadContentLength;
            result.contentLength = length;
        } else if (name == "transfer-encoding") {
            result.transferEncoding = true;
        } else if (name == "stripe-signature") {
            ++result.stripeSignatureHeaders;
            result.stripeSignature = value.toByteArray();
        } else if (name == "connection") {
            const QByteArray option = value.toByteArray().toLower();
            if (option.contains("close"))
                result.keepAlive = false;
            else if (option.contains("keep-alive"))
                result.keepAlive = true;
        } else if (name == "expect") {
            result.expectContinue = value.compare("100-continue", Qt::CaseInsensitive) == 0;
        }
    }
    *out = std::move(result);
    return HttpHeadError::None;
}

} // namespace nobill
