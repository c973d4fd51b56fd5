#pragma once

#include <QWidget>

#include <optional>

class QComboBox;

namespace nobill {

class DatabaseWorker;

// "Organization: [All organizations v]" above the Overview: every organization the operator
// may see at once, or one of them by name. Like members/organizationpicker.h, with the
// "All organizations" choice first (the Members and Roles screens have no such choice).
class OverviewScopePicker final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int MaxOrganizations = 1000;

    explicit OverviewScopePicker(DatabaseWorker *worker, QWidget *parent = nullptr);

    // No value: all organizations.
    std::optional<QString> currentOrganizationId() const;
    QString currentName() const;
    bool isLoading() const { return m_loading; }
    QComboBox *comboBox() const { return m_combo; }

public slots:
    void reload();
    // Empty: all organizations. An organization not (yet) in the list is chosen once it is.
    void setCurrentOrganization(const QString &organizationId);

signals:
    void scopeChanged();
    void loadFailed(const QString &message);

private:
    DatabaseWorker *m_worker;
    QComboBox *m_combo;
    QString m_wanted;
    quint64 m_request = 0;
    bool m_loading = false;
};

} // namespace nobill
