#include "invoices/invoicelistmodel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "invoices/invoiceservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

namespace {
QString shortDate(const QDateTime &at)
{
    return at.isValid() ? QLocale().toString(at.toLocalTime().date(), QLocale::ShortFormat)
                        : QString();
}
} // namespace

InvoiceListModel::InvoiceListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int InvoiceListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString InvoiceListModel::statusText(const QString &status)
{
    if (status == QLatin1String("draft"))
        return tr("Draft");
    if (status == QLatin1String("open"))
        return tr("Open");
    if (status == QLatin1String("paid"))
        return tr("Paid");
    if (status == QLatin1String("void"))
        return tr("Void");
    if (status == QLatin1String("uncollectible"))
        return tr("Uncollectible");
    return status;
}

QString InvoiceListModel::statusText(const Invoice &invoice)
{
    if (invoice.isOverdue())
        return tr("Open, overdue");
    return statusText(invoice.status);
}

QString InvoiceListModel::periodText(const Invoice &invoice)
{
    if (!invoice.periodStart.isValid() || !invoice.periodEnd.isValid())
        return QString();
    return tr("%1 – %2").arg(shortDate(invoice.periodStart), shortDate(invoice.periodEnd));
}

QVariant InvoiceListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Invoice &i = m_rows.at(index.row());
    if (role == IdRole)
        return i.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Number:
            if (raw || !i.number.isEmpty())
                return i.number;
            return tr("draft");
        case Tenant:
            if (raw || !i.organizationName.isEmpty())
                return i.organizationName;
            return tr("(tenant not visible)");
        case Status:
            return raw ? i.status : statusText(i);
        case Total:
            return raw ? QVariant(i.total) : QVariant(formatMoney(i.total, i.currency));
        case Remaining:
            if (raw)
                return i.amountRemaining;
            if (i.status == QLatin1String("void") || i.status == QLatin1String("draft"))
                return QString();
            return formatMoney(i.amountRemaining, i.currency);
        case Period:
            return raw ? QVariant(i.periodStart) : QVariant(periodText(i));
        case Due:
            return raw ? QVariant(i.dueDate) : QVariant(shortDate(i.dueDate));
        case Created:
            return raw ? QVariant(i.createdAt) : QVariant(shortDate(i.createdAt));
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Total || index.column() == Remaining))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole) {
        if (index.column() == Status &&
            (i.isOverdue() || i.status == QLatin1String("uncollectible")))
            return QColor(0xb0, 0x20, 0x20);
        if (i.status == QLatin1String("void") || (index.column() == Number && i.number.isEmpty()))
            return QColor(Qt::gray);
    }
    if (role == Qt::ToolTipRole && index.column() == Due && i.dueDate.isValid())
        return QLocale().toString(i.dueDate.toLocalTime(), QLocale::LongFormat);
    return {};
}

QVariant InvoiceListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Number:
        return tr("Number");
    case Tenant:
        return tr("Tenant");
    case Status:
        return tr("Status");
    case Total:
        return tr("Total");
    case Remaining:
        return tr("Remaining");
    case Period:
        return tr("Period");
    case Due:
        return tr("Due");
    case Created:
        return tr("Created");
    case ColumnCount:
        break;
    }
    return {};
}

bool InvoiceListModel::isSortable(int column)
{
    return column == Status || column == Total || column == Due || column == Created;
}

void InvoiceListModel::sort(int column, Qt::SortOrder order)
{
    if (!isSortable(column)) // not an indexed order; the view keeps the previous one
        return;
    InvoiceSort sort = InvoiceSort::CreatedAt;
    if (column == Status)
        sort = InvoiceSort::InvoiceStatus;
    else if (column == Total)
        sort = InvoiceSort::Total;
    else if (column == Due)
        sort = InvoiceSort::DueDate;
    const bool descending = order == Qt::DescendingOrder;
    if (sort == m_query.sort && descending == m_query.descending && generation() > 0)
        return;
    m_query.sort = sort;
    m_query.descending = descending;
    reload();
}

void InvoiceListModel::updateInvoice(const Invoice &updated)
{
    const int row = rowOfId(updated.id);
    if (row < 0)
        return;
    m_rows[row] = updated;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void InvoiceListModel::setOrganizationFilter(const QString &organizationId)
{
    if (organizationId == m_query.organizationId)
        return;
    m_query.organizationId = organizationId;
    reload();
}

void InvoiceListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

InvoiceListModel::PageTask InvoiceListModel::pageTask(const std::optional<InvoiceCursor> &after,
                                                      int limit) const
{
    const InvoiceQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return InvoiceService(connection).page(query, after, limit);
    };
}

InvoiceListModel::CountTask InvoiceListModel::countTask() const
{
    const InvoiceQuery query = m_query;
    return [query](const QString &connection) {
        return InvoiceService(connection).count(query);
    };
}

} // namespace nobill
