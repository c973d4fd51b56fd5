#include "jobs/jobtracker.h"

#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobservice.h"
#include "subscriptions/stripework.h"

#include <QJsonDocument>

namespace nobill {

JobTracker::JobTracker(DatabaseWorker *worker, QObject *parent)
    : QObject(parent)
    , m_worker(worker)
{
    m_poll.setInterval(3000);
    connect(&m_poll, &QTimer::timeout, this, &JobTracker::reload);
    m_stale.setSingleShot(true);
    connect(&m_stale, &QTimer::timeout, this, [this]() {
        if (m_state != State::Queued || m_waitingLong)
            return;
        m_waitingLong = true;
        emit waitingLong();
    });
}

void JobTracker::setChangeFeed(ChangeFeed *feed)
{
    if (m_feed)
        disconnect(m_feed, nullptr, this, nullptr);
    m_feed = feed;
    if (feed)
        connect(feed, &ChangeFeed::changed, this, &JobTracker::onChange);
}

void JobTracker::setPollIntervalMs(int ms)
{
    m_poll.setInterval(ms);
}

void JobTracker::enqueue(const QString &organizationId, const QString &kind,
                         const QJsonObject &payload, const QString &idempotencyKey)
{
    enqueueWith([organizationId, kind, payload, idempotencyKey](const QString &connection) {
        return enqueueStripeJob(connection, organizationId, kind, payload, idempotencyKey);
    });
}

void JobTracker::enqueueWith(EnqueueTask task)
{
    m_jobId.clear();
    m_job = Job();
    m_result = QJsonObject();
    m_error.clear();
    m_waitingLong = false;
    setState(State::Queueing);
    m_worker->run<QString>(this, std::move(task), [this](Result<QString> id) {
        if (!id) {
            fail(id.error().message);
            return;
        }
        track(id.value());
    });
}

void JobTracker::track(const QString &jobId)
{
    m_jobId = jobId;
    m_waitingLong = false;
    if (m_state == State::Idle || m_state == State::Queueing)
        setState(State::Queued);
    m_stale.start(m_staleAfterMs);
    m_poll.start();
    reload();
}

void JobTracker::onChange(const QString &table, const QString &, const QString &id)
{
    if (table == QLatin1String("jobs") && id == m_jobId && !m_jobId.isEmpty() && !isFinished())
        reload();
}

void JobTracker::reload()
{
    if (m_jobId.isEmpty() || isFinished())
        return;
    if (m_reloading) {
        // A change arrived while the row was being read: read it once more afterwards.
        m_reloadAgain = true;
        return;
    }
    m_reloading = true;
    const QString id = m_jobId;
    m_worker->run<Job>(
        this, [id](const QString &connection) { return JobService(connection).get(id); },
        [this, id](Result<Job> job) {
            m_reloading = false;
            if (id != m_jobId)
                return;
            if (job)
                apply(job.value());
            else if (job.error().kind == ErrorKind::NotFound)
                fail(job.error().message);
            // Other errors (a lost connection): the next poll tries again.
            if (m_reloadAgain && !isFinished()) {
                m_reloadAgain = false;
                reload();
            }
        });
}

void JobTracker::apply(const Job &job)
{
    m_job = job;
    const QString &status = job.status;
    if (status == QLatin1String("succeeded")) {
        m_result = QJsonDocument::fromJson(job.result).object();
        m_error.clear();
        m_poll.stop();
        m_stale.stop();
        setState(State::Succeeded);
        emit finished(true);
    } else if (status == QLatin1String("failed") || status == QLatin1String("cancelled")) {
        m_error = job.lastError.isEmpty() && status == QLatin1String("cancelled")
                      ? tr("The work was cancelled before it reached Stripe.")
                      : job.lastError;
        if (m_error.isEmpty())
            m_error = tr("Stripe did not accept the change; the Jobs screen has the details.");
        m_poll.stop();
        m_stale.stop();
        setState(status == QLatin1String("failed") ? State::Failed : State::Cancelled);
        emit finished(false);
    } else if (status == QLatin1String("running")) {
        m_stale.stop();
        m_waitingLong = false;
        setState(State::Running);
    } else if (job.attempts > 0) {
        // Back in the queue after a failed attempt: the worker tries again after a pause.
        m_stale.stop();
        m_waitingLong = false;
        m_error = job.lastError;
        setState(State::Retrying);
    } else {
        setState(State::Queued);
    }
}

void JobTracker::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    emit stateChanged(state);
}

void JobTracker::fail(const QString &message)
{
    m_error = message;
    m_poll.stop();
    m_stale.stop();
    setState(State::Failed);
    emit finished(false);
}

QString JobTracker::stateText(State state)
{
    switch (state) {
    case State::Idle:
        return QString();
    case State::Queueing:
        return tr("Queueing…");
    case State::Queued:
        return tr("Waiting for the office server…");
    case State::Running:
        return tr("Sending to Stripe…");
    case State::Retrying:
        return tr("Stripe did not answer; the office server tries again shortly…");
    case State::Succeeded:
        return tr("Done in Stripe.");
    case State::Failed:
        return tr("Failed.");
    case State::Cancelled:
        return tr("Cancelled.");
    }
    return QString();
}

QString JobTracker::describe() const
{
    switch (m_state) {
    case State::Queued:
        if (m_waitingLong)
            return tr("Still waiting: no office server has picked this up yet. The office server "
                      "(nobillctl serve, or a console with \"Run the office worker\" on in "
                      "Settings) may not be running. The work stays queued and runs once it "
                      "is.");
        return stateText(m_state);
    case State::Retrying:
        return m_error.isEmpty() ? stateText(m_state)
                                 : tr("The last attempt failed (%1); the office server tries "
                                      "again shortly…")
                                       .arg(m_error);
    case State::Failed:
    case State::Cancelled:
        return m_error;
    default:
        return stateText(m_state);
    }
}

} // namespace nobill
