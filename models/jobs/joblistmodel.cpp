#include "jobs/joblistmodel.h"

#include "common/timetext.h"

#include "jobs/jobservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

JobListModel::JobListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int JobListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString JobListModel::statusText(const QString &status)
{
    if (status == QLatin1String("queued"))
        return tr("Queued");
    if (status == QLatin1String("running"))
        return tr("Running");
    if (status == QLatin1String("succeeded"))
        return tr("Succeeded");
    if (status == QLatin1String("failed"))
        return tr("Failed");
    if (status == QLatin1String("cancelled"))
        return tr("Cancelled");
    return status;
}

QVariant JobListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Job &j = m_rows.at(index.row());
    if (role == IdRole)
        return j.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Kind:
            return j.kind;
        case Organization:
            if (raw)
                return j.organizationId;
            if (j.organizationId.isEmpty())
                return tr("Platform");
            return j.organizationName.isEmpty() ? j.organizationId : j.organizationName;
        case Status:
            return raw ? j.status : statusText(j.status);
        case Attempts:
            if (raw)
                return j.attempts;
            return tr("%1 of %2").arg(j.attempts).arg(j.maxAttempts);
        case RunAfter:
            return raw ? QVariant(j.runAfter) : QVariant(timeText(j.runAfter));
        case LastError:
            if (raw)
                return j.lastError;
            return j.lastError.section(QLatin1Char('\n'), 0, 0);
        case RequestedBy:
            return j.requestedBy;
        case Created:
            return raw ? QVariant(j.createdAt) : QVariant(timeText(j.createdAt));
        case Updated:
            return raw ? QVariant(j.updatedAt) : QVariant(timeText(j.updatedAt));
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == Status && j.status == QLatin1String("failed"))
            return QColor(0xb0, 0x3a, 0x2e);
        if (index.column() == Status && j.status == QLatin1String("cancelled"))
            return QColor(Qt::gray);
        if (index.column() == Organization && j.organizationId.isEmpty())
            return QColor(Qt::gray);
        if (index.column() == LastError)
            return QColor(0xb0, 0x3a, 0x2e);
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == LastError && !j.lastError.isEmpty())
            return j.lastError;
        const QDateTime time = index.column() == RunAfter  ? j.runAfter
                               : index.column() == Created ? j.createdAt
                               : index.column() == Updated ? j.updatedAt
                                                           : QDateTime();
        if (time.isValid())
            return QLocale().toString(time.toLocalTime(), QLocale::LongFormat);
    }
    return {};
}

QVariant JobListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Kind:
        return tr("Kind");
    case Organization:
        return tr("Organization");
    case Status:
        return tr("Status");
    case Attempts:
        return tr("Attempts");
    case RunAfter:
        return tr("Run after");
    case LastError:
        return tr("Last error");
    case RequestedBy:
        return tr("Requested by");
    case Created:
        return tr("Created");
    case Updated:
        return tr("Updated");
    case ColumnCount:
        break;
    }
    return {};
}

void JobListModel::setStatusFilter(const QString &status)
{
    if (status == m_query.status)
        return;
    m_query.status = status;
    reload();
}

void JobListModel::setKindFilter(const QString &kind)
{
    if (kind.trimmed() == m_query.kind)
        return;
    m_query.kind = kind.trimmed();
    reload();
}

void JobListModel::setOrganizationFilter(const QString &organizationId)
{
    if (organizationId == m_query.organizationId)
        return;
    m_query.organizationId = organizationId;
    reload();
}

void JobListModel::updateJob(const Job &job)
{
    const int row = rowOfId(job.id);
    if (row < 0)
        return;
    Job kept = job;
    kept.payload.clear(); // the list holds summaries only
    kept.result.clear();
    m_rows[row] = kept;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

JobListModel::PageTask JobListModel::pageTask(const std::optional<JobCursor> &after,
                                              int limit) const
{
    const JobQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return JobService(connection).page(query, after, limit);
    };
}

JobListModel::CountTask JobListModel::countTask() const
{
    const JobQuery query = m_query;
    return [query](const QString &connection) {
        return JobService(connection).count(query);
    };
}

} // namespace nobill
