#pragma once

#include "common/keysettablemodel.h"
#include "invoices/invoice.h"

#include <optional>

namespace nobill {

// The Invoices list: paged from the database on a worker thread, filtered by organization
// and status, sorted there (created, due date, total, status).
class InvoiceListModel final : public KeysetTableModel<Invoice, InvoiceCursor, InvoicePage>
{
    Q_OBJECT
public:
    enum Column { Number, Tenant, Status, Total, Remaining, Period, Due, Created, ColumnCount };

    // The worker must outlive the model; it gives the model its own connection.
    explicit InvoiceListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order) override;

    const Invoice &invoiceAt(int row) const { return m_rows.at(row); }
    const InvoiceQuery &query() const { return m_query; }
    static bool isSortable(int column);

    // Replaces a row in place after a change made elsewhere, keeping the view's position.
    void updateInvoice(const Invoice &row);

    void setOrganizationFilter(const QString &organizationId);
    void setStatusFilter(const QString &status);

    // "Paid", "Open", "Open, overdue", ...
    static QString statusText(const Invoice &invoice);
    static QString statusText(const QString &status);
    // "1 Oct 2026 – 31 Oct 2026", or empty.
    static QString periodText(const Invoice &invoice);

protected:
    PageTask pageTask(const std::optional<InvoiceCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Invoice &row) const override { return row.id; }

private:
    InvoiceQuery m_query;
};

} // namespace nobill
