#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/changefeed.h"
#include "database/connectionsettings.h"

#include <QPointer>

#include <memory>

class QComboBox;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTableView;
class QTimer;

namespace nobill {

class ExportButton;
class DatabaseWorker;
class JobListModel;
class JsonView;
class MessageBanner;
class OrganizationScopeFilter;
struct Job;

// The Jobs screen: the Stripe work queue with status, attempts and last error, filtered by
// status, kind and organization; the selected job's payload and result. Platform
// administrators (permission "jobs.manage") retry a failed or cancelled job and cancel a
// queued one, each after a confirmation. Jobs are executed by the office server's worker.
class JobsPage final : public Page
{
    Q_OBJECT
public:
    explicit JobsPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~JobsPage() override;

    void activate() override;
    bool isBusy() const override;

    void setReadOnly(bool readOnly, const QString &reason);
    void setAccess(const SessionAccess &access);
    // Live progress: a job the worker (or another operator) changes is refreshed in place;
    // new jobs appear, keeping the selection.
    void setChangeFeed(ChangeFeed *feed);

    JobListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    ExportButton *exportButton() const { return m_exportButton; }
    QString emptyText() const;
    QPushButton *compareButton() const { return m_compareButton; }

public slots:
    void retrySelected();
    void cancelSelected();
    // Opens "Compare with Stripe…" (platform administrators), which queues the comparison.
    void compareWithStripe();

signals:
    void statusMessage(const QString &message);

private:
    const Job *selectedJob() const;
    void selectionChanged();
    void loadDetail(const QString &id);
    void showDetail(const Job &job);
    void clearDetail();
    void restoreSelection();
    void updateActions();
    void updateCount();
    void loadStatusCounts();
    void announce(const QString &message);
    void confirmAndRun(bool retry);
    void onChange(const QString &table, const QString &operation, const QString &id);
    void refreshRow(const QString &id);

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    JobListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QStackedWidget *m_listStack = nullptr;
    QLabel *m_empty = nullptr;
    MessageBanner *m_banner = nullptr;
    ExportButton *m_exportButton = nullptr;
    QComboBox *m_status = nullptr;
    QComboBox *m_kind = nullptr;
    OrganizationScopeFilter *m_organization = nullptr;
    QPushButton *m_retryButton = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QPushButton *m_compareButton = nullptr;
    QPointer<ChangeFeed> m_feed;
    QLabel *m_count = nullptr;
    QLabel *m_detailTitle = nullptr;
    QLabel *m_detailFields = nullptr;
    QLabel *m_detailError = nullptr;
    JsonView *m_payload = nullptr;
    JsonView *m_result = nullptr;
    QTimer *m_kindDebounce = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_reloadSoon = nullptr;
    QString m_selectedId;
    quint64 m_detailRequest = 0;
    quint64 m_countsRequest = 0;
    bool m_detailLoading = false;
    bool m_countsLoading = false;
    bool m_busyAction = false;
    bool m_activated = false;
    bool m_readOnly = false;
    QString m_readOnlyReason;
    SessionAccess m_access;
    bool m_accessKnown = false;
};

} // namespace nobill
