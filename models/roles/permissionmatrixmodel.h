#pragma once

#include "roles/role.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>

namespace nobill {

class DatabaseWorker;

// Which role of an organization grants which permission: rows are the permission catalog,
// columns the organization's roles (built-ins first). Cells are checkable where a change is
// possible at all: custom roles, organization-scope permissions, and only while editing is
// allowed. Edits are collected and saved together, in one transaction.
class PermissionMatrixModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
public:
    enum Roles {
        PermissionKeyRole = Qt::UserRole + 1, // on cells and vertical headers
        RoleIdRole,                           // on cells and horizontal headers
        ChangedRole,                          // true for a cell with an unsaved edit
    };

    explicit PermissionMatrixModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool setData(const QModelIndex &index, const QVariant &value, int role) override;
    Qt::ItemFlags flags(const QModelIndex &index) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const Permission &permissionAt(int row) const { return m_catalog.permissions.at(row); }
    const Role &roleAt(int column) const { return m_catalog.roles.at(column); }
    int columnOfRole(const QString &roleId) const;
    int rowOfPermission(const QString &key) const;
    QString organizationId() const { return m_organizationId; }
    QString organizationName() const { return m_catalog.organizationName; }

    bool isLoading() const { return m_loading; }
    bool isSaving() const { return m_saving; }
    bool hasChanges() const { return !m_edits.isEmpty(); }
    // Whether the operator may edit at all (roles.manage); off makes every cell read-only.
    bool isEditable() const { return m_editable; }
    void setEditable(bool editable);
    // Whether a cell could be edited: custom role, organization scope, editing allowed.
    bool isCellEditable(int row, int column) const;
    // The permission set a role would have if the edits were saved.
    QSet<QString> effectivePermissions(const QString &roleId) const;

    // Loads another organization; unsaved edits are dropped.
    void setOrganization(const QString &organizationId);

public slots:
    void reload();
    // Saves every edited role in one transaction; the edits stay on failure.
    void save();
    // Drops the unsaved edits.
    void revert() override;

signals:
    void loadingChanged(bool loading);
    void loaded();
    void loadFailed(const QString &message);
    void changesChanged(bool hasChanges);
    void savingChanged(bool saving);
    // `roleNames`: the roles whose permissions were saved, for the outcome message.
    void saved(const QStringList &roleNames);
    void saveFailed(const QString &message);

private:
    void setLoading(bool loading);
    void setSaving(bool saving);

    DatabaseWorker *m_worker;
    QString m_organizationId;
    RoleCatalog m_catalog;
    QHash<QString, QSet<QString>> m_edits; // role id -> new permission set (differs from saved)
    quint64 m_request = 0;
    bool m_loading = false;
    bool m_saving = false;
    bool m_editable = true;
};

} // namespace nobill
