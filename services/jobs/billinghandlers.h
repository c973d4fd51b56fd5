#pragma once

#include "jobs/jobhandler.h"

#include <QJsonObject>
#include <QList>

#include <memory>

namespace nobill {

// The handlers of every kind in jobs/jobkinds.h. Each calls Stripe with the job's
// idempotency key (plus a step suffix for jobs with several POSTs) and records what Stripe
// answered in the same transaction that marks the job succeeded. An answer that is not the
// object asked for (missing id or status, a status we do not know) fails the job with a
// sentence saying so, and nothing is recorded. stripe.reconcile: services/reconciliation.
QList<std::shared_ptr<JobHandler>> billingJobHandlers();

// Exposed for tests: the statement recording a Stripe subscription object into our row
// `subscriptionId`, or an error sentence if the object is not a usable subscription.
Result<SqlWrite> subscriptionStateWrite(const QString &subscriptionId, const QJsonObject &object);

} // namespace nobill
