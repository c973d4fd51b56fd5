#include "jobs/jobhandler.h"

#include "stripe/stripeclient.h"

#include <QCryptographicHash>

namespace nobill {

JobOutcome JobOutcome::fromStripe(const StripeError &error)
{
    return error.retryable ? retry(error.sentence()) : fail(error.sentence());
}

QString JobContext::stripeKey(const ClaimedJob &job, const QString &step)
{
    const QString key =
        step.isEmpty() ? job.idempotencyKey : job.idempotencyKey + QLatin1Char(':') + step;
    if (key.size() <= 255)
        return key;
    return QStringLiteral("nobill-") +
           QString::fromLatin1(
               QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha256).toHex());
}

} // namespace nobill
