#pragma once

#include "common/keysettablemodel.h"
#include "usage/usage.h"

namespace nobill {

// The Usage list: records paged from the database on a worker thread, newest first, filtered
// there by organization, subscription, metric and time range.
class UsageListModel final : public KeysetTableModel<UsageRecord, UsageCursor, UsageRecordPage>
{
    Q_OBJECT
public:
    enum Column {
        Occurred,
        Organization,
        Subscription,
        Metric,
        Quantity,
        IdempotencyKey,
        Reported,
        ColumnCount
    };

    // The worker must outlive the model; it gives the model its own connection.
    explicit UsageListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Only the time order is indexed; other columns keep it.
    void sort(int column, Qt::SortOrder order) override;

    const UsageQuery &query() const { return m_query; }
    // Replaces the whole filter; reloads when it changed.
    void setQuery(const UsageQuery &query);

protected:
    PageTask pageTask(const std::optional<UsageCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const UsageRecord &row) const override { return row.id; }

private:
    UsageQuery m_query;
};

} // namespace nobill
