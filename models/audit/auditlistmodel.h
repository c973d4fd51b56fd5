#pragma once

#include "audit/auditentry.h"
#include "common/keysettablemodel.h"

namespace nobill {

// The audit log: paged from the database on a worker thread, newest first, filtered there.
class AuditListModel final : public KeysetTableModel<AuditEntry, AuditCursor, AuditPage>
{
    Q_OBJECT
public:
    enum Column {
        Id,
        When,
        Actor,
        Organization,
        Action,
        Entity,
        EntityId,
        Changed,
        Source,
        ColumnCount
    };

    explicit AuditListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    // Only the order of the rows (# or When) can change: newest or oldest first.
    void sort(int column, Qt::SortOrder order) override;

    const AuditEntry &entryAt(int row) const { return m_rows.at(row); }
    const AuditQuery &query() const { return m_query; }

    // Typed filter state; each change reloads (callers debounce typing) and leaves a jump.
    void setQuery(const AuditQuery &query);
    void setTimeRange(const QDateTime &from, const QDateTime &to);
    void setOrganizationFilter(const QString &organizationId);
    void setActorFilter(const QString &login);
    void setEntityFilter(const QString &entity);
    void setActionFilter(const QString &action);
    // Shows the trail from row `id` on (newest first), with no filter: "Verify chain" uses it
    // to show a broken row in its place.
    void jumpToId(qint64 id);

    static QString actionText(const QString &action);
    static QString sourceText(const QString &source);

protected:
    PageTask pageTask(const std::optional<AuditCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const AuditEntry &row) const override { return QString::number(row.id); }

private:
    void apply(AuditQuery query);

    AuditQuery m_query;
};

} // namespace nobill
