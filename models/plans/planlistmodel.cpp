#include "plans/planlistmodel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "plans/planformat.h"
#include "plans/planservice.h"

#include <QLocale>
#include <QPalette>

namespace nobill {

namespace {
std::optional<PlanSort> sortForColumn(int column)
{
    switch (column) {
    case PlanListModel::Product:
        return PlanSort::Product;
    case PlanListModel::Name:
        return PlanSort::Name;
    case PlanListModel::Price:
        return PlanSort::Price;
    case PlanListModel::Trial:
        return PlanSort::TrialDays;
    default:
        return std::nullopt;
    }
}
} // namespace

PlanListModel::PlanListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int PlanListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

bool PlanListModel::isSortable(int column)
{
    return sortForColumn(column).has_value();
}

QVariant PlanListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Plan &p = m_rows.at(index.row());
    if (role == IdRole)
        return p.id;
    if (role == RawValueRole) {
        switch (Column(index.column())) {
        case Product:
            return p.productName;
        case Name:
            return p.name;
        case Price:
            return QVariant::fromValue(p.amount);
        case Billing:
            return p.interval;
        case Usage:
            return p.usageType;
        case Metric:
            return p.metric;
        case Trial:
            return p.trialDays;
        case Subscribers:
            return p.subscriberCount;
        case Status:
            return p.isArchived() ? QStringLiteral("archived") : QStringLiteral("active");
        case ColumnCount:
            break;
        }
        return {};
    }
    if (role == Qt::DisplayRole) {
        switch (Column(index.column())) {
        case Product:
            return p.productName;
        case Name:
            return p.name;
        case Price:
            return formatMoney(p.amount, p.currency);
        case Billing:
            return PlanFormat::billingPeriod(p.interval, p.intervalCount);
        case Usage:
            return PlanFormat::usage(p.usageType);
        case Metric:
            return p.isMetered() ? p.metric : tr("—");
        case Trial:
            return PlanFormat::trial(p.trialDays);
        case Subscribers:
            return QLocale().toString(p.subscriberCount);
        case Status:
            return PlanFormat::status(p);
        case ColumnCount:
            break;
        }
        return {};
    }
    if (role == Qt::TextAlignmentRole) {
        if (index.column() == Price || index.column() == Subscribers)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    }
    if (role == Qt::ForegroundRole) {
        // Archived prices stay listed (their subscribers still pay them) but recede.
        if (p.isArchived() || (index.column() == Metric && !p.isMetered()))
            return QPalette().brush(QPalette::Disabled, QPalette::Text);
        return {};
    }
    if (role == Qt::ToolTipRole) {
        switch (Column(index.column())) {
        case Name:
            // The whole name (the column may cut it) and what the plan is for.
            return p.description.isEmpty() ? p.name : p.name + QLatin1Char('\n') + p.description;
        case Price:
            return PlanFormat::terms(p);
        case Subscribers:
            return tr("%1 live subscriptions (trialing, active, past due, unpaid or paused); "
                      "%2 in all, ended ones included")
                .arg(QLocale().toString(p.subscriberCount),
                     QLocale().toString(p.subscriptionCount));
        case Status:
            if (!p.replacedByPlanId.isEmpty())
                return tr("Archived: a newer version of this plan replaced it");
            if (p.isArchived())
                return tr("Archived: no new subscription can start on it");
            return {};
        default:
            return {};
        }
    }
    return {};
}

QVariant PlanListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::ToolTipRole && section == Subscribers)
        return tr("Live subscriptions (trialing, active, past due, unpaid or paused) that you "
                  "can see");
    if (role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Product:
        return tr("Product");
    case Name:
        return tr("Plan");
    case Price:
        return tr("Price");
    case Billing:
        return tr("Billing");
    case Usage:
        return tr("Usage");
    case Metric:
        return tr("Metric");
    case Trial:
        return tr("Trial");
    case Subscribers:
        return tr("Subscribers");
    case Status:
        return tr("Status");
    case ColumnCount:
        break;
    }
    return {};
}

void PlanListModel::sort(int column, Qt::SortOrder order)
{
    const std::optional<PlanSort> sort = sortForColumn(column);
    if (!sort) // not an order the database keeps an index or a cursor for
        return;
    const bool descending = order == Qt::DescendingOrder;
    if (*sort == m_query.sort && descending == m_query.descending && generation() > 0)
        return;
    m_query.sort = *sort;
    m_query.descending = descending;
    reload();
}

void PlanListModel::setFilterText(const QString &text)
{
    if (text.simplified() == m_query.text)
        return;
    m_query.text = text.simplified();
    reload();
}

void PlanListModel::setProductFilter(const QString &productId)
{
    if (productId == m_query.productId)
        return;
    m_query.productId = productId;
    reload();
}

void PlanListModel::setCurrencyFilter(const QString &currency)
{
    if (currency == m_query.currency)
        return;
    m_query.currency = currency;
    reload();
}

void PlanListModel::setUsageTypeFilter(const QString &usageType)
{
    if (usageType == m_query.usageType)
        return;
    m_query.usageType = usageType;
    reload();
}

void PlanListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

void PlanListModel::updatePlan(const Plan &plan)
{
    const int row = rowOfId(plan.id);
    if (row < 0)
        return;
    m_rows[row] = plan;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

PlanListModel::PageTask PlanListModel::pageTask(const std::optional<PlanCursor> &after,
                                                int limit) const
{
    const PlanQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return PlanService(connection).page(query, after, limit);
    };
}

PlanListModel::CountTask PlanListModel::countTask() const
{
    const PlanQuery query = m_query;
    return [query](const QString &connection) {
        return PlanService(connection).count(query);
    };
}

} // namespace nobill
