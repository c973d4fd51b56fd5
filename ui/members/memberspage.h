#pragma once

#include "common/page.h"
#include "database/connectionsettings.h"
#include "members/member.h"
#include "roles/role.h"

#include <memory>

class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace nobill {

class ExportButton;
class DatabaseWorker;
class MemberListModel;
class MessageBanner;
class OrganizationPicker;

// The Members screen: the people of one organization (chosen at the top), their role and
// console access, and what an administrator does about them.
//
// Gating: the page does not know the signed-in login's permissions. The owner of the page
// calls setAllowedActions() whenever the organization changes (organizationChanged), and
// the database refuses anyway what it must.
class MembersPage final : public Page
{
    Q_OBJECT
public:
    explicit MembersPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~MembersPage() override;

    void activate() override;
    bool isBusy() const override;

    // members.manage in the selected organization: off disables every action that changes
    // something, with a tooltip naming the missing permission.
    void setAllowedActions(bool canManageMembers);
    // Writing is off when the schema is newer than this program (read-only mode).
    void setReadOnly(bool readOnly, const QString &reason);

    QString currentOrganizationId() const;
    QString currentOrganizationName() const;
    void setCurrentOrganization(const QString &organizationId);

    MemberListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    ExportButton *exportButton() const { return m_exportButton; }
    OrganizationPicker *organizationPicker() const { return m_picker; }
    // The roles that can be given in the selected organization (loaded with it).
    const QList<Role> &roles() const { return m_roles; }
    // The open dialog, if any (tests and screenshots drive it).
    QDialog *openDialog() const;

public slots:
    void addExisting();
    void invite();
    void changeRole();
    void removeSelected();
    void grantAccess();
    void revokeAccess();

signals:
    void organizationChanged(const QString &organizationId, const QString &name);
    void statusMessage(const QString &message);

private:
    void organizationSelected(const QString &organizationId, const QString &name);
    void loadRoles();
    const Member *selectedMember() const;
    void selectionChanged();
    void showDetails(const Member *member);
    void updateActions();
    void updateCount();
    void restoreSelection();
    void announce(const QString &message);
    void showFailure(const QString &message);
    void memberChanged(const Member &member, const QString &message, bool reload);
    void openMemberDialog(int mode);
    bool canWrite() const;

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    MemberListModel *m_model = nullptr;
    OrganizationPicker *m_picker = nullptr;
    QTableView *m_view = nullptr;
    MessageBanner *m_banner = nullptr;
    ExportButton *m_exportButton = nullptr;
    QLineEdit *m_filter = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_title = nullptr;
    QLabel *m_empty = nullptr;
    QWidget *m_details = nullptr;
    QLabel *m_email = nullptr;
    QLabel *m_role = nullptr;
    QLabel *m_access = nullptr;
    QLabel *m_login = nullptr;
    QLabel *m_since = nullptr;
    QLabel *m_account = nullptr;
    QPushButton *m_addButton = nullptr;
    QPushButton *m_inviteButton = nullptr;
    QPushButton *m_changeRoleButton = nullptr;
    QPushButton *m_removeButton = nullptr;
    QPushButton *m_grantButton = nullptr;
    QPushButton *m_revokeButton = nullptr;
    QTimer *m_filterDebounce = nullptr;
    QTimer *m_announceTimer = nullptr;
    QList<Role> m_roles;
    quint64 m_rolesRequest = 0;
    QString m_selectedId;
    bool m_activated = false;
    bool m_rolesLoading = false;
    bool m_canManage = true;
    bool m_readOnly = false;
    bool m_busyAction = false;
    QString m_readOnlyReason;
};

} // namespace nobill
