#pragma once

#include "core/result.h"
#include "jobs/job.h"

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>

namespace nobill {

class ChangeFeed;
class DatabaseWorker;

// Queues one piece of Stripe work and follows it to its outcome: queued, running (or
// waiting to be retried), then succeeded with the worker's result or failed with its
// sentence. The job's row is read again whenever the change feed announces it, and on a
// slow timer in case a notification is missed (or there is no feed). A job nobody has
// picked up for a while is reported once (waitingLong()): the office server may not be
// running. Every read runs on the DatabaseWorker; the GUI thread never waits.
class JobTracker final : public QObject
{
    Q_OBJECT
public:
    enum class State { Idle, Queueing, Queued, Running, Retrying, Succeeded, Failed, Cancelled };
    Q_ENUM(State)

    // Runs on the worker's thread with its connection; returns the queued job's id.
    using EnqueueTask = std::function<Result<QString>(const QString &connectionName)>;

    explicit JobTracker(DatabaseWorker *worker, QObject *parent = nullptr);

    void setChangeFeed(ChangeFeed *feed);
    // How long a job may stay queued and untouched before waitingLong() (default 20 s).
    void setStaleAfterMs(int ms) { m_staleAfterMs = ms; }
    // The safety-net re-read (default 3 s; the change feed normally answers first).
    void setPollIntervalMs(int ms);

    // Queues the job through nobill_enqueue_job() and follows it.
    void enqueue(const QString &organizationId, const QString &kind, const QJsonObject &payload,
                 const QString &idempotencyKey);
    // Queues with a task of the caller's (a service that checks the request first).
    void enqueueWith(EnqueueTask task);
    // Follows a job that is already queued.
    void track(const QString &jobId);

    State state() const { return m_state; }
    bool isActive() const
    {
        return m_state == State::Queueing || m_state == State::Queued ||
               m_state == State::Running || m_state == State::Retrying;
    }
    bool isFinished() const
    {
        return m_state == State::Succeeded || m_state == State::Failed ||
               m_state == State::Cancelled;
    }
    bool isWaitingLong() const { return m_waitingLong; }
    QString jobId() const { return m_jobId; }
    const Job &job() const { return m_job; }
    // The worker's result (jobs.result), once succeeded.
    QJsonObject result() const { return m_result; }
    // Why it failed (or why the last attempt failed while it is retried); a sentence.
    QString errorMessage() const { return m_error; }

    // "Waiting for the office server…", "Sending to Stripe…", "Done in Stripe.", ...
    static QString stateText(State state);
    // The current state as a sentence, with the failure and the waiting hint.
    QString describe() const;

signals:
    void stateChanged(nobill::JobTracker::State state);
    // Queued and not picked up for setStaleAfterMs(): the office server may not be running.
    void waitingLong();
    // Succeeded, failed or cancelled (also when it could not be queued: failed, with the
    // reason in errorMessage()).
    void finished(bool succeeded);

private:
    void onChange(const QString &table, const QString &operation, const QString &id);
    void reload();
    void apply(const Job &job);
    void setState(State state);
    void fail(const QString &message);

    DatabaseWorker *m_worker;
    QPointer<ChangeFeed> m_feed;
    QTimer m_poll;
    QTimer m_stale;
    int m_staleAfterMs = 20000;
    State m_state = State::Idle;
    bool m_waitingLong = false;
    bool m_reloading = false;
    bool m_reloadAgain = false;
    QString m_jobId;
    Job m_job;
    QJsonObject m_result;
    QString m_error;
};

} // namespace nobill
