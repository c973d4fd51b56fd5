#pragma once

// The head of an HTTP/1.1 request (request line and headers, without the blank line), parsed
// strictly and without a socket: the listener's most exposed parser, fuzzed on its own
// (fuzz/fuzz_httphead.cpp). Only what the webhook listener needs is kept.

#include <QByteArray>
#include <QByteArrayView>

namespace nobill {

struct HttpRequestHead
{
    QByteArray method;
    QByteArray path;           // without the query string
    qint64 contentLength = -1; // -1: no Content-Length header
    QByteArray stripeSignature;
    int stripeSignatureHeaders = 0; // more than one is refused by the listener
    bool keepAlive = true;          // HTTP/1.1 unless "Connection: close"; 1.0 only if asked
    bool expectContinue = false;
    bool transferEncoding = false; // chunked bodies are not accepted
};

enum class HttpHeadError {
    None,
    BadRequestLine,   // not "METHOD /path HTTP/1.x"
    BadHeaderLine,    // a line without a name and a colon, or a folded line
    BadContentLength, // not plain digits, too large, or two different values
};

HttpHeadError parseHttpRequestHead(QByteArrayView head, HttpRequestHead *out);

} // namespace nobill
