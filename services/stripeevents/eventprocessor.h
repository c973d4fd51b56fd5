#pragma once

#include "database/connectionsettings.h"
#include "stripeevents/eventapplier.h"

#include <QObject>
#include <QThread>

namespace nobill {

struct EventProcessorOptions
{
    EventApplierOptions applier;
    int batchSize = 100;
    // Waiting events come due by their retry time, and a missed notification (the
    // connection was down) is caught up: the inbox is looked at this often in any case.
    int pollIntervalMs = 5000;
};

// Applies the webhook inbox to our tables in the background, on a thread and a connection
// of its own (a nobill_service login; its audit source is set to "webhook"). It LISTENs on
// the change feed, so an event stored by the listener or the poller is applied within
// moments, and looks at the inbox every pollIntervalMs for events whose retry time came.
// Reconnects by itself. Several processors (on several machines) may run side by side.
//
// Embedding (nobillctl serve, or the console for a one-machine office):
//     auto *processor = new EventProcessor(serviceSettings, {}, parent);
//     processor->start();      // returns at once
//     ...
//     processor->stop();       // finishes the event in hand, then returns
class EventProcessor final : public QObject
{
    Q_OBJECT
public:
    explicit EventProcessor(ConnectionSettings settings, EventProcessorOptions options = {},
                            QObject *parent = nullptr);
    ~EventProcessor() override;

    EventProcessor(const EventProcessor &) = delete;
    EventProcessor &operator=(const EventProcessor &) = delete;

    void start();
    void stop();
    bool isRunning() const { return m_thread.isRunning(); }

signals:
    // On the owner's thread, after a batch that handled at least one event.
    void batchDone(const nobill::DrainStats &stats);
    // The database could not be reached or queried (a sentence); retried by itself.
    void problem(const QString &message);

private:
    ConnectionSettings m_settings;
    EventProcessorOptions m_options;
    QThread m_thread;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::DrainStats)
