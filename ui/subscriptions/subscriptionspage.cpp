#include "subscriptions/subscriptionspage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobtracker.h"
#include "subscriptions/changeplandialog.h"
#include "subscriptions/newsubscriptiondialog.h"
#include "subscriptions/organizationfilter.h"
#include "subscriptions/subscriptiondetailpanel.h"
#include "subscriptions/subscriptionlistmodel.h"
#include "subscriptions/subscriptionservice.h"

#include <QComboBox>
#include <QDialog>
#include <QDialogButtonBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QLabel>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QUuid>
#include <QVBoxLayout>

namespace nobill {

namespace {
QString actionTitle(SubscriptionAction action)
{
    switch (action) {
    case SubscriptionAction::CancelAtPeriodEnd:
        return SubscriptionsPage::tr("Cancel at period end");
    case SubscriptionAction::CancelNow:
        return SubscriptionsPage::tr("Cancel now");
    case SubscriptionAction::Resume:
        return SubscriptionsPage::tr("Resume subscription");
    case SubscriptionAction::ChangeQuantity:
        return SubscriptionsPage::tr("Change quantity");
    case SubscriptionAction::PauseCollection:
        return SubscriptionsPage::tr("Pause collection");
    case SubscriptionAction::ResumeCollection:
        return SubscriptionsPage::tr("Resume collection");
    }
    return QString();
}

const char *const StripeTiming = QT_TRANSLATE_NOOP(
    "nobill::SubscriptionsPage",
    "The change is queued now and happens once the office server sends it to Stripe. Until "
    "Stripe confirms, the subscription stays as it is and shows the change as pending.");
} // namespace

SubscriptionsPage::SubscriptionsPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("subscriptions-list")))
    , m_actionWorker(
          std::make_unique<DatabaseWorker>(settings, QStringLiteral("subscriptions-actions")))
{
    setObjectName(QStringLiteral("subscriptionsPage"));
    m_model = new SubscriptionListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_organizations = new OrganizationFilter(m_actionWorker.get(), this);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("subscriptionStatusFilter"));
    m_statusFilter->setAccessibleName(tr("Status filter"));
    m_statusFilter->addItem(tr("All statuses"), QString());
    for (const char *status : {"trialing", "active", "past_due", "unpaid", "paused", "canceled",
                               "incomplete", "incomplete_expired"}) {
        const QString key = QLatin1String(status);
        m_statusFilter->addItem(SubscriptionListModel::statusText(key), key);
    }
    m_planFilter = new QComboBox(this);
    m_planFilter->setObjectName(QStringLiteral("subscriptionPlanFilter"));
    m_planFilter->setAccessibleName(tr("Plan filter"));
    m_planFilter->addItem(tr("All plans"), QString());
    m_planFilter->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_planFilter->setMinimumContentsLength(16);
    m_renewalFilter = new QComboBox(this);
    m_renewalFilter->setObjectName(QStringLiteral("subscriptionRenewalFilter"));
    m_renewalFilter->setAccessibleName(tr("Renewal window"));
    m_renewalFilter->addItem(tr("Renewing any time"), 0);
    for (int days : {7, 14, 30, 60, 90})
        m_renewalFilter->addItem(tr("Renewing within %1 days").arg(days), days);
    toolbar->addWidget(m_organizations, 3);
    toolbar->addWidget(m_statusFilter, 1);
    toolbar->addWidget(m_planFilter, 2);
    toolbar->addWidget(m_renewalFilter, 1);
    m_exportButton =
        new ExportButton(QStringLiteral("subscriptions.csv"), tr("Export subscriptions"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    toolbar->addWidget(m_exportButton);
    m_newButton = new QPushButton(tr("New subscription…"), this);
    m_newButton->setObjectName(QStringLiteral("newSubscriptionButton"));
    toolbar->addWidget(m_newButton);
    connect(m_newButton, &QPushButton::clicked, this, &SubscriptionsPage::requestNewSubscription);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("subscriptionTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(SubscriptionListModel::Renews, Qt::AscendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(SubscriptionListModel::Tenant, 170);
    m_view->setColumnWidth(SubscriptionListModel::Plan, 125);
    m_view->setColumnWidth(SubscriptionListModel::Status, 95);
    m_view->setColumnWidth(SubscriptionListModel::Quantity, 62);
    m_view->setColumnWidth(SubscriptionListModel::Amount, 105);
    m_view->setColumnWidth(SubscriptionListModel::Renews, 90);
    m_view->setColumnWidth(SubscriptionListModel::Created, 88);
    // The Stripe id is in the detail panel (and found by the global search); the list keeps
    // room for what finance reads first.
    m_view->setColumnHidden(SubscriptionListModel::StripeId, true);
    m_view->setAccessibleName(tr("Subscriptions"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("subscriptionCount"));
    listLayout->addWidget(m_count);
    m_details = new SubscriptionDetailPanel(m_actionWorker.get());
    auto *detailScroll = new QScrollArea(splitter);
    detailScroll->setWidget(m_details);
    detailScroll->setWidgetResizable(true);
    detailScroll->setFrameShape(QFrame::NoFrame);
    detailScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    detailScroll->setMinimumWidth(m_details->minimumWidth());
    splitter->addWidget(listBox);
    splitter->addWidget(detailScroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({780, 330});
    layout->addWidget(splitter, 1);

    connect(m_organizations, &OrganizationFilter::organizationChanged, m_model,
            &SubscriptionListModel::setOrganizationFilter);
    connect(m_organizations, &OrganizationFilter::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The organizations could not be loaded. %1").arg(message));
    });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_statusFilter->currentData().toString()); });
    connect(m_planFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setPlanFilter(m_planFilter->currentData().toString()); });
    connect(m_renewalFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setRenewalWindow(m_renewalFilter->currentData().toInt()); });

    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);

    m_reloadSoon = new QTimer(this);
    m_reloadSoon->setSingleShot(true);
    m_reloadSoon->setInterval(300);
    connect(m_reloadSoon, &QTimer::timeout, m_model, &AsyncTableModel::reload);
    m_detailsSoon = new QTimer(this);
    m_detailsSoon->setSingleShot(true);
    m_detailsSoon->setInterval(300);
    connect(m_detailsSoon, &QTimer::timeout, m_details, &SubscriptionDetailPanel::refresh);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &SubscriptionsPage::selectionChanged);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        updateCount();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &SubscriptionsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &SubscriptionsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The subscriptions could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
    });
    connect(m_details, &SubscriptionDetailPanel::detailsLoaded, this,
            &SubscriptionsPage::updateActions);
    connect(m_details, &SubscriptionDetailPanel::actionTriggered, this,
            &SubscriptionsPage::requestAction);
    connect(m_details, &SubscriptionDetailPanel::changePlanTriggered, this,
            &SubscriptionsPage::requestChangePlan);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, this, [this]() {
        m_model->reload();
        m_details->refresh();
    });
    updateActions();
}

SubscriptionsPage::~SubscriptionsPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page; the
    // workers then finish their current statement and close their connections.
    delete m_view;
    delete m_model;
}

void SubscriptionsPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_organizations->reload();
    loadPlans();
    m_model->reload();
}

bool SubscriptionsPage::isBusy() const
{
    return m_model->isLoading() || m_details->isLoading() || m_organizations->isLoading() ||
           m_plansLoading || m_busyAction;
}

void SubscriptionsPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    updateActions();
}

void SubscriptionsPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    updateActions();
}

void SubscriptionsPage::loadPlans()
{
    m_plansLoading = true;
    m_actionWorker->run<QList<PlanChoice>>(
        this,
        [](const QString &connection) { return SubscriptionService(connection).planChoices(); },
        [this](Result<QList<PlanChoice>> result) {
            m_plansLoading = false;
            if (!result) {
                m_planFilter->setToolTip(result.error().message);
                return;
            }
            const QString current = m_planFilter->currentData().toString();
            const QSignalBlocker blocker(m_planFilter);
            while (m_planFilter->count() > 1)
                m_planFilter->removeItem(1);
            for (const PlanChoice &plan : result.value())
                m_planFilter->addItem(plan.label, plan.id);
            const int index = m_planFilter->findData(current);
            m_planFilter->setCurrentIndex(index >= 0 ? index : 0);
        });
}

void SubscriptionsPage::setChangeFeed(ChangeFeed *feed)
{
    m_feed = feed;
    connect(feed, &ChangeFeed::changed, this, &SubscriptionsPage::onChange);
}

void SubscriptionsPage::onChange(const QString &table, const QString &operation, const QString &id)
{
    if (!m_activated)
        return; // loads fresh when first shown
    if (table == QLatin1String("subscriptions")) {
        if (operation == QLatin1String("update") && m_model->rowOfId(id) >= 0)
            refreshRow(id);
        else if (operation != QLatin1String("update"))
            m_reloadSoon->start();
        return;
    }
    // The detail shows the subscription's invoices and the Stripe work pending on it.
    if ((table == QLatin1String("jobs") || table == QLatin1String("invoices")) &&
        !m_details->subscriptionId().isEmpty())
        m_detailsSoon->start();
}

void SubscriptionsPage::refreshRow(const QString &id)
{
    m_actionWorker->run<Subscription>(
        this, [id](const QString &connection) { return SubscriptionService(connection).get(id); },
        [this, id](Result<Subscription> result) {
            if (!result) {
                // Gone or no longer visible to this operator: the list must lose it.
                if (result.error().kind == ErrorKind::NotFound)
                    m_reloadSoon->start();
                return;
            }
            m_model->updateSubscription(result.value());
            if (m_details->subscriptionId() == id)
                m_details->showSubscription(result.value());
            updateActions();
        });
}

void SubscriptionsPage::showSubscription(const QString &id)
{
    activate();
    m_selectedId = id;
    const int row = m_model->rowOfId(id);
    if (row >= 0) {
        m_view->selectRow(row);
        m_view->scrollTo(m_model->index(row, 0));
        return;
    }
    m_view->clearSelection();
    m_actionWorker->run<Subscription>(
        this, [id](const QString &connection) { return SubscriptionService(connection).get(id); },
        [this, id](Result<Subscription> result) {
            if (m_selectedId != id)
                return; // something else was chosen meanwhile
            if (!result) {
                showFailure(result.error().message);
                return;
            }
            m_details->showSubscription(result.value());
            updateActions();
        });
}

const Subscription *SubscriptionsPage::selectedSubscription() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->subscriptionAt(rows.first().row());
}

std::optional<Subscription> SubscriptionsPage::currentSubscription() const
{
    const Subscription *selected = selectedSubscription();
    const QString shown = selected ? selected->id : m_details->subscriptionId();
    if (shown.isEmpty())
        return std::nullopt;
    if (m_details->details() && m_details->details()->subscription.id == shown)
        return m_details->details()->subscription;
    if (selected)
        return *selected;
    return std::nullopt;
}

void SubscriptionsPage::selectionChanged()
{
    const Subscription *subscription = selectedSubscription();
    if (subscription) {
        m_selectedId = subscription->id;
        m_details->showSubscription(*subscription);
    } else if ((m_model->rowCount() > 0 || !m_model->isLoading()) &&
               m_details->subscriptionId() != m_selectedId) {
        m_details->clear();
    }
    updateActions();
}

void SubscriptionsPage::restoreSelection()
{
    if (selectedSubscription())
        return;
    if (!m_selectedId.isEmpty()) {
        const int row = m_model->rowOfId(m_selectedId);
        if (row >= 0) {
            m_view->selectRow(row);
            m_view->scrollTo(m_model->index(row, 0));
            return;
        }
    }
    if (!m_selectedId.isEmpty() && m_details->subscriptionId() == m_selectedId)
        return; // shown from the search, further down the list than loaded
    // Open on the first subscription, so the detail panel shows something useful at once.
    if (m_model->rowCount() > 0)
        m_view->selectRow(0);
    else
        m_details->clear();
}

void SubscriptionsPage::updateActions()
{
    const std::optional<Subscription> s = currentSubscription();
    const bool canWrite = !m_readOnly && !m_busyAction && !m_dialogOpen;
    const bool canManage =
        s &&
        (!m_accessKnown || m_access.can(s->organizationId, QStringLiteral("subscriptions.manage")));
    const bool detailsLoaded =
        s && m_details->details() && m_details->details()->subscription.id == s->id;
    for (SubscriptionAction action :
         {SubscriptionAction::CancelAtPeriodEnd, SubscriptionAction::CancelNow,
          SubscriptionAction::Resume, SubscriptionAction::ChangeQuantity,
          SubscriptionAction::PauseCollection, SubscriptionAction::ResumeCollection}) {
        QPushButton *button = m_details->actionButton(action);
        QString why;
        if (!s) {
            why = QString();
        } else if (m_readOnly) {
            why = m_readOnlyReason;
        } else if (!canManage) {
            why = tr("You need the permission \"subscriptions.manage\" in %1.")
                      .arg(s->organizationName.isEmpty() ? tr("this organization")
                                                         : s->organizationName);
        } else {
            why = SubscriptionService::actionUnavailableReason(*s, action);
        }
        if (why.isEmpty() && detailsLoaded) {
            const QString kind = SubscriptionService::jobKind(action);
            for (const PendingJob &job : m_details->details()->pendingJobs) {
                if (job.kind == kind && job.status != QLatin1String("failed")) {
                    why = tr("This change is already queued for Stripe.");
                    break;
                }
            }
        }
        button->setEnabled(s && canWrite && detailsLoaded && why.isEmpty());
        button->setToolTip(why);
    }
    // A change of plan is possible wherever a change of quantity is, and for metered plans.
    QPushButton *changePlan = m_details->changePlanButton();
    QString why;
    if (s && m_readOnly)
        why = m_readOnlyReason;
    else if (s && !canManage)
        why =
            tr("You need the permission \"subscriptions.manage\" in %1.")
                .arg(s->organizationName.isEmpty() ? tr("this organization") : s->organizationName);
    else if (s && s->stripeSubscriptionId.isEmpty())
        why = SubscriptionService::actionUnavailableReason(*s, SubscriptionAction::CancelNow);
    else if (s && !s->isLive())
        why = tr("Only a running subscription's plan can be changed.");
    changePlan->setEnabled(s && canWrite && detailsLoaded && why.isEmpty());
    changePlan->setToolTip(why);

    QString newWhy;
    if (m_readOnly)
        newWhy = m_readOnlyReason;
    else if (m_accessKnown && !m_access.platformAdmin &&
             !m_access.canAnywhere(QStringLiteral("subscriptions.manage")))
        newWhy = tr("You need the permission \"subscriptions.manage\" in an organization.");
    m_newButton->setEnabled(!m_readOnly && !m_dialogOpen && newWhy.isEmpty());
    m_newButton->setToolTip(newWhy);
}

void SubscriptionsPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    const SubscriptionQuery &q = m_model->query();
    if (total == 0) {
        m_count->setText(q.organizationId.isEmpty() && q.status.isEmpty() && q.planId.isEmpty() &&
                                 q.renewalWithinDays == 0
                             ? tr("No subscriptions yet. They appear here once tenants "
                                  "subscribe in Stripe.")
                             : tr("No subscription matches these filters."));
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 subscriptions, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n subscription(s)", nullptr, total));
}

void SubscriptionsPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void SubscriptionsPage::showFailure(const QString &message)
{
    m_announceTimer->stop();
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void SubscriptionsPage::requestAction(SubscriptionAction action)
{
    const std::optional<Subscription> s = currentSubscription();
    QPushButton *button = m_details->actionButton(action);
    if (!s || !button->isEnabled() || m_dialogOpen)
        return;
    confirmAndQueue(*s, action);
}

void SubscriptionsPage::confirmAndQueue(const Subscription &s, SubscriptionAction action)
{
    // One key per confirmation: however often it is confirmed (a double click, a retry),
    // the work is queued once.
    SubscriptionActionRequest request;
    request.subscriptionId = s.id;
    request.action = action;
    request.requestToken = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString tenant = s.organizationName.isEmpty() ? tr("this tenant") : s.organizationName;
    const QLocale locale;
    const QString periodEnd =
        s.currentPeriodEnd.isValid()
            ? locale.toString(s.currentPeriodEnd.toLocalTime().date(), QLocale::LongFormat)
            : tr("the end of the current period");
    m_dialogOpen = true;
    updateActions();

    if (action == SubscriptionAction::ChangeQuantity) {
        auto *dialog = new QInputDialog(this);
        dialog->setObjectName(QStringLiteral("quantityDialog"));
        dialog->setWindowTitle(actionTitle(action));
        dialog->setInputMode(QInputDialog::IntInput);
        dialog->setIntRange(1, 1000000);
        dialog->setIntValue(qMax(1, s.quantity));
        dialog->setLabelText(
            tr("New quantity for %1 (%2; now %3).\n\n%4")
                .arg(tenant, s.planName, locale.toString(s.quantity), tr(StripeTiming)));
        dialog->setOkButtonText(tr("Queue change"));
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        connect(dialog, &QDialog::finished, this, [this, dialog, request, tenant](int result) {
            m_dialogOpen = false;
            updateActions();
            if (result != QDialog::Accepted)
                return;
            SubscriptionActionRequest r = request;
            r.quantity = dialog->intValue();
            queue(r, tr("change of quantity to %1").arg(QLocale().toString(r.quantity)), tenant);
        });
        dialog->open();
        return;
    }

    if (action == SubscriptionAction::PauseCollection) {
        askPauseBehavior(s, request, tenant);
        return;
    }

    QString question;
    QString what;
    QString detail;
    QString confirmText;
    QMessageBox::Icon icon = QMessageBox::Question;
    switch (action) {
    case SubscriptionAction::CancelAtPeriodEnd:
        question =
            tr("Cancel %1's %2 subscription at the end of its period?").arg(tenant, s.planName);
        detail = tr("It keeps running until %1 and then ends; no further invoices are made.")
                     .arg(periodEnd);
        what = tr("cancellation at period end");
        confirmText = tr("Cancel at period end");
        break;
    case SubscriptionAction::CancelNow:
        icon = QMessageBox::Warning;
        question = tr("Cancel %1's %2 subscription now?").arg(tenant, s.planName);
        detail = tr("It ends immediately instead of on %1. This cannot be undone: a new "
                    "subscription would be needed.")
                     .arg(periodEnd);
        what = tr("immediate cancellation");
        confirmText = tr("Cancel now");
        break;
    case SubscriptionAction::Resume:
        question = tr("Resume %1's %2 subscription?").arg(tenant, s.planName);
        detail = s.status == QLatin1String("paused")
                     ? tr("Billing starts again.")
                     : tr("The scheduled cancellation is withdrawn; it renews on %1 as usual.")
                           .arg(periodEnd);
        what = tr("resumption");
        confirmText = tr("Resume");
        break;
    case SubscriptionAction::ResumeCollection:
        question =
            tr("Resume collecting payment for %1's %2 subscription?").arg(tenant, s.planName);
        detail = tr("Its next invoices are collected again as usual (charged automatically or "
                    "sent). Invoices of the pause keep the state the pause gave them.");
        what = tr("resumption of collection");
        confirmText = tr("Resume collection");
        break;
    case SubscriptionAction::ChangeQuantity:
    case SubscriptionAction::PauseCollection:
        break;
    }
    auto *box = new QMessageBox(icon, actionTitle(action), question, QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("subscriptionActionConfirmation"));
    box->setInformativeText(detail + QStringLiteral("\n\n") + tr(StripeTiming));
    QPushButton *confirm = box->addButton(confirmText, QMessageBox::AcceptRole);
    confirm->setObjectName(QStringLiteral("confirmButton"));
    box->button(QMessageBox::Cancel)->setText(tr("Keep as is"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, request, what, tenant]() {
        m_dialogOpen = false;
        updateActions();
        if (box->clickedButton() != confirm)
            return;
        queue(request, what, tenant);
    });
    box->open();
}

void SubscriptionsPage::queue(const SubscriptionActionRequest &request, const QString &what,
                              const QString &tenant)
{
    m_busyAction = true;
    updateActions();
    m_actionWorker->run<PendingJob>(
        this,
        [request](const QString &connection) {
            return SubscriptionService(connection).requestAction(request);
        },
        [this, what, tenant](Result<PendingJob> result) {
            m_busyAction = false;
            if (!result)
                showFailure(result.error().message);
            else
                follow(result.value().id, what, tenant);
            m_details->refresh();
            updateActions();
        });
}

void SubscriptionsPage::follow(const QString &jobId, const QString &what, const QString &tenant)
{
    auto *tracker = new JobTracker(m_actionWorker.get(), this);
    tracker->setChangeFeed(m_feed);
    m_lastTracker = tracker;
    // The banner follows the newest piece of work; an older one still reports its outcome.
    auto show = [this, tracker, what, tenant]() {
        if (m_lastTracker != tracker && !tracker->isFinished())
            return;
        switch (tracker->state()) {
        case JobTracker::State::Succeeded:
            m_banner->showMessage(MessageBanner::Kind::Information,
                                  tr("Done in Stripe: the %1 for %2.").arg(what, tenant));
            m_announceTimer->start();
            emit statusMessage(m_banner->text());
            break;
        case JobTracker::State::Failed:
        case JobTracker::State::Cancelled:
            showFailure(tr("The %1 for %2 was not done in Stripe. %3")
                            .arg(what, tenant, tracker->errorMessage()));
            break;
        case JobTracker::State::Idle:
        case JobTracker::State::Queueing:
            break;
        default:
            m_announceTimer->stop();
            m_banner->showMessage(
                tracker->isWaitingLong() ? MessageBanner::Kind::Warning
                                         : MessageBanner::Kind::Information,
                tr("The %1 for %2 is queued. %3").arg(what, tenant, tracker->describe()));
        }
    };
    connect(tracker, &JobTracker::stateChanged, this, show);
    connect(tracker, &JobTracker::waitingLong, this, show);
    connect(tracker, &JobTracker::finished, this, [this, tracker]() {
        m_details->refresh();
        if (m_lastTracker == tracker)
            m_lastTracker = nullptr;
        tracker->deleteLater();
    });
    tracker->track(jobId);
    show();
}

void SubscriptionsPage::askPauseBehavior(const Subscription &s,
                                         const SubscriptionActionRequest &request,
                                         const QString &tenant)
{
    auto *dialog = new QDialog(this);
    dialog->setObjectName(QStringLiteral("pauseCollectionDialog"));
    dialog->setWindowTitle(actionTitle(SubscriptionAction::PauseCollection));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    auto *layout = new QVBoxLayout(dialog);
    auto *question = new QLabel(
        tr("Pause collecting payment for %1's %2 subscription?").arg(tenant, s.planName), dialog);
    question->setWordWrap(true);
    layout->addWidget(question);
    auto *explain = new QLabel(tr("The subscription keeps running and renewing, but its invoices "
                                  "are not collected until collection is resumed. Choose what "
                                  "happens to the invoices made during the pause:"),
                               dialog);
    explain->setWordWrap(true);
    layout->addWidget(explain);
    auto *behavior = new QComboBox(dialog);
    behavior->setObjectName(QStringLiteral("pauseBehavior"));
    behavior->setAccessibleName(tr("Invoices during the pause"));
    behavior->addItem(tr("Void them: the tenant owes nothing for the pause"),
                      QStringLiteral("void"));
    behavior->addItem(tr("Keep them as drafts, to finalize later"),
                      QStringLiteral("keep_as_draft"));
    behavior->addItem(tr("Mark them uncollectible: owed, but not chased"),
                      QStringLiteral("mark_uncollectible"));
    layout->addWidget(behavior);
    auto *timing = new QLabel(tr(StripeTiming), dialog);
    timing->setWordWrap(true);
    timing->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(timing);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, dialog);
    QPushButton *confirm = buttons->addButton(tr("Pause collection"), QDialogButtonBox::AcceptRole);
    confirm->setObjectName(QStringLiteral("confirmButton"));
    buttons->button(QDialogButtonBox::Cancel)->setText(tr("Keep as is"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, dialog, &QDialog::reject);
    dialog->setMinimumWidth(460);
    connect(dialog, &QDialog::finished, this,
            [this, dialog, behavior, request, tenant](int result) {
                m_dialogOpen = false;
                updateActions();
                if (result != QDialog::Accepted)
                    return;
                SubscriptionActionRequest r = request;
                r.pauseBehavior = behavior->currentData().toString();
                queue(r, tr("pause of collection"), tenant);
                (void)dialog;
            });
    dialog->open();
}

void SubscriptionsPage::requestChangePlan()
{
    const std::optional<Subscription> s = currentSubscription();
    if (!s || !m_details->changePlanButton()->isEnabled() || m_dialogOpen)
        return;
    m_dialogOpen = true;
    updateActions();
    auto *dialog = new ChangePlanDialog(m_actionWorker.get(), m_feed, *s, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    const QString tenant = s->organizationName.isEmpty() ? tr("this tenant") : s->organizationName;
    connect(dialog, &ChangePlanDialog::queued, this,
            [this, tenant](const QString &jobId, const QString &what) {
                follow(jobId, what, tenant);
                m_details->refresh();
            });
    connect(dialog, &QDialog::finished, this, [this]() {
        m_dialogOpen = false;
        updateActions();
    });
    dialog->open();
}

void SubscriptionsPage::requestNewSubscription()
{
    if (!m_newButton->isEnabled() || m_dialogOpen)
        return;
    m_dialogOpen = true;
    updateActions();
    auto *dialog =
        new NewSubscriptionDialog(m_actionWorker.get(), m_feed, m_access, m_accessKnown, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &NewSubscriptionDialog::subscriptionQueued, this, [this](const QString &id) {
        m_selectedId = id;
        m_reloadSoon->start();
    });
    connect(dialog, &QDialog::finished, this, [this]() {
        m_dialogOpen = false;
        updateActions();
    });
    dialog->open();
}

} // namespace nobill
