#pragma once

#include <QWidget>

class QComboBox;
class QLabel;

namespace nobill {

class DatabaseWorker;

// "Organization: [Acme Ltd v]" above the Members and Roles screens: the organizations the
// signed-in login can see, by name. Loaded from the database on the given worker.
class OrganizationPicker final : public QWidget
{
    Q_OBJECT
public:
    static constexpr int MaxOrganizations = 1000;

    explicit OrganizationPicker(DatabaseWorker *worker, QWidget *parent = nullptr);

    QString currentOrganizationId() const;
    QString currentOrganizationName() const;
    bool isLoading() const { return m_loading; }
    int count() const;
    QComboBox *comboBox() const { return m_combo; }

public slots:
    void reload();
    // Selects the organization if it is in the list (else keeps the current one).
    void setCurrentOrganization(const QString &organizationId);

signals:
    // Also emitted with an empty id when there is no organization to choose.
    void organizationChanged(const QString &organizationId, const QString &name);
    void loadFailed(const QString &message);

private:
    void emitCurrent();

    DatabaseWorker *m_worker;
    QComboBox *m_combo;
    QString m_wanted; // chosen before the list arrived, or kept across a reload
    QString m_emitted;
    quint64 m_request = 0;
    bool m_loading = false;
};

} // namespace nobill
