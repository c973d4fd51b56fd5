#include "tenants/tenantspage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "common/stripeactions.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "tenants/tenantdetailpanel.h"
#include "tenants/tenantdialog.h"
#include "tenants/tenantlistmodel.h"
#include "tenants/tenantservice.h"

#include <QComboBox>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollBar>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

TenantsPage::TenantsPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("tenants-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("tenants-actions")))
{
    setObjectName(QStringLiteral("tenantsPage"));
    m_model = new TenantListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("tenantFilter"));
    m_filter->setPlaceholderText(tr("Filter by name, slug, email or Stripe id"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Filter tenants"));
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("tenantStatusFilter"));
    m_statusFilter->setAccessibleName(tr("Status filter"));
    m_statusFilter->addItem(tr("All statuses"), QString());
    m_statusFilter->addItem(tr("Active"), QStringLiteral("active"));
    m_statusFilter->addItem(tr("Suspended"), QStringLiteral("suspended"));
    m_newButton = new QPushButton(tr("&New tenant…"), this);
    m_newButton->setObjectName(QStringLiteral("newTenantButton"));
    m_editButton = new QPushButton(tr("&Edit…"), this);
    m_editButton->setObjectName(QStringLiteral("editTenantButton"));
    m_suspendButton = new QPushButton(tr("&Suspend…"), this);
    m_suspendButton->setObjectName(QStringLiteral("suspendTenantButton"));
    m_deleteButton = new QPushButton(tr("&Delete…"), this);
    m_deleteButton->setObjectName(QStringLiteral("deleteTenantButton"));
    toolbar->addWidget(m_filter, 3);
    toolbar->addWidget(m_statusFilter, 1);
    toolbar->addSpacing(12);
    toolbar->addWidget(m_newButton);
    toolbar->addWidget(m_editButton);
    toolbar->addWidget(m_suspendButton);
    toolbar->addWidget(m_deleteButton);
    m_exportButton = new ExportButton(QStringLiteral("tenants.csv"), tr("Export tenants"), this);
    m_exportButton->setObjectName(QStringLiteral("exportTenantsButton"));
    toolbar->addWidget(m_exportButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("tenantTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(TenantListModel::Name, Qt::AscendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(TenantListModel::Name, 180);
    m_view->setColumnWidth(TenantListModel::Slug, 115);
    m_view->setColumnWidth(TenantListModel::Status, 80);
    m_view->setColumnWidth(TenantListModel::Currency, 65);
    m_view->setColumnWidth(TenantListModel::BillingEmail, 185);
    m_view->setColumnWidth(TenantListModel::StripeCustomer, 115);
    m_view->setAccessibleName(tr("Tenants"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("tenantCount"));
    listLayout->addWidget(m_count);
    m_details = new TenantDetailPanel(m_actionWorker.get(), splitter);
    m_stripeActions = new StripeActions(settings, m_banner, m_details);
    m_stripeActions->setObjectName(QStringLiteral("tenantStripeActions"));
    StripeActions::Action sync;
    sync.id = QStringLiteral("syncToStripe");
    sync.text = tr("Sync to Stripe");
    sync.kind = jobkinds::SyncCustomer;
    sync.permission = QStringLiteral("tenants.manage");
    sync.what = [](const StripeActions::Target &t) {
        return tr("%1's name, billing email, address and tax id to Stripe").arg(t.organizationName);
    };
    sync.success = [](const StripeActions::Target &t, const QJsonObject &result) {
        return tr("%1 is Stripe customer %2.")
            .arg(t.organizationName, result.value(QLatin1String("stripe_customer_id")).toString());
    };
    m_stripeActions->addAction(sync);
    m_details->addActions(m_stripeActions);
    splitter->addWidget(listBox);
    splitter->addWidget(m_details);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({900, 280});
    layout->addWidget(splitter, 1);

    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterDebounce, &QTimer::timeout, this,
            [this]() { m_model->setFilterText(m_filter->text()); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_statusFilter->currentData().toString()); });

    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TenantsPage::selectionChanged);
    connect(m_view, &QTableView::doubleClicked, this, &TenantsPage::editSelected);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        if (m_scrollToRestore >= 0) {
            m_view->verticalScrollBar()->setValue(m_scrollToRestore);
            m_scrollToRestore = -1;
        }
        updateCount();
    });
    // Bursts of changes (an import, another operator's batch) become one refresh.
    m_reloadSoon = new QTimer(this);
    m_reloadSoon->setSingleShot(true);
    m_reloadSoon->setInterval(300);
    connect(m_reloadSoon, &QTimer::timeout, this, &TenantsPage::reloadKeepingPlace);
    m_detailsSoon = new QTimer(this);
    m_detailsSoon->setSingleShot(true);
    m_detailsSoon->setInterval(300);
    connect(m_detailsSoon, &QTimer::timeout, this, [this]() {
        if (const Tenant *tenant = selectedTenant())
            m_details->showTenant(*tenant);
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &TenantsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &TenantsPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The tenants could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
    });
    connect(m_newButton, &QPushButton::clicked, this, &TenantsPage::newTenant);
    connect(m_editButton, &QPushButton::clicked, this, &TenantsPage::editSelected);
    connect(m_suspendButton, &QPushButton::clicked, this, &TenantsPage::toggleSuspension);
    connect(m_deleteButton, &QPushButton::clicked, this, &TenantsPage::deleteSelected);
    m_exportButton->setSource(settings, m_model, m_banner);
    connect(m_exportButton, &ExportButton::finished, this, [this](bool ok, const QString &message) {
        if (ok)
            announce(message);
        else
            showFailure(message);
    });
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_filter, [this]() {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    auto *create = new QShortcut(QKeySequence::New, this);
    connect(create, &QShortcut::activated, this, &TenantsPage::newTenant);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);
    updateActions();
}

TenantsPage::~TenantsPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page; the
    // workers then finish their current statement and close their connections.
    delete m_view;
    delete m_model;
}

void TenantsPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_model->reload();
}

bool TenantsPage::isBusy() const
{
    return m_model->isLoading() || m_details->isLoading() || m_busyAction;
}

void TenantsPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    m_stripeActions->setReadOnly(readOnly, reason);
    updateActions();
}

TenantDialog *TenantsPage::openDialog() const
{
    return findChild<TenantDialog *>();
}

const Tenant *TenantsPage::selectedTenant() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->tenantAt(rows.first().row());
}

void TenantsPage::selectionChanged()
{
    const Tenant *tenant = selectedTenant();
    if (tenant) {
        m_selectedId = tenant->id;
        m_details->showTenant(*tenant);
    } else if (m_model->rowCount() > 0 || !m_model->isLoading()) {
        m_details->clear();
    }
    updateActions();
}

void TenantsPage::restoreSelection()
{
    if (selectedTenant())
        return;
    if (m_selectedId.isEmpty()) {
        // Open on the first tenant, so the detail panel shows something useful at once.
        if (m_model->rowCount() > 0) {
            m_view->selectRow(0);
        }
        return;
    }
    const int row = m_model->rowOfId(m_selectedId);
    if (row >= 0) {
        m_view->selectRow(row);
        m_view->scrollTo(m_model->index(row, 0));
    }
}

void TenantsPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_stripeActions->setAccess(access);
    updateActions();
}

void TenantsPage::showTenant(const QString &id, const QString &name)
{
    m_selectedId = id;
    m_view->clearSelection();
    m_activated = true;
    m_filterDebounce->stop();
    {
        const QSignalBlocker blocker(m_filter);
        m_filter->setText(name);
    }
    if (m_model->query().text == name.simplified())
        m_model->reload(); // same filter: still reload, so the tenant is fetched fresh
    else
        m_model->setFilterText(name);
}

void TenantsPage::exportTo(const QString &path)
{
    m_exportButton->exportTo(path);
}

void TenantsPage::setChangeFeed(ChangeFeed *feed)
{
    m_stripeActions->setChangeFeed(feed);
    connect(feed, &ChangeFeed::changed, this, &TenantsPage::onChange);
}

void TenantsPage::onChange(const QString &table, const QString &operation, const QString &id)
{
    if (!m_activated)
        return; // loads fresh when first shown
    if (table == QLatin1String("organizations")) {
        if (operation == QLatin1String("update") && m_model->rowOfId(id) >= 0)
            refreshRow(id);
        else if (operation != QLatin1String("update"))
            m_reloadSoon->start();
        return;
    }
    // The detail panel's figures count these.
    if (table == QLatin1String("subscriptions") || table == QLatin1String("invoices") ||
        table == QLatin1String("memberships") || table == QLatin1String("usage_records")) {
        if (selectedTenant())
            m_detailsSoon->start();
    }
}

void TenantsPage::refreshRow(const QString &id)
{
    m_actionWorker->run<Tenant>(
        this, [id](const QString &connection) { return TenantService(connection).get(id); },
        [this, id](Result<Tenant> tenant) {
            if (!tenant) {
                // Gone or no longer visible to this operator: the list must lose it.
                if (tenant.error().kind == ErrorKind::NotFound)
                    m_reloadSoon->start();
                return;
            }
            const Tenant *selected = selectedTenant();
            const bool isSelected = selected && selected->id == id;
            m_model->updateTenant(tenant.value());
            if (isSelected) {
                m_details->showTenant(tenant.value());
                updateActions();
            }
        });
}

void TenantsPage::reloadKeepingPlace()
{
    // The selection is restored by id once the rows are back (restoreSelection); the scroll
    // position as far as the first page reaches.
    m_scrollToRestore = m_view->verticalScrollBar()->value();
    m_model->reload();
}

void TenantsPage::updateActions()
{
    const Tenant *tenant = selectedTenant();
    m_stripeActions->setTarget(
        tenant ? std::optional<StripeActions::Target>(StripeActions::Target{
                     tenant->id, tenant->name, QJsonObject{{QStringLiteral("id"), tenant->id}}})
               : std::nullopt);
    const bool canWrite = !m_readOnly && !m_busyAction;
    const bool platformAdmin = !m_accessKnown || m_access.platformAdmin;
    const bool canManage =
        tenant && (!m_accessKnown || m_access.can(tenant->id, QStringLiteral("tenants.manage")));
    m_newButton->setEnabled(canWrite && platformAdmin);
    m_editButton->setEnabled(canWrite && canManage);
    m_suspendButton->setEnabled(canWrite && canManage);
    m_deleteButton->setEnabled(canWrite && tenant && platformAdmin);
    m_suspendButton->setText(tenant && tenant->isSuspended() ? tr("&Reactivate…")
                                                             : tr("&Suspend…"));
    if (m_readOnly) {
        for (QPushButton *b : {m_newButton, m_editButton, m_suspendButton, m_deleteButton})
            b->setToolTip(m_readOnlyReason);
        return;
    }
    const QString onlyAdmins = tr("Only platform administrators can do this.");
    const QString needsManage =
        tenant ? tr("You need the permission \"tenants.manage\" in %1.").arg(tenant->name)
               : QString();
    m_newButton->setToolTip(platformAdmin ? tr("Create a tenant (Ctrl+N)") : onlyAdmins);
    m_editButton->setToolTip(canManage || !tenant ? QString() : needsManage);
    m_suspendButton->setToolTip(canManage || !tenant ? QString() : needsManage);
    m_deleteButton->setToolTip(platformAdmin ? QString() : onlyAdmins);
}

void TenantsPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    if (total == 0) {
        m_count->setText(m_model->query().text.isEmpty() && m_model->query().status.isEmpty()
                             ? tr("No tenants yet. Create the first one with \"New tenant\".")
                             : tr("No tenant matches this filter."));
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 tenants, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n tenant(s)", nullptr, total));
    // English plurals come from translations/nobill_en.ts, like every other language's.
}

void TenantsPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void TenantsPage::showFailure(const QString &message)
{
    m_announceTimer->stop();
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void TenantsPage::newTenant()
{
    if (!m_newButton->isEnabled() || openDialog())
        return;
    auto *dialog = new TenantDialog(m_actionWorker.get(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &TenantDialog::saved, this,
            [this](const Tenant &tenant) { tenantSaved(tenant, true); });
    dialog->open();
}

void TenantsPage::editSelected()
{
    const Tenant *tenant = selectedTenant();
    if (!m_editButton->isEnabled() || !tenant || openDialog())
        return;
    auto *dialog = new TenantDialog(m_actionWorker.get(), *tenant, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &TenantDialog::saved, this,
            [this](const Tenant &saved) { tenantSaved(saved, false); });
    dialog->open();
}

void TenantsPage::tenantSaved(const Tenant &tenant, bool created)
{
    m_selectedId = tenant.id;
    announce(created ? tr("Tenant %1 was created.").arg(tenant.name)
                     : tr("Changes to %1 were saved.").arg(tenant.name));
    // A new or renamed tenant may move in the database's order: reload, then reselect it.
    m_model->reload();
}

void TenantsPage::toggleSuspension()
{
    const Tenant *selected = selectedTenant();
    if (!m_suspendButton->isEnabled() || !selected)
        return;
    const Tenant tenant = *selected;
    const bool suspend = !tenant.isSuspended();
    auto *box = new QMessageBox(
        QMessageBox::Question, suspend ? tr("Suspend tenant") : tr("Reactivate tenant"),
        suspend ? tr("Suspend %1?").arg(tenant.name) : tr("Reactivate %1?").arg(tenant.name),
        QMessageBox::Cancel, this);
    box->setInformativeText(
        suspend ? tr("The tenant is marked as suspended. Its subscriptions, invoices and "
                     "usage are kept, and nothing changes in Stripe. You can reactivate it "
                     "at any time.")
                : tr("The tenant is marked as active again."));
    QPushButton *confirm =
        box->addButton(suspend ? tr("Suspend") : tr("Reactivate"), QMessageBox::AcceptRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, tenant, suspend]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<Tenant>(
            this,
            [tenant, suspend](const QString &connection) {
                TenantService service(connection);
                return suspend ? service.suspend(tenant.id, tenant.version)
                               : service.reactivate(tenant.id, tenant.version);
            },
            [this, suspend](Result<Tenant> result) {
                m_busyAction = false;
                if (!result) {
                    showFailure(result.error().message);
                    m_model->reload();
                } else {
                    m_model->updateTenant(result.value());
                    if (const Tenant *current = selectedTenant())
                        m_details->showTenant(*current);
                    announce(suspend ? tr("%1 is now suspended.").arg(result.value().name)
                                     : tr("%1 is active again.").arg(result.value().name));
                }
                updateActions();
            });
    });
    box->open();
}

void TenantsPage::deleteSelected()
{
    const Tenant *selected = selectedTenant();
    if (!m_deleteButton->isEnabled() || !selected)
        return;
    const Tenant tenant = *selected;
    auto *box =
        new QMessageBox(QMessageBox::Warning, tr("Delete tenant"),
                        tr("Delete %1 for good?").arg(tenant.name), QMessageBox::Cancel, this);
    box->setInformativeText(tr("This cannot be undone. A tenant that has subscriptions, "
                               "invoices or usage cannot be deleted; suspend it instead."));
    QPushButton *confirm = box->addButton(tr("Delete"), QMessageBox::DestructiveRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, tenant]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        const QString id = tenant.id;
        m_actionWorker->run<bool>(
            this,
            [id](const QString &connection) -> Result<bool> {
                Status removed = TenantService(connection).remove(id);
                if (!removed)
                    return removed.error();
                return true;
            },
            [this, tenant](Result<bool> result) {
                m_busyAction = false;
                if (!result) {
                    showFailure(result.error().message);
                } else {
                    m_selectedId.clear();
                    m_details->clear();
                    announce(tr("%1 was deleted.").arg(tenant.name));
                    m_model->reload();
                }
                updateActions();
            });
    });
    box->open();
}

} // namespace nobill
