#pragma once

#include <QWidget>

class QComboBox;

namespace nobill {

class DatabaseWorker;

// "Organization: [All organizations v]" above the Subscriptions and Invoices lists: every
// organization the login can see, by name, after an entry for all of them (empty id).
class OrganizationFilter final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int MaxOrganizations = 1000;

    explicit OrganizationFilter(DatabaseWorker *worker, QWidget *parent = nullptr);

    QString currentOrganizationId() const; // empty: all organizations
    bool isLoading() const { return m_loading; }
    QComboBox *comboBox() const { return m_combo; }

public slots:
    void reload();
    void setCurrentOrganization(const QString &organizationId);

signals:
    void organizationChanged(const QString &organizationId);
    void loadFailed(const QString &message);

private:
    DatabaseWorker *m_worker;
    QComboBox *m_combo;
    QString m_wanted;
    quint64 m_request = 0;
    bool m_loading = false;
};

} // namespace nobill
