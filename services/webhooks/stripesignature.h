#pragma once

// Stripe webhook signatures (see ../shared/notes/stripe.md): the Stripe-Signature header is
// parsed into its timestamp and v1 signatures, and checked against the raw request body
// before anything of the body is parsed or stored.

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QString>

namespace nobill {

// Why a signed request was refused. Each has a stable code (a Prometheus label) and a short
// sentence for the 400 answer; nothing of a refused request is stored.
enum class SignatureRejection {
    None,
    MissingHeader,        // no Stripe-Signature header, or an empty one
    MalformedHeader,      // a part without "=", an empty key, or a header far too long
    MissingTimestamp,     // no t=
    DuplicateTimestamp,   // t= given twice: which one was signed is ambiguous
    BadTimestamp,         // t= is not a plain decimal number of seconds
    NoSignature,          // no v1= at all (other schemes such as v0 are ignored)
    TooManySignatures,    // more v1= than Stripe ever sends: bounds the work per request
    BadSignatureEncoding, // a v1= that is not 64 hexadecimal digits
    TimestampTooOld,      // signed longer ago than the tolerance
    TimestampInFuture,    // signed further ahead than the tolerance (a wrong clock or a forgery)
    NoSecret,             // the listener has no secret configured
    NoMatch,              // no v1 signature matches any of our secrets
};

struct StripeSignatureHeader
{
    qint64 timestamp = 0;
    // Decoded v1 signatures (32 bytes each).
    QList<QByteArray> signatures;
};

// Limits of the parser; Stripe sends one or two v1 signatures in a header of ~150 bytes.
constexpr int MaxSignatureHeaderLength = 4096;
constexpr int MaxV1Signatures = 8;
constexpr int DefaultSignatureToleranceSeconds = 300;

// Splits on ",", then on the first "=". Unknown keys (v0, future schemes) are ignored.
// Returns None and fills `out`, or the reason the header is unusable.
SignatureRejection parseStripeSignatureHeader(QByteArrayView header, StripeSignatureHeader *out);

// Valid if any v1 signature equals HMAC-SHA256(secret, "<t>.<body>") for any of `secrets`
// (at most two are used: the current one and the one being rotated out), compared in
// constant time, and t lies within `toleranceSeconds` of `now` on either side.
SignatureRejection verifyStripeSignature(QByteArrayView body, QByteArrayView header,
                                         const QList<QByteArray> &secrets, qint64 now,
                                         int toleranceSeconds = DefaultSignatureToleranceSeconds);

// The lowercase hex signature Stripe would send for `body` at `timestamp`: for tests,
// benchmarks and the fuzz target.
QByteArray stripeSignature(QByteArrayView body, qint64 timestamp, QByteArrayView secret);
// A whole header: "t=<timestamp>,v1=<signature>".
QByteArray stripeSignatureHeader(QByteArrayView body, qint64 timestamp, QByteArrayView secret);

// "no_match", "missing_header", ...: stable, for metrics labels.
QByteArray signatureRejectionCode(SignatureRejection rejection);
// A short sentence for the 400 answer and the log.
QString signatureRejectionText(SignatureRejection rejection);

} // namespace nobill
