#include "subscriptions/subscriptionlistmodel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "subscriptions/subscriptionservice.h"

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

SubscriptionListModel::SubscriptionListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int SubscriptionListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString SubscriptionListModel::statusText(const QString &status)
{
    if (status == QLatin1String("trialing"))
        return tr("Trial");
    if (status == QLatin1String("active"))
        return tr("Active");
    if (status == QLatin1String("past_due"))
        return tr("Past due");
    if (status == QLatin1String("canceled"))
        return tr("Canceled");
    if (status == QLatin1String("unpaid"))
        return tr("Unpaid");
    if (status == QLatin1String("paused"))
        return tr("Paused");
    if (status == QLatin1String("incomplete"))
        return tr("Incomplete");
    if (status == QLatin1String("incomplete_expired"))
        return tr("Expired before start");
    return status;
}

QString SubscriptionListModel::priceText(const Subscription &s)
{
    QString per;
    if (s.intervalCount == 1) {
        if (s.interval == QLatin1String("day"))
            per = tr("day");
        else if (s.interval == QLatin1String("week"))
            per = tr("week");
        else if (s.interval == QLatin1String("year"))
            per = tr("year");
        else
            per = tr("month");
    } else {
        per = tr("%1 %2s").arg(s.intervalCount).arg(s.interval);
    }
    const QString amount = formatMoney(s.periodAmount(), s.currency);
    if (s.isMetered())
        return tr("%1 per %2 unit, billed per %3")
            .arg(amount, s.metric.isEmpty() ? tr("usage") : s.metric, per);
    return tr("%1 / %2").arg(amount, per);
}

QVariant SubscriptionListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Subscription &s = m_rows.at(index.row());
    if (role == IdRole)
        return s.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Tenant:
            if (raw || !s.organizationName.isEmpty())
                return s.organizationName;
            return tr("(tenant not visible)");
        case Plan:
            return s.planName;
        case Status:
            if (raw)
                return s.status;
            if (s.cancelAtPeriodEnd && s.isLive())
                return tr("%1, ends").arg(statusText(s.status));
            return statusText(s.status);
        case Quantity:
            if (raw)
                return s.quantity;
            return s.isMetered() ? tr("metered") : QLocale().toString(s.quantity);
        case Amount:
            if (raw)
                return s.periodAmount();
            return s.isMetered() ? tr("%1 / unit").arg(formatMoney(s.planAmount, s.currency))
                                 : formatMoney(s.periodAmount(), s.currency);
        case Renews:
            if (raw)
                return s.currentPeriodEnd;
            // The status says "ends" when the period end is not a renewal.
            if (!s.renews() || !s.currentPeriodEnd.isValid())
                return QString();
            return shortDate(s.currentPeriodEnd);
        case Created:
            if (raw)
                return s.createdAt;
            return shortDate(s.createdAt);
        case StripeId:
            return s.stripeSubscriptionId;
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::TextAlignmentRole && (index.column() == Quantity || index.column() == Amount))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole) {
        if (index.column() == Status &&
            (s.status == QLatin1String("past_due") || s.status == QLatin1String("unpaid")))
            return QColor(0xb0, 0x20, 0x20);
        if (!s.isLive())
            return QColor(Qt::gray);
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Renews && s.currentPeriodEnd.isValid() && s.renews())
            return (s.cancelAtPeriodEnd ? tr("Ends %1") : tr("Renews %1"))
                .arg(QLocale().toString(s.currentPeriodEnd.toLocalTime(), QLocale::LongFormat));
        if (index.column() == Amount)
            return priceText(s);
        if (index.column() == Plan && !s.productName.isEmpty())
            return s.productName;
    }
    return {};
}

QVariant SubscriptionListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Tenant:
        return tr("Tenant");
    case Plan:
        return tr("Plan");
    case Status:
        return tr("Status");
    case Quantity:
        return tr("Quantity");
    case Amount:
        return tr("Per period");
    case Renews:
        return tr("Renews");
    case Created:
        return tr("Created");
    case StripeId:
        return tr("Stripe id");
    case ColumnCount:
        break;
    }
    return {};
}

bool SubscriptionListModel::isSortable(int column)
{
    return column == Tenant || column == Status || column == Renews || column == Created;
}

void SubscriptionListModel::sort(int column, Qt::SortOrder order)
{
    if (!isSortable(column)) // not an indexed order; the view keeps the previous one
        return;
    SubscriptionSort sort = SubscriptionSort::RenewalDate;
    if (column == Tenant)
        sort = SubscriptionSort::TenantName;
    else if (column == Status)
        sort = SubscriptionSort::SubscriptionStatus;
    else if (column == Created)
        sort = SubscriptionSort::CreatedAt;
    const bool descending = order == Qt::DescendingOrder;
    if (sort == m_query.sort && descending == m_query.descending && generation() > 0)
        return;
    m_query.sort = sort;
    m_query.descending = descending;
    reload();
}

void SubscriptionListModel::updateSubscription(const Subscription &updated)
{
    const int row = rowOfId(updated.id);
    if (row < 0)
        return;
    m_rows[row] = updated;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

void SubscriptionListModel::setOrganizationFilter(const QString &organizationId)
{
    if (organizationId == m_query.organizationId)
        return;
    m_query.organizationId = organizationId;
    reload();
}

void SubscriptionListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

void SubscriptionListModel::setPlanFilter(const QString &planId)
{
    if (planId == m_query.planId)
        return;
    m_query.planId = planId;
    reload();
}

void SubscriptionListModel::setRenewalWindow(int days)
{
    days = qMax(0, days);
    if (days == m_query.renewalWithinDays)
        return;
    m_query.renewalWithinDays = days;
    reload();
}

SubscriptionListModel::PageTask
SubscriptionListModel::pageTask(const std::optional<SubscriptionCursor> &after, int limit) const
{
    const SubscriptionQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return SubscriptionService(connection).page(query, after, limit);
    };
}

SubscriptionListModel::CountTask SubscriptionListModel::countTask() const
{
    const SubscriptionQuery query = m_query;
    return [query](const QString &connection) {
        return SubscriptionService(connection).count(query);
    };
}

} // namespace nobill
