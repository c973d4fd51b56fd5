#include "database/changefeed.h"

#include "database/connection.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlDriver>
#include <QSqlQuery>
#include <QTimer>

Q_LOGGING_CATEGORY(lcChangeFeed, "nobill.changefeed")

namespace nobill {

namespace {
const QString Channel = QStringLiteral("nobill_changes");
constexpr int ReconnectMs = 5000;
constexpr int HealthCheckMs = 15000;

// Owns the listening connection; lives on the feed's thread.
class Listener final : public QObject
{
public:
    Listener(ConnectionSettings settings, ChangeFeed *feed)
        : m_settings(std::move(settings))
        , m_feed(feed)
        , m_connectionName(uniqueConnectionName(QStringLiteral("change-feed")))
    {}

    void start()
    {
        m_timer = new QTimer(this);
        m_timer->setSingleShot(true);
        connect(m_timer, &QTimer::timeout, this, [this]() { connectAndListen(); });
        connectAndListen();
    }

    void stop()
    {
        if (m_timer)
            m_timer->stop();
        closeConnection(m_connectionName);
    }

private:
    void connectAndListen()
    {
        if (m_listening && isConnectionOpen(m_connectionName)) {
            // A lost connection is not always noticed by the socket: ask the server.
            QSqlQuery ping(QSqlDatabase::database(m_connectionName, false));
            if (!ping.exec(QStringLiteral("SELECT 1"))) {
                setListening(false);
                closeConnection(m_connectionName);
            } else {
                m_timer->start(HealthCheckMs);
                return;
            }
        }
        if (Status opened = openConnection(m_settings, m_connectionName); !opened) {
            qCDebug(lcChangeFeed) << "cannot listen yet:" << opened.error().message;
            m_timer->start(ReconnectMs);
            return;
        }
        QSqlDriver *driver = QSqlDatabase::database(m_connectionName, false).driver();
        connect(driver,
                qOverload<const QString &, QSqlDriver::NotificationSource, const QVariant &>(
                    &QSqlDriver::notification),
                this,
                [this](const QString &, QSqlDriver::NotificationSource, const QVariant &payload) {
                    deliver(payload.toString());
                });
        if (!driver->subscribeToNotification(Channel)) {
            qCWarning(lcChangeFeed) << "cannot subscribe to" << Channel;
            closeConnection(m_connectionName);
            m_timer->start(ReconnectMs);
            return;
        }
        setListening(true);
        m_timer->start(HealthCheckMs);
    }

    void deliver(const QString &payload)
    {
        const QJsonObject change = QJsonDocument::fromJson(payload.toUtf8()).object();
        const QString table = change.value(QStringLiteral("table")).toString();
        if (table.isEmpty())
            return;
        QMetaObject::invokeMethod(m_feed, "changed", Qt::QueuedConnection, Q_ARG(QString, table),
                                  Q_ARG(QString, change.value(QStringLiteral("op")).toString()),
                                  Q_ARG(QString, change.value(QStringLiteral("id")).toString()));
    }

    void setListening(bool listening)
    {
        if (listening == m_listening)
            return;
        m_listening = listening;
        QMetaObject::invokeMethod(m_feed, "listeningChanged", Qt::QueuedConnection,
                                  Q_ARG(bool, listening));
    }

    ConnectionSettings m_settings;
    ChangeFeed *m_feed;
    QString m_connectionName;
    QTimer *m_timer = nullptr;
    bool m_listening = false;
};
} // namespace

ChangeFeed::ChangeFeed(const ConnectionSettings &settings, QObject *parent)
    : QObject(parent)
{
    m_thread.setObjectName(QStringLiteral("db-change-feed"));
    auto *listener = new Listener(settings, this);
    listener->moveToThread(&m_thread);
    m_listener = listener;
    connect(&m_thread, &QThread::started, listener, [listener]() { listener->start(); });
    connect(
        &m_thread, &QThread::finished, listener, [listener]() { listener->stop(); },
        Qt::DirectConnection);
    connect(&m_thread, &QThread::finished, listener, &QObject::deleteLater);
    m_thread.start();
}

ChangeFeed::~ChangeFeed()
{
    m_thread.quit();
    m_thread.wait();
}

} // namespace nobill
