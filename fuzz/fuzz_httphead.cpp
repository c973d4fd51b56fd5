// libFuzzer target: the listener's HTTP request-head parser, on arbitrary bytes.

#include "webhooks/httprequesthead.h"

#include <cstdint>
#include <cstdlib>

using namespace nobill;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView head(reinterpret_cast<const char *>(data), qsizetype(size));
    HttpRequestHead request;
    if (parseHttpRequestHead(head, &request) != HttpHeadError::None)
        return 0;
    // What the listener relies on once a head is accepted.
    if (request.method.isEmpty() || !request.path.startsWith('/') || request.path.contains('?') ||
        request.contentLength < -1 || request.contentLength > 999999999999999LL ||
        request.stripeSignatureHeaders < 0)
        std::abort();
    return 0;
}
