#include "usage/usagelistmodel.h"

#include "database/databaseworker.h"
#include "usage/usageservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

namespace {
bool sameQuery(const UsageQuery &a, const UsageQuery &b)
{
    return a.organizationId == b.organizationId && a.subscription == b.subscription &&
           a.metric == b.metric && a.from == b.from && a.to == b.to && a.descending == b.descending;
}
} // namespace

UsageListModel::UsageListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int UsageListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant UsageListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const UsageRecord &r = m_rows.at(index.row());
    if (role == IdRole)
        return r.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Occurred:
            if (raw)
                return r.occurredAt;
            return QLocale().toString(r.occurredAt.toLocalTime(), QLocale::ShortFormat);
        case Organization:
            return raw ? r.organizationId : r.organizationName;
        case Subscription:
            if (raw)
                return r.subscriptionId;
            if (r.subscriptionId.isEmpty())
                return tr("none");
            return r.stripeSubscriptionId.isEmpty() ? r.subscriptionId : r.stripeSubscriptionId;
        case Metric:
            return r.metric;
        case Quantity:
            return raw ? QVariant(r.quantity) : QVariant(QLocale().toString(r.quantity));
        case IdempotencyKey:
            return r.idempotencyKey;
        case Reported:
            if (raw)
                return r.reportedState;
            if (r.reportedState == QLatin1String("reported"))
                return tr("Reported");
            if (r.reportedState == QLatin1String("failed"))
                return tr("Failed");
            return tr("Not yet");
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::TextAlignmentRole && index.column() == Quantity)
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ForegroundRole) {
        if (index.column() == Subscription && r.subscriptionId.isEmpty())
            return QColor(Qt::gray);
        if (index.column() == Reported && r.reportedState == QLatin1String("failed"))
            return QColor(Qt::darkRed);
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Occurred)
            return QLocale().toString(r.occurredAt.toLocalTime(), QLocale::LongFormat);
        if (index.column() == Reported && r.reportedAt.isValid())
            return tr("Reported to Stripe on %1")
                .arg(QLocale().toString(r.reportedAt.toLocalTime(), QLocale::LongFormat));
    }
    return {};
}

QVariant UsageListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Occurred:
        return tr("Occurred");
    case Organization:
        return tr("Organization");
    case Subscription:
        return tr("Subscription");
    case Metric:
        return tr("Metric");
    case Quantity:
        return tr("Quantity");
    case IdempotencyKey:
        return tr("Idempotency key");
    case Reported:
        return tr("Reported to Stripe");
    case ColumnCount:
        break;
    }
    return {};
}

void UsageListModel::sort(int column, Qt::SortOrder order)
{
    if (column != Occurred)
        return;
    UsageQuery query = m_query;
    query.descending = order == Qt::DescendingOrder;
    setQuery(query);
}

void UsageListModel::setQuery(const UsageQuery &query)
{
    if (sameQuery(query, m_query) && generation() > 0)
        return;
    m_query = query;
    reload();
}

UsageListModel::PageTask UsageListModel::pageTask(const std::optional<UsageCursor> &after,
                                                  int limit) const
{
    const UsageQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return UsageService(connection).page(query, after, limit);
    };
}

UsageListModel::CountTask UsageListModel::countTask() const
{
    const UsageQuery query = m_query;
    return [query](const QString &connection) {
        return UsageService(connection).count(query);
    };
}

} // namespace nobill
