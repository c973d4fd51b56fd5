#pragma once

#include "common/keysettablemodel.h"
#include "subscriptions/subscription.h"

#include <optional>

namespace nobill {

// The Subscriptions list: paged from the database on a worker thread, filtered by
// organization, status, plan and renewal window, sorted there.
class SubscriptionListModel final
    : public KeysetTableModel<Subscription, SubscriptionCursor, SubscriptionPage>
{
    Q_OBJECT
public:
    enum Column { Tenant, Plan, Status, Quantity, Amount, Renews, Created, StripeId, ColumnCount };

    // The worker must outlive the model; it gives the model its own connection.
    explicit SubscriptionListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order) override;

    const Subscription &subscriptionAt(int row) const { return m_rows.at(row); }
    const SubscriptionQuery &query() const { return m_query; }
    // Columns the database can order by (the others keep the current order).
    static bool isSortable(int column);

    // Replaces a row in place after a change made elsewhere, keeping the view's position.
    void updateSubscription(const Subscription &row);

    // Typed filter state; each change reloads from the database.
    void setOrganizationFilter(const QString &organizationId);
    void setStatusFilter(const QString &status);
    void setPlanFilter(const QString &planId);
    void setRenewalWindow(int days); // 0: any time

    // "Active", "Past due", ... for Stripe's status keys.
    static QString statusText(const QString &status);
    // "EUR 49.00 / month" for the plan's price at the subscription's quantity.
    static QString priceText(const Subscription &subscription);

protected:
    PageTask pageTask(const std::optional<SubscriptionCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Subscription &row) const override { return row.id; }

private:
    SubscriptionQuery m_query;
};

} // namespace nobill
