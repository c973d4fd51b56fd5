#pragma once

#include "database/connectionsettings.h"
#include "jobs/jobhandler.h"
#include "jobs/jobqueue.h"

#include <QHash>
#include <QObject>
#include <QTimer>

#include <memory>

namespace nobill {

class ChangeFeed;
class DatabaseWorker;
class StripeClient;
struct StripeClientOptions;

struct JobWorkerOptions
{
    QString workerName;        // in jobs.locked_by; unique per running worker
    int concurrency = 4;       // jobs executed at the same time
    int leaseSeconds = 60;     // renewed every third of it while a job runs
    int pollIntervalMs = 5000; // claims also when the change feed announces a job
    int jobTimeoutMs = 120000; // a handler that has not answered by then: retried later
    int stopTimeoutMs = 10000; // graceful stop: running jobs get this long, then are released
    bool listen = true;        // LISTEN for new jobs (tests of the polling path turn it off)
    BackoffPolicy backoff;
};

// Executes queued jobs: claims due jobs (when the change feed says a job changed, and on a
// timer), runs up to `concurrency` of them at once through the handler registered for their
// kind, renews their leases while they run, and records each outcome. Lives on a thread
// with an event loop, which it shares with its StripeClient; every SQL statement runs on a
// DatabaseWorker, never on that thread.
class JobWorker final : public QObject, private JobContext
{
    Q_OBJECT
public:
    JobWorker(ConnectionSettings database, const StripeClientOptions &stripe,
              JobWorkerOptions options, QObject *parent = nullptr);
    ~JobWorker() override;

    void addHandler(std::shared_ptr<JobHandler> handler);
    const JobWorkerOptions &options() const { return m_options; }

    void start();
    // Stops claiming; running jobs may finish within stopTimeoutMs, the rest are released to
    // the queue. Emits stopped() when nothing runs any more.
    void stop();
    int runningCount() const { return int(m_running.size()); }

signals:
    void jobStarted(const QString &id, const QString &kind);
    // status: succeeded, queued (to be retried), failed, released, lost (another worker has
    // it now), or unrecorded (the database could not be reached; the lease will expire).
    void jobDone(const QString &id, const QString &kind, const QString &status,
                 const QString &message);
    void problem(const QString &message);
    void stopped();

private:
    struct Running
    {
        ClaimedJob job;
        QTimer *deadline = nullptr;
        bool completing = false;
    };

    StripeClient &stripe() override;
    void query(const QString &sql, const QVariantList &values,
               std::function<void(Result<QList<QVariantMap>>)> done) override;

    void claimSoon();
    void claim();
    void begin(const ClaimedJob &job);
    void complete(const QString &id, JobOutcome outcome);
    void heartbeat();
    void releaseAll();
    void checkStopped();

    ConnectionSettings m_settings;
    JobWorkerOptions m_options;
    DatabaseWorker *m_db = nullptr;
    ChangeFeed *m_feed = nullptr;
    StripeClient *m_stripe = nullptr;
    QHash<QString, std::shared_ptr<JobHandler>> m_handlers;
    QHash<QString, Running> m_running;
    QTimer m_poll;
    QTimer m_heartbeat;
    QTimer m_stopTimer;
    bool m_started = false;
    bool m_claiming = false;
    bool m_claimAgain = false;
    bool m_claimQueued = false;
    bool m_stopping = false;
    bool m_stoppedEmitted = false;
    int m_releasing = 0;
};

} // namespace nobill
