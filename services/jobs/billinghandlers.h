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

// The version a job's result stands for in the per-object order of Stripe's events
// (migration 0015, nobill_stripe_object_advance): the moment the job's request left for
// Stripe, to the millisecond, and the event id "evt_job_<job id without hyphens>". Stripe's
// events carry whole seconds: one created before that moment (including earlier in the same
// second) is older than the job's answer and is ignored as stale when it arrives later; one
// created in a later second still wins, and a job's answer recorded after such a newer event
// was applied changes nothing. Two jobs on one object are ordered by when they were sent,
// even within a second. (The rare event created in the same second but after the request is
// taken as older; `nobillctl stripe reconcile` repairs that.)
struct JobVersion
{
    QString eventId;
    qint64 sentMs = 0;                           // milliseconds since the epoch
    static JobVersion of(const ClaimedJob &job); // sent now
};

// Exposed for tests: the statement recording a Stripe subscription object into our row
// `subscriptionId` as of `version`, or an error sentence if the object is not a usable
// subscription.
Result<SqlWrite> subscriptionStateWrite(const QString &subscriptionId, const QJsonObject &object,
                                        const JobVersion &version);

} // namespace nobill
