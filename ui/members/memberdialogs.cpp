#include "members/memberdialogs.h"

#include "access/passwordpolicy.h"
#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "members/memberservice.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
void fillRoles(QComboBox *combo, const QList<Role> &roles, const QString &selectedId)
{
    combo->clear();
    for (const Role &r : roles) {
        combo->addItem(
            r.isBuiltin
                ? r.name
                : QCoreApplication::translate("nobill::MemberDialog", "%1 (custom)").arg(r.name),
            r.id);
        combo->setItemData(combo->count() - 1, r.description, Qt::ToolTipRole);
    }
    int index = combo->findData(selectedId);
    if (index < 0) { // the least powerful built-in is the safe default
        for (int i = 0; i < roles.size(); ++i) {
            if (roles.at(i).key == QLatin1String("viewer"))
                index = i;
        }
    }
    combo->setCurrentIndex(index >= 0 ? index : 0);
}

QLabel *problemLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QStringLiteral("problems"));
    label->setWordWrap(true);
    label->setStyleSheet(QStringLiteral("color: #c0392b;"));
    label->hide();
    return label;
}

void showProblems(QLabel *label, const QList<QString> &problems)
{
    label->setText(QStringList(problems).join(QLatin1Char('\n')));
    label->setVisible(!problems.isEmpty());
}

// A banner shown in an open dialog wraps onto more lines: let the dialog grow to show them.
void growToFit(QDialog *dialog)
{
    QTimer::singleShot(0, dialog, [dialog]() {
        QLayout *layout = dialog->layout();
        layout->activate();
        const int wanted = layout->hasHeightForWidth()
                               ? layout->totalHeightForWidth(dialog->width())
                               : layout->totalSizeHint().height();
        if (wanted > dialog->height())
            dialog->resize(dialog->width(), wanted);
    });
}
} // namespace

// ---------------------------------------------------------------------------------------
// MemberDialog

MemberDialog::MemberDialog(DatabaseWorker *worker, Mode mode, const OrganizationRef &organization,
                           const QList<Role> &roles, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_mode(mode)
    , m_organization(organization)
{
    setObjectName(QStringLiteral("memberDialog"));
    setMinimumWidth(480);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    m_intro = new QLabel(this);
    m_intro->setWordWrap(true);
    layout->addWidget(m_intro);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_email = new QLineEdit(this);
    m_email->setObjectName(QStringLiteral("email"));
    m_email->setPlaceholderText(tr("anna@example.com"));
    m_email->setMaxLength(254);
    auto *emailCaption = new QLabel(tr("&Email:"), this);
    emailCaption->setBuddy(m_email);
    form->addRow(emailCaption, m_email);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("displayName"));
    m_name->setPlaceholderText(tr("Anna Whitfield"));
    m_name->setMaxLength(MemberService::MaxDisplayNameLength);
    m_nameCaption = new QLabel(tr("&Name:"), this);
    m_nameCaption->setBuddy(m_name);
    form->addRow(m_nameCaption, m_name);
    m_role = new QComboBox(this);
    m_role->setObjectName(QStringLiteral("role"));
    fillRoles(m_role, roles, QString());
    auto *roleCaption = new QLabel(tr("&Role:"), this);
    roleCaption->setBuddy(m_role);
    form->addRow(roleCaption, m_role);
    layout->addLayout(form);
    m_problems = problemLabel(this);
    layout->addWidget(m_problems);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &MemberDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_email, &QLineEdit::textChanged, this, &MemberDialog::revalidate);
    connect(m_name, &QLineEdit::textChanged, this, &MemberDialog::revalidate);
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        setMode(Mode::Invite);
        m_name->setFocus();
    });
    setMode(mode);
}

QString MemberDialog::saveText() const
{
    if (m_saving)
        return tr("Saving…");
    return m_mode == Mode::Invite ? tr("&Invite") : tr("&Add member");
}

void MemberDialog::setMode(Mode mode)
{
    m_mode = mode;
    const bool invite = mode == Mode::Invite;
    setWindowTitle(invite ? tr("Invite to %1").arg(m_organization.name)
                          : tr("Add to %1").arg(m_organization.name));
    m_intro->setText(invite ? tr("Creates an account for someone new and makes them a member of "
                                 "%1. They get no console access until you grant it.")
                                  .arg(m_organization.name)
                            : tr("Makes someone who already has an account (in another "
                                 "organization) a member of %1.")
                                  .arg(m_organization.name));
    m_nameCaption->setVisible(invite);
    m_name->setVisible(invite);
    m_buttons->button(QDialogButtonBox::Save)->setText(saveText());
    revalidate();
}

void MemberDialog::setValues(const QString &email, const QString &displayName,
                             const QString &roleId)
{
    m_email->setText(email);
    m_name->setText(displayName);
    if (!roleId.isEmpty()) {
        const int index = m_role->findData(roleId);
        if (index >= 0)
            m_role->setCurrentIndex(index);
    }
    revalidate();
}

void MemberDialog::revalidate()
{
    const InviteDraft draft{m_email->text(),
                            m_mode == Mode::Invite ? m_name->text() : QStringLiteral("-"),
                            m_role->currentData().toString()};
    const QList<QString> problems = MemberService::inviteProblems(draft);
    // Say nothing about fields the operator has not reached yet.
    QList<QString> shown;
    if (!m_email->text().isEmpty() && !MemberService::isValidEmail(m_email->text().trimmed()))
        shown << tr("Enter an email address such as anna@example.com.");
    showProblems(m_problems, shown);
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(!m_saving && problems.isEmpty());
}

void MemberDialog::setSaving(bool saving)
{
    m_saving = saving;
    for (QWidget *w : std::initializer_list<QWidget *>{m_email, m_name, m_role})
        w->setEnabled(!saving);
    m_buttons->button(QDialogButtonBox::Save)->setText(saveText());
    revalidate();
}

void MemberDialog::save()
{
    if (m_saving)
        return;
    const InviteDraft draft{m_email->text(), m_name->text(), m_role->currentData().toString()};
    const Mode mode = m_mode;
    const QString organizationId = m_organization.id;
    m_banner->clear();
    setSaving(true);
    m_worker->run<Member>(
        this,
        [organizationId, draft, mode](const QString &connection) {
            MemberService service(connection);
            return mode == Mode::Invite
                       ? service.invite(organizationId, draft)
                       : service.addExisting(organizationId, draft.email, draft.roleId);
        },
        [this, mode](Result<Member> result) {
            setSaving(false);
            if (!result) {
                const bool offerInvite =
                    mode == Mode::AddExisting && result.error().kind == ErrorKind::NotFound;
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message,
                                      offerInvite ? tr("Invite instead") : QString());
                growToFit(this);
                return;
            }
            emit saved(result.value(), mode == Mode::Invite);
            accept();
        });
}

// ---------------------------------------------------------------------------------------
// ChangeRoleDialog

ChangeRoleDialog::ChangeRoleDialog(DatabaseWorker *worker, const Member &member,
                                   const QString &organizationName, const QList<Role> &roles,
                                   QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_member(member)
{
    setObjectName(QStringLiteral("changeRoleDialog"));
    setWindowTitle(tr("Change role of %1").arg(member.displayName));
    setMinimumWidth(440);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    auto *intro = new QLabel(tr("The role decides what %1 may see and do in %2.")
                                 .arg(member.displayName, organizationName),
                             this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    auto *form = new QFormLayout;
    m_role = new QComboBox(this);
    m_role->setObjectName(QStringLiteral("role"));
    fillRoles(m_role, roles, member.roleId);
    auto *caption = new QLabel(tr("&Role:"), this);
    caption->setBuddy(m_role);
    form->addRow(caption, m_role);
    m_description = new QLabel(this);
    m_description->setWordWrap(true);
    m_description->setForegroundRole(QPalette::PlaceholderText);
    form->addRow(QString(), m_description);
    layout->addLayout(form);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)->setText(tr("&Change role"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ChangeRoleDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto update = [this]() {
        m_description->setText(m_role->currentData(Qt::ToolTipRole).toString());
        m_buttons->button(QDialogButtonBox::Save)
            ->setEnabled(m_role->currentData().toString() != m_member.roleId);
    };
    connect(m_role, &QComboBox::currentIndexChanged, this, update);
    update();
}

void ChangeRoleDialog::setRole(const QString &roleId)
{
    const int index = m_role->findData(roleId);
    if (index >= 0)
        m_role->setCurrentIndex(index);
}

void ChangeRoleDialog::save()
{
    const QString roleId = m_role->currentData().toString();
    const Member member = m_member;
    m_banner->clear();
    m_buttons->setEnabled(false);
    m_worker->run<Member>(
        this,
        [member, roleId](const QString &connection) {
            return MemberService(connection)
                .changeRole(member.organizationId, member.userId, roleId);
        },
        [this](Result<Member> result) {
            m_buttons->setEnabled(true);
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                growToFit(this);
                return;
            }
            emit saved(result.value());
            accept();
        });
}

// ---------------------------------------------------------------------------------------
// ConsoleAccessDialog

ConsoleAccessDialog::ConsoleAccessDialog(DatabaseWorker *worker, const Member &member,
                                         QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_member(member)
{
    setObjectName(QStringLiteral("consoleAccessDialog"));
    setWindowTitle(tr("Console access for %1").arg(member.displayName));
    setMinimumWidth(500);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    const bool again = !member.login.isEmpty();
    auto *intro = new QLabel(
        again ? tr("%1 can sign in again as %2 with a one-time password. They must choose a new "
                   "password at their first sign-in.")
                    .arg(member.displayName, member.login)
              : tr("%1 gets a login of their own with a one-time password. They must choose a "
                   "new password at their first sign-in.")
                    .arg(member.displayName),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_login = new QLineEdit(this);
    m_login->setObjectName(QStringLiteral("login"));
    m_login->setMaxLength(63);
    m_login->setText(again ? member.login : PasswordPolicy::suggestLogin(member.email));
    m_login->setReadOnly(again);
    m_login->setToolTip(tr("3 to 63 lower-case letters, digits or underscores, starting with a "
                           "letter."));
    auto *loginCaption = new QLabel(tr("&Login name:"), this);
    loginCaption->setBuddy(m_login);
    form->addRow(loginCaption, m_login);

    auto *passwordRow = new QWidget(this);
    auto *passwordLayout = new QHBoxLayout(passwordRow);
    passwordLayout->setContentsMargins(0, 0, 0, 0);
    m_password = new QLineEdit(passwordRow);
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_password->setMaxLength(1024);
    passwordRow->setFocusProxy(m_password);
    m_generate = new QPushButton(tr("&Generate"), passwordRow);
    m_generate->setObjectName(QStringLiteral("generatePasswordButton"));
    m_generate->setToolTip(tr("Make a random password of %1 characters without look-alike "
                              "characters.")
                               .arg(PasswordPolicy::GeneratedLength));
    passwordLayout->addWidget(m_password, 1);
    passwordLayout->addWidget(m_generate);
    auto *passwordCaption = new QLabel(tr("One-time &password:"), this);
    passwordCaption->setBuddy(passwordRow);
    form->addRow(passwordCaption, passwordRow);
    m_show = new QCheckBox(tr("&Show the password"), this);
    m_show->setObjectName(QStringLiteral("showPassword"));
    form->addRow(QString(), m_show);
    layout->addLayout(form);
    auto *rules = new QLabel(tr("At least %1 characters, mixing upper case, lower case, digits or "
                                "symbols, and not containing the login name or the email "
                                "address.")
                                 .arg(PasswordPolicy::MinimumLength),
                             this);
    rules->setWordWrap(true);
    rules->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(rules);
    m_problems = problemLabel(this);
    layout->addWidget(m_problems);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)->setText(tr("&Grant access"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConsoleAccessDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_generate, &QPushButton::clicked, this, &ConsoleAccessDialog::generatePassword);
    connect(m_show, &QCheckBox::toggled, this, [this](bool show) {
        m_password->setEchoMode(show ? QLineEdit::Normal : QLineEdit::Password);
    });
    connect(m_login, &QLineEdit::textChanged, this, &ConsoleAccessDialog::revalidate);
    connect(m_password, &QLineEdit::textChanged, this, &ConsoleAccessDialog::revalidate);
    revalidate();
}

void ConsoleAccessDialog::setLogin(const QString &login)
{
    if (!m_login->isReadOnly())
        m_login->setText(login);
}

void ConsoleAccessDialog::setPassword(const QString &password)
{
    m_password->setText(password);
}

QString ConsoleAccessDialog::password() const
{
    return m_password->text();
}

void ConsoleAccessDialog::generatePassword()
{
    // Generated passwords always mix kinds; retry in the rare case one spells the login.
    QString password = PasswordPolicy::generate();
    for (int i = 0;
         i < 20 && !PasswordPolicy::problems(password, m_login->text(), m_member.email).isEmpty();
         ++i)
        password = PasswordPolicy::generate();
    m_password->setText(password);
    m_show->setChecked(true);
}

void ConsoleAccessDialog::revalidate()
{
    QList<QString> problems;
    const QString login = m_login->text().trimmed();
    if (!login.isEmpty() && !PasswordPolicy::isValidLogin(login))
        problems << tr("A login name starts with a lower-case letter and has 3 to 63 lower-case "
                       "letters, digits or underscores.");
    if (!m_password->text().isEmpty())
        problems << PasswordPolicy::problems(m_password->text(), login, m_member.email);
    showProblems(m_problems, problems);
    m_buttons->button(QDialogButtonBox::Save)
        ->setEnabled(!m_saving && problems.isEmpty() && !login.isEmpty() &&
                     !m_password->text().isEmpty());
}

void ConsoleAccessDialog::setSaving(bool saving)
{
    m_saving = saving;
    for (QWidget *w : std::initializer_list<QWidget *>{m_login, m_password, m_generate, m_show})
        w->setEnabled(!saving);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(saving ? tr("Granting…") : tr("&Grant access"));
    revalidate();
}

void ConsoleAccessDialog::save()
{
    if (m_saving)
        return;
    const Member member = m_member;
    const QString login = m_login->text().trimmed();
    const QString password = m_password->text();
    m_banner->clear();
    setSaving(true);
    m_worker->run<Member>(
        this,
        [member, login, password](const QString &connection) {
            return MemberService(connection)
                .grantConsoleAccess(member.organizationId, member.userId, login, password);
        },
        [this, password](Result<Member> result) {
            setSaving(false);
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                growToFit(this);
                return;
            }
            emit granted(result.value(), password);
            m_password->clear();
            accept();
        });
}

// ---------------------------------------------------------------------------------------
// OneTimePasswordDialog

OneTimePasswordDialog::OneTimePasswordDialog(const Member &member, const QString &password,
                                             QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("oneTimePasswordDialog"));
    setWindowTitle(tr("One-time password for %1").arg(member.displayName));
    setMinimumWidth(480);
    auto *layout = new QVBoxLayout(this);
    auto *intro =
        new QLabel(tr("%1 can now sign in to the console as <b>%2</b> with this "
                      "password. Give it to them in person or over a channel you "
                      "trust. It is shown only now; they must replace it at their "
                      "first sign-in.")
                       .arg(member.displayName.toHtmlEscaped(), member.login.toHtmlEscaped()),
                   this);
    intro->setWordWrap(true);
    intro->setTextFormat(Qt::RichText);
    layout->addWidget(intro);
    auto *row = new QHBoxLayout;
    m_password = new QLineEdit(password, this);
    m_password->setObjectName(QStringLiteral("oneTimePassword"));
    m_password->setReadOnly(true);
    QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    mono.setPointSizeF(mono.pointSizeF() * 1.2);
    m_password->setFont(mono);
    m_password->setAccessibleName(tr("One-time password"));
    m_copy = new QPushButton(tr("&Copy"), this);
    m_copy->setObjectName(QStringLiteral("copyPasswordButton"));
    row->addWidget(m_password, 1);
    row->addWidget(m_copy);
    layout->addLayout(row);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::accept);
    connect(m_copy, &QPushButton::clicked, this, [this]() {
        QApplication::clipboard()->setText(m_password->text());
        m_copy->setText(tr("Copied"));
    });
    // The password lives no longer than the dialog.
    connect(this, &QDialog::finished, m_password, &QLineEdit::clear);
}

QString OneTimePasswordDialog::password() const
{
    return m_password->text();
}

} // namespace nobill
