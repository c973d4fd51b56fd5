#pragma once

#include "members/member.h"
#include "roles/role.h"

#include <QDialog>

class QCheckBox;
class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Adds someone to an organization: an existing account found by email, or an invitation
// that creates the account. Stays open with a plain message when the database refuses.
class MemberDialog final : public QDialog
{
    Q_OBJECT
public:
    enum class Mode { AddExisting, Invite };

    MemberDialog(DatabaseWorker *worker, Mode mode, const OrganizationRef &organization,
                 const QList<Role> &roles, QWidget *parent = nullptr);

    Mode mode() const { return m_mode; }
    void setMode(Mode mode);
    bool isSaving() const { return m_saving; }
    // Fills the form (tests and screenshots).
    void setValues(const QString &email, const QString &displayName, const QString &roleId = {});

signals:
    void saved(const nobill::Member &member, bool invited);

public slots:
    void save();

private:
    void revalidate();
    void setSaving(bool saving);
    QString saveText() const;

    DatabaseWorker *m_worker;
    Mode m_mode;
    OrganizationRef m_organization;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QLabel *m_intro = nullptr;
    QLineEdit *m_email = nullptr;
    QLabel *m_nameCaption = nullptr;
    QLineEdit *m_name = nullptr;
    QComboBox *m_role = nullptr;
    QLabel *m_problems = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

// Gives a member another role.
class ChangeRoleDialog final : public QDialog
{
    Q_OBJECT
public:
    ChangeRoleDialog(DatabaseWorker *worker, const Member &member, const QString &organizationName,
                     const QList<Role> &roles, QWidget *parent = nullptr);

    void setRole(const QString &roleId);

signals:
    void saved(const nobill::Member &member);

public slots:
    void save();

private:
    DatabaseWorker *m_worker;
    Member m_member;
    MessageBanner *m_banner = nullptr;
    QComboBox *m_role = nullptr;
    QLabel *m_description = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

// Gives a member a console login with a one-time password, typed or generated. The policy
// (services/access/passwordpolicy) is checked as the operator types.
class ConsoleAccessDialog final : public QDialog
{
    Q_OBJECT
public:
    ConsoleAccessDialog(DatabaseWorker *worker, const Member &member, QWidget *parent = nullptr);

    void setLogin(const QString &login);
    void setPassword(const QString &password);
    QString password() const;

signals:
    // `password` is handed on once, to be shown once.
    void granted(const nobill::Member &member, const QString &password);

public slots:
    void generatePassword();
    void save();

private:
    void revalidate();
    void setSaving(bool saving);

    DatabaseWorker *m_worker;
    Member m_member;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QLineEdit *m_login = nullptr;
    QLineEdit *m_password = nullptr;
    QCheckBox *m_show = nullptr;
    QPushButton *m_generate = nullptr;
    QLabel *m_problems = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

// Shows a one-time password once, with a button that copies it.
class OneTimePasswordDialog final : public QDialog
{
    Q_OBJECT
public:
    OneTimePasswordDialog(const Member &member, const QString &password, QWidget *parent = nullptr);

    QString password() const;

private:
    QLineEdit *m_password = nullptr;
    QPushButton *m_copy = nullptr;
};

} // namespace nobill
