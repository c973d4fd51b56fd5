#pragma once

#include "common/keysettablemodel.h"
#include "jobs/job.h"

namespace nobill {

// The job queue: paged from the database on a worker thread, newest first.
class JobListModel final : public KeysetTableModel<Job, JobCursor, JobPage>
{
    Q_OBJECT
public:
    // The last error comes last: it is the one long text, and takes the room that is left.
    enum Column {
        Kind,
        Organization,
        Status,
        Attempts,
        RunAfter,
        RequestedBy,
        Created,
        Updated,
        LastError,
        ColumnCount
    };

    explicit JobListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const Job &jobAt(int row) const { return m_rows.at(row); }
    const JobQuery &query() const { return m_query; }

    void setStatusFilter(const QString &status);
    void setKindFilter(const QString &kind);
    void setOrganizationFilter(const QString &organizationId);
    // Replaces a row in place after a retry or cancel, keeping the view's position.
    void updateJob(const Job &job);

    static QString statusText(const QString &status);

protected:
    PageTask pageTask(const std::optional<JobCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Job &row) const override { return row.id; }

private:
    JobQuery m_query;
};

} // namespace nobill
