#pragma once

#include "access/signin.h"
#include "database/connectionsettings.h"

#include <QDialog>

#include <memory>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLineEdit;
class QSpinBox;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Signing in: the server profile (host, port, database, SSL mode), the operator's own user
// name and password, and "remember password" in the system keychain. Tries the connection
// without freezing the window and closes only once the server accepted the login, the schema
// fits this console (or the operator is told it is newer and the console will be read-only)
// and the operator's permissions are loaded. The password is never written to a file.
class SignInDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit SignInDialog(const ConnectionSettings &initial, QWidget *parent = nullptr);
    ~SignInDialog() override;

    ConnectionSettings settings() const;
    // After acceptance: what the server said, who signed in, and the read-only reason if any.
    const SignIn &signIn() const { return m_signIn; }

    void showProblem(const QString &message);
    void setRememberPassword(bool remember);

    // The last profile used on this machine (never with a password), and storing one.
    static ConnectionSettings savedProfile();
    static void saveProfile(const ConnectionSettings &settings, bool rememberPassword);
    // After a password change: updates the keychain entry if this profile's password is
    // remembered there.
    static void rememberNewPassword(const ConnectionSettings &settings);
    // The keychain entry of a profile's password.
    static QString keychainKey(const ConnectionSettings &settings);

public slots:
    void tryConnect();

private:
    void setTrying(bool trying);
    void loadRememberedPassword();
    static void storePassword(const ConnectionSettings &settings, bool remember);

    MessageBanner *m_banner;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_database;
    QComboBox *m_sslMode;
    QLineEdit *m_user;
    QLineEdit *m_password;
    QCheckBox *m_remember;
    QDialogButtonBox *m_buttons;
    std::unique_ptr<DatabaseWorker> m_probe;
    SignIn m_signIn;
    bool m_passwordTyped = false;
};

} // namespace nobill
