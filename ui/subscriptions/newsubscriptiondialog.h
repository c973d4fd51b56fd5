#pragma once

#include "access/sessionaccess.h"
#include "plans/plan.h"
#include "subscriptions/subscription.h"

#include <QDialog>

class QComboBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QRadioButton;
class QSpinBox;

namespace nobill {

class ChangeFeed;
class DatabaseWorker;
class JobTracker;

// Starts a subscription: tenant, plan, quantity, how it is paid (charged automatically,
// invoiced with days until due, or a Stripe Checkout link the operator copies and sends),
// trial days. The row is written and subscription.create queued in one step; the dialog
// then follows the job and shows Stripe's outcome: the subscription's id, or the Checkout
// link with a Copy button. A tenant that is not a Stripe customer yet, or a plan without a
// Stripe price, is refused with the sync action offered beside the sentence.
class NewSubscriptionDialog final : public QDialog
{
    Q_OBJECT
public:
    NewSubscriptionDialog(DatabaseWorker *worker, ChangeFeed *feed, const SessionAccess &access,
                          bool accessKnown, QWidget *parent = nullptr);

    bool isLoading() const { return m_loading > 0; }
    QComboBox *tenantBox() const { return m_tenant; }
    QComboBox *planBox() const { return m_plan; }
    QSpinBox *quantityBox() const { return m_quantity; }
    QRadioButton *automaticButton() const { return m_automatic; }
    QRadioButton *invoiceButton() const { return m_invoice; }
    QRadioButton *checkoutButton() const { return m_checkout; }
    QSpinBox *daysUntilDueBox() const { return m_daysUntilDue; }
    QSpinBox *trialDaysBox() const { return m_trialDays; }
    QLineEdit *successUrlEdit() const { return m_successUrl; }
    QLabel *readiness() const { return m_readiness; }
    QPushButton *syncButton() const { return m_sync; }
    QPushButton *createButton() const { return m_create; }
    QLabel *status() const { return m_status; }
    QLineEdit *checkoutLink() const { return m_link; }
    QPushButton *copyButton() const { return m_copy; }
    JobTracker *tracker() const { return m_tracker; }

signals:
    void subscriptionQueued(const QString &subscriptionId);

private:
    void loadChoices();
    void tenantChanged();
    void updateState();
    void sync();
    void create();
    void showOutcome();
    QString collection() const;
    const TenantChoice *currentTenant() const;
    const Plan *currentPlan() const;

    DatabaseWorker *m_worker;
    ChangeFeed *m_feed;
    SessionAccess m_access;
    bool m_accessKnown;
    QString m_token;
    int m_loading = 0;
    bool m_busy = false;
    QList<TenantChoice> m_tenants;
    QList<Plan> m_plans;
    JobTracker *m_tracker = nullptr;
    JobTracker *m_syncTracker = nullptr;
    QComboBox *m_tenant;
    QComboBox *m_plan;
    QSpinBox *m_quantity;
    QRadioButton *m_automatic;
    QRadioButton *m_invoice;
    QRadioButton *m_checkout;
    QSpinBox *m_daysUntilDue;
    QSpinBox *m_trialDays;
    QLineEdit *m_successUrl;
    QLabel *m_readiness;
    QPushButton *m_sync;
    QLabel *m_status;
    QLineEdit *m_link;
    QPushButton *m_copy;
    QPushButton *m_create;
    QPushButton *m_close;
};

} // namespace nobill
