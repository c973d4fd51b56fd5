#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"
#include "subscriptions/subscription.h"

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QTableView;
class QTimer;

namespace nobill {

class ExportButton;
class ChangeFeed;
class DatabaseWorker;
class MessageBanner;
class OrganizationFilter;
class JobTracker;
class SubscriptionDetailPanel;
class SubscriptionListModel;

// The Subscriptions screen: every subscription the operator may see, filtered by
// organization, status, plan and renewal window, with a detail panel. Changes that Stripe
// must make (cancel, resume, quantity) are queued as jobs for the office server and shown
// as pending until Stripe confirms them.
class SubscriptionsPage final : public Page
{
    Q_OBJECT
public:
    explicit SubscriptionsPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~SubscriptionsPage() override;

    void activate() override;
    bool isBusy() const override;

    void setReadOnly(bool readOnly, const QString &reason);
    // What the signed-in operator may do: actions they may not take are disabled, with a
    // tooltip that names the missing permission. The database refuses them anyway.
    void setAccess(const SessionAccess &access);
    // Other operators' changes (and the worker's, once Stripe confirms) refresh the rows
    // and the detail in place.
    void setChangeFeed(ChangeFeed *feed);

    SubscriptionListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    SubscriptionDetailPanel *details() const { return m_details; }
    MessageBanner *banner() const { return m_banner; }
    ExportButton *exportButton() const { return m_exportButton; }
    OrganizationFilter *organizationFilter() const { return m_organizations; }
    QComboBox *statusFilter() const { return m_statusFilter; }
    QComboBox *planFilter() const { return m_planFilter; }
    QComboBox *renewalFilter() const { return m_renewalFilter; }
    // The work most recently queued from this page, followed to its outcome (tests).
    JobTracker *lastTracker() const { return m_lastTracker; }
    QPushButton *newSubscriptionButton() const { return m_newButton; }

public slots:
    void requestAction(SubscriptionAction action);
    // Opens the dialog that previews and then queues a change of plan or quantity.
    void requestChangePlan();
    void requestNewSubscription();
    // Shows one subscription (from the global search): selected in the list when it is
    // loaded, in the detail panel in any case.
    void showSubscription(const QString &id);

signals:
    void statusMessage(const QString &message);

private:
    const Subscription *selectedSubscription() const;
    // The freshest copy of the selected subscription (the detail's, once loaded).
    std::optional<Subscription> currentSubscription() const;
    void selectionChanged();
    void restoreSelection();
    void updateActions();
    void updateCount();
    void loadPlans();
    void announce(const QString &message);
    void showFailure(const QString &message);
    void confirmAndQueue(const Subscription &subscription, SubscriptionAction action);
    void queue(const SubscriptionActionRequest &request, const QString &what,
               const QString &tenant);
    void onChange(const QString &table, const QString &operation, const QString &id);
    // Shows the queued work's progress in the banner until Stripe has done it (or not).
    void follow(const QString &jobId, const QString &what, const QString &tenant);
    void askPauseBehavior(const Subscription &s, const SubscriptionActionRequest &request,
                          const QString &tenant);
    void refreshRow(const QString &id);

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    SubscriptionListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    SubscriptionDetailPanel *m_details = nullptr;
    MessageBanner *m_banner = nullptr;
    ExportButton *m_exportButton = nullptr;
    OrganizationFilter *m_organizations = nullptr;
    QComboBox *m_statusFilter = nullptr;
    QComboBox *m_planFilter = nullptr;
    QComboBox *m_renewalFilter = nullptr;
    QLabel *m_count = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_reloadSoon = nullptr;
    QTimer *m_detailsSoon = nullptr;
    QString m_selectedId;
    bool m_activated = false;
    bool m_readOnly = false;
    bool m_busyAction = false;
    bool m_dialogOpen = false;
    bool m_plansLoading = false;
    QString m_readOnlyReason;
    SessionAccess m_access;
    ChangeFeed *m_feed = nullptr;
    JobTracker *m_lastTracker = nullptr;
    QPushButton *m_newButton = nullptr;
    bool m_accessKnown = false; // before sign-in data arrives (tests), nothing is hidden
};

} // namespace nobill
