#pragma once

#include "common/keysettablemodel.h"
#include "members/member.h"

#include <QList>

#include <optional>

namespace nobill {

// The people of one organization: paged from the database on a worker thread, sorted and
// filtered there. Without an organization the list is empty.
class MemberListModel final : public KeysetTableModel<Member, MemberCursor, MemberPage>
{
    Q_OBJECT
public:
    enum Column { Name, Email, Role, Access, MemberSince, ColumnCount };

    explicit MemberListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    void sort(int column, Qt::SortOrder order) override;

    const Member &memberAt(int row) const { return m_rows.at(row); }
    const MemberQuery &query() const { return m_query; }

    // Typed filter state; each change reloads from the database (callers debounce typing).
    void setOrganization(const QString &organizationId);
    void setFilterText(const QString &text);

    // Replaces a row in place after a change made elsewhere, keeping the view's position.
    void updateMember(const Member &member);

    static QString accessText(ConsoleAccess access);

protected:
    PageTask pageTask(const std::optional<MemberCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const Member &row) const override { return row.userId; }

private:
    MemberQuery m_query;
};

} // namespace nobill
