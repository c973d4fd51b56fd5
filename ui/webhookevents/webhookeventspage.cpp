#include "webhookevents/webhookeventspage.h"

#include "common/exportbutton.h"
#include "common/liveupdates.h"
#include "common/timetext.h"
#include "database/changefeed.h"

#include "audit/organizationscopefilter.h"
#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "webhookevents/jsonview.h"
#include "webhookevents/webhookeventlistmodel.h"
#include "webhookevents/webhookeventservice.h"

#include <QComboBox>
#include <QFormLayout>
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
const char *const Statuses[] = {"received", "processed", "ignored", "waiting", "failed"};

QLabel *fieldLabel(QWidget *parent)
{
    auto *label = new QLabel(parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}
} // namespace

WebhookEventsPage::WebhookEventsPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("events-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("events-detail")))
{
    setObjectName(QStringLiteral("webhookEventsPage"));
    m_model = new WebhookEventListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *filters = new QHBoxLayout;
    m_status = new QComboBox(this);
    m_status->setObjectName(QStringLiteral("eventStatusFilter"));
    m_status->setAccessibleName(tr("Status filter"));
    m_status->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_status->addItem(tr("All statuses"), QString());
    for (const char *status : Statuses) {
        const QString key = QString::fromLatin1(status);
        m_status->addItem(WebhookEventListModel::statusText(key), key);
    }
    m_type = new QComboBox(this);
    m_type->setObjectName(QStringLiteral("eventTypeFilter"));
    m_type->setAccessibleName(tr("Type filter"));
    m_type->setEditable(true);
    m_type->setInsertPolicy(QComboBox::NoInsert);
    m_type->addItem(QString());
    for (const char *type :
         {"customer.", "customer.subscription.", "customer.subscription.created",
          "customer.subscription.updated", "customer.subscription.deleted", "invoice.",
          "invoice.finalized", "invoice.paid", "invoice.payment_failed", "invoice.voided"})
        m_type->addItem(QString::fromLatin1(type));
    m_type->lineEdit()->setPlaceholderText(tr("All types (or a prefix such as invoice.)"));
    m_type->lineEdit()->setClearButtonEnabled(true);
    m_type->setToolTip(tr("An event type such as invoice.paid, or a prefix ending in a dot "
                          "(invoice.) for all of its kind."));
    m_organization = new OrganizationScopeFilter(m_actionWorker.get(),
                                                 WebhookEventQuery::platformEvents(), this);
    m_organization->setObjectName(QStringLiteral("eventOrganizationFilter"));
    filters->addWidget(m_status);
    filters->addWidget(m_type, 2);
    filters->addWidget(m_organization, 2);
    filters->addStretch(1);
    m_exportButton =
        new ExportButton(QStringLiteral("webhook-events.csv"), tr("Export webhook events"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    filters->addWidget(m_exportButton);
    layout->addLayout(filters);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_listStack = new QStackedWidget(listBox);
    m_view = new QTableView(m_listStack);
    m_view->setObjectName(QStringLiteral("eventTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(WebhookEventListModel::Received, 118);
    m_view->setColumnWidth(WebhookEventListModel::Type, 240);
    m_view->setColumnWidth(WebhookEventListModel::Object, 120);
    m_view->setColumnWidth(WebhookEventListModel::Organization, 150);
    m_view->setColumnWidth(WebhookEventListModel::Status, 75);
    m_view->setColumnWidth(WebhookEventListModel::Attempts, 62);
    m_view->setColumnWidth(WebhookEventListModel::Processed, 118);
    // The id is in the detail's title; the room goes to the last error.
    m_view->setColumnHidden(WebhookEventListModel::EventId, true);
    m_view->setAccessibleName(tr("Webhook events"));
    m_empty = new QLabel(m_listStack);
    m_empty->setObjectName(QStringLiteral("eventEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_listStack->addWidget(m_view);
    m_listStack->addWidget(m_empty);
    listLayout->addWidget(m_listStack, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("eventCount"));
    listLayout->addWidget(m_count);

    auto *detailBox = new QWidget(splitter);
    auto *detailLayout = new QHBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    auto *fields = new QWidget(detailBox);
    auto *fieldsLayout = new QVBoxLayout(fields);
    fieldsLayout->setContentsMargins(0, 0, 0, 0);
    m_detailTitle = new QLabel(fields);
    m_detailTitle->setObjectName(QStringLiteral("eventDetailTitle"));
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont titleFont = m_detailTitle->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    m_detailTitle->setFont(titleFont);
    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_fieldStatus = fieldLabel(fields);
    m_fieldObject = fieldLabel(fields);
    m_fieldOrganization = fieldLabel(fields);
    m_fieldAttempts = fieldLabel(fields);
    m_fieldTimes = fieldLabel(fields);
    m_fieldSource = fieldLabel(fields);
    m_fieldError = fieldLabel(fields);
    m_fieldError->setObjectName(QStringLiteral("eventLastError"));
    m_fieldError->setStyleSheet(QStringLiteral("color: #b03a2e;"));
    m_form->addRow(tr("Status:"), m_fieldStatus);
    m_form->addRow(tr("Object:"), m_fieldObject);
    m_form->addRow(tr("Organization:"), m_fieldOrganization);
    m_form->addRow(tr("Attempts:"), m_fieldAttempts);
    m_form->addRow(tr("Times:"), m_fieldTimes);
    m_form->addRow(tr("Source:"), m_fieldSource);
    m_form->addRow(tr("Last error:"), m_fieldError);
    m_reprocessButton = new QPushButton(tr("&Reprocess…"), fields);
    m_reprocessButton->setObjectName(QStringLiteral("reprocessEventButton"));
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_reprocessButton);
    actions->addStretch(1);
    fieldsLayout->addWidget(m_detailTitle);
    fieldsLayout->addLayout(m_form);
    fieldsLayout->addLayout(actions);
    fieldsLayout->addStretch(1);
    m_payload = new JsonView(detailBox);
    m_payload->setObjectName(QStringLiteral("eventPayload"));
    m_payload->setAccessibleName(tr("Payload"));
    m_payload->setPlaceholderText(tr("The event's payload, as Stripe sent it."));
    detailLayout->addWidget(fields, 2);
    detailLayout->addWidget(m_payload, 3);
    splitter->addWidget(listBox);
    splitter->addWidget(detailBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({400, 320});
    layout->addWidget(splitter, 1);
    clearDetail();

    m_typeDebounce = new QTimer(this);
    m_typeDebounce->setSingleShot(true);
    m_typeDebounce->setInterval(250);
    connect(m_type, &QComboBox::currentTextChanged, m_typeDebounce, qOverload<>(&QTimer::start));
    connect(m_typeDebounce, &QTimer::timeout, this,
            [this]() { m_model->setTypeFilter(m_type->currentText()); });
    connect(m_status, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_status->currentData().toString()); });
    connect(m_organization, &OrganizationScopeFilter::keyChanged, m_model,
            &WebhookEventListModel::setOrganizationFilter);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &WebhookEventsPage::selectionChanged);
    connect(m_reprocessButton, &QPushButton::clicked, this, &WebhookEventsPage::reprocessSelected);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this](bool firstPage) {
        restoreSelection();
        updateCount();
        if (firstPage)
            loadStatusCounts();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &WebhookEventsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &WebhookEventsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The webhook events could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
    });
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_type, [this]() {
        m_type->setFocus();
        m_type->lineEdit()->selectAll();
    });
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);

    m_newRowsSoon = new QTimer(this);
    m_newRowsSoon->setSingleShot(true);
    m_newRowsSoon->setInterval(200);
    connect(m_newRowsSoon, &QTimer::timeout, this, [this]() {
        m_model->loadNewRowsAtHead();
        loadStatusCounts();
    });
    keepScrollPositionOnNewRows(m_view, m_model);
}

WebhookEventsPage::~WebhookEventsPage()
{
    delete m_view;
    delete m_model;
}

void WebhookEventsPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_organization->reload();
    m_model->reload();
}

void WebhookEventsPage::setChangeFeed(ChangeFeed *feed)
{
    connect(feed, &ChangeFeed::changed, this, &WebhookEventsPage::onChange);
}

void WebhookEventsPage::onChange(const QString &table, const QString &operation, const QString &id)
{
    if (!m_activated || table != QLatin1String("stripe_events"))
        return; // loads fresh when first shown
    if (operation != QLatin1String("update") || m_model->rowOfId(id) < 0) {
        // New events come first (newest received first); a deleted one needs a reload.
        if (operation == QLatin1String("delete"))
            m_model->reload();
        else
            m_newRowsSoon->start();
        return;
    }
    // A loaded event was handled (or failed): its status changes in place.
    m_actionWorker->run<WebhookEvent>(
        this, [id](const QString &connection) { return WebhookEventService(connection).get(id); },
        [this, id](Result<WebhookEvent> result) {
            if (!result)
                return;
            WebhookEvent row = result.value();
            row.payload.clear(); // the list keeps no payloads; the detail loads its own
            m_model->replaceRow(row);
            if (m_selectedId == id && !m_detailLoading)
                showDetail(result.value());
            m_newRowsSoon->start(); // the status counts
        });
}

bool WebhookEventsPage::isBusy() const
{
    return m_model->isLoading() || m_detailLoading || m_countsLoading ||
           m_organization->isLoading();
}

void WebhookEventsPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_organization->setShowPlatform(access.platformAdmin);
    updateActions();
}

void WebhookEventsPage::updateActions()
{
    // "webhooks.manage" is a platform permission: platform administrators hold it, nobody
    // else. Until the access is known the database decides (and says why it refuses).
    const bool mayManage = !m_accessKnown || m_access.platformAdmin;
    const bool selected = !m_selectedId.isEmpty() && !m_shownStatus.isEmpty();
    const bool queued = m_shownStatus == QLatin1String("received");
    m_reprocessButton->setEnabled(mayManage && !m_busyAction && selected && !queued);
    if (!mayManage)
        m_reprocessButton->setToolTip(tr("You need the permission \"webhooks.manage\", which "
                                         "only platform administrators hold."));
    else if (queued)
        m_reprocessButton->setToolTip(tr("This event is already waiting for the office "
                                         "server's event processor."));
    else
        m_reprocessButton->setToolTip(tr("Apply this event again: for one that failed once "
                                         "its cause is fixed, or to check one that was "
                                         "ignored. An event older than what was applied since "
                                         "changes nothing."));
}

void WebhookEventsPage::reprocessSelected()
{
    if (m_selectedId.isEmpty() || !m_reprocessButton->isEnabled())
        return;
    const QString id = m_selectedId;
    const QString status = WebhookEventListModel::statusText(m_shownStatus).toLower();
    auto *box = new QMessageBox(QMessageBox::Question, tr("Reprocess event"),
                                tr("Reprocess %1?").arg(id), QMessageBox::NoButton, this);
    box->setInformativeText(
        tr("The event (now %1) goes back to the queue and the office server applies it "
           "again within moments. Stripe's objects are still applied newest last: if a newer "
           "event about the same object was applied since, this one changes nothing.")
            .arg(status));
    QPushButton *confirm = box->addButton(tr("Reprocess"), QMessageBox::AcceptRole);
    QPushButton *back = box->addButton(tr("Don't reprocess"), QMessageBox::RejectRole);
    box->setDefaultButton(back);
    box->setEscapeButton(back);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, id]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<WebhookEvent>(
            this,
            [id](const QString &connection) {
                return WebhookEventService(connection).reprocess(id);
            },
            [this, id](Result<WebhookEvent> result) {
                m_busyAction = false;
                if (!result) {
                    m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                } else {
                    m_banner->showMessage(MessageBanner::Kind::Information,
                                          tr("%1 is queued to be applied again.").arg(id));
                    if (m_selectedId == id)
                        showDetail(result.value());
                }
                m_model->reload();
                updateActions();
            });
    });
    box->open();
}

QString WebhookEventsPage::emptyText() const
{
    return m_listStack->currentWidget() == m_empty ? m_empty->text() : QString();
}

void WebhookEventsPage::selectionChanged()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        if (!m_model->isLoading())
            clearDetail();
        return;
    }
    const WebhookEvent &event = m_model->eventAt(rows.first().row());
    m_selectedId = event.id;
    showDetail(event); // at once from the list; the payload follows
    loadDetail(event.id);
}

void WebhookEventsPage::restoreSelection()
{
    if (!m_view->selectionModel()->selectedRows().isEmpty() || m_model->rowCount() == 0)
        return;
    int row = m_selectedId.isEmpty() ? -1 : m_model->rowOfId(m_selectedId);
    if (row < 0)
        row = 0;
    m_view->selectRow(row);
    m_view->scrollTo(m_model->index(row, 0));
}

void WebhookEventsPage::loadDetail(const QString &id)
{
    const quint64 request = ++m_detailRequest;
    m_detailLoading = true;
    m_actionWorker->run<WebhookEvent>(
        this, [id](const QString &connection) { return WebhookEventService(connection).get(id); },
        [this, request](Result<WebhookEvent> result) {
            if (request != m_detailRequest)
                return;
            m_detailLoading = false;
            if (!result) {
                m_payload->setPlainText(result.error().message);
                return;
            }
            showDetail(result.value());
        });
}

void WebhookEventsPage::showDetail(const WebhookEvent &e)
{
    m_shownStatus = e.status;
    m_detailTitle->setText(tr("%1 · %2").arg(e.type, e.id));
    m_fieldStatus->setText(WebhookEventListModel::statusText(e.status));
    m_fieldObject->setText(e.objectId.isEmpty() ? tr("none") : e.objectId);
    m_fieldOrganization->setText(
        e.organizationId.isEmpty()
            ? tr("none yet (the platform's, or not yet matched to a tenant)")
            : (e.organizationName.isEmpty() ? e.organizationId : e.organizationName));
    m_fieldAttempts->setText(QString::number(e.attempts));
    QString times = tr("created at Stripe %1\nreceived %2")
                        .arg(timeText(e.stripeCreated, TimePrecision::Seconds),
                             timeText(e.receivedAt, TimePrecision::Seconds));
    if (e.processedAt.isValid())
        times += QLatin1Char('\n') +
                 tr("processed %1").arg(timeText(e.processedAt, TimePrecision::Seconds));
    m_fieldTimes->setText(times);
    m_fieldSource->setText(
        (e.source == QLatin1String("pull") ? tr("pulled from the Events API")
                                           : tr("pushed to the listener")) +
        (e.apiVersion.isEmpty() ? QString() : tr(", API version %1").arg(e.apiVersion)) +
        (e.livemode ? tr(", live mode") : tr(", test mode")));
    // The processor writes why an event was ignored or waits, and what a processed report
    // said, in the same column: only a failure is an error.
    const bool failed = e.status == QLatin1String("failed");
    if (auto *label = qobject_cast<QLabel *>(m_form->labelForField(m_fieldError))) {
        label->setText(
            e.status == QLatin1String("ignored") || e.status == QLatin1String("waiting")
                ? tr("Reason:")
                : (e.status == QLatin1String("processed") ? tr("Note:") : tr("Last error:")));
    }
    m_fieldError->setText(e.lastError.isEmpty() ? tr("none") : e.lastError);
    m_fieldError->setStyleSheet(
        e.lastError.isEmpty() || !failed ? QString() : QStringLiteral("color: #b03a2e;"));
    if (!e.payload.isEmpty())
        m_payload->setJson(e.payload);
    else if (e.id != m_selectedId || !m_detailLoading)
        m_payload->clear();
    updateActions();
}

void WebhookEventsPage::clearDetail()
{
    ++m_detailRequest;
    m_detailLoading = false;
    m_detailTitle->setText(tr("No event selected"));
    m_shownStatus.clear();
    updateActions();
    for (QLabel *label : {m_fieldStatus, m_fieldObject, m_fieldOrganization, m_fieldAttempts,
                          m_fieldTimes, m_fieldSource, m_fieldError})
        label->clear();
    m_payload->clear();
}

void WebhookEventsPage::loadStatusCounts()
{
    const quint64 request = ++m_countsRequest;
    m_countsLoading = true;
    const WebhookEventQuery query = m_model->query();
    m_actionWorker->run<QHash<QString, int>>(
        this,
        [query](const QString &connection) {
            return WebhookEventService(connection).statusCounts(query);
        },
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
                    i, n > 0 ? tr("%1 (%2)").arg(WebhookEventListModel::statusText(key),
                                                 locale.toString(n))
                             : WebhookEventListModel::statusText(key));
            }
        });
}

void WebhookEventsPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total == 0 && !m_model->isLoading()) {
        clearDetail();
        m_empty->setText(m_model->query().isFiltered()
                             ? tr("No webhook event matches these filters.")
                             : tr("No webhook events yet. Events arrive once the office "
                                  "server's listener or poller runs."));
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
        m_count->setText(tr("%1 events, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n event(s)", nullptr, total));
}

} // namespace nobill
