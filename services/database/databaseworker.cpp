#include "database/databaseworker.h"

#include "database/connection.h"

namespace nobill {

DatabaseWorker::DatabaseWorker(const ConnectionSettings &settings, const QString &purpose,
                               QObject *parent)
    : QObject(parent)
    , m_settings(settings)
    , m_connectionName(uniqueConnectionName(purpose))
{
    m_thread.setObjectName(QStringLiteral("db-") + purpose);
    m_executor = new QObject;
    m_executor->moveToThread(&m_thread);
    // The connection belongs to the worker thread, so it is closed there, as the thread ends.
    const QString name = m_connectionName;
    connect(
        &m_thread, &QThread::finished, m_executor, [name]() { closeConnection(name); },
        Qt::DirectConnection);
    connect(&m_thread, &QThread::finished, m_executor, &QObject::deleteLater);
    m_thread.start();
}

DatabaseWorker::~DatabaseWorker()
{
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
}

bool DatabaseWorker::isBusy() const
{
    return m_pending.loadAcquire() > 0;
}

void DatabaseWorker::post(std::function<void()> work)
{
    m_pending.ref();
    QMetaObject::invokeMethod(
        m_executor,
        [this, work = std::move(work)]() {
            if (!m_thread.isInterruptionRequested())
                work();
            m_pending.deref();
        },
        Qt::QueuedConnection);
}

Status DatabaseWorker::ensureConnected()
{
    if (m_connected && isConnectionOpen(m_connectionName))
        return {};
    Status opened = openConnection(m_settings, m_connectionName);
    const bool connected = opened.isOk();
    if (connected != m_connected || !connected) {
        m_connected = connected;
        emit connectionStateChanged(connected, connected ? QString() : opened.error().message);
    }
    return opened;
}

void DatabaseWorker::noteOutcome(ErrorKind kind)
{
    // A lost connection is reopened before the next task rather than retried blindly here:
    // the task may have been half-done and only the caller knows whether to repeat it.
    if (kind == ErrorKind::Unavailable && m_connected) {
        closeConnection(m_connectionName);
        m_connected = false;
        emit connectionStateChanged(false, QString());
    }
}

} // namespace nobill
