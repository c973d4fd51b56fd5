#pragma once

#include <QComboBox>

namespace nobill {

class DatabaseWorker;

// "All organizations / Platform / Acme Ltd / ..." for the lists that span organizations
// (audit log, webhook events, jobs). The organizations are those the login can see, loaded
// on the given worker; "Platform" (rows of no organization) is offered to platform
// administrators only, the only ones who can see such rows.
class OrganizationScopeFilter final : public QComboBox
{
    Q_OBJECT
public:
    static constexpr int MaxOrganizations = 1000;

    // `platformKey` is the value the query uses for "rows of no organization".
    OrganizationScopeFilter(DatabaseWorker *worker, QString platformKey, QWidget *parent = nullptr);

    // Empty for all organizations, the platform key, or an organization id.
    QString currentKey() const { return currentData().toString(); }
    void setShowPlatform(bool show);
    bool isLoading() const { return m_loading; }

public slots:
    void reload();

signals:
    void keyChanged(const QString &key);

private:
    void rebuild();

    DatabaseWorker *m_worker;
    QString m_platformKey;
    QList<QPair<QString, QString>> m_organizations; // id, name
    bool m_showPlatform = true;
    bool m_loading = false;
    quint64 m_request = 0;
};

} // namespace nobill
