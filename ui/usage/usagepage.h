#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"
#include "usage/usage.h"

#include <atomic>
#include <memory>

class QButtonGroup;
class QComboBox;
class QLabel;
class QLineEdit;
class QProgressBar;
class QPushButton;
class QTableView;
class QTimer;

class QChart;
class QChartView;

namespace nobill {

class ChangeFeed;
class StripeActions;

class ExportButton;
class DatabaseWorker;
class MessageBanner;
class UsageListModel;

// The Usage screen: records filtered by organization, subscription, metric and time range;
// their sums per day, week or month in a chart; and the CSV import with progress and cancel.
class UsagePage final : public Page
{
    Q_OBJECT
public:
    explicit UsagePage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~UsagePage() override;

    void activate() override;
    bool isBusy() const override;

    void setReadOnly(bool readOnly, const QString &reason);
    // Import is offered to operators holding usage.import somewhere; the database checks each
    // organization of the file.
    void setAccess(const SessionAccess &access);
    // Reporting usage to Stripe follows its job through the feed.
    void setChangeFeed(ChangeFeed *feed);

    UsageListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    StripeActions *stripeActions() const { return m_stripeActions; }
    ExportButton *exportButton() const { return m_exportButton; }
    QPushButton *importButton() const { return m_importButton; }
    QPushButton *cancelButton() const { return m_cancelButton; }
    QProgressBar *progressBar() const { return m_progress; }
    bool isImporting() const { return m_importing; }
    const UsageAggregation &aggregation() const { return m_aggregation; }

public slots:
    // Opens the file dialog (non-modal); the chosen file is imported.
    void chooseFileToImport();
    void importFile(const QString &path);
    void cancelImport();
    void setGranularity(nobill::UsageGranularity granularity);

signals:
    void statusMessage(const QString &message);
    void importFinished(bool ok, const QString &message);

private:
    UsageQuery currentQuery() const;
    void applyFilter();
    void updateStripeTarget();
    void loadChart();
    void loadChoices();
    void showChart();
    void updateActions();
    void updateCount();
    void setImportProgress(qint64 done, qint64 total);
    void importDone(const QString &message, bool ok);

    // The list pages on one worker; the chart and the choices on another; an import, which
    // may take a while, on a third, so the screen stays usable meanwhile.
    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_chartWorker;
    std::unique_ptr<DatabaseWorker> m_importWorker;
    UsageListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    MessageBanner *m_banner = nullptr;
    StripeActions *m_stripeActions = nullptr;
    ExportButton *m_exportButton = nullptr;
    QComboBox *m_organization = nullptr;
    QLineEdit *m_subscription = nullptr;
    QComboBox *m_metric = nullptr;
    QComboBox *m_period = nullptr;
    QPushButton *m_importButton = nullptr;
    QWidget *m_progressRow = nullptr;
    QProgressBar *m_progress = nullptr;
    QLabel *m_progressLabel = nullptr;
    QPushButton *m_cancelButton = nullptr;
    QLabel *m_count = nullptr;
    QButtonGroup *m_granularityButtons = nullptr;
    QChartView *m_chartView = nullptr;
    QLabel *m_chartEmpty = nullptr;
    QTimer *m_filterDebounce = nullptr;
    UsageGranularity m_granularity = UsageGranularity::Day;
    UsageAggregation m_aggregation;
    std::shared_ptr<std::atomic_bool> m_cancel;
    quint64 m_chartRequest = 0;
    bool m_chartLoading = false;
    bool m_choicesLoading = false;
    bool m_importing = false;
    bool m_activated = false;
    bool m_readOnly = false;
    QString m_readOnlyReason;
    SessionAccess m_access;
    bool m_accessKnown = false;
};

} // namespace nobill
