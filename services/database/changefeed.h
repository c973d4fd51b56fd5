#pragma once

#include "database/connectionsettings.h"

#include <QObject>
#include <QThread>

namespace nobill {

// Listens on the database's change feed (channel nobill_changes, migration 0008) with a
// connection of its own on a thread of its own, and tells the console which rows other
// sessions changed, so lists refresh without being asked. Reconnects by itself after a lost
// connection. Notifications of this console's own changes arrive too; they are harmless.
class ChangeFeed final : public QObject
{
    Q_OBJECT
public:
    explicit ChangeFeed(const ConnectionSettings &settings, QObject *parent = nullptr);
    ~ChangeFeed() override;

    ChangeFeed(const ChangeFeed &) = delete;
    ChangeFeed &operator=(const ChangeFeed &) = delete;

signals:
    // On the owner's thread. `operation` is insert, update or delete; `id` is empty for
    // changes announced per statement (bulk tables such as usage_records).
    void changed(const QString &table, const QString &operation, const QString &id);
    // Whether the feed is listening; false while the connection is down.
    void listeningChanged(bool listening);

private:
    QThread m_thread;
    QObject *m_listener = nullptr; // lives on m_thread
};

} // namespace nobill
