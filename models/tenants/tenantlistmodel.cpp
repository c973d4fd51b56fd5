#include "tenants/tenantlistmodel.h"

#include "database/databaseworker.h"
#include "tenants/tenantservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

namespace {
TenantSort sortForColumn(int column)
{
    switch (column) {
    case TenantListModel::Slug:
        return TenantSort::Slug;
    case TenantListModel::Status:
        return TenantSort::TenantStatus;
    case TenantListModel::Currency:
        return TenantSort::Currency;
    case TenantListModel::BillingEmail:
        return TenantSort::BillingEmail;
    case TenantListModel::Created:
        return TenantSort::CreatedAt;
    default:
        return TenantSort::Name;
    }
}
} // namespace

TenantListModel::TenantListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int TenantListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant TenantListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Tenant &t = m_rows.at(index.row());
    if (role == IdRole)
        return t.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Name:
            return t.name;
        case Slug:
            return t.slug;
        case Status:
            if (raw)
                return t.status;
            return t.isSuspended() ? tr("Suspended") : tr("Active");
        case Currency:
            return t.currency;
        case BillingEmail:
            return t.billingEmail;
        case StripeCustomer:
            if (raw || !t.stripeCustomerId.isEmpty())
                return t.stripeCustomerId;
            return tr("not linked");
        case Created:
            if (raw)
                return t.createdAt;
            return QLocale().toString(t.createdAt.toLocalTime().date(), QLocale::ShortFormat);
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == StripeCustomer && t.stripeCustomerId.isEmpty())
            return QColor(Qt::gray);
    }
    if (role == Qt::ToolTipRole && index.column() == Created)
        return QLocale().toString(t.createdAt.toLocalTime(), QLocale::LongFormat);
    return {};
}

QVariant TenantListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Name:
        return tr("Name");
    case Slug:
        return tr("Slug");
    case Status:
        return tr("Status");
    case Currency:
        return tr("Currency");
    case BillingEmail:
        return tr("Billing email");
    case StripeCustomer:
        return tr("Stripe customer");
    case Created:
        return tr("Created");
    case ColumnCount:
        break;
    }
    return {};
}

void TenantListModel::sort(int column, Qt::SortOrder order)
{
    if (column == StripeCustomer) // not an indexed order; the view keeps the previous one
        return;
    const TenantSort sort = sortForColumn(column);
    const bool descending = order == Qt::DescendingOrder;
    if (sort == m_query.sort && descending == m_query.descending && generation() > 0)
        return;
    m_query.sort = sort;
    m_query.descending = descending;
    reload();
}

void TenantListModel::setFilterText(const QString &text)
{
    if (text.simplified() == m_query.text)
        return;
    m_query.text = text.simplified();
    reload();
}

void TenantListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

void TenantListModel::updateTenant(const Tenant &tenant)
{
    const int row = rowOfId(tenant.id);
    if (row < 0)
        return;
    m_rows[row] = tenant;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

TenantListModel::PageTask TenantListModel::pageTask(const std::optional<TenantCursor> &after,
                                                    int limit) const
{
    const TenantQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return TenantService(connection).page(query, after, limit);
    };
}

TenantListModel::CountTask TenantListModel::countTask() const
{
    const TenantQuery query = m_query;
    return [query](const QString &connection) {
        return TenantService(connection).count(query);
    };
}

} // namespace nobill
