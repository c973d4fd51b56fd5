#include "jobs/jobworker.h"

#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "stripe/stripeclient.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QPointer>

Q_LOGGING_CATEGORY(lcJobWorker, "nobill.jobs.worker")

namespace nobill {

namespace {
// What the database thread answers after recording an outcome.
struct Recorded
{
    QString status;
    QString message;
};
} // namespace

JobWorker::JobWorker(ConnectionSettings database, const StripeClientOptions &stripe,
                     JobWorkerOptions options, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(database))
    , m_options(std::move(options))
{
    // The audit trail says the worker did it (the queue functions say so too).
    m_settings.source = QStringLiteral("worker");
    if (m_options.workerName.isEmpty())
        m_options.workerName = QStringLiteral("worker");
    m_options.concurrency = qBound(1, m_options.concurrency, 64);
    m_options.leaseSeconds = qBound(3, m_options.leaseSeconds, 3600);
    m_stripe = new StripeClient(stripe, this);

    m_poll.setInterval(qMax(100, m_options.pollIntervalMs));
    connect(&m_poll, &QTimer::timeout, this, &JobWorker::claimSoon);
    m_heartbeat.setInterval(m_options.leaseSeconds * 1000 / 3);
    connect(&m_heartbeat, &QTimer::timeout, this, &JobWorker::heartbeat);
    m_stopTimer.setSingleShot(true);
    connect(&m_stopTimer, &QTimer::timeout, this, &JobWorker::releaseAll);
}

JobWorker::~JobWorker() = default;

void JobWorker::addHandler(std::shared_ptr<JobHandler> handler)
{
    for (const QString &kind : handler->kinds())
        m_handlers.insert(kind, handler);
}

StripeClient &JobWorker::stripe()
{
    return *m_stripe;
}

void JobWorker::query(const QString &sql, const QVariantList &values,
                      std::function<void(Result<QList<QVariantMap>>)> done)
{
    const QString worker = m_options.workerName;
    m_db->run<QList<QVariantMap>>(
        this,
        [sql, values, worker](const QString &connection) {
            return JobQueue(connection, worker).query(sql, values);
        },
        std::move(done));
}

void JobWorker::start()
{
    if (m_started)
        return;
    m_started = true;
    m_db = new DatabaseWorker(m_settings, QStringLiteral("job-worker"), this);
    if (m_options.listen) {
        m_feed = new ChangeFeed(m_settings, this);
        connect(m_feed, &ChangeFeed::changed, this,
                [this](const QString &table, const QString &operation, const QString &) {
                    // Our own updates are announced too; a claim costs one indexed query
                    // and claimSoon() coalesces a burst into one.
                    if (table == QLatin1String("jobs") && operation != QLatin1String("delete"))
                        claimSoon();
                });
        // Jobs queued while the feed was down are found as soon as it is back.
        connect(m_feed, &ChangeFeed::listeningChanged, this, [this](bool listening) {
            if (listening)
                claimSoon();
        });
    }
    m_poll.start();
    m_heartbeat.start();
    qCInfo(lcJobWorker).noquote() << "job worker" << m_options.workerName << "started with"
                                  << m_options.concurrency << "slots";
    claimSoon();
}

void JobWorker::claimSoon()
{
    if (m_claimQueued || m_stopping || !m_started)
        return;
    m_claimQueued = true;
    QMetaObject::invokeMethod(
        this,
        [this]() {
            m_claimQueued = false;
            claim();
        },
        Qt::QueuedConnection);
}

void JobWorker::claim()
{
    if (m_stopping)
        return;
    if (m_claiming) {
        m_claimAgain = true;
        return;
    }
    const int free = m_options.concurrency - int(m_running.size());
    if (free <= 0)
        return;
    m_claiming = true;
    const QString worker = m_options.workerName;
    const int lease = m_options.leaseSeconds;
    m_db->run<QList<ClaimedJob>>(
        this,
        [worker, free, lease](const QString &connection) {
            return JobQueue(connection, worker).claim(free, lease);
        },
        [this, free](Result<QList<ClaimedJob>> claimed) {
            m_claiming = false;
            if (!claimed) {
                emit problem(tr("Could not claim jobs: %1").arg(claimed.error().message));
                checkStopped();
                return;
            }
            for (const ClaimedJob &job : claimed.value())
                begin(job);
            if (m_stopping) {
                checkStopped();
                return;
            }
            // A full batch means more may be waiting.
            if (m_claimAgain || claimed.value().size() == free) {
                m_claimAgain = false;
                claimSoon();
            }
        });
}

void JobWorker::begin(const ClaimedJob &job)
{
    Running &entry = m_running[job.id];
    entry.job = job;
    if (m_stopping) {
        // Claimed while a stop was requested: hand it straight back.
        entry.completing = true;
        ++m_releasing;
        const QString worker = m_options.workerName;
        const QString id = job.id;
        m_db->run<bool>(
            this,
            [worker, id](const QString &connection) -> Result<bool> {
                Status released = JobQueue(connection, worker).release(id);
                if (!released)
                    return released.error();
                return true;
            },
            [this, id, kind = job.kind](Result<bool>) {
                --m_releasing;
                m_running.remove(id);
                emit jobDone(id, kind, QStringLiteral("released"), QString());
                checkStopped();
            });
        return;
    }
    emit jobStarted(job.id, job.kind);
    qCDebug(lcJobWorker).noquote() << "running" << job.kind << job.id << "attempt" << job.attempts;
    entry.deadline = new QTimer(this);
    entry.deadline->setSingleShot(true);
    const QString id = job.id;
    connect(entry.deadline, &QTimer::timeout, this, [this, id]() {
        complete(id, JobOutcome::retry(tr("The job did not finish within %1 seconds; it will "
                                          "be tried again.")
                                           .arg(m_options.jobTimeoutMs / 1000)));
    });
    entry.deadline->start(m_options.jobTimeoutMs);

    const auto handler = m_handlers.value(job.kind);
    if (!handler) {
        complete(id, JobOutcome::fail(tr("This version of NOBill does not know how to run "
                                         "\"%1\" jobs. Update the worker, then retry the job.")
                                          .arg(job.kind)));
        return;
    }
    // A handler's answer for a job this worker no longer runs (timed out, lost, released)
    // is ignored by complete().
    QPointer<JobWorker> self(this);
    handler->execute(job, *this, [self, id](JobOutcome outcome) {
        if (self)
            self->complete(id, std::move(outcome));
    });
}

void JobWorker::complete(const QString &id, JobOutcome outcome)
{
    auto it = m_running.find(id);
    if (it == m_running.end() || it->completing)
        return;
    it->completing = true;
    if (it->deadline) {
        it->deadline->stop();
        it->deadline->deleteLater();
        it->deadline = nullptr;
    }
    const QString kind = it->job.kind;
    const QString worker = m_options.workerName;
    const BackoffPolicy backoff = m_options.backoff;
    m_db->run<Recorded>(
        this,
        [worker, backoff, id,
         outcome = std::move(outcome)](const QString &connection) -> Result<Recorded> {
            JobQueue queue(connection, worker, backoff);
            if (outcome.kind == JobOutcome::Kind::Succeeded) {
                Status finished = queue.finish(id, outcome.result, outcome.writes);
                if (finished)
                    return Recorded{QStringLiteral("succeeded"), QString()};
                const Error &error = finished.error();
                if (error.subject == JobQueue::leaseLostSubject() ||
                    error.kind == ErrorKind::Unavailable)
                    return error;
                // Stripe did it, but what it answered cannot be stored: a person must look.
                const QString message =
                    tr("Stripe accepted the change, but recording it failed: %1")
                        .arg(error.message);
                auto failed = queue.fail(id, message, false);
                if (!failed)
                    return failed.error();
                return Recorded{failed.value(), message};
            }
            auto failed = queue.fail(id, outcome.error, outcome.kind == JobOutcome::Kind::Retry);
            if (!failed)
                return failed.error();
            return Recorded{failed.value(), outcome.error};
        },
        [this, id, kind](Result<Recorded> recorded) {
            m_running.remove(id);
            if (recorded) {
                emit jobDone(id, kind, recorded.value().status, recorded.value().message);
            } else if (recorded.error().subject == JobQueue::leaseLostSubject()) {
                emit jobDone(id, kind, QStringLiteral("lost"), recorded.error().message);
            } else {
                // The lease runs out and the job is claimed again; its Stripe calls repeat
                // with the same idempotency keys.
                emit problem(tr("Could not record the outcome of job %1: %2")
                                 .arg(id, recorded.error().message));
                emit jobDone(id, kind, QStringLiteral("unrecorded"), recorded.error().message);
            }
            if (m_stopping)
                checkStopped();
            else
                claimSoon();
        });
}

void JobWorker::heartbeat()
{
    QStringList ids;
    for (auto it = m_running.cbegin(); it != m_running.cend(); ++it) {
        if (!it->completing)
            ids.append(it.key());
    }
    if (ids.isEmpty())
        return;
    const QString worker = m_options.workerName;
    const int lease = m_options.leaseSeconds;
    m_db->run<QStringList>(
        this,
        [worker, ids, lease](const QString &connection) {
            return JobQueue(connection, worker).extendLeases(ids, lease);
        },
        [this, ids](Result<QStringList> held) {
            if (!held) {
                emit problem(tr("Could not renew job leases: %1").arg(held.error().message));
                return;
            }
            for (const QString &id : ids) {
                if (held.value().contains(id))
                    continue;
                auto it = m_running.find(id);
                if (it == m_running.end() || it->completing)
                    continue;
                // Another worker has it now; whatever this one still does is not recorded.
                const QString kind = it->job.kind;
                if (it->deadline)
                    it->deadline->deleteLater();
                m_running.erase(it);
                emit jobDone(id, kind, QStringLiteral("lost"),
                             tr("The lease expired and another worker took the job over."));
            }
            if (m_stopping)
                checkStopped();
            else
                claimSoon();
        });
}

void JobWorker::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    m_poll.stop();
    if (m_feed) {
        delete m_feed;
        m_feed = nullptr;
    }
    qCInfo(lcJobWorker).noquote() << "job worker" << m_options.workerName << "stopping with"
                                  << m_running.size() << "jobs running";
    if (m_running.isEmpty() && !m_claiming) {
        checkStopped();
        return;
    }
    m_stopTimer.start(qMax(0, m_options.stopTimeoutMs));
}

void JobWorker::releaseAll()
{
    const QString worker = m_options.workerName;
    for (auto it = m_running.begin(); it != m_running.end(); ++it) {
        if (it->completing)
            continue;
        it->completing = true;
        if (it->deadline) {
            it->deadline->stop();
            it->deadline->deleteLater();
            it->deadline = nullptr;
        }
        ++m_releasing;
        const QString id = it.key();
        m_db->run<bool>(
            this,
            [worker, id](const QString &connection) -> Result<bool> {
                Status released = JobQueue(connection, worker).release(id);
                if (!released)
                    return released.error();
                return true;
            },
            [this, id, kind = it->job.kind](Result<bool> released) {
                --m_releasing;
                m_running.remove(id);
                emit jobDone(id, kind, QStringLiteral("released"),
                             released ? QString() : released.error().message);
                checkStopped();
            });
    }
    checkStopped();
}

void JobWorker::checkStopped()
{
    if (!m_stopping || m_stoppedEmitted || !m_running.isEmpty() || m_releasing > 0 || m_claiming)
        return;
    m_stoppedEmitted = true;
    m_stopTimer.stop();
    m_heartbeat.stop();
    qCInfo(lcJobWorker).noquote() << "job worker" << m_options.workerName << "stopped";
    QMetaObject::invokeMethod(this, &JobWorker::stopped, Qt::QueuedConnection);
}

} // namespace nobill
