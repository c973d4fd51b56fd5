// libFuzzer target: the Stripe-Signature header parser and verifier never crash, never read
// out of bounds, and agree with the signer. Input: "<header>\n<body>".

#include "webhooks/stripesignature.h"

#include <cstdint>
#include <cstdlib>

using namespace nobill;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView input(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype newline = input.indexOf('\n');
    const QByteArrayView header = newline < 0 ? input : input.first(newline);
    const QByteArrayView body = newline < 0 ? QByteArrayView() : input.sliced(newline + 1);
    const QList<QByteArray> secrets{QByteArray("whsec_fuzz_a"), QByteArray("whsec_fuzz_b")};
    constexpr qint64 now = 1700000000;

    StripeSignatureHeader parsed;
    const SignatureRejection parse = parseStripeSignatureHeader(header, &parsed);
    const SignatureRejection verdict = verifyStripeSignature(body, header, secrets, now);
    if (parse != SignatureRejection::None) {
        // A header that does not parse is refused for that very reason.
        if (verdict != parse)
            std::abort();
    } else {
        for (const QByteArray &signature : parsed.signatures) {
            if (signature.size() != 32)
                std::abort();
        }
        if (parsed.signatures.isEmpty() || parsed.signatures.size() > MaxV1Signatures)
            std::abort();
    }
    (void)signatureRejectionCode(verdict);
    (void)signatureRejectionText(verdict);

    // Whatever the body, what Stripe would send for it verifies, with either secret, and a
    // changed body does not.
    const QByteArray good = stripeSignatureHeader(body, now - 5, secrets.at(1));
    if (verifyStripeSignature(body, good, secrets, now) != SignatureRejection::None)
        std::abort();
    const QByteArray changed = body.toByteArray() + 'x';
    if (verifyStripeSignature(changed, good, secrets, now) != SignatureRejection::NoMatch)
        std::abort();
    return 0;
}
