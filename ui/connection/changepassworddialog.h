#pragma once

#include "database/connectionsettings.h"

#include <QDialog>

#include <memory>

class QDialogButtonBox;
class QLabel;
class QLineEdit;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Choosing a new password: at first sign-in (required: the one-time password an admin set
// cannot be kept) or from the File menu. The new password is checked as it is typed, hashed
// on this machine and never stored by the console.
class ChangePasswordDialog final : public QDialog
{
    Q_OBJECT
public:
    ChangePasswordDialog(const ConnectionSettings &settings, const QString &email, bool required,
                         QWidget *parent = nullptr);
    ~ChangePasswordDialog() override;

    // After acceptance: the settings with the new password.
    ConnectionSettings settings() const { return m_settings; }

public slots:
    void save();

private:
    void revalidate();

    ConnectionSettings m_settings;
    QString m_email;
    std::unique_ptr<DatabaseWorker> m_worker;
    MessageBanner *m_banner;
    QLineEdit *m_password;
    QLineEdit *m_repeat;
    QLabel *m_problems;
    QDialogButtonBox *m_buttons;
    bool m_saving = false;
};

} // namespace nobill
