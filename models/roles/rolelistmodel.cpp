#include "roles/rolelistmodel.h"

#include "database/databaseworker.h"
#include "roles/roleservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

RoleListModel::RoleListModel(DatabaseWorker *worker, QObject *parent)
    : AsyncTableModel(parent)
    , m_worker(worker)
{}

int RoleListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_rows.size());
}

int RoleListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant RoleListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Role &r = m_rows.at(index.row());
    if (role == IdRole)
        return r.id;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Name:
            return r.name;
        case Kind:
            if (raw)
                return r.isBuiltin ? QStringLiteral("builtin") : QStringLiteral("custom");
            return r.isBuiltin ? tr("Built-in") : tr("Custom");
        case Members:
            return raw ? QVariant(r.memberCount) : QVariant(QLocale().toString(r.memberCount));
        case Permissions:
            return raw ? QVariant(int(r.permissions.size()))
                       : QVariant(QLocale().toString(int(r.permissions.size())));
        case Description:
            return r.description;
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Kind && r.isBuiltin)
        return QColor(Qt::gray);
    if (role == Qt::TextAlignmentRole &&
        (index.column() == Members || index.column() == Permissions))
        return QVariant(Qt::AlignRight | Qt::AlignVCenter);
    if (role == Qt::ToolTipRole) {
        if (index.column() == Description)
            return r.description;
        if (index.column() == Kind && r.isBuiltin)
            return tr("Built-in roles are the same in every organization and cannot be changed.");
    }
    return {};
}

QVariant RoleListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Name:
        return tr("Role");
    case Kind:
        return tr("Kind");
    case Members:
        return tr("Members");
    case Permissions:
        return tr("Permissions");
    case Description:
        return tr("Description");
    case ColumnCount:
        break;
    }
    return {};
}

int RoleListModel::rowOfId(const QString &id) const
{
    for (int row = 0; row < m_rows.size(); ++row) {
        if (m_rows.at(row).id == id)
            return row;
    }
    return -1;
}

void RoleListModel::setOrganization(const QString &organizationId)
{
    if (organizationId == m_organizationId && generation() > 0)
        return;
    m_organizationId = organizationId;
    reload();
}

void RoleListModel::requestPage(quint64 generation)
{
    const QString organizationId = m_organizationId;
    m_worker->run<QList<Role>>(
        this,
        [organizationId](const QString &connection) -> Result<QList<Role>> {
            if (organizationId.isEmpty())
                return QList<Role>();
            return RoleService(connection).roles(organizationId);
        },
        [this, generation](Result<QList<Role>> result) {
            if (!beginPage(generation))
                return;
            if (!result) {
                pageFailed(generation, result.error().message);
                return;
            }
            const QList<Role> &roles = result.value();
            if (!roles.isEmpty()) {
                beginInsertRows({}, int(m_rows.size()), int(m_rows.size() + roles.size()) - 1);
                m_rows.append(roles);
                endInsertRows();
            }
            countArrived(generation, int(m_rows.size()));
            endPage(false, true);
        });
}

void RoleListModel::requestCount(quint64)
{
    // The one page is the whole list; its size is the count (set when it arrives).
}

void RoleListModel::clearRows()
{
    m_rows.clear();
}

} // namespace nobill
