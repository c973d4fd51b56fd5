#include "jobs/jobspage.h"

#include "jobs/reconciledialog.h"

#include "common/exportbutton.h"
#include "common/timetext.h"

#include "audit/organizationscopefilter.h"
#include "common/messagebanner.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/joblistmodel.h"
#include "jobs/jobservice.h"
#include "webhookevents/jsonview.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
const char *const Statuses[] = {"queued", "running", "succeeded", "failed", "cancelled"};

QString jobName(const Job &job)
{
    return job.organizationName.isEmpty()
               ? job.kind
               : JobsPage::tr("%1 for %2").arg(job.kind, job.organizationName);
}
} // namespace

JobsPage::JobsPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("jobs-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("jobs-actions")))
{
    setObjectName(QStringLiteral("jobsPage"));
    m_model = new JobListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_status = new QComboBox(this);
    m_status->setObjectName(QStringLiteral("jobStatusFilter"));
    m_status->setAccessibleName(tr("Status filter"));
    m_status->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_status->addItem(tr("All statuses"), QString());
    for (const char *status : Statuses) {
        const QString key = QString::fromLatin1(status);
        m_status->addItem(JobListModel::statusText(key), key);
    }
    m_kind = new QComboBox(this);
    m_kind->setObjectName(QStringLiteral("jobKindFilter"));
    m_kind->setAccessibleName(tr("Kind filter"));
    m_kind->setEditable(true);
    m_kind->setInsertPolicy(QComboBox::NoInsert);
    m_kind->addItem(QString());
    for (const char *kind :
         {"subscription.", "subscription.update_quantity", "subscription.change_plan",
          "subscription.cancel", "subscription.create", "invoice.", "invoice.send", "invoice.void",
          "customer.sync", "plan.sync", "usage.report", "stripe.reconcile"})
        m_kind->addItem(QString::fromLatin1(kind));
    m_kind->lineEdit()->setPlaceholderText(tr("All kinds (or a prefix such as invoice.)"));
    m_kind->lineEdit()->setClearButtonEnabled(true);
    m_kind->setToolTip(tr("A job kind such as subscription.change_plan, or a prefix ending "
                          "in a dot for all of its kind."));
    m_organization =
        new OrganizationScopeFilter(m_actionWorker.get(), JobQuery::platformJobs(), this);
    m_organization->setObjectName(QStringLiteral("jobOrganizationFilter"));
    m_retryButton = new QPushButton(tr("&Retry…"), this);
    m_retryButton->setObjectName(QStringLiteral("retryJobButton"));
    m_cancelButton = new QPushButton(tr("&Cancel job…"), this);
    m_cancelButton->setObjectName(QStringLiteral("cancelJobButton"));
    toolbar->addWidget(m_status);
    toolbar->addWidget(m_kind, 2);
    toolbar->addWidget(m_organization, 2);
    toolbar->addSpacing(12);
    toolbar->addWidget(m_retryButton);
    toolbar->addWidget(m_cancelButton);
    m_compareButton = new QPushButton(tr("Co&mpare with Stripe…"), this);
    m_compareButton->setObjectName(QStringLiteral("compareWithStripeButton"));
    toolbar->addWidget(m_compareButton);
    m_exportButton = new ExportButton(QStringLiteral("jobs.csv"), tr("Export jobs"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    toolbar->addWidget(m_exportButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_listStack = new QStackedWidget(listBox);
    m_view = new QTableView(m_listStack);
    m_view->setObjectName(QStringLiteral("jobTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(JobListModel::Kind, 170);
    m_view->setColumnWidth(JobListModel::Organization, 150);
    m_view->setColumnWidth(JobListModel::Status, 75);
    m_view->setColumnWidth(JobListModel::Attempts, 62);
    m_view->setColumnWidth(JobListModel::RunAfter, 118);
    m_view->setColumnWidth(JobListModel::RequestedBy, 105);
    m_view->setColumnWidth(JobListModel::Created, 118);
    m_view->setColumnWidth(JobListModel::Updated, 118);
    m_view->setAccessibleName(tr("Jobs"));
    m_empty = new QLabel(m_listStack);
    m_empty->setObjectName(QStringLiteral("jobEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_listStack->addWidget(m_view);
    m_listStack->addWidget(m_empty);
    listLayout->addWidget(m_listStack, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("jobCount"));
    listLayout->addWidget(m_count);

    auto *detailBox = new QWidget(splitter);
    auto *detailLayout = new QHBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    auto *fields = new QWidget(detailBox);
    auto *fieldsLayout = new QVBoxLayout(fields);
    fieldsLayout->setContentsMargins(0, 0, 0, 0);
    m_detailTitle = new QLabel(fields);
    m_detailTitle->setObjectName(QStringLiteral("jobDetailTitle"));
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detailTitle->setWordWrap(true);
    QFont titleFont = m_detailTitle->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    m_detailTitle->setFont(titleFont);
    m_detailFields = new QLabel(fields);
    m_detailFields->setObjectName(QStringLiteral("jobDetailFields"));
    m_detailFields->setTextFormat(Qt::RichText);
    m_detailFields->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detailFields->setWordWrap(true);
    m_detailError = new QLabel(fields);
    m_detailError->setObjectName(QStringLiteral("jobDetailError"));
    m_detailError->setWordWrap(true);
    m_detailError->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_detailError->setStyleSheet(QStringLiteral("color: #b03a2e;"));
    fieldsLayout->addWidget(m_detailTitle);
    fieldsLayout->addWidget(m_detailFields);
    fieldsLayout->addWidget(m_detailError);
    fieldsLayout->addStretch(1);
    auto *jsonBox = new QWidget(detailBox);
    auto *jsonLayout = new QVBoxLayout(jsonBox);
    jsonLayout->setContentsMargins(0, 0, 0, 0);
    m_payload = new JsonView(jsonBox);
    m_payload->setObjectName(QStringLiteral("jobPayload"));
    m_payload->setAccessibleName(tr("Payload"));
    m_result = new JsonView(jsonBox);
    m_result->setObjectName(QStringLiteral("jobResult"));
    m_result->setAccessibleName(tr("Result"));
    m_result->setPlaceholderText(tr("No result yet."));
    jsonLayout->addWidget(new QLabel(tr("Payload"), jsonBox));
    jsonLayout->addWidget(m_payload, 3);
    jsonLayout->addWidget(new QLabel(tr("Result"), jsonBox));
    jsonLayout->addWidget(m_result, 2);
    detailLayout->addWidget(fields, 1);
    detailLayout->addWidget(jsonBox, 1);
    splitter->addWidget(listBox);
    splitter->addWidget(detailBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({400, 320});
    layout->addWidget(splitter, 1);
    clearDetail();

    m_kindDebounce = new QTimer(this);
    m_kindDebounce->setSingleShot(true);
    m_kindDebounce->setInterval(250);
    connect(m_kind, &QComboBox::currentTextChanged, m_kindDebounce, qOverload<>(&QTimer::start));
    connect(m_kindDebounce, &QTimer::timeout, this,
            [this]() { m_model->setKindFilter(m_kind->currentText()); });
    connect(m_status, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_status->currentData().toString()); });
    connect(m_organization, &OrganizationScopeFilter::keyChanged, m_model,
            &JobListModel::setOrganizationFilter);
    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);
    // A burst of new jobs (a batch queued at once) reloads the list once.
    m_reloadSoon = new QTimer(this);
    m_reloadSoon->setSingleShot(true);
    m_reloadSoon->setInterval(300);
    connect(m_reloadSoon, &QTimer::timeout, m_model, &AsyncTableModel::reload);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &JobsPage::selectionChanged);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this](bool firstPage) {
        restoreSelection();
        updateCount();
        if (firstPage)
            loadStatusCounts();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &JobsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &JobsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_announceTimer->stop();
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The jobs could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
    });
    connect(m_retryButton, &QPushButton::clicked, this, &JobsPage::retrySelected);
    connect(m_cancelButton, &QPushButton::clicked, this, &JobsPage::cancelSelected);
    connect(m_compareButton, &QPushButton::clicked, this, &JobsPage::compareWithStripe);
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_kind, [this]() {
        m_kind->setFocus();
        m_kind->lineEdit()->selectAll();
    });
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);
    updateActions();
}

JobsPage::~JobsPage()
{
    delete m_view;
    delete m_model;
}

void JobsPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_organization->reload();
    m_model->reload();
}

bool JobsPage::isBusy() const
{
    return m_model->isLoading() || m_detailLoading || m_countsLoading || m_busyAction ||
           m_organization->isLoading();
}

void JobsPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    updateActions();
}

void JobsPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_organization->setShowPlatform(access.platformAdmin);
    updateActions();
}

void JobsPage::setChangeFeed(ChangeFeed *feed)
{
    m_feed = feed;
    connect(feed, &ChangeFeed::changed, this, &JobsPage::onChange);
}

void JobsPage::onChange(const QString &table, const QString &operation, const QString &id)
{
    if (!m_activated || table != QLatin1String("jobs"))
        return;
    if (operation == QLatin1String("update") && m_model->rowOfId(id) >= 0)
        refreshRow(id);
    else
        m_reloadSoon->start();
}

void JobsPage::refreshRow(const QString &id)
{
    m_actionWorker->run<Job>(
        this, [id](const QString &connection) { return JobService(connection).get(id); },
        [this, id](Result<Job> job) {
            if (!job) {
                if (job.error().kind == ErrorKind::NotFound)
                    m_reloadSoon->start();
                return;
            }
            const Job *selected = selectedJob();
            const bool isSelected = selected && selected->id == id;
            m_model->updateJob(job.value());
            if (isSelected) {
                showDetail(job.value());
                updateActions();
            }
            loadStatusCounts();
        });
}

QString JobsPage::emptyText() const
{
    return m_listStack->currentWidget() == m_empty ? m_empty->text() : QString();
}

const Job *JobsPage::selectedJob() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->jobAt(rows.first().row());
}

void JobsPage::updateActions()
{
    const Job *job = selectedJob();
    // "jobs.manage" is a platform permission: platform administrators hold it, nobody else.
    const bool mayManage = !m_accessKnown || m_access.platformAdmin;
    const bool canWrite = !m_readOnly && !m_busyAction && mayManage;
    // The comparison spans every organization and the catalog: platform work.
    m_compareButton->setEnabled(!m_readOnly && mayManage);
    m_compareButton->setToolTip(
        m_readOnly ? m_readOnlyReason
        : mayManage
            ? tr("Compare NOBill's customers, prices, subscriptions and invoices with Stripe's "
                 "(run by the office server), and repair NOBill's side from Stripe.")
            : tr("Only platform administrators compare with Stripe: the comparison spans every "
                 "organization."));
    m_retryButton->setEnabled(canWrite && job && job->canRetry());
    m_cancelButton->setEnabled(canWrite && job && job->canCancel());
    if (m_readOnly) {
        m_retryButton->setToolTip(m_readOnlyReason);
        m_cancelButton->setToolTip(m_readOnlyReason);
        return;
    }
    if (!mayManage) {
        const QString missing = tr("You need the permission \"jobs.manage\", which only "
                                   "platform administrators hold.");
        m_retryButton->setToolTip(missing);
        m_cancelButton->setToolTip(missing);
        return;
    }
    m_retryButton->setToolTip(
        !job || job->canRetry()
            ? tr("Put a failed or cancelled job back in the queue, to run now.")
            : tr("Only a failed or cancelled job can be retried; this one is %1.")
                  .arg(JobListModel::statusText(job->status).toLower()));
    m_cancelButton->setToolTip(!job || job->canCancel()
                                   ? tr("Take a queued job off the queue.")
                                   : tr("Only a queued job can be cancelled; this one is %1.")
                                         .arg(JobListModel::statusText(job->status).toLower()));
}

void JobsPage::selectionChanged()
{
    const Job *job = selectedJob();
    if (job) {
        m_selectedId = job->id;
        showDetail(*job);
        loadDetail(job->id);
    } else if (!m_model->isLoading()) {
        clearDetail();
    }
    updateActions();
}

void JobsPage::restoreSelection()
{
    if (selectedJob() || m_model->rowCount() == 0)
        return;
    int row = m_selectedId.isEmpty() ? -1 : m_model->rowOfId(m_selectedId);
    if (row < 0)
        row = 0;
    m_view->selectRow(row);
    m_view->scrollTo(m_model->index(row, 0));
}

void JobsPage::loadDetail(const QString &id)
{
    const quint64 request = ++m_detailRequest;
    m_detailLoading = true;
    m_actionWorker->run<Job>(
        this, [id](const QString &connection) { return JobService(connection).get(id); },
        [this, request](Result<Job> result) {
            if (request != m_detailRequest)
                return;
            m_detailLoading = false;
            if (!result) {
                m_detailError->setText(result.error().message);
                return;
            }
            showDetail(result.value());
        });
}

void JobsPage::showDetail(const Job &j)
{
    m_detailTitle->setText(jobName(j));
    QStringList rows;
    const auto row = [&rows](const QString &label, const QString &value) {
        rows << QStringLiteral("<tr><td style='padding-right:10px'><b>%1</b></td><td>%2</td></tr>")
                    .arg(label.toHtmlEscaped(), value.toHtmlEscaped());
    };
    row(tr("Status"), JobListModel::statusText(j.status));
    row(tr("Attempts"), tr("%1 of %2").arg(j.attempts).arg(j.maxAttempts));
    if (j.status == QLatin1String("queued"))
        row(tr("Runs after"), timeText(j.runAfter, TimePrecision::Seconds));
    if (j.status == QLatin1String("running"))
        row(tr("Running on"), tr("%1, lease until %2")
                                  .arg(j.lockedBy, timeText(j.leaseUntil, TimePrecision::Seconds)));
    row(tr("Organization"),
        j.organizationId.isEmpty()
            ? tr("the platform")
            : (j.organizationName.isEmpty() ? j.organizationId : j.organizationName));
    row(tr("Requested by"), j.requestedBy);
    row(tr("Created"), timeText(j.createdAt, TimePrecision::Seconds));
    row(tr("Updated"), timeText(j.updatedAt, TimePrecision::Seconds));
    row(tr("Idempotency key"), j.idempotencyKey);
    m_detailFields->setText(QStringLiteral("<table>") + rows.join(QString()) +
                            QStringLiteral("</table>"));
    m_detailError->setText(j.lastError.isEmpty() ? QString()
                                                 : tr("Last error: %1").arg(j.lastError));
    if (!j.payload.isEmpty() || !m_detailLoading) {
        m_payload->setJson(j.payload);
        m_result->setJson(j.result);
    }
}

void JobsPage::clearDetail()
{
    ++m_detailRequest;
    m_detailLoading = false;
    m_detailTitle->setText(tr("No job selected"));
    m_detailFields->clear();
    m_detailError->clear();
    m_payload->clear();
    m_result->clear();
}

void JobsPage::loadStatusCounts()
{
    const quint64 request = ++m_countsRequest;
    m_countsLoading = true;
    const JobQuery query = m_model->query();
    m_actionWorker->run<QHash<QString, int>>(
        this,
        [query](const QString &connection) { return JobService(connection).statusCounts(query); },
        [this, request](Result<QHash<QString, int>> result) {
            if (request != m_countsRequest)
                return;
            m_countsLoading = false;
            if (!result)
                return;
            const QLocale locale;
            for (int i = 1; i < m_status->count(); ++i) {
                const QString key = m_status->itemData(i).toString();
                const int n = result.value().value(key);
                m_status->setItemText(
                    i, n > 0 ? tr("%1 (%2)").arg(JobListModel::statusText(key), locale.toString(n))
                             : JobListModel::statusText(key));
            }
        });
}

void JobsPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total == 0 && !m_model->isLoading()) {
        clearDetail();
        m_empty->setText(m_model->query().isFiltered()
                             ? tr("No job matches these filters.")
                             : tr("No jobs yet. Jobs appear once the console queues billing "
                                  "work for Stripe; the office server's job worker runs "
                                  "them."));
        m_listStack->setCurrentWidget(m_empty);
    } else {
        m_listStack->setCurrentWidget(m_view);
    }
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    if (total == 0) {
        m_count->clear();
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 jobs, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n job(s)", nullptr, total));
}

void JobsPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void JobsPage::retrySelected()
{
    confirmAndRun(true);
}

void JobsPage::cancelSelected()
{
    confirmAndRun(false);
}

void JobsPage::compareWithStripe()
{
    if (!m_compareButton->isEnabled())
        return;
    auto *dialog = new ReconcileDialog(m_actionWorker.get(), m_feed, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ReconcileDialog::repaired, this, [this](int count) {
        announce(tr("Repaired %n difference(s) with Stripe in NOBill.", nullptr, count));
    });
    dialog->open();
    dialog->compare();
}

void JobsPage::confirmAndRun(bool retry)
{
    const Job *selected = selectedJob();
    QPushButton *button = retry ? m_retryButton : m_cancelButton;
    if (!selected || !button->isEnabled())
        return;
    const Job job = *selected;
    auto *box = new QMessageBox(retry ? QMessageBox::Question : QMessageBox::Warning,
                                retry ? tr("Retry job") : tr("Cancel job"),
                                retry ? tr("Retry %1?").arg(jobName(job))
                                      : tr("Cancel %1?").arg(jobName(job)),
                                QMessageBox::NoButton, this);
    box->setInformativeText(
        retry ? tr("The job goes back to the queue and runs as soon as the office server's "
                   "worker is free. It keeps its idempotency key, so Stripe does not do the "
                   "same work twice. The attempts made so far (%1) are kept.")
                    .arg(job.attempts)
              : tr("The job is taken off the queue and nothing is sent to Stripe. You can "
                   "retry it later."));
    QPushButton *confirm =
        box->addButton(retry ? tr("Retry") : tr("Cancel job"),
                       retry ? QMessageBox::AcceptRole : QMessageBox::DestructiveRole);
    QPushButton *back =
        box->addButton(retry ? tr("Don't retry") : tr("Keep it queued"), QMessageBox::RejectRole);
    box->setDefaultButton(back);
    box->setEscapeButton(back);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, job, retry]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        const QString id = job.id;
        m_actionWorker->run<Job>(
            this,
            [id, retry](const QString &connection) {
                JobService service(connection);
                return retry ? service.retry(id) : service.cancel(id);
            },
            [this, retry, job](Result<Job> result) {
                m_busyAction = false;
                if (!result) {
                    m_announceTimer->stop();
                    m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                    m_model->reload();
                } else {
                    m_model->updateJob(result.value());
                    if (const Job *current = selectedJob(); current && current->id == job.id)
                        showDetail(result.value());
                    announce(retry ? tr("%1 is queued again.").arg(jobName(job))
                                   : tr("%1 was cancelled.").arg(jobName(job)));
                    loadStatusCounts();
                }
                updateActions();
            });
    });
    box->open();
}

} // namespace nobill
