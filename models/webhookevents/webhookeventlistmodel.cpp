#include "webhookevents/webhookeventlistmodel.h"

#include "common/timetext.h"

#include "webhookevents/webhookeventservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

WebhookEventListModel::WebhookEventListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int WebhookEventListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString WebhookEventListModel::statusText(const QString &status)
{
    if (status == QLatin1String("received"))
        return tr("Received");
    if (status == QLatin1String("processed"))
        return tr("Processed");
    if (status == QLatin1String("ignored"))
        return tr("Ignored");
    if (status == QLatin1String("waiting"))
        return tr("Waiting");
    if (status == QLatin1String("failed"))
        return tr("Failed");
    return status;
}

QVariant WebhookEventListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const WebhookEvent &e = m_rows.at(index.row());
    if (role == IdRole)
        return e.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Received:
            return raw ? QVariant(e.receivedAt) : QVariant(timeText(e.receivedAt));
        case Type:
            return e.type;
        case Object:
            return e.objectId;
        case Organization:
            if (raw)
                return e.organizationId;
            if (e.organizationId.isEmpty())
                return tr("Platform");
            return e.organizationName.isEmpty() ? e.organizationId : e.organizationName;
        case Status:
            return raw ? e.status : statusText(e.status);
        case Attempts:
            return e.attempts;
        case Processed:
            return raw ? QVariant(e.processedAt) : QVariant(timeText(e.processedAt));
        case LastError:
            if (raw)
                return e.lastError;
            return e.lastError.section(QLatin1Char('\n'), 0, 0);
        case EventId:
            return e.id;
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == Status && e.status == QLatin1String("failed"))
            return QColor(0xb0, 0x3a, 0x2e);
        if (index.column() == Status && e.status == QLatin1String("ignored"))
            return QColor(Qt::gray);
        if (index.column() == Organization && e.organizationId.isEmpty())
            return QColor(Qt::gray);
        if (index.column() == LastError)
            return QColor(0xb0, 0x3a, 0x2e);
    }
    if (role == Qt::TextAlignmentRole && index.column() == Attempts)
        return int(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (index.column() == LastError && !e.lastError.isEmpty())
            return e.lastError;
        const QDateTime time = index.column() == Received    ? e.receivedAt
                               : index.column() == Processed ? e.processedAt
                                                             : QDateTime();
        if (time.isValid())
            return QLocale().toString(time.toLocalTime(), QLocale::LongFormat);
    }
    return {};
}

QVariant WebhookEventListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Received:
        return tr("Received");
    case Type:
        return tr("Type");
    case Object:
        return tr("Object");
    case Organization:
        return tr("Organization");
    case Status:
        return tr("Status");
    case Attempts:
        return tr("Attempts");
    case Processed:
        return tr("Processed");
    case LastError:
        return tr("Last error");
    case EventId:
        return tr("Event");
    case ColumnCount:
        break;
    }
    return {};
}

void WebhookEventListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

void WebhookEventListModel::setTypeFilter(const QString &type)
{
    if (type.trimmed() == m_query.type)
        return;
    m_query.type = type.trimmed();
    reload();
}

void WebhookEventListModel::setOrganizationFilter(const QString &organizationId)
{
    if (organizationId == m_query.organizationId)
        return;
    m_query.organizationId = organizationId;
    reload();
}

WebhookEventListModel::PageTask
WebhookEventListModel::pageTask(const std::optional<WebhookEventCursor> &after, int limit) const
{
    const WebhookEventQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return WebhookEventService(connection).page(query, after, limit);
    };
}

WebhookEventListModel::CountTask WebhookEventListModel::countTask() const
{
    const WebhookEventQuery query = m_query;
    return [query](const QString &connection) {
        return WebhookEventService(connection).count(query);
    };
}

} // namespace nobill
