#pragma once

#include "common/asynctablemodel.h"
#include "roles/role.h"

#include <QList>

namespace nobill {

class DatabaseWorker;

// The roles one organization can give: the built-ins first, then its own. An organization
// has a handful, so they arrive as one page.
class RoleListModel final : public AsyncTableModel
{
    Q_OBJECT
public:
    enum Column { Name, Kind, Members, Permissions, Description, ColumnCount };

    explicit RoleListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;
    int rowOfId(const QString &id) const override;

    const Role &roleAt(int row) const { return m_rows.at(row); }
    const QList<Role> &roles() const { return m_rows; }
    QString organizationId() const { return m_organizationId; }

    // Reloads for another organization (empty: no rows).
    void setOrganization(const QString &organizationId);

protected:
    void requestPage(quint64 generation) override;
    void requestCount(quint64 generation) override;
    void clearRows() override;

private:
    DatabaseWorker *m_worker;
    QString m_organizationId;
    QList<Role> m_rows;
};

} // namespace nobill
