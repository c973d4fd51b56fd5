#include "roles/permissionmatrixmodel.h"

#include "database/databaseworker.h"
#include "roles/roleservice.h"

#include <QColor>

namespace nobill {

PermissionMatrixModel::PermissionMatrixModel(DatabaseWorker *worker, QObject *parent)
    : QAbstractTableModel(parent)
    , m_worker(worker)
{}

int PermissionMatrixModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_catalog.permissions.size());
}

int PermissionMatrixModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_catalog.roles.size());
}

QSet<QString> PermissionMatrixModel::effectivePermissions(const QString &roleId) const
{
    const auto edited = m_edits.constFind(roleId);
    if (edited != m_edits.cend())
        return edited.value();
    const int column = columnOfRole(roleId);
    return column < 0 ? QSet<QString>() : m_catalog.roles.at(column).permissions;
}

bool PermissionMatrixModel::isCellEditable(int row, int column) const
{
    if (row < 0 || row >= rowCount() || column < 0 || column >= columnCount())
        return false;
    return m_editable && !m_saving && !m_catalog.roles.at(column).isBuiltin &&
           !m_catalog.permissions.at(row).isPlatformScope();
}

QVariant PermissionMatrixModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Permission &permission = m_catalog.permissions.at(index.row());
    const Role &r = m_catalog.roles.at(index.column());
    const bool granted = effectivePermissions(r.id).contains(permission.key);
    const bool changed = granted != r.permissions.contains(permission.key);
    switch (role) {
    case Qt::CheckStateRole:
        return granted ? Qt::Checked : Qt::Unchecked;
    case PermissionKeyRole:
        return permission.key;
    case RoleIdRole:
        return r.id;
    case ChangedRole:
        return changed;
    case Qt::BackgroundRole:
        if (changed)
            return QColor(240, 170, 30, 70); // an unsaved edit
        return {};
    case Qt::TextAlignmentRole:
        return QVariant(Qt::AlignCenter);
    case Qt::AccessibleTextRole:
        return granted ? tr("%1: %2, granted").arg(r.name, permission.description)
                       : tr("%1: %2, not granted").arg(r.name, permission.description);
    case Qt::ToolTipRole:
        if (r.isBuiltin)
            return tr("%1 is a built-in role; its permissions cannot be changed.").arg(r.name);
        if (permission.isPlatformScope())
            return tr("%1 is a platform-wide permission; an organization's own role cannot "
                      "have it.")
                .arg(permission.key);
        if (!m_editable)
            return tr("You may not change the roles of this organization.");
        return granted ? tr("%1 may: %2").arg(r.name, permission.description)
                       : tr("%1 may not: %2").arg(r.name, permission.description);
    default:
        return {};
    }
}

bool PermissionMatrixModel::setData(const QModelIndex &index, const QVariant &value, int role)
{
    if (role != Qt::CheckStateRole ||
        !checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid) ||
        !isCellEditable(index.row(), index.column()))
        return false;
    const Role &r = m_catalog.roles.at(index.column());
    const QString key = m_catalog.permissions.at(index.row()).key;
    QSet<QString> permissions = effectivePermissions(r.id);
    if (Qt::CheckState(value.toInt()) == Qt::Checked)
        permissions.insert(key);
    else
        permissions.remove(key);
    const bool hadChanges = hasChanges();
    if (permissions == r.permissions)
        m_edits.remove(r.id);
    else
        m_edits.insert(r.id, permissions);
    emit dataChanged(index, index, {Qt::CheckStateRole, Qt::BackgroundRole, ChangedRole});
    if (hadChanges != hasChanges())
        emit changesChanged(hasChanges());
    return true;
}

Qt::ItemFlags PermissionMatrixModel::flags(const QModelIndex &index) const
{
    if (!index.isValid()) // views ask for the root's flags
        return Qt::NoItemFlags;
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return Qt::NoItemFlags;
    const Role &r = m_catalog.roles.at(index.column());
    const Permission &permission = m_catalog.permissions.at(index.row());
    // Built-in columns and platform rows look disabled: they can never change here.
    if (r.isBuiltin || permission.isPlatformScope())
        return Qt::ItemIsSelectable;
    Qt::ItemFlags f = Qt::ItemIsEnabled | Qt::ItemIsSelectable;
    if (isCellEditable(index.row(), index.column()))
        f |= Qt::ItemIsUserCheckable;
    return f;
}

QVariant PermissionMatrixModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation == Qt::Horizontal) {
        if (section < 0 || section >= columnCount())
            return {};
        const Role &r = m_catalog.roles.at(section);
        if (role == Qt::DisplayRole)
            return r.name;
        if (role == RoleIdRole)
            return r.id;
        if (role == Qt::ToolTipRole) {
            return r.isBuiltin ? tr("%1 (built-in, read-only): %2").arg(r.name, r.description)
                               : tr("%1 (custom): %2").arg(r.name, r.description);
        }
        if (role == Qt::ForegroundRole && r.isBuiltin)
            return QColor(Qt::gray);
        return {};
    }
    if (section < 0 || section >= rowCount())
        return {};
    const Permission &permission = m_catalog.permissions.at(section);
    if (role == Qt::DisplayRole)
        return permission.description;
    if (role == PermissionKeyRole)
        return permission.key;
    if (role == Qt::ToolTipRole) {
        return permission.isPlatformScope()
                   ? tr("%1 (platform-wide; only built-in roles have it)").arg(permission.key)
                   : permission.key;
    }
    if (role == Qt::ForegroundRole && permission.isPlatformScope())
        return QColor(Qt::gray);
    return {};
}

int PermissionMatrixModel::columnOfRole(const QString &roleId) const
{
    for (int column = 0; column < m_catalog.roles.size(); ++column) {
        if (m_catalog.roles.at(column).id == roleId)
            return column;
    }
    return -1;
}

int PermissionMatrixModel::rowOfPermission(const QString &key) const
{
    for (int row = 0; row < m_catalog.permissions.size(); ++row) {
        if (m_catalog.permissions.at(row).key == key)
            return row;
    }
    return -1;
}

void PermissionMatrixModel::setEditable(bool editable)
{
    if (editable == m_editable)
        return;
    beginResetModel(); // flags change everywhere
    m_editable = editable;
    endResetModel();
}

void PermissionMatrixModel::setOrganization(const QString &organizationId)
{
    if (organizationId == m_organizationId && m_request > 0)
        return;
    m_organizationId = organizationId;
    reload();
}

void PermissionMatrixModel::reload()
{
    const quint64 request = ++m_request;
    const bool hadChanges = hasChanges();
    beginResetModel();
    m_catalog = RoleCatalog{};
    m_edits.clear();
    endResetModel();
    if (hadChanges)
        emit changesChanged(false);
    const QString organizationId = m_organizationId;
    if (organizationId.isEmpty()) {
        setLoading(false);
        emit loaded();
        return;
    }
    setLoading(true);
    m_worker->run<RoleCatalog>(
        this,
        [organizationId](const QString &connection) {
            return RoleService(connection).catalog(organizationId);
        },
        [this, request](Result<RoleCatalog> result) {
            if (request != m_request)
                return; // another organization was chosen meanwhile
            if (!result) {
                setLoading(false);
                emit loadFailed(result.error().message);
                return;
            }
            beginResetModel();
            m_catalog = result.value();
            endResetModel();
            setLoading(false);
            emit loaded();
        });
}

void PermissionMatrixModel::save()
{
    if (m_saving || m_edits.isEmpty())
        return;
    const QString organizationId = m_organizationId;
    const QHash<QString, QSet<QString>> edits = m_edits;
    QStringList names;
    for (const Role &r : std::as_const(m_catalog.roles)) {
        if (edits.contains(r.id))
            names << r.name;
    }
    const quint64 request = m_request;
    setSaving(true);
    m_worker->run<bool>(
        this,
        [organizationId, edits](const QString &connection) -> Result<bool> {
            Status saved = RoleService(connection).setPermissions(organizationId, edits);
            if (!saved)
                return saved.error();
            return true;
        },
        [this, request, names](Result<bool> result) {
            setSaving(false);
            if (request != m_request)
                return;
            if (!result) {
                emit saveFailed(result.error().message);
                return;
            }
            emit saved(names);
            reload();
        });
}

void PermissionMatrixModel::revert()
{
    if (m_edits.isEmpty())
        return;
    m_edits.clear();
    if (rowCount() > 0 && columnCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
    emit changesChanged(false);
}

void PermissionMatrixModel::setLoading(bool loading)
{
    if (loading == m_loading)
        return;
    m_loading = loading;
    emit loadingChanged(loading);
}

void PermissionMatrixModel::setSaving(bool saving)
{
    if (saving == m_saving)
        return;
    m_saving = saving;
    // Cells stop (or start) being checkable while a save runs.
    if (rowCount() > 0 && columnCount() > 0)
        emit dataChanged(index(0, 0), index(rowCount() - 1, columnCount() - 1));
    emit savingChanged(saving);
}

} // namespace nobill
