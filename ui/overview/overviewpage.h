#pragma once

#include "common/page.h"
#include "database/connectionsettings.h"
#include "overview/overviewfigures.h"

#include <memory>

class QChart;
class QChartView;
class QGridLayout;
class QLabel;
class QPushButton;
class QStackedWidget;
class QTreeWidget;

namespace nobill {

class DatabaseWorker;
class MessageBanner;
class OverviewScopePicker;

// The Overview screen: MRR per currency, subscriptions by status, churn of the last 30
// days, failed payments and the usage trend, for all the operator's organizations or one.
// Each card says how its figure is computed (finance staff check them).
class OverviewPage final : public Page
{
    Q_OBJECT
public:
    explicit OverviewPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~OverviewPage() override;

    void activate() override;
    bool isBusy() const override;

    const OverviewFigures &figures() const { return m_figures; }
    bool hasFigures() const { return m_hasFigures; }
    OverviewScopePicker *scopePicker() const { return m_picker; }
    MessageBanner *banner() const { return m_banner; }
    QChart *chart() const;
    QTreeWidget *failedPaymentsView() const { return m_failedView; }

public slots:
    void refresh();

private:
    void showFigures(const OverviewFigures &figures);
    void showMrr(const OverviewFigures &figures);
    void showStatuses(const OverviewFigures &figures);
    void showChurn(const OverviewFigures &figures);
    void showFailedPayments(const OverviewFigures &figures);
    void showUsage(const OverviewFigures &figures);

    std::unique_ptr<DatabaseWorker> m_worker;
    OverviewScopePicker *m_picker = nullptr;
    MessageBanner *m_banner = nullptr;
    QPushButton *m_refreshButton = nullptr;
    QLabel *m_asOf = nullptr;
    QGridLayout *m_mrrGrid = nullptr;
    QLabel *m_mrrNote = nullptr;
    QGridLayout *m_statusGrid = nullptr;
    QLabel *m_churnRate = nullptr;
    QLabel *m_churnCounts = nullptr;
    QGridLayout *m_lostGrid = nullptr;
    QTreeWidget *m_failedView = nullptr;
    QLabel *m_failedSummary = nullptr;
    QStackedWidget *m_usageStack = nullptr;
    QChartView *m_chartView = nullptr;
    QLabel *m_usageEmpty = nullptr;
    OverviewFigures m_figures;
    quint64 m_request = 0;
    bool m_loading = false;
    bool m_hasFigures = false;
    bool m_activated = false;
};

} // namespace nobill
