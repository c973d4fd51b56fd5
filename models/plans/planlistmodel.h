#pragma once

#include "common/keysettablemodel.h"
#include "plans/plan.h"

#include <optional>

namespace nobill {

// The Plans list: every price of the catalog with its terms and subscriber counts, paged
// from the database on a worker thread, sorted and filtered there.
class PlanListModel final : public KeysetTableModel<Plan, PlanCursor, PlanPage>
{
    Q_OBJECT
public:
    enum Column {
        Product,
        Name,
        Price,
        Billing,
        Usage,
        Metric,
        Trial,
        Subscribers,
        Status,
        ColumnCount
    };

    // The worker must outlive the model; it gives the model its own connection.
    explicit PlanListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order) override;

    const Plan &planAt(int row) const { return m_rows.at(row); }
    const PlanQuery &query() const { return m_query; }
    // Whether the column can be sorted by the database (the others keep the current order).
    static bool isSortable(int column);

    // Typed filter state; each change reloads from the database (callers debounce typing).
    void setFilterText(const QString &text);
    void setProductFilter(const QString &productId);
    void setCurrencyFilter(const QString &currency);
    void setUsageTypeFilter(const QString &usageType);
    void setStatusFilter(const QString &status);

    // Replaces a row in place after a change made elsewhere, keeping the view's position.
    void updatePlan(const Plan &plan);

protected:
    PageTask pageTask(const std::optional<PlanCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Plan &row) const override { return row.id; }

private:
    PlanQuery m_query;
};

} // namespace nobill
