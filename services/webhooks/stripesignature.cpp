#include "webhooks/stripesignature.h"

#include <QCoreApplication>
#include <QMessageAuthenticationCode>

#include <openssl/crypto.h>

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::StripeSignature", text);
}

int hexValue(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

// QByteArray::fromHex skips invalid characters silently; a signature must be exact.
bool decodeHex(QByteArrayView hex, QByteArray *out)
{
    if (hex.size() != 64)
        return false;
    out->resize(32);
    for (qsizetype i = 0; i < 32; ++i) {
        const int high = hexValue(hex[2 * i]);
        const int low = hexValue(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return false;
        (*out)[i] = static_cast<char>((high << 4) | low);
    }
    return true;
}

bool parseSeconds(QByteArrayView text, qint64 *out)
{
    // Plain digits only: no sign, no spaces, no hex; 12 digits reach past the year 33000.
    if (text.isEmpty() || text.size() > 12)
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

QByteArray hmac(QByteArrayView body, qint64 timestamp, QByteArrayView secret)
{
    QMessageAuthenticationCode code(QCryptographicHash::Sha256, secret.toByteArray());
    code.addData(QByteArray::number(timestamp));
    code.addData(".", 1);
    code.addData(body.data(), body.size());
    return code.result();
}

} // namespace

SignatureRejection parseStripeSignatureHeader(QByteArrayView header, StripeSignatureHeader *out)
{
    header = trimmed(header);
    if (header.isEmpty())
        return SignatureRejection::MissingHeader;
    if (header.size() > MaxSignatureHeaderLength)
        return SignatureRejection::MalformedHeader;

    StripeSignatureHeader result;
    bool haveTimestamp = false;
    bool badEncoding = false;
    int v1Count = 0;
    qsizetype start = 0;
    while (start <= header.size()) {
        qsizetype end = header.indexOf(',', start);
        if (end < 0)
            end = header.size();
        const QByteArrayView part = trimmed(header.sliced(start, end - start));
        start = end + 1;
        const qsizetype equals = part.indexOf('=');
        if (equals <= 0)
            return SignatureRejection::MalformedHeader;
        const QByteArrayView key = part.first(equals);
        const QByteArrayView value = part.sliced(equals + 1);
        if (key == "t") {
            if (haveTimestamp)
                return SignatureRejection::DuplicateTimestamp;
            haveTimestamp = true;
            if (!parseSeconds(value, &result.timestamp))
                return SignatureRejection::BadTimestamp;
        } else if (key == "v1") {
            if (++v1Count > MaxV1Signatures)
                return SignatureRejection::TooManySignatures;
            QByteArray decoded;
            if (!decodeHex(value, &decoded))
                badEncoding = true;
            else
                result.signatures.append(decoded);
        }
        // Other keys (v0 test-mode signatures, schemes Stripe may add) are ignored.
    }
    if (!haveTimestamp)
        return SignatureRejection::MissingTimestamp;
    if (badEncoding)
        return SignatureRejection::BadSignatureEncoding;
    if (result.signatures.isEmpty())
        return SignatureRejection::NoSignature;
    *out = std::move(result);
    return SignatureRejection::None;
}

SignatureRejection verifyStripeSignature(QByteArrayView body, QByteArrayView header,
                                         const QList<QByteArray> &secrets, qint64 now,
                                         int toleranceSeconds)
{
    StripeSignatureHeader parsed;
    const SignatureRejection parseResult = parseStripeSignatureHeader(header, &parsed);
    if (parseResult != SignatureRejection::None)
        return parseResult;
    if (parsed.timestamp < now - toleranceSeconds)
        return SignatureRejection::TimestampTooOld;
    if (parsed.timestamp > now + toleranceSeconds)
        return SignatureRejection::TimestampInFuture;

    bool anySecret = false;
    bool matched = false;
    for (qsizetype i = 0; i < secrets.size() && i < 2; ++i) {
        if (secrets.at(i).isEmpty())
            continue;
        anySecret = true;
        const QByteArray expected = hmac(body, parsed.timestamp, secrets.at(i));
        // Every signature is compared in full, whatever matched before, so the time taken
        // says nothing about which bytes or which secret matched.
        for (const QByteArray &signature : parsed.signatures) {
            if (CRYPTO_memcmp(expected.constData(), signature.constData(), 32) == 0)
                matched = true;
        }
    }
    if (!anySecret)
        return SignatureRejection::NoSecret;
    return matched ? SignatureRejection::None : SignatureRejection::NoMatch;
}

QByteArray stripeSignature(QByteArrayView body, qint64 timestamp, QByteArrayView secret)
{
    return hmac(body, timestamp, secret).toHex();
}

QByteArray stripeSignatureHeader(QByteArrayView body, qint64 timestamp, QByteArrayView secret)
{
    return "t=" + QByteArray::number(timestamp) + ",v1=" + stripeSignature(body, timestamp, secret);
}

QByteArray signatureRejectionCode(SignatureRejection rejection)
{
    switch (rejection) {
    case SignatureRejection::None:
        return "none";
    case SignatureRejection::MissingHeader:
        return "missing_header";
    case SignatureRejection::MalformedHeader:
        return "malformed_header";
    case SignatureRejection::MissingTimestamp:
        return "missing_timestamp";
    case SignatureRejection::DuplicateTimestamp:
        return "duplicate_timestamp";
    case SignatureRejection::BadTimestamp:
        return "bad_timestamp";
    case SignatureRejection::NoSignature:
        return "no_signature";
    case SignatureRejection::TooManySignatures:
        return "too_many_signatures";
    case SignatureRejection::BadSignatureEncoding:
        return "bad_signature_encoding";
    case SignatureRejection::TimestampTooOld:
        return "timestamp_too_old";
    case SignatureRejection::TimestampInFuture:
        return "timestamp_in_future";
    case SignatureRejection::NoSecret:
        return "no_secret";
    case SignatureRejection::NoMatch:
        return "no_match";
    }
    return "unknown";
}

QString signatureRejectionText(SignatureRejection rejection)
{
    switch (rejection) {
    case SignatureRejection::None:
        return tr("The signature is valid.");
    case SignatureRejection::MissingHeader:
        return tr("The Stripe-Signature header is missing.");
    case SignatureRejection::MalformedHeader:
        return tr("The Stripe-Signature header is malformed.");
    case SignatureRejection::MissingTimestamp:
        return tr("The Stripe-Signature header has no timestamp (t=).");
    case SignatureRejection::DuplicateTimestamp:
        return tr("The Stripe-Signature header has more than one timestamp (t=).");
    case SignatureRejection::BadTimestamp:
        return tr("The Stripe-Signature timestamp is not a number of seconds.");
    case SignatureRejection::NoSignature:
        return tr("The Stripe-Signature header has no v1 signature.");
    case SignatureRejection::TooManySignatures:
        return tr("The Stripe-Signature header has too many v1 signatures.");
    case SignatureRejection::BadSignatureEncoding:
        return tr("A v1 signature is not 64 hexadecimal digits.");
    case SignatureRejection::TimestampTooOld:
        return tr("The signature timestamp is too old; check this machine's clock.");
    case SignatureRejection::TimestampInFuture:
        return tr("The signature timestamp is in the future; check this machine's clock.");
    case SignatureRejection::NoSecret:
        return tr("No webhook signing secret is configured on this listener.");
    case SignatureRejection::NoMatch:
        return tr("No v1 signature matches this endpoint's signing secret.");
    }
    return tr("The signature was refused.");
}

} // namespace nobill
