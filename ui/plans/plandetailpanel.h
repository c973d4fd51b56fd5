#pragma once

#include "plans/plan.h"

#include <QWidget>

class QLabel;

namespace nobill {

class DatabaseWorker;

// The right-hand panel of the Plans screen: the selected plan's terms, its Stripe links,
// its subscribers and its version history (the plans it replaced and that replaced it).
class PlanDetailPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit PlanDetailPanel(DatabaseWorker *worker, QWidget *parent = nullptr);

    void showPlan(const Plan &plan); // shows what is known at once, then the history
    void clear();
    // A row of actions under the fields (the page's Stripe work on the shown item).
    void addActions(QWidget *actions);
    bool isLoading() const { return m_loading; }
    // For operators who see only some tenants: the counts are theirs, and the panel says so.
    void setCountsArePartial(bool partial);

private:
    void setValue(QLabel *label, const QString &text, bool placeholder = false);
    void showVersions(const QList<Plan> &versions, const QString &currentId);

    DatabaseWorker *m_worker;
    quint64 m_request = 0;
    bool m_loading = false;
    bool m_partialCounts = false;
    QLabel *m_title;
    QLabel *m_empty;
    QWidget *m_content;
    QLabel *m_status;
    QLabel *m_product;
    QLabel *m_terms;
    QLabel *m_trial;
    QLabel *m_description;
    QLabel *m_stripePrice;
    QLabel *m_stripeMeter;
    QLabel *m_subscribers;
    QLabel *m_created;
    QLabel *m_updated;
    QWidget *m_history;
    QLabel *m_versions;
};

} // namespace nobill
