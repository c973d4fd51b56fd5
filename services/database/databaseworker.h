#pragma once

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace nobill {

// A thread with a database connection of its own. Work is posted to it as a function of
// the connection name and runs there in order; the completion comes back on the thread of
// a context object, and is dropped if that object is gone by then (a closed dialog never
// receives a late reply). The GUI thread never waits on it.
class DatabaseWorker final : public QObject
{
    Q_OBJECT
public:
    DatabaseWorker(const ConnectionSettings &settings, const QString &purpose,
                   QObject *parent = nullptr);
    ~DatabaseWorker() override;

    DatabaseWorker(const DatabaseWorker &) = delete;
    DatabaseWorker &operator=(const DatabaseWorker &) = delete;

    const ConnectionSettings &settings() const { return m_settings; }

    // Runs `task(connectionName)` on the worker thread. If the connection cannot be opened
    // (or was lost and cannot be reopened), the task is skipped and `done` receives the
    // connection error.
    template <typename T>
    void run(QObject *context, std::function<Result<T>(const QString &connectionName)> task,
             std::function<void(Result<T>)> done)
    {
        QPointer<QObject> guard(context);
        post([this, guard, task = std::move(task), done = std::move(done)]() {
            Status ready = ensureConnected();
            auto result = std::make_shared<Result<T>>(ready ? task(m_connectionName)
                                                            : Result<T>(ready.error()));
            noteOutcome(result->isOk() ? ErrorKind::Unknown : result->error().kind);
            if (!guard)
                return;
            QMetaObject::invokeMethod(
                guard.data(), [result, done]() { done(std::move(*result)); }, Qt::QueuedConnection);
        });
    }

    // True while a task runs or waits; for screenshots and tests that wait for quiet.
    bool isBusy() const;

signals:
    // Emitted (queued to the owner's thread) when the connection comes up or goes down.
    void connectionStateChanged(bool connected, const QString &message);

private:
    void post(std::function<void()> work);
    Status ensureConnected();
    void noteOutcome(ErrorKind kind);

    ConnectionSettings m_settings;
    QString m_connectionName;
    QThread m_thread;
    QObject *m_executor = nullptr; // lives on m_thread
    QAtomicInt m_pending{0};
    bool m_connected = false; // touched on m_thread only
};

} // namespace nobill
