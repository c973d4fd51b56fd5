#pragma once

#include "subscriptions/subscription.h"

#include <QWidget>

#include <optional>

class QLabel;
class QPushButton;
class QTableWidget;

namespace nobill {

class DatabaseWorker;

// The right-hand panel of the Subscriptions screen: periods, quantity, trial, scheduled
// cancellation, the Stripe work pending on the subscription, its invoices, and the buttons
// for the actions (the page decides what they may do and carries them out).
class SubscriptionDetailPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit SubscriptionDetailPanel(DatabaseWorker *worker, QWidget *parent = nullptr);

    // Shows what the list row knows at once, then loads the rest.
    void showSubscription(const Subscription &subscription);
    // Loads the shown subscription again (after an action).
    void refresh();
    void clear();
    bool isLoading() const { return m_loading; }
    QString subscriptionId() const { return m_subscription ? m_subscription->id : QString(); }
    // The loaded details of the shown subscription, once they arrived.
    const std::optional<SubscriptionDetails> &details() const { return m_details; }
    QPushButton *actionButton(SubscriptionAction action) const;
    QPushButton *changePlanButton() const { return m_changePlanButton; }

    // "cancel at period end", "change quantity to 26", ... for a job's kind and payload.
    static QString describeWork(const PendingJob &job);
    // "Pending in Stripe: cancel at period end (queued 14:02 by ann)"
    static QString describePending(const PendingJob &job);

signals:
    void detailsLoaded();
    void actionTriggered(SubscriptionAction action);
    void changePlanTriggered();

private:
    void setValue(QLabel *label, const QString &text, bool placeholder = false);
    void showDetails(const SubscriptionDetails &details);
    void showFields(const Subscription &s);

    DatabaseWorker *m_worker;
    quint64 m_request = 0;
    bool m_loading = false;
    std::optional<Subscription> m_subscription;
    std::optional<SubscriptionDetails> m_details;
    QLabel *m_title;
    QLabel *m_subtitle;
    QLabel *m_empty;
    QWidget *m_content;
    QLabel *m_pending;
    QLabel *m_status;
    QLabel *m_quantity;
    QLabel *m_price;
    QLabel *m_period;
    QLabel *m_renewal;
    QLabel *m_trial;
    QLabel *m_cancelAtPeriodEnd;
    QLabel *m_collection;
    QLabel *m_stripe;
    QLabel *m_created;
    QPushButton *m_cancelAtEndButton;
    QPushButton *m_cancelNowButton;
    QPushButton *m_resumeButton;
    QPushButton *m_quantityButton;
    QPushButton *m_changePlanButton;
    QPushButton *m_pauseButton;
    QPushButton *m_resumeCollectionButton;
    QLabel *m_invoiceCount;
    QTableWidget *m_invoices;
};

} // namespace nobill
