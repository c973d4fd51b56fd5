#pragma once

#include "core/result.h"

#include <QJsonObject>
#include <QString>

namespace nobill {

// Queues work that changes Stripe through nobill_enqueue_job(): the database checks the
// permission the kind needs in the organization and keeps one job per idempotency key, so
// the same request queued twice returns the first job's id. Run on the thread owning the
// connection.
Result<QString> enqueueStripeJob(const QString &connectionName, const QString &organizationId,
                                 const QString &kind, const QJsonObject &payload,
                                 const QString &idempotencyKey);

} // namespace nobill
