#pragma once

#include "access/signin.h"
#include "database/connectionsettings.h"
#include "database/officeprofile.h"

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
    // Offers the servers of the office profile (OfficeProfile::load()).
    explicit SignInDialog(const ConnectionSettings &initial, QWidget *parent = nullptr);
    SignInDialog(const ConnectionSettings &initial, const OfficeProfile &office,
                 QWidget *parent = nullptr);
    ~SignInDialog() override;

    ConnectionSettings settings() const;
    // After acceptance: what the server said, who signed in, and the read-only reason if any.
    const SignIn &signIn() const { return m_signIn; }

    void showProblem(const QString &message);
    void setRememberPassword(bool remember);

    // Where to sign in first: the office profile's default server, overridden by what this
    // operator last used on this machine (never with a password); and storing the latter.
    static ConnectionSettings savedProfile();
    static ConnectionSettings savedProfile(const OfficeProfile &office);
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
    void chooseOfficeServer(int index);
    void serverEdited();
    void loadRememberedPassword();
    static void storePassword(const ConnectionSettings &settings, bool remember);

    OfficeProfile m_office;
    MessageBanner *m_banner;
    QComboBox *m_officeServer = nullptr; // only when the office profile names servers
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
    QString m_sslRootCert; // from the chosen office server; not typed
    bool m_passwordTyped = false;
    bool m_applyingServer = false;
};

} // namespace nobill
