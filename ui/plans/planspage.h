#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "core/result.h"
#include "database/connectionsettings.h"
#include "plans/plan.h"

#include <functional>
#include <memory>

class QAction;
class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QTableView;
class QTimer;
class QToolButton;

namespace nobill {

class StripeActions;

class ExportButton;
class ChangeAmountDialog;
class ChangeFeed;
class DatabaseWorker;
class MessageBanner;
class PlanDetailPanel;
class PlanDialog;
class PlanListModel;
class ProductDialog;

// The Plans screen: the catalog's products and their prices. A paged list filtered and
// sorted by the database, a detail panel with the version history, and the actions of the
// catalog, which only platform administrators may take (plans.manage).
class PlansPage final : public Page
{
    Q_OBJECT
public:
    explicit PlansPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~PlansPage() override;

    void activate() override;
    bool isBusy() const override;

    // Writing is off when the schema is newer than this program (read-only mode).
    void setReadOnly(bool readOnly, const QString &reason);
    // What the signed-in operator may do: actions they may not take are disabled, with a
    // tooltip that says which permission is missing. The database refuses them anyway.
    void setAccess(const SessionAccess &access);
    // Other operators' changes to the catalog (and new subscribers) refresh the list.
    void setChangeFeed(ChangeFeed *feed);

    PlanListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    StripeActions *stripeActions() const { return m_stripeActions; }
    ExportButton *exportButton() const { return m_exportButton; }
    QComboBox *productFilter() const { return m_productFilter; }
    const PlanCatalog &catalog() const { return m_catalog; }
    // The open dialog, if any (tests and screenshots drive it).
    PlanDialog *openPlanDialog() const;
    ProductDialog *openProductDialog() const;
    ChangeAmountDialog *openChangeAmountDialog() const;

public slots:
    void newProduct();
    void editProduct();
    void toggleProductArchived();
    void newPlan();
    void editSelected();
    void changeAmount();
    void toggleArchived();
    void deleteSelected();

signals:
    void statusMessage(const QString &message);

private:
    const Plan *selectedPlan() const;
    const Product *filteredProduct() const;
    bool anyDialogOpen() const;
    void reloadCatalog();
    void catalogArrived(const PlanCatalog &catalog);
    void selectionChanged();
    void restoreSelection();
    void updateActions();
    void updateCount();
    void announce(const QString &message);
    void showFailure(const QString &message);
    void planSaved(const Plan &plan, const QString &message);
    void reloadKeepingPlace();
    void runPlanAction(const QString &question, const QString &details, const QString &confirmText,
                       bool destructive,
                       const std::function<Result<Plan>(const QString &connection)> &task,
                       const std::function<QString(const Plan &)> &outcome);

    // Reads page the list; the action worker serves the detail panel, the catalog and
    // writes, so a long list load never delays a save.
    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    PlanListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    PlanDetailPanel *m_details = nullptr;
    MessageBanner *m_banner = nullptr;
    StripeActions *m_stripeActions = nullptr;
    ExportButton *m_exportButton = nullptr;
    QComboBox *m_productFilter = nullptr;
    QLineEdit *m_filter = nullptr;
    QComboBox *m_currencyFilter = nullptr;
    QComboBox *m_usageFilter = nullptr;
    QComboBox *m_statusFilter = nullptr;
    QLabel *m_count = nullptr;
    QToolButton *m_productButton = nullptr;
    QAction *m_newProductAction = nullptr;
    QAction *m_editProductAction = nullptr;
    QAction *m_archiveProductAction = nullptr;
    QPushButton *m_newPlanButton = nullptr;
    QPushButton *m_editButton = nullptr;
    QPushButton *m_changeAmountButton = nullptr;
    QPushButton *m_archiveButton = nullptr;
    QPushButton *m_deleteButton = nullptr;
    QTimer *m_filterDebounce = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_reloadSoon = nullptr;
    PlanCatalog m_catalog;
    QString m_wantedProductId; // chosen before the catalog arrived, or kept across a reload
    quint64 m_catalogRequest = 0;
    bool m_catalogLoading = false;
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
