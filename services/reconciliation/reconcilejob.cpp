#include "reconciliation/reconcilejob.h"

#include "jobs/jobkinds.h"
#include "reconciliation/reconciler.h"
#include "stripe/stripeclient.h"

#include <QCoreApplication>
#include <QJsonArray>

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::Reconciler", text);
}

using Done = std::function<void(JobOutcome)>;

// Reads our side with the worker's connection, one statement after another, then Stripe's.
struct ReconcileRun : std::enable_shared_from_this<ReconcileRun>
{
    ClaimedJob job;
    JobContext *context = nullptr;
    Done done;
    QStringList queries = Reconciler::ourQueries();
    QList<QList<QVariantMap>> rows;

    void readNext()
    {
        if (rows.size() == queries.size())
            return fetch();
        auto self = shared_from_this();
        context->query(queries.at(rows.size()), {}, [self](Result<QList<QVariantMap>> result) {
            if (!result)
                return self->done(
                    JobOutcome::retry(tr("The worker could not read from the database: %1")
                                          .arg(result.error().message)));
            self->rows.append(result.value());
            self->readNext();
        });
    }

    void fetch()
    {
        auto self = shared_from_this();
        Reconciler::fetchStripe(context->stripe(), [self](Result<StripeState> stripe) {
            if (!stripe) {
                const QString message = stripe.error().message;
                return self->done(stripe.error().kind == ErrorKind::Unavailable
                                      ? JobOutcome::retry(message)
                                      : JobOutcome::fail(message));
            }
            self->finish(stripe.value());
        });
    }

    void finish(const StripeState &stripe)
    {
        const OurState ours{rows.at(0), rows.at(1), rows.at(2), rows.at(3)};
        DriftReport report = Reconciler::compare(stripe, ours);
        const bool repair = job.payload.value(QLatin1String("repair")).toBool();
        if (!repair) {
            QJsonObject result = report.toJson();
            result.insert(QStringLiteral("repair"), false);
            return done(JobOutcome::succeeded(result));
        }
        QStringList wanted;
        const QJsonArray drift = job.payload.value(QLatin1String("drift")).toArray();
        for (const QJsonValue &id : drift)
            wanted << id.toString();
        wanted.removeAll(QString());
        if (wanted.isEmpty())
            return done(JobOutcome::fail(tr("The repair names no differences to repair; compare "
                                            "with Stripe again and choose what to repair.")));
        QStringList repaired;
        const QList<SqlWrite> writes = Reconciler::repairWrites(report, wanted, &repaired);
        report.repaired = int(repaired.size());
        QJsonObject result = report.toJson();
        result.insert(QStringLiteral("repair"), true);
        result.insert(QStringLiteral("repaired_ids"), QJsonArray::fromStringList(repaired));
        // Asked for but gone by now (repaired meanwhile, or Stripe changed back): not an error.
        result.insert(QStringLiteral("no_longer_drifting"),
                      int(wanted.size()) - int(repaired.size()));
        done(JobOutcome::succeeded(result, writes));
    }
};

class ReconcileHandler final : public JobHandler
{
public:
    QStringList kinds() const override { return {jobkinds::ReconcileStripe}; }
    void execute(const ClaimedJob &job, JobContext &context, Done done) override
    {
        auto run = std::make_shared<ReconcileRun>();
        run->job = job;
        run->context = &context;
        run->done = std::move(done);
        run->readNext();
    }
};

} // namespace

std::shared_ptr<JobHandler> reconcileJobHandler()
{
    return std::make_shared<ReconcileHandler>();
}

} // namespace nobill
