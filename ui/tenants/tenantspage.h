#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"

#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;

namespace nobill {

class StripeActions;

class ChangeFeed;
class ExportButton;
class DatabaseWorker;
class MessageBanner;
class TenantDetailPanel;
class TenantDialog;
class TenantListModel;
struct Tenant;

// The Tenants screen: a paged list filtered and sorted by the database, a detail panel, and
// the actions on a tenant. Every later list screen follows this shape.
class TenantsPage final : public Page
{
    Q_OBJECT
public:
    explicit TenantsPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~TenantsPage() override;

    void activate() override;
    bool isBusy() const override;

    // Writing is off when the schema is newer than this program (read-only mode).
    void setReadOnly(bool readOnly, const QString &reason);
    // What the signed-in operator may do: actions they may not take are disabled, with a
    // tooltip that says which permission is missing. The database refuses them anyway.
    void setAccess(const SessionAccess &access);
    // Other operators' changes arrive through the feed: changed rows are refreshed in place,
    // added and removed ones by a reload that keeps the selection and the scroll position.
    void setChangeFeed(ChangeFeed *feed);

    TenantListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    StripeActions *stripeActions() const { return m_stripeActions; }
    // The open create/edit dialog, if any (tests and screenshots drive it).
    TenantDialog *openDialog() const;

    // Shows one tenant: filters the list down to its name and selects it.
    void showTenant(const QString &id, const QString &name);

public slots:
    void newTenant();
    // Streams the list (its current filter and order) to CSV at `path`; Export CSV… asks.
    void exportTo(const QString &path);
    void editSelected();
    void toggleSuspension();
    void deleteSelected();

signals:
    void statusMessage(const QString &message);

private:
    const Tenant *selectedTenant() const;
    void selectionChanged();
    void updateActions();
    void updateCount();
    void restoreSelection();
    void announce(const QString &message);
    void showFailure(const QString &message);
    void tenantSaved(const Tenant &tenant, bool created);
    void onChange(const QString &table, const QString &operation, const QString &id);
    void refreshRow(const QString &id);
    void reloadKeepingPlace();

    // Reads page the list; the action worker serves the detail panel and writes, so a long
    // list load never delays a save.
    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    TenantListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    TenantDetailPanel *m_details = nullptr;
    MessageBanner *m_banner = nullptr;
    StripeActions *m_stripeActions = nullptr;
    QLineEdit *m_filter = nullptr;
    QComboBox *m_statusFilter = nullptr;
    QLabel *m_count = nullptr;
    QPushButton *m_newButton = nullptr;
    QPushButton *m_editButton = nullptr;
    QPushButton *m_suspendButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    ExportButton *m_exportButton = nullptr;
    QTimer *m_filterDebounce = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_reloadSoon = nullptr;
    QTimer *m_detailsSoon = nullptr;
    int m_scrollToRestore = -1;
    QString m_selectedId;
    bool m_activated = false;
    bool m_readOnly = false;
    bool m_busyAction = false;
    QString m_readOnlyReason;
    SessionAccess m_access;
    bool m_accessKnown = false; // before sign-in data arrives (tests), nothing is hidden
};

} // namespace nobill
