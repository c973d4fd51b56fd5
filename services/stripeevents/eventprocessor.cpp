#include "stripeevents/eventprocessor.h"

#include "database/connection.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QTimer>

Q_LOGGING_CATEGORY(lcProcessor, "nobill.stripeevents.processor")

namespace nobill {

namespace {

const QString Channel = QStringLiteral("nobill_changes");
// Events are handled in small slices so that stop() never waits for a whole batch.
constexpr int SliceSize = 20;

// Owns the connection; lives on the processor's thread.
class Runner final : public QObject
{
public:
    Runner(ConnectionSettings settings, EventProcessorOptions options, EventProcessor *owner)
        : m_settings(std::move(settings))
        , m_options(options)
        , m_owner(owner)
        , m_connectionName(uniqueConnectionName(QStringLiteral("stripe-events")))
        , m_applier(m_connectionName, options.applier)
    {
        m_settings.source = QStringLiteral("webhook");
    }

    void start()
    {
        m_poll = new QTimer(this);
        m_poll->setInterval(qMax(50, m_options.pollIntervalMs));
        connect(m_poll, &QTimer::timeout, this, [this]() { scheduleDrain(); });
        m_poll->start();
        m_soon = new QTimer(this);
        m_soon->setSingleShot(true);
        connect(m_soon, &QTimer::timeout, this, [this]() { drain(); });
        scheduleDrain();
    }

    void stop()
    {
        if (m_poll)
            m_poll->stop();
        if (m_soon)
            m_soon->stop();
        m_applier.releaseStatements();
        closeConnection(m_connectionName);
    }

private:
    // Notifications come in bursts (one per row changed): one drain answers them all.
    void scheduleDrain(int delayMs = 0)
    {
        if (!m_soon->isActive())
            m_soon->start(delayMs);
    }

    bool ensureConnected()
    {
        if (isConnectionOpen(m_connectionName))
            return true;
        // The driver may have closed a broken connection by itself (QPSQL does when the
        // server goes away), so the applier can still hold statements prepared on it.
        // openConnection() replaces the driver, and a statement of the old one would crash
        // on its next exec (found by tst_eventreliability's PostgreSQL restart).
        m_applier.releaseStatements();
        if (Status opened = openConnection(m_settings, m_connectionName); !opened) {
            report(opened.error().message);
            return false;
        }
        if (Status relaxed = EventApplier::relaxCommitDurability(m_connectionName); !relaxed) {
            report(relaxed.error().message);
            closeConnection(m_connectionName);
            return false;
        }
        QSqlDriver *driver = QSqlDatabase::database(m_connectionName, false).driver();
        connect(driver,
                qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(
                    &QSqlDriver::notification),
                this,
                [this](const QString &, QSqlDriver::NotificationSource source,
                       const QVariant &payload) {
                    // Our own status updates notify too; only others' rows are news.
                    if (source == QSqlDriver::SelfSource)
                        return;
                    const QJsonObject change =
                        QJsonDocument::fromJson(payload.toString().toUtf8()).object();
                    if (change.value(QLatin1String("table")).toString() ==
                        QLatin1String("stripe_events"))
                        scheduleDrain();
                });
        if (!driver->subscribeToNotification(Channel))
            qCWarning(lcProcessor) << "cannot listen on" << Channel << "; polling only";
        return true;
    }

    void drain()
    {
        if (QThread::currentThread()->isInterruptionRequested() || !ensureConnected())
            return;
        auto stats = m_applier.processDue(SliceSize);
        if (!stats) {
            report(stats.error().message);
            // A broken connection is opened again on the next drain.
            m_applier.releaseStatements();
            closeConnection(m_connectionName);
            return;
        }
        if (stats.value().total() > 0) {
            QMetaObject::invokeMethod(m_owner, "batchDone", Qt::QueuedConnection,
                                      Q_ARG(nobill::DrainStats, stats.value()));
        }
        // A full slice means there may be more: go on after letting stop() in.
        if (stats.value().total() >= SliceSize)
            scheduleDrain();
    }

    void report(const QString &message)
    {
        qCWarning(lcProcessor) << message;
        QMetaObject::invokeMethod(m_owner, "problem", Qt::QueuedConnection,
                                  Q_ARG(QString, message));
    }

    ConnectionSettings m_settings;
    EventProcessorOptions m_options;
    EventProcessor *m_owner;
    QString m_connectionName;
    EventApplier m_applier;
    QTimer *m_poll = nullptr;
    QTimer *m_soon = nullptr;
};

} // namespace

EventProcessor::EventProcessor(ConnectionSettings settings, EventProcessorOptions options,
                               QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_options(options)
{
    qRegisterMetaType<nobill::DrainStats>();
    m_thread.setObjectName(QStringLiteral("stripe-events"));
}

EventProcessor::~EventProcessor()
{
    stop();
}

void EventProcessor::start()
{
    if (m_thread.isRunning())
        return;
    auto *runner = new Runner(m_settings, m_options, this);
    runner->moveToThread(&m_thread);
    connect(&m_thread, &QThread::started, runner, [runner]() { runner->start(); });
    connect(
        &m_thread, &QThread::finished, runner,
        [runner]() {
            runner->stop();
            delete runner;
        },
        Qt::DirectConnection);
    m_thread.start();
}

void EventProcessor::stop()
{
    if (!m_thread.isRunning())
        return;
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
}

} // namespace nobill
