#pragma once

#include "core/result.h"
#include "jobs/jobqueue.h"

#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QVariantMap>

#include <functional>

namespace nobill {

class StripeClient;
struct StripeError;

// How one attempt of a job ended.
struct JobOutcome
{
    enum class Kind {
        Succeeded, // result recorded, writes applied with it in one transaction
        Retry,     // try again after the backoff (until the attempts run out)
        Fail,      // failed for good; the error is shown in the Jobs screen
    };
    Kind kind = Kind::Fail;
    QJsonObject result;
    QList<SqlWrite> writes;
    QString error; // a sentence for the Jobs screen (never the Stripe key, never raw SQL)

    static JobOutcome succeeded(QJsonObject result, QList<SqlWrite> writes = {})
    {
        return {Kind::Succeeded, std::move(result), std::move(writes), QString()};
    }
    static JobOutcome retry(QString error) { return {Kind::Retry, {}, {}, std::move(error)}; }
    static JobOutcome fail(QString error) { return {Kind::Fail, {}, {}, std::move(error)}; }
    // Retry or fail as Stripe says (StripeError::retryable), with its sentence.
    static JobOutcome fromStripe(const StripeError &error);
};

// What a handler may use while it runs a job. Callbacks arrive on the worker's thread.
class JobContext
{
public:
    virtual ~JobContext() = default;
    virtual StripeClient &stripe() = 0;
    // Runs one statement on the worker's database connection (not in the transaction of the
    // outcome); for reading what a job needs and for marking work before calling Stripe.
    virtual void query(const QString &sql, const QVariantList &values,
                       std::function<void(Result<QList<QVariantMap>>)> done) = 0;

    // The Idempotency-Key of one of a job's Stripe requests: the job's key, plus the step
    // for jobs that send several. At most 255 characters (Stripe's limit): longer keys are
    // shortened to a hash of themselves, the same every time.
    static QString stripeKey(const ClaimedJob &job, const QString &step = {});
};

// Executes the jobs of some kinds. `done` must be called exactly once per execute(); the
// worker gives up on a job that does not answer in time (retried later).
class JobHandler
{
public:
    virtual ~JobHandler() = default;
    virtual QStringList kinds() const = 0;
    virtual void execute(const ClaimedJob &job, JobContext &context,
                         std::function<void(JobOutcome)> done) = 0;
};

} // namespace nobill
