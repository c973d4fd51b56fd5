#pragma once

#include "plans/plan.h"
#include "subscriptions/subscription.h"

#include <QDialog>
#include <QJsonObject>

class QComboBox;
class QLabel;
class QPushButton;
class QSpinBox;
class QTableWidget;

namespace nobill {

class ChangeFeed;
class DatabaseWorker;
class JobTracker;

// Change of plan or quantity with the price shown first: "Preview" queues
// subscription.preview_change for the office server, which asks Stripe what the change
// would cost now (invoices/create_preview); the lines and the amount due appear when Stripe
// has answered. "Confirm" then queues subscription.change_plan with the preview's moment,
// so the charge matches what was shown. Only plans Stripe can switch to are offered: same
// currency, interval and kind (licensed or metered), already published to Stripe.
class ChangePlanDialog final : public QDialog
{
    Q_OBJECT
public:
    ChangePlanDialog(DatabaseWorker *worker, ChangeFeed *feed, const Subscription &subscription,
                     QWidget *parent = nullptr);

    bool isLoading() const { return m_loading; }
    QComboBox *planBox() const { return m_plan; }
    QSpinBox *quantityBox() const { return m_quantity; }
    QComboBox *prorationBox() const { return m_proration; }
    QPushButton *previewButton() const { return m_previewButton; }
    QPushButton *confirmButton() const { return m_confirmButton; }
    QLabel *previewStatus() const { return m_status; }
    QLabel *amountDue() const { return m_amountDue; }
    QTableWidget *previewLines() const { return m_lines; }
    JobTracker *previewTracker() const { return m_tracker; }
    // Stale after this long without a worker (tests shorten it).
    void setWaitingHintAfterMs(int ms) { m_waitingHintMs = ms; }

signals:
    // The change is queued as job `jobId`; `what` names it for the page's messages.
    void queued(const QString &jobId, const QString &what);

private:
    void loadPlans();
    void inputsChanged();
    void preview();
    void showPreview();
    void confirm();
    void updateButtons();
    QString describeChange() const;

    DatabaseWorker *m_worker;
    ChangeFeed *m_feed;
    Subscription m_subscription;
    QList<Plan> m_plans;
    QString m_token; // one change per opening of the dialog
    bool m_loading = false;
    bool m_queueing = false;
    int m_waitingHintMs = 20000;
    JobTracker *m_tracker = nullptr;
    QJsonObject m_preview;          // the successful preview's result
    QJsonObject m_previewedRequest; // what it was for
    QLabel *m_current;
    QComboBox *m_plan;
    QSpinBox *m_quantity;
    QComboBox *m_proration;
    QLabel *m_status;
    QTableWidget *m_lines;
    QLabel *m_amountDue;
    QPushButton *m_previewButton;
    QPushButton *m_confirmButton;
};

} // namespace nobill
