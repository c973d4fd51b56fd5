#pragma once

#include "database/connectionsettings.h"
#include "database/serverinfo.h"

#include <QDialog>

#include <memory>

class QComboBox;
class QDialogButtonBox;
class QLineEdit;
class QSpinBox;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Asks where and as whom to connect, tries the connection without freezing the window, and
// closes only once the server answered and the schema fits this console (or, for a newer
// schema, once the operator accepts read-only mode). The password is never saved here.
class ConnectionDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit ConnectionDialog(const ConnectionSettings &initial, QWidget *parent = nullptr);
    ~ConnectionDialog() override;

    ConnectionSettings settings() const;
    // After acceptance: what the server said, and the read-only reason if any.
    const ServerInfo &serverInfo() const { return m_info; }
    QString readOnlyReason() const { return m_readOnlyReason; }

    // A message shown when the dialog opens (why the previous attempt failed).
    void showProblem(const QString &message);

    // The last profile used on this machine (without password), and storing one.
    static ConnectionSettings savedProfile();
    static void saveProfile(const ConnectionSettings &settings);

public slots:
    void tryConnect();

private:
    void setTrying(bool trying);

    MessageBanner *m_banner;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_database;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QComboBox *m_sslMode;
    QDialogButtonBox *m_buttons;
    std::unique_ptr<DatabaseWorker> m_probe;
    ServerInfo m_info;
    QString m_readOnlyReason;
};

} // namespace nobill
