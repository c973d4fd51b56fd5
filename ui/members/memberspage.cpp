#include "members/memberspage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "members/memberdialogs.h"
#include "members/memberlistmodel.h"
#include "members/memberservice.h"
#include "members/organizationpicker.h"
#include "roles/roleservice.h"

#include <QFormLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
QLabel *valueLabel(QWidget *parent, const char *name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QLatin1String(name));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

QPushButton *actionButton(const QString &text, const char *name, QWidget *parent)
{
    auto *button = new QPushButton(text, parent);
    button->setObjectName(QLatin1String(name));
    return button;
}
} // namespace

MembersPage::MembersPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("members-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("members-actions")))
{
    setObjectName(QStringLiteral("membersPage"));
    m_model = new MemberListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_picker = new OrganizationPicker(m_actionWorker.get(), this);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("memberFilter"));
    m_filter->setPlaceholderText(tr("Filter by name or email"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Filter members"));
    m_addButton = actionButton(tr("&Add existing user…"), "addMemberButton", this);
    m_addButton->setToolTip(tr("Add someone who already has an account"));
    m_inviteButton = actionButton(tr("&Invite…"), "inviteMemberButton", this);
    toolbar->addWidget(m_picker, 2);
    toolbar->addSpacing(8);
    toolbar->addWidget(m_filter, 3);
    toolbar->addSpacing(12);
    toolbar->addWidget(m_addButton);
    toolbar->addWidget(m_inviteButton);
    m_exportButton = new ExportButton(QStringLiteral("members.csv"), tr("Export members"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    toolbar->addWidget(m_exportButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("memberTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(MemberListModel::Name, Qt::AscendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(MemberListModel::Name, 170);
    m_view->setColumnWidth(MemberListModel::Email, 235);
    m_view->setColumnWidth(MemberListModel::Role, 115);
    m_view->setColumnWidth(MemberListModel::Access, 150);
    m_view->setAccessibleName(tr("Members"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("memberCount"));
    listLayout->addWidget(m_count);

    auto *side = new QWidget(splitter);
    side->setObjectName(QStringLiteral("memberDetailPanel"));
    side->setMinimumWidth(270);
    auto *sideLayout = new QVBoxLayout(side);
    sideLayout->setContentsMargins(12, 0, 4, 0);
    m_title = new QLabel(side);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setWordWrap(true);
    sideLayout->addWidget(m_title);
    m_empty = new QLabel(tr("Select a member to see their role and console access."), side);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    sideLayout->addWidget(m_empty);
    m_details = new QWidget(side);
    auto *form = new QFormLayout(m_details);
    form->setContentsMargins(0, 4, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    m_email = valueLabel(m_details, "detailEmail");
    m_role = valueLabel(m_details, "detailRole");
    m_access = valueLabel(m_details, "detailAccess");
    m_login = valueLabel(m_details, "detailLogin");
    m_since = valueLabel(m_details, "detailSince");
    m_account = valueLabel(m_details, "detailAccount");
    form->addRow(tr("Email:"), m_email);
    form->addRow(tr("Role:"), m_role);
    form->addRow(tr("Console:"), m_access);
    form->addRow(tr("Login:"), m_login);
    form->addRow(tr("Member since:"), m_since);
    form->addRow(tr("Account:"), m_account);
    sideLayout->addWidget(m_details);
    sideLayout->addSpacing(12);
    m_changeRoleButton = actionButton(tr("&Change role…"), "changeRoleButton", side);
    m_removeButton = actionButton(tr("&Remove from organization…"), "removeMemberButton", side);
    m_grantButton = actionButton(tr("&Grant console access…"), "grantAccessButton", side);
    m_revokeButton = actionButton(tr("Re&voke console access…"), "revokeAccessButton", side);
    for (QPushButton *b : {m_changeRoleButton, m_removeButton, m_grantButton, m_revokeButton})
        sideLayout->addWidget(b);
    sideLayout->addStretch(1);
    splitter->addWidget(listBox);
    splitter->addWidget(side);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({820, 300});
    layout->addWidget(splitter, 1);

    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterDebounce, &QTimer::timeout, this,
            [this]() { m_model->setFilterText(m_filter->text()); });
    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);

    connect(m_picker, &OrganizationPicker::organizationChanged, this,
            &MembersPage::organizationSelected);
    connect(m_picker, &OrganizationPicker::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The organizations could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &MembersPage::selectionChanged);
    connect(m_view, &QTableView::doubleClicked, this, &MembersPage::changeRole);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        updateCount();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &MembersPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &MembersPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The members could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        if (m_picker->count() == 0)
            m_picker->reload();
        else
            m_model->reload();
    });
    connect(m_addButton, &QPushButton::clicked, this, &MembersPage::addExisting);
    connect(m_inviteButton, &QPushButton::clicked, this, &MembersPage::invite);
    connect(m_changeRoleButton, &QPushButton::clicked, this, &MembersPage::changeRole);
    connect(m_removeButton, &QPushButton::clicked, this, &MembersPage::removeSelected);
    connect(m_grantButton, &QPushButton::clicked, this, &MembersPage::grantAccess);
    connect(m_revokeButton, &QPushButton::clicked, this, &MembersPage::revokeAccess);
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_filter, [this]() {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);
    showDetails(nullptr);
    updateActions();
}

MembersPage::~MembersPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page.
    delete m_view;
    delete m_model;
}

void MembersPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_picker->reload();
}

bool MembersPage::isBusy() const
{
    return m_picker->isLoading() || m_model->isLoading() || m_rolesLoading || m_busyAction;
}

void MembersPage::setAllowedActions(bool canManageMembers)
{
    m_canManage = canManageMembers;
    updateActions();
}

void MembersPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    updateActions();
}

QString MembersPage::currentOrganizationId() const
{
    return m_picker->currentOrganizationId();
}

QString MembersPage::currentOrganizationName() const
{
    return m_picker->currentOrganizationName();
}

void MembersPage::setCurrentOrganization(const QString &organizationId)
{
    m_picker->setCurrentOrganization(organizationId);
}

QDialog *MembersPage::openDialog() const
{
    for (QDialog *dialog : findChildren<QDialog *>(QString(), Qt::FindDirectChildrenOnly)) {
        if (dialog->isVisible())
            return dialog;
    }
    return nullptr;
}

void MembersPage::organizationSelected(const QString &organizationId, const QString &name)
{
    m_selectedId.clear();
    m_roles.clear();
    m_model->setOrganization(organizationId);
    loadRoles();
    showDetails(nullptr);
    updateActions();
    emit organizationChanged(organizationId, name);
}

void MembersPage::loadRoles()
{
    const quint64 request = ++m_rolesRequest;
    const QString organizationId = currentOrganizationId();
    if (organizationId.isEmpty()) {
        m_rolesLoading = false;
        return;
    }
    m_rolesLoading = true;
    m_actionWorker->run<QList<Role>>(
        this,
        [organizationId](const QString &connection) {
            return RoleService(connection).roles(organizationId);
        },
        [this, request](Result<QList<Role>> result) {
            if (request != m_rolesRequest)
                return;
            m_rolesLoading = false;
            if (!result) {
                showFailure(tr("The roles could not be loaded. %1").arg(result.error().message));
                return;
            }
            m_roles = result.value();
            updateActions();
        });
}

bool MembersPage::canWrite() const
{
    return !m_readOnly && m_canManage && !m_busyAction && !currentOrganizationId().isEmpty();
}

const Member *MembersPage::selectedMember() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->memberAt(rows.first().row());
}

void MembersPage::selectionChanged()
{
    const Member *member = selectedMember();
    if (member)
        m_selectedId = member->userId;
    if (member || m_model->rowCount() > 0 || !m_model->isLoading())
        showDetails(member);
    updateActions();
}

void MembersPage::showDetails(const Member *m)
{
    m_details->setVisible(m);
    m_empty->setVisible(!m);
    if (!m) {
        m_title->setText(tr("No member selected"));
        return;
    }
    m_title->setText(m->displayName);
    m_email->setText(m->email);
    m_role->setText(m->roleIsBuiltin ? m->roleName : tr("%1 (custom role)").arg(m->roleName));
    m_access->setText(MemberListModel::accessText(m->access));
    m_login->setText(m->login.isEmpty() ? tr("none") : m->login);
    m_login->setForegroundRole(m->login.isEmpty() ? QPalette::PlaceholderText
                                                  : QPalette::WindowText);
    const QLocale locale;
    m_since->setText(locale.toString(m->memberSince.toLocalTime().date(), QLocale::LongFormat));
    m_account->setText(m->accountDisabled
                           ? tr("disabled since %1")
                                 .arg(locale.toString(m->accountDisabledAt.toLocalTime().date(),
                                                      QLocale::ShortFormat))
                           : tr("active"));
}

void MembersPage::restoreSelection()
{
    if (selectedMember())
        return;
    if (m_selectedId.isEmpty()) {
        if (m_model->rowCount() > 0)
            m_view->selectRow(0);
        return;
    }
    const int row = m_model->rowOfId(m_selectedId);
    if (row >= 0) {
        m_view->selectRow(row);
        m_view->scrollTo(m_model->index(row, 0));
    } else if (m_model->rowCount() > 0) {
        m_view->selectRow(0);
    }
}

void MembersPage::updateActions()
{
    const Member *member = selectedMember();
    const bool write = canWrite();
    const bool rolesReady = !m_roles.isEmpty();
    const bool other = member && !member->isSelf;
    m_addButton->setEnabled(write && rolesReady);
    m_inviteButton->setEnabled(write && rolesReady);
    m_changeRoleButton->setEnabled(write && rolesReady && other);
    m_removeButton->setEnabled(write && other);
    const bool hasAccess = member && (member->access == ConsoleAccess::Enabled ||
                                      member->access == ConsoleAccess::MustChangePassword);
    m_grantButton->setEnabled(write && other && !hasAccess);
    m_revokeButton->setEnabled(write && other && hasAccess);
    m_grantButton->setText(member && member->access == ConsoleAccess::Disabled
                               ? tr("&Restore console access…")
                               : tr("&Grant console access…"));

    QString why;
    if (m_readOnly)
        why = m_readOnlyReason;
    else if (!m_canManage && !currentOrganizationId().isEmpty())
        why = tr("You need the permission to manage members (members.manage) in %1.")
                  .arg(currentOrganizationName());
    for (QPushButton *b : {m_addButton, m_inviteButton, m_changeRoleButton, m_removeButton,
                           m_grantButton, m_revokeButton})
        b->setToolTip(why);
    if (why.isEmpty() && member && member->isSelf) {
        const QString self = tr("You cannot change your own membership or console access; ask "
                                "another administrator.");
        for (QPushButton *b : {m_changeRoleButton, m_removeButton, m_grantButton, m_revokeButton})
            b->setToolTip(self);
    }
    if (why.isEmpty())
        m_addButton->setToolTip(tr("Add someone who already has an account"));
}

void MembersPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (currentOrganizationId().isEmpty()) {
        m_count->setText(m_picker->isLoading() ? tr("Loading…")
                                               : tr("Choose an organization to see its members."));
        return;
    }
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    if (total == 0) {
        m_count->setText(
            m_model->query().text.isEmpty()
                ? tr("%1 has no members yet. Invite the first one.").arg(currentOrganizationName())
                : tr("No member matches this filter."));
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 members, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n member(s)", nullptr, total));
}

void MembersPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void MembersPage::showFailure(const QString &message)
{
    m_announceTimer->stop();
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void MembersPage::memberChanged(const Member &member, const QString &message, bool reload)
{
    m_selectedId = member.userId;
    announce(message);
    if (reload) {
        m_model->reload();
        loadRoles(); // member counts per role changed
    } else {
        m_model->updateMember(member);
        showDetails(selectedMember());
        updateActions();
    }
}

void MembersPage::openMemberDialog(int mode)
{
    if (!canWrite() || m_roles.isEmpty() || openDialog())
        return;
    const OrganizationRef organization{currentOrganizationId(), currentOrganizationName()};
    auto *dialog = new MemberDialog(m_actionWorker.get(), MemberDialog::Mode(mode), organization,
                                    m_roles, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &MemberDialog::saved, this,
            [this, organization](const Member &member, bool invited) {
                memberChanged(
                    member,
                    invited ? tr("%1 was invited to %2 as %3.")
                                  .arg(member.displayName, organization.name, member.roleName)
                            : tr("%1 was added to %2 as %3.")
                                  .arg(member.displayName, organization.name, member.roleName),
                    true);
            });
    dialog->open();
}

void MembersPage::addExisting()
{
    openMemberDialog(int(MemberDialog::Mode::AddExisting));
}

void MembersPage::invite()
{
    openMemberDialog(int(MemberDialog::Mode::Invite));
}

void MembersPage::changeRole()
{
    const Member *member = selectedMember();
    if (!canWrite() || !member || member->isSelf || m_roles.isEmpty() || openDialog())
        return;
    auto *dialog = new ChangeRoleDialog(m_actionWorker.get(), *member, currentOrganizationName(),
                                        m_roles, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ChangeRoleDialog::saved, this, [this](const Member &changed) {
        memberChanged(changed, tr("%1 is now %2.").arg(changed.displayName, changed.roleName),
                      true);
    });
    dialog->open();
}

void MembersPage::removeSelected()
{
    const Member *selected = selectedMember();
    if (!canWrite() || !selected || selected->isSelf)
        return;
    const Member member = *selected;
    const QString organization = currentOrganizationName();
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Remove member"),
                                tr("Remove %1 from %2?").arg(member.displayName, organization),
                                QMessageBox::Cancel, this);
    box->setInformativeText(
        member.access == ConsoleAccess::None
            ? tr("They lose their role in %1. Their account stays, so you can add them again "
                 "later.")
                  .arg(organization)
            : tr("They lose their role in %1 and can no longer see its data in the console. "
                 "Their account and login stay; revoke console access separately if they "
                 "should not sign in at all.")
                  .arg(organization));
    QPushButton *confirm = box->addButton(tr("Remove"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, member, organization]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<bool>(
            this,
            [member](const QString &connection) -> Result<bool> {
                Status removed =
                    MemberService(connection).remove(member.organizationId, member.userId);
                if (!removed)
                    return removed.error();
                return true;
            },
            [this, member, organization](Result<bool> result) {
                m_busyAction = false;
                if (!result) {
                    showFailure(result.error().message);
                    m_model->reload();
                } else {
                    m_selectedId.clear();
                    announce(tr("%1 is no longer a member of %2.")
                                 .arg(member.displayName, organization));
                    m_model->reload();
                    loadRoles();
                }
                updateActions();
            });
    });
    box->open();
}

void MembersPage::grantAccess()
{
    const Member *member = selectedMember();
    if (!canWrite() || !member || member->isSelf || openDialog())
        return;
    auto *dialog = new ConsoleAccessDialog(m_actionWorker.get(), *member, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ConsoleAccessDialog::granted, this,
            [this](const Member &granted, const QString &password) {
                memberChanged(granted,
                              tr("%1 can now sign in as %2 and must choose a new password "
                                 "at the first sign-in.")
                                  .arg(granted.displayName, granted.login),
                              false);
                // Shown once, after the grant dialog has gone.
                auto *shown = new OneTimePasswordDialog(granted, password, this);
                shown->setAttribute(Qt::WA_DeleteOnClose);
                QTimer::singleShot(0, shown, &QDialog::open);
            });
    dialog->open();
}

void MembersPage::revokeAccess()
{
    const Member *selected = selectedMember();
    if (!canWrite() || !selected || selected->isSelf)
        return;
    const Member member = *selected;
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Revoke console access"),
                                tr("Revoke the console access of %1?").arg(member.displayName),
                                QMessageBox::Cancel, this);
    box->setInformativeText(tr("The login %1 can no longer sign in, and the sessions it has "
                               "open now are ended at once. Their memberships and the audit "
                               "trail stay; you can restore access later with a new one-time "
                               "password.")
                                .arg(member.login));
    QPushButton *confirm = box->addButton(tr("Revoke access"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, member]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<Member>(
            this,
            [member](const QString &connection) {
                return MemberService(connection)
                    .revokeConsoleAccess(member.organizationId, member.userId);
            },
            [this](Result<Member> result) {
                m_busyAction = false;
                if (!result) {
                    showFailure(result.error().message);
                    updateActions();
                    return;
                }
                memberChanged(result.value(),
                              tr("%1 can no longer sign in to the console; their open sessions "
                                 "were ended.")
                                  .arg(result.value().displayName),
                              false);
            });
    });
    box->open();
}

} // namespace nobill
