#include "roles/rolespage.h"

#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "members/organizationpicker.h"
#include "roles/centeredcheckdelegate.h"
#include "roles/permissionmatrixmodel.h"
#include "roles/roledialog.h"
#include "roles/rolelistmodel.h"
#include "roles/roleservice.h"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

RolesPage::RolesPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("roles-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("roles-actions")))
{
    setObjectName(QStringLiteral("rolesPage"));
    m_roles = new RoleListModel(m_listWorker.get(), this);
    m_matrix = new PermissionMatrixModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    auto *toolbar = new QHBoxLayout;
    m_picker = new OrganizationPicker(m_actionWorker.get(), this);
    m_newButton = new QPushButton(tr("&New role…"), this);
    m_newButton->setObjectName(QStringLiteral("newRoleButton"));
    m_renameButton = new QPushButton(tr("Re&name…"), this);
    m_renameButton->setObjectName(QStringLiteral("renameRoleButton"));
    m_deleteButton = new QPushButton(tr("&Delete…"), this);
    m_deleteButton->setObjectName(QStringLiteral("deleteRoleButton"));
    toolbar->addWidget(m_picker, 2);
    toolbar->addStretch(3);
    toolbar->addWidget(m_newButton);
    toolbar->addWidget(m_renameButton);
    toolbar->addWidget(m_deleteButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    m_roleView = new QTableView(splitter);
    m_roleView->setObjectName(QStringLiteral("roleTable"));
    m_roleView->setModel(m_roles);
    m_roleView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_roleView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_roleView->setAlternatingRowColors(true);
    m_roleView->verticalHeader()->hide();
    m_roleView->horizontalHeader()->setStretchLastSection(true);
    m_roleView->horizontalHeader()->setHighlightSections(false);
    m_roleView->setWordWrap(false);
    m_roleView->verticalHeader()->setDefaultSectionSize(m_roleView->fontMetrics().height() + 10);
    m_roleView->setColumnWidth(RoleListModel::Name, 170);
    m_roleView->setColumnWidth(RoleListModel::Kind, 90);
    m_roleView->setColumnWidth(RoleListModel::Members, 80);
    m_roleView->setColumnWidth(RoleListModel::Permissions, 95);
    m_roleView->setAccessibleName(tr("Roles"));

    auto *matrixBox = new QWidget(splitter);
    auto *matrixLayout = new QVBoxLayout(matrixBox);
    matrixLayout->setContentsMargins(0, 6, 0, 0);
    auto *matrixTitle = new QLabel(tr("Permissions"), matrixBox);
    QFont titleFont = matrixTitle->font();
    titleFont.setBold(true);
    matrixTitle->setFont(titleFont);
    auto *matrixHint = new QLabel(tr("Built-in roles (grey) are the same in every organization "
                                     "and cannot be changed. Platform-wide permissions are "
                                     "held by platform administrators only."),
                                  matrixBox);
    matrixHint->setWordWrap(true);
    matrixHint->setForegroundRole(QPalette::PlaceholderText);
    matrixLayout->addWidget(matrixTitle);
    matrixLayout->addWidget(matrixHint);
    m_matrixView = new QTableView(matrixBox);
    m_matrixView->setObjectName(QStringLiteral("permissionMatrix"));
    m_matrixView->setModel(m_matrix);
    m_matrixView->setItemDelegate(new CenteredCheckDelegate(m_matrixView));
    // Cells are focusable (Space toggles) but not selected: the tick is the state.
    m_matrixView->setSelectionMode(QAbstractItemView::NoSelection);
    m_matrixView->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_matrixView->setWordWrap(false);
    m_matrixView->horizontalHeader()->setHighlightSections(false);
    m_matrixView->horizontalHeader()->setDefaultSectionSize(96);
    m_matrixView->horizontalHeader()->setMinimumSectionSize(70);
    m_matrixView->verticalHeader()->setDefaultSectionSize(m_matrixView->fontMetrics().height() + 8);
    m_matrixView->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_matrixView->setAccessibleName(tr("Permissions of each role"));
    matrixLayout->addWidget(m_matrixView, 1);
    auto *saveRow = new QHBoxLayout;
    m_matrixStatus = new QLabel(matrixBox);
    m_matrixStatus->setObjectName(QStringLiteral("matrixStatus"));
    m_discardButton = new QPushButton(tr("Disc&ard changes"), matrixBox);
    m_discardButton->setObjectName(QStringLiteral("discardPermissionsButton"));
    m_saveButton = new QPushButton(tr("&Save permissions"), matrixBox);
    m_saveButton->setObjectName(QStringLiteral("savePermissionsButton"));
    saveRow->addWidget(m_matrixStatus, 1);
    saveRow->addWidget(m_discardButton);
    saveRow->addWidget(m_saveButton);
    matrixLayout->addLayout(saveRow);
    splitter->addWidget(m_roleView);
    splitter->addWidget(matrixBox);
    splitter->setStretchFactor(0, 2);
    splitter->setStretchFactor(1, 5);
    splitter->setSizes({220, 520});
    layout->addWidget(splitter, 1);

    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);

    connect(m_picker, &OrganizationPicker::organizationChanged, this,
            &RolesPage::organizationSelected);
    connect(m_picker, &OrganizationPicker::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The organizations could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_roleView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &RolesPage::selectionChanged);
    connect(m_roleView, &QTableView::doubleClicked, this, &RolesPage::renameSelected);
    connect(m_roles, &AsyncTableModel::pageLoaded, this, &RolesPage::restoreSelection);
    connect(m_roles, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The roles could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_matrix, &PermissionMatrixModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The permissions could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_matrix, &PermissionMatrixModel::loaded, this, [this]() {
        m_matrixView->resizeColumnsToContents();
        for (int c = 0; c < m_matrix->columnCount(); ++c)
            m_matrixView->setColumnWidth(c, qMax(m_matrixView->columnWidth(c) + 16, 84));
        restoreSelection();
        updateMatrixStatus();
    });
    connect(m_matrix, &PermissionMatrixModel::changesChanged, this, [this]() {
        updateMatrixStatus();
        updateActions();
    });
    connect(m_matrix, &QAbstractItemModel::dataChanged, this, &RolesPage::updateMatrixStatus);
    connect(m_matrix, &PermissionMatrixModel::savingChanged, this, &RolesPage::updateActions);
    connect(m_matrix, &PermissionMatrixModel::saved, this, [this](const QStringList &names) {
        announce(tr("The permissions of %1 were saved.").arg(names.join(tr(", "))));
        m_roles->reload(); // permission counts
    });
    connect(m_matrix, &PermissionMatrixModel::saveFailed, this, [this](const QString &message) {
        showFailure(tr("Nothing was saved. %1").arg(message));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        if (m_picker->count() == 0)
            m_picker->reload();
        else
            reloadAll();
    });
    connect(m_newButton, &QPushButton::clicked, this, &RolesPage::newRole);
    connect(m_renameButton, &QPushButton::clicked, this, &RolesPage::renameSelected);
    connect(m_deleteButton, &QPushButton::clicked, this, &RolesPage::deleteSelected);
    connect(m_saveButton, &QPushButton::clicked, this, &RolesPage::savePermissions);
    connect(m_discardButton, &QPushButton::clicked, this, &RolesPage::discardChanges);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, this, &RolesPage::reloadAll);
    auto *save = new QShortcut(QKeySequence::Save, this);
    connect(save, &QShortcut::activated, this, &RolesPage::savePermissions);
    updateActions();
    updateMatrixStatus();
}

RolesPage::~RolesPage()
{
    delete m_roleView;
    delete m_matrixView;
    delete m_roles;
    delete m_matrix;
}

void RolesPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_picker->reload();
}

bool RolesPage::isBusy() const
{
    return m_picker->isLoading() || m_roles->isLoading() || m_matrix->isLoading() ||
           m_matrix->isSaving() || m_busyAction;
}

void RolesPage::setCanManageRoles(bool canManageRoles)
{
    m_canManage = canManageRoles;
    updateActions();
}

void RolesPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    updateActions();
}

QString RolesPage::currentOrganizationId() const
{
    return m_picker->currentOrganizationId();
}

QString RolesPage::currentOrganizationName() const
{
    return m_picker->currentOrganizationName();
}

void RolesPage::setCurrentOrganization(const QString &organizationId)
{
    m_picker->setCurrentOrganization(organizationId);
}

QDialog *RolesPage::openDialog() const
{
    for (QDialog *dialog : findChildren<QDialog *>(QString(), Qt::FindDirectChildrenOnly)) {
        if (dialog->isVisible())
            return dialog;
    }
    return nullptr;
}

void RolesPage::organizationSelected(const QString &organizationId, const QString &name)
{
    if (m_matrix->hasChanges())
        m_banner->showMessage(MessageBanner::Kind::Warning,
                              tr("Unsaved permission changes for %1 were dropped.")
                                  .arg(m_matrix->organizationName()));
    m_selectedId.clear();
    m_roles->setOrganization(organizationId);
    m_matrix->setOrganization(organizationId);
    updateActions();
    emit organizationChanged(organizationId, name);
}

void RolesPage::reloadAll()
{
    m_roles->reload();
    m_matrix->reload();
}

bool RolesPage::canWrite() const
{
    return !m_readOnly && m_canManage && !m_busyAction && !m_matrix->isSaving() &&
           !currentOrganizationId().isEmpty();
}

const Role *RolesPage::selectedRole() const
{
    const QModelIndexList rows = m_roleView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_roles->roleAt(rows.first().row());
}

void RolesPage::selectionChanged()
{
    if (const Role *role = selectedRole()) {
        m_selectedId = role->id;
        const int column = m_matrix->columnOfRole(role->id);
        if (column >= 0)
            m_matrixView->scrollTo(m_matrix->index(0, column));
    }
    updateActions();
}

void RolesPage::restoreSelection()
{
    if (selectedRole() || m_roles->rowCount() == 0)
        return;
    int row = m_selectedId.isEmpty() ? -1 : m_roles->rowOfId(m_selectedId);
    if (row < 0) {
        // Open on the first custom role: the one there is something to do about.
        for (int r = 0; r < m_roles->rowCount() && row < 0; ++r) {
            if (!m_roles->roleAt(r).isBuiltin)
                row = r;
        }
    }
    m_roleView->selectRow(row >= 0 ? row : 0);
}

void RolesPage::updateActions()
{
    const Role *role = selectedRole();
    const bool write = canWrite();
    const bool custom = role && !role->isBuiltin;
    m_newButton->setEnabled(write);
    m_renameButton->setEnabled(write && custom);
    m_deleteButton->setEnabled(write && custom);
    m_saveButton->setEnabled(write && m_matrix->hasChanges());
    m_discardButton->setEnabled(m_matrix->hasChanges() && !m_matrix->isSaving());
    m_matrix->setEditable(!m_readOnly && m_canManage);

    QString why;
    if (m_readOnly)
        why = m_readOnlyReason;
    else if (!m_canManage && !currentOrganizationId().isEmpty())
        why = tr("You need the permission to manage roles (roles.manage) in %1.")
                  .arg(currentOrganizationName());
    for (QPushButton *b : {m_newButton, m_renameButton, m_deleteButton, m_saveButton})
        b->setToolTip(why);
    if (why.isEmpty() && role && role->isBuiltin) {
        const QString builtin = tr("%1 is a built-in role and cannot be changed.").arg(role->name);
        m_renameButton->setToolTip(builtin);
        m_deleteButton->setToolTip(builtin);
    }
}

void RolesPage::updateMatrixStatus()
{
    if (m_matrix->isSaving()) {
        m_matrixStatus->setText(tr("Saving…"));
        return;
    }
    if (m_matrix->hasChanges()) {
        QStringList changed;
        for (int c = 0; c < m_matrix->columnCount(); ++c) {
            const Role &role = m_matrix->roleAt(c);
            if (m_matrix->effectivePermissions(role.id) != role.permissions)
                changed << role.name;
        }
        m_matrixStatus->setText(
            tr("Unsaved changes to %1. Save to apply them.").arg(changed.join(tr(", "))));
        return;
    }
    bool anyCustom = false;
    for (int c = 0; c < m_matrix->columnCount(); ++c)
        anyCustom = anyCustom || !m_matrix->roleAt(c).isBuiltin;
    if (m_matrix->columnCount() > 0 && !anyCustom)
        m_matrixStatus->setText(tr("%1 has no roles of its own yet. Create one with \"New "
                                   "role\" to choose its permissions.")
                                    .arg(currentOrganizationName()));
    else
        m_matrixStatus->clear();
}

void RolesPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void RolesPage::showFailure(const QString &message)
{
    m_announceTimer->stop();
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void RolesPage::newRole()
{
    if (!canWrite() || openDialog())
        return;
    auto *dialog = new RoleDialog(m_actionWorker.get(), currentOrganizationId(),
                                  currentOrganizationName(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &RoleDialog::saved, this, [this](const Role &role, bool) {
        m_selectedId = role.id;
        announce(
            tr("The role %1 was created. Tick its permissions below and save.").arg(role.name));
        reloadAll();
    });
    dialog->open();
}

void RolesPage::renameSelected()
{
    const Role *role = selectedRole();
    if (!canWrite() || !role || role->isBuiltin || openDialog())
        return;
    auto *dialog = new RoleDialog(m_actionWorker.get(), *role, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QString oldName = role->name;
    connect(dialog, &RoleDialog::saved, this, [this, oldName](const Role &saved, bool) {
        m_selectedId = saved.id;
        announce(saved.name == oldName ? tr("Changes to %1 were saved.").arg(saved.name)
                                       : tr("%1 is now called %2.").arg(oldName, saved.name));
        reloadAll();
    });
    dialog->open();
}

void RolesPage::deleteSelected()
{
    const Role *selected = selectedRole();
    if (!canWrite() || !selected || selected->isBuiltin)
        return;
    const Role role = *selected;
    auto *box =
        new QMessageBox(QMessageBox::Warning, tr("Delete role"),
                        tr("Delete the role %1?").arg(role.name), QMessageBox::Cancel, this);
    box->setInformativeText(tr("This cannot be undone. A role that members still hold cannot be "
                               "deleted: give them another role first."));
    QPushButton *confirm = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, role]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        const QString id = role.id;
        m_actionWorker->run<bool>(
            this,
            [id](const QString &connection) -> Result<bool> {
                Status removed = RoleService(connection).remove(id);
                if (!removed)
                    return removed.error();
                return true;
            },
            [this, role](Result<bool> result) {
                m_busyAction = false;
                if (!result) {
                    showFailure(result.error().message);
                } else {
                    m_selectedId.clear();
                    announce(tr("The role %1 was deleted.").arg(role.name));
                    reloadAll();
                }
                updateActions();
            });
    });
    box->open();
}

void RolesPage::savePermissions()
{
    if (!canWrite() || !m_matrix->hasChanges())
        return;
    m_banner->clear();
    m_matrix->save();
}

void RolesPage::discardChanges()
{
    m_matrix->revert();
}

} // namespace nobill
