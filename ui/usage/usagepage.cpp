#include "usage/usagepage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "common/stripeactions.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "tenants/tenantservice.h"
#include "usage/usageimporter.h"
#include "usage/usagelistmodel.h"
#include "usage/usageservice.h"

#include <QAreaSeries>
#include <QButtonGroup>
#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QCoreApplication>
#include <QDateTimeAxis>
#include <QFileDialog>
#include <QFileInfo>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLocale>
#include <QPointer>
#include <QProgressBar>
#include <QPushButton>
#include <QSplitter>
#include <QTableView>
#include <QTimeZone>
#include <QTimer>
#include <QToolButton>
#include <QUuid>
#include <QVBoxLayout>
#include <QValueAxis>

namespace nobill {

namespace {
// The period choices: days back from now (0: all time).
struct Period
{
    const char *label;
    int days;
};
constexpr Period Periods[] = {
    {QT_TRANSLATE_NOOP("nobill::UsagePage", "Last 7 days"), 7},
    {QT_TRANSLATE_NOOP("nobill::UsagePage", "Last 35 days"), 35},
    {QT_TRANSLATE_NOOP("nobill::UsagePage", "Last 90 days"), 90},
    {QT_TRANSLATE_NOOP("nobill::UsagePage", "Last 12 months"), 365},
    {QT_TRANSLATE_NOOP("nobill::UsagePage", "All time"), 0},
};
} // namespace

UsagePage::UsagePage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("usage-list")))
    , m_chartWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("usage-chart")))
    , m_importWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("usage-import")))
{
    setObjectName(QStringLiteral("usagePage"));
    m_model = new UsageListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_organization = new QComboBox(this);
    m_organization->setObjectName(QStringLiteral("usageOrganization"));
    m_organization->setAccessibleName(tr("Organization"));
    m_organization->addItem(tr("All organizations"), QString());
    m_organization->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_organization->setMinimumContentsLength(16);
    m_subscription = new QLineEdit(this);
    m_subscription->setObjectName(QStringLiteral("usageSubscription"));
    m_subscription->setPlaceholderText(tr("Subscription (sub_… or id)"));
    m_subscription->setClearButtonEnabled(true);
    m_subscription->setAccessibleName(tr("Subscription"));
    m_metric = new QComboBox(this);
    m_metric->setObjectName(QStringLiteral("usageMetric"));
    m_metric->setAccessibleName(tr("Metric"));
    m_metric->addItem(tr("All metrics"), QString());
    m_period = new QComboBox(this);
    m_period->setObjectName(QStringLiteral("usagePeriod"));
    m_period->setAccessibleName(tr("Time range"));
    for (const Period &p : Periods)
        m_period->addItem(tr(p.label), p.days);
    m_period->setCurrentIndex(2);
    m_importButton = new QPushButton(tr("&Import CSV…"), this);
    m_importButton->setObjectName(QStringLiteral("importUsageButton"));
    toolbar->addWidget(m_organization, 2);
    toolbar->addWidget(m_subscription, 2);
    toolbar->addWidget(m_metric, 1);
    toolbar->addWidget(m_period, 1);
    toolbar->addSpacing(12);
    toolbar->addWidget(m_importButton);
    m_exportButton =
        new ExportButton(QStringLiteral("usage.csv"), tr("Export usage records"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    toolbar->addWidget(m_exportButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    m_stripeActions = new StripeActions(settings, m_banner, this);
    m_stripeActions->setObjectName(QStringLiteral("usageStripeActions"));
    StripeActions::Action report;
    report.id = QStringLiteral("reportToStripe");
    report.text = tr("Report to Stripe…");
    report.kind = jobkinds::ReportUsage;
    report.permission = QStringLiteral("usage.import");
    report.payload = [](const StripeActions::Target &t) {
        QJsonObject payload;
        if (!QUuid::fromString(t.text("subscription")).isNull())
            payload.insert(QStringLiteral("subscription_id"), t.text("subscription"));
        return payload;
    };
    report.what = [](const StripeActions::Target &t) {
        return tr("report of %1's unreported usage").arg(t.organizationName);
    };
    report.question = [](const StripeActions::Target &t) {
        return tr("Report %1's unreported usage to Stripe?").arg(t.organizationName);
    };
    report.detail = [](const StripeActions::Target &) {
        return tr("Usage not reported yet is summed per subscription and metric and sent to "
                  "Stripe as meter events; Stripe bills it with the next invoices. Each record "
                  "is reported once, however often this is asked.");
    };
    report.confirmText = tr("Report usage");
    report.success = [](const StripeActions::Target &t, const QJsonObject &r) {
        const int records = r.value(QLatin1String("records")).toInt();
        if (records == 0)
            return tr("%1 had no unreported usage; nothing was sent to Stripe.")
                .arg(t.organizationName);
        return tr("Reported to Stripe for %1: %2 in %3.")
            .arg(t.organizationName, tr("%n usage record(s)", nullptr, records),
                 tr("%n meter event(s)", nullptr, r.value(QLatin1String("events")).toInt()));
    };
    m_stripeActions->addAction(report);
    m_stripeActions->setNoTargetHint(tr("Choose an organization to report its usage to Stripe."));
    toolbar->addWidget(m_stripeActions);
    layout->addWidget(m_banner);

    m_progressRow = new QWidget(this);
    auto *progressLayout = new QHBoxLayout(m_progressRow);
    progressLayout->setContentsMargins(0, 0, 0, 0);
    m_progressLabel = new QLabel(m_progressRow);
    m_progress = new QProgressBar(m_progressRow);
    m_progress->setObjectName(QStringLiteral("importProgress"));
    m_progress->setRange(0, 1000);
    m_progress->setTextVisible(false);
    m_cancelButton = new QPushButton(tr("Cancel import"), m_progressRow);
    m_cancelButton->setObjectName(QStringLiteral("cancelImportButton"));
    progressLayout->addWidget(m_progressLabel);
    progressLayout->addWidget(m_progress, 1);
    progressLayout->addWidget(m_cancelButton);
    m_progressRow->hide();
    layout->addWidget(m_progressRow);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("usageTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(UsageListModel::Occurred, Qt::DescendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(UsageListModel::Occurred, 165);
    m_view->setColumnWidth(UsageListModel::Organization, 190);
    m_view->setColumnWidth(UsageListModel::Subscription, 115);
    m_view->setColumnWidth(UsageListModel::Metric, 90);
    m_view->setColumnWidth(UsageListModel::Quantity, 75);
    m_view->setColumnWidth(UsageListModel::IdempotencyKey, 200);
    m_view->setAccessibleName(tr("Usage records"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("usageCount"));
    listLayout->addWidget(m_count);

    auto *chartBox = new QWidget(splitter);
    auto *chartLayout = new QVBoxLayout(chartBox);
    chartLayout->setContentsMargins(0, 4, 0, 0);
    auto *chartBar = new QHBoxLayout;
    auto *chartTitle = new QLabel(tr("<b>Quantity over time</b>"), chartBox);
    chartBar->addWidget(chartTitle);
    chartBar->addStretch(1);
    m_granularityButtons = new QButtonGroup(this);
    const QList<QPair<QString, UsageGranularity>> steps{{tr("Day"), UsageGranularity::Day},
                                                        {tr("Week"), UsageGranularity::Week},
                                                        {tr("Month"), UsageGranularity::Month}};
    for (const auto &step : steps) {
        auto *button = new QToolButton(chartBox);
        button->setText(step.first);
        button->setCheckable(true);
        button->setAutoRaise(false);
        button->setObjectName(QStringLiteral("granularity") + step.first);
        button->setChecked(step.second == m_granularity);
        m_granularityButtons->addButton(button, int(step.second));
        chartBar->addWidget(button);
    }
    chartLayout->addLayout(chartBar);
    m_chartView = new QChartView(chartBox);
    m_chartView->setObjectName(QStringLiteral("usageChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(180);
    chartLayout->addWidget(m_chartView, 1);
    m_chartEmpty = new QLabel(tr("No usage in this range."), m_chartView);
    m_chartEmpty->setAlignment(Qt::AlignCenter);
    m_chartEmpty->hide();
    splitter->addWidget(listBox);
    splitter->addWidget(chartBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    layout->addWidget(splitter, 1);

    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
    connect(m_subscription, &QLineEdit::textChanged, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterDebounce, &QTimer::timeout, this, &UsagePage::applyFilter);
    for (QComboBox *combo : {m_organization, m_metric, m_period})
        connect(combo, &QComboBox::currentIndexChanged, this, &UsagePage::applyFilter);
    connect(m_granularityButtons, &QButtonGroup::idClicked, this,
            [this](int id) { setGranularity(UsageGranularity(id)); });

    connect(m_model, &AsyncTableModel::pageLoaded, this, &UsagePage::updateCount);
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &UsagePage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &UsagePage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The usage records could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
        loadChart();
    });
    connect(m_importButton, &QPushButton::clicked, this, &UsagePage::chooseFileToImport);
    connect(m_cancelButton, &QPushButton::clicked, this, &UsagePage::cancelImport);
    updateActions();
}

UsagePage::~UsagePage()
{
    // An import still running stops at its next chunk and rolls back.
    if (m_cancel)
        m_cancel->store(true);
    delete m_view;
    delete m_model;
}

void UsagePage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    loadChoices();
    m_model->setQuery(currentQuery());
    loadChart();
}

bool UsagePage::isBusy() const
{
    return m_model->isLoading() || m_chartLoading || m_choicesLoading || m_importing;
}

void UsagePage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    m_stripeActions->setReadOnly(readOnly, reason);
    updateActions();
}

void UsagePage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_stripeActions->setAccess(access);
    updateActions();
}

void UsagePage::setChangeFeed(ChangeFeed *feed)
{
    m_stripeActions->setChangeFeed(feed);
}

void UsagePage::updateActions()
{
    const bool mayImport = !m_accessKnown || m_access.canAnywhere(QStringLiteral("usage.import"));
    m_importButton->setEnabled(!m_readOnly && mayImport && !m_importing);
    if (m_readOnly)
        m_importButton->setToolTip(m_readOnlyReason);
    else if (!mayImport)
        m_importButton->setToolTip(
            tr("You need the permission \"usage.import\" in an organization to import usage."));
    else
        m_importButton->setToolTip(
            tr("Import usage records from a CSV file with the header "
               "organization,subscription,metric,quantity,occurred_at,idempotency_key."));
}

UsageQuery UsagePage::currentQuery() const
{
    UsageQuery query;
    query.organizationId = m_organization->currentData().toString();
    query.subscription = m_subscription->text().trimmed();
    query.metric = m_metric->currentData().toString();
    const int days = m_period->currentData().toInt();
    if (days > 0)
        query.from = QDateTime::currentDateTimeUtc().addDays(-days);
    query.descending = m_model->query().descending;
    return query;
}

void UsagePage::updateStripeTarget()
{
    // Usage is reported per organization (and optionally one subscription of it).
    const QString organization = m_organization->currentData().toString();
    if (organization.isEmpty()) {
        m_stripeActions->setTarget(std::nullopt);
        return;
    }
    m_stripeActions->setTarget(StripeActions::Target{
        organization, m_organization->currentText(),
        QJsonObject{{QStringLiteral("id"), organization},
                    {QStringLiteral("subscription"), m_subscription->text().trimmed()}}});
}

void UsagePage::applyFilter()
{
    updateStripeTarget();
    if (!m_activated)
        return;
    m_model->setQuery(currentQuery());
    loadChart();
}

void UsagePage::loadChoices()
{
    m_choicesLoading = true;
    struct Choices
    {
        QList<QPair<QString, QString>> organizations;
        QStringList metrics;
    };
    m_chartWorker->run<Choices>(
        this,
        [](const QString &connection) -> Result<Choices> {
            auto tenants = TenantService(connection).page(TenantQuery(), std::nullopt, 1000);
            if (!tenants)
                return tenants.error();
            auto metrics = UsageService(connection).metrics();
            if (!metrics)
                return metrics.error();
            Choices choices;
            for (const Tenant &t : tenants.value().rows)
                choices.organizations.append({t.name, t.id});
            choices.metrics = metrics.value();
            return choices;
        },
        [this](Result<Choices> result) {
            m_choicesLoading = false;
            if (!result)
                return; // the list says what went wrong
            const QSignalBlocker orgBlocker(m_organization);
            const QSignalBlocker metricBlocker(m_metric);
            for (const auto &org : result.value().organizations)
                m_organization->addItem(org.first, org.second);
            for (const QString &metric : result.value().metrics)
                m_metric->addItem(metric, metric);
        });
}

void UsagePage::setGranularity(UsageGranularity granularity)
{
    if (auto *button = m_granularityButtons->button(int(granularity)))
        button->setChecked(true);
    if (granularity == m_granularity)
        return;
    m_granularity = granularity;
    loadChart();
}

void UsagePage::loadChart()
{
    const quint64 request = ++m_chartRequest;
    m_chartLoading = true;
    const UsageQuery query = currentQuery();
    const UsageGranularity granularity = m_granularity;
    const QString zone = QString::fromUtf8(QTimeZone::systemTimeZoneId());
    m_chartWorker->run<UsageAggregation>(
        this,
        [query, granularity, zone](const QString &connection) {
            return UsageService(connection).aggregate(query, granularity, zone);
        },
        [this, request](Result<UsageAggregation> result) {
            if (request != m_chartRequest)
                return;
            m_chartLoading = false;
            if (!result) {
                m_aggregation = UsageAggregation();
                m_chartEmpty->setText(
                    tr("The chart could not be loaded. %1").arg(result.error().message));
            } else {
                m_aggregation = result.value();
                m_chartEmpty->setText(tr("No usage in this range."));
            }
            showChart();
        });
}

void UsagePage::showChart()
{
    auto *chart = new QChart;
    chart->legend()->hide();
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    auto *upper = new QLineSeries(chart);
    auto *lower = new QLineSeries(chart);
    qint64 peak = 0;
    for (const UsageBucket &b : std::as_const(m_aggregation.buckets)) {
        const qreal x = qreal(QDateTime(b.start, QTime(0, 0)).toMSecsSinceEpoch());
        upper->append(x, qreal(b.quantity));
        lower->append(x, 0);
        peak = qMax(peak, b.quantity);
    }
    auto *area = new QAreaSeries(upper, lower);
    QColor fill = palette().color(QPalette::Highlight);
    area->setPen(QPen(fill, 1.5));
    fill.setAlpha(90);
    area->setBrush(fill);
    chart->addSeries(area);
    auto *xAxis = new QDateTimeAxis(chart);
    xAxis->setFormat(m_granularity == UsageGranularity::Month ? QStringLiteral("MMM yyyy")
                                                              : QStringLiteral("d MMM"));
    xAxis->setTickCount(qBound(2, int(m_aggregation.buckets.size()), 8));
    auto *yAxis = new QValueAxis(chart);
    yAxis->setLabelFormat(QStringLiteral("%.0f"));
    yAxis->setRange(0, peak > 0 ? double(peak) * 1.1 : 1.0);
    yAxis->applyNiceNumbers();
    chart->addAxis(xAxis, Qt::AlignBottom);
    chart->addAxis(yAxis, Qt::AlignLeft);
    area->attachAxis(xAxis);
    area->attachAxis(yAxis);
    if (m_aggregation.buckets.size() == 1) {
        const QDateTime only(m_aggregation.buckets.first().start, QTime(0, 0));
        xAxis->setRange(only.addDays(-1), only.addDays(1));
    }
    QChart *old = m_chartView->chart();
    m_chartView->setChart(chart);
    delete old;
    m_chartEmpty->setVisible(m_aggregation.buckets.isEmpty());
    m_chartEmpty->resize(m_chartView->size());
}

void UsagePage::updateCount()
{
    if (m_model->isLoading() && m_model->rowCount() == 0) {
        m_count->setText(tr("Loading…"));
        return;
    }
    const int total = m_model->totalCount();
    if (total < 0)
        m_count->setText(QString());
    else
        m_count->setText(
            QCoreApplication::translate("nobill::UsagePage", "%Ln record(s)", nullptr, total));
}

void UsagePage::chooseFileToImport()
{
    if (m_importing)
        return;
    // Non-modal: a modal dialog's exec() would be a nested event loop.
    auto *dialog = new QFileDialog(this, tr("Import usage from a CSV file"));
    dialog->setObjectName(QStringLiteral("usageImportFileDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setFileMode(QFileDialog::ExistingFile);
    dialog->setNameFilters({tr("CSV files (*.csv)"), tr("All files (*)")});
    connect(dialog, &QFileDialog::fileSelected, this, &UsagePage::importFile);
    dialog->open();
}

void UsagePage::importFile(const QString &path)
{
    if (m_importing || path.isEmpty())
        return;
    m_importing = true;
    m_cancel = std::make_shared<std::atomic_bool>(false);
    m_banner->clear();
    m_progressLabel->setText(tr("Importing %1…").arg(QFileInfo(path).fileName()));
    m_progress->setValue(0);
    m_cancelButton->setEnabled(true);
    m_progressRow->show();
    updateActions();

    const std::shared_ptr<const std::atomic_bool> cancel = m_cancel;
    QPointer<UsagePage> guard(this);
    m_importWorker->run<UsageImportSummary>(
        this,
        [path, cancel, guard](const QString &connection) {
            UsageImporter importer(connection);
            importer.setCancelFlag(cancel);
            int lastShown = -1;
            importer.setProgress([guard, &lastShown](qint64 done, qint64 total) {
                const int permille = total > 0 ? int(done * 1000 / total) : 1000;
                if (permille == lastShown)
                    return;
                lastShown = permille;
                // To the GUI thread through the application object, which outlives the page;
                // the guard is read there.
                QMetaObject::invokeMethod(
                    QCoreApplication::instance(),
                    [guard, done, total]() {
                        if (guard)
                            guard->setImportProgress(done, total);
                    },
                    Qt::QueuedConnection);
            });
            return importer.importFile(path);
        },
        [this](Result<UsageImportSummary> result) {
            if (result)
                importDone(UsageImporter::describe(result.value()), true);
            else
                importDone(UsageImporter::describeFailure(result.error()), false);
        });
}

void UsagePage::cancelImport()
{
    if (!m_importing || !m_cancel)
        return;
    m_cancel->store(true);
    m_cancelButton->setEnabled(false);
    m_progressLabel->setText(tr("Cancelling…"));
}

void UsagePage::setImportProgress(qint64 done, qint64 total)
{
    if (!m_importing)
        return;
    m_progress->setValue(total > 0 ? int(done * 1000 / total) : 1000);
    if (done >= total && !m_cancel->load())
        m_progressLabel->setText(tr("Checking and saving…"));
}

void UsagePage::importDone(const QString &message, bool ok)
{
    m_importing = false;
    m_progressRow->hide();
    m_banner->showMessage(ok ? MessageBanner::Kind::Information : MessageBanner::Kind::Error,
                          message);
    emit statusMessage(message);
    emit importFinished(ok, message);
    updateActions();
    if (ok) {
        m_model->reload();
        loadChart();
    }
}

} // namespace nobill
