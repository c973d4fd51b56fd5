#include "connection/changepassworddialog.h"

#include "access/ownpassword.h"
#include "access/passwordpolicy.h"
#include "common/messagebanner.h"
#include "database/databaseworker.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace nobill {

ChangePasswordDialog::ChangePasswordDialog(const ConnectionSettings &settings, const QString &email,
                                           bool required, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_email(email)
    , m_worker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("own-password")))
    , m_banner(new MessageBanner(this))
    , m_password(new QLineEdit(this))
    , m_repeat(new QLineEdit(this))
    , m_problems(new QLabel(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("changePasswordDialog"));
    setWindowTitle(tr("Choose a new password"));
    setMinimumWidth(440);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    if (required) {
        m_banner->showMessage(MessageBanner::Kind::Information,
                              tr("You signed in with a one-time password. Choose your own "
                                 "password to continue."));
    }
    m_password->setObjectName(QStringLiteral("newPassword"));
    m_repeat->setObjectName(QStringLiteral("repeatPassword"));
    m_password->setEchoMode(QLineEdit::Password);
    m_repeat->setEchoMode(QLineEdit::Password);
    auto *form = new QFormLayout;
    form->addRow(tr("&New password:"), m_password);
    form->addRow(tr("&Repeat it:"), m_repeat);
    layout->addLayout(form);
    m_problems->setObjectName(QStringLiteral("passwordProblems"));
    m_problems->setWordWrap(true);
    m_problems->setStyleSheet(QStringLiteral("color: #c0392b;"));
    layout->addWidget(m_problems);
    auto *rules = new QLabel(tr("At least %1 characters of at least two kinds (upper case, lower "
                                "case, digits, symbols), not containing your user name or the "
                                "first part of your email address.")
                                 .arg(PasswordPolicy::MinimumLength),
                             this);
    rules->setWordWrap(true);
    rules->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(rules);
    layout->addWidget(m_buttons);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Change password"));
    if (required)
        m_buttons->button(QDialogButtonBox::Cancel)->setText(tr("&Quit"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ChangePasswordDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_password, &QLineEdit::textChanged, this, &ChangePasswordDialog::revalidate);
    connect(m_repeat, &QLineEdit::textChanged, this, &ChangePasswordDialog::revalidate);
    revalidate();
}

ChangePasswordDialog::~ChangePasswordDialog() = default;

void ChangePasswordDialog::revalidate()
{
    QStringList problems;
    const QString password = m_password->text();
    if (!password.isEmpty())
        problems = QStringList(PasswordPolicy::problems(password, m_settings.user, m_email));
    if (!m_repeat->text().isEmpty() && m_repeat->text() != password)
        problems << tr("The two passwords differ.");
    m_problems->setText(problems.join(QLatin1Char('\n')));
    m_problems->setVisible(!problems.isEmpty());
    m_buttons->button(QDialogButtonBox::Ok)
        ->setEnabled(!m_saving && !password.isEmpty() && problems.isEmpty() &&
                     m_repeat->text() == password);
}

void ChangePasswordDialog::save()
{
    if (m_saving || !m_buttons->button(QDialogButtonBox::Ok)->isEnabled())
        return;
    m_saving = true;
    revalidate();
    m_banner->clear();
    const QString login = m_settings.user;
    const QString email = m_email;
    const QString password = m_password->text();
    m_worker->run<bool>(
        this,
        [login, email, password](const QString &connection) -> Result<bool> {
            Status changed = changeOwnPassword(connection, login, email, password);
            if (!changed)
                return changed.error();
            return true;
        },
        [this, password](Result<bool> result) {
            m_saving = false;
            revalidate();
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                return;
            }
            m_settings.password = password;
            accept();
        });
}

} // namespace nobill
