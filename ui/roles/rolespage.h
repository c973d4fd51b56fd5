#pragma once

#include "common/page.h"
#include "database/connectionsettings.h"

#include <memory>

class QDialog;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;

namespace nobill {

class DatabaseWorker;
class MessageBanner;
class OrganizationPicker;
class PermissionMatrixModel;
class RoleListModel;
struct Role;

// The Roles screen: the roles of one organization (built-in ones, read-only, and its own),
// and a table of which role grants which permission, edited and saved together.
//
// Gating: the owner of the page calls setCanManageRoles() whenever the organization
// changes (organizationChanged); the database refuses anyway what it must.
class RolesPage final : public Page
{
    Q_OBJECT
public:
    explicit RolesPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~RolesPage() override;

    void activate() override;
    bool isBusy() const override;

    // roles.manage in the selected organization: off disables New/Rename/Delete and makes
    // the permission table read-only, with a tooltip naming the missing permission.
    void setCanManageRoles(bool canManageRoles);
    // Writing is off when the schema is newer than this program (read-only mode).
    void setReadOnly(bool readOnly, const QString &reason);

    QString currentOrganizationId() const;
    QString currentOrganizationName() const;
    void setCurrentOrganization(const QString &organizationId);

    RoleListModel *roleModel() const { return m_roles; }
    PermissionMatrixModel *matrixModel() const { return m_matrix; }
    QTableView *roleView() const { return m_roleView; }
    QTableView *matrixView() const { return m_matrixView; }
    MessageBanner *banner() const { return m_banner; }
    OrganizationPicker *organizationPicker() const { return m_picker; }
    QDialog *openDialog() const;

public slots:
    void newRole();
    void renameSelected();
    void deleteSelected();
    void savePermissions();
    void discardChanges();

signals:
    void organizationChanged(const QString &organizationId, const QString &name);
    void statusMessage(const QString &message);

private:
    void organizationSelected(const QString &organizationId, const QString &name);
    const Role *selectedRole() const;
    void selectionChanged();
    void updateActions();
    void updateMatrixStatus();
    void restoreSelection();
    void announce(const QString &message);
    void showFailure(const QString &message);
    void reloadAll();
    bool canWrite() const;

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    RoleListModel *m_roles = nullptr;
    PermissionMatrixModel *m_matrix = nullptr;
    OrganizationPicker *m_picker = nullptr;
    QTableView *m_roleView = nullptr;
    QTableView *m_matrixView = nullptr;
    MessageBanner *m_banner = nullptr;
    QLabel *m_matrixStatus = nullptr;
    QPushButton *m_newButton = nullptr;
    QPushButton *m_renameButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QPushButton *m_saveButton = nullptr;
    QPushButton *m_discardButton = nullptr;
    QTimer *m_announceTimer = nullptr;
    QString m_selectedId;
    bool m_activated = false;
    bool m_canManage = true;
    bool m_readOnly = false;
    bool m_busyAction = false;
    QString m_readOnlyReason;
};

} // namespace nobill
