#pragma once

#include "common/keysettablemodel.h"
#include "tenants/tenant.h"

#include <QList>

#include <optional>

namespace nobill {

// The Tenants list: paged from the database on a worker thread, sorted and filtered there.
class TenantListModel final : public KeysetTableModel<Tenant, TenantCursor, TenantPage>
{
    Q_OBJECT
public:
    enum Column {
        Name,
        Slug,
        Status,
        Currency,
        BillingEmail,
        StripeCustomer,
        Created,
        ColumnCount
    };

    // The worker must outlive the model; it gives the model its own connection.
    explicit TenantListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order) override;

    const Tenant &tenantAt(int row) const { return m_rows.at(row); }
    const TenantQuery &query() const { return m_query; }

    // Typed filter state; each change reloads from the database (callers debounce typing).
    void setFilterText(const QString &text);
    void setStatusFilter(const QString &status);

    // Replaces a row in place after an edit made elsewhere, keeping the view's position.
    void updateTenant(const Tenant &tenant);

protected:
    PageTask pageTask(const std::optional<TenantCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Tenant &row) const override { return row.id; }

private:
    TenantQuery m_query;
};

} // namespace nobill
