#include "plans/planspage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "common/stripeactions.h"
#include "core/money.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "plans/plandetailpanel.h"
#include "plans/plandialogs.h"
#include "plans/planlistmodel.h"
#include "plans/planservice.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QMessageBox>
#include <QPushButton>
#include <QScrollArea>
#include <QScrollBar>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

namespace nobill {

PlansPage::PlansPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("plans-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("plans-actions")))
{
    setObjectName(QStringLiteral("plansPage"));
    m_model = new PlanListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    // Filters: which product, then what to look for among its prices.
    auto *filters = new QHBoxLayout;
    auto *productLabel = new QLabel(tr("&Product:"), this);
    m_productFilter = new QComboBox(this);
    m_productFilter->setObjectName(QStringLiteral("productFilter"));
    m_productFilter->setAccessibleName(tr("Product"));
    m_productFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_productFilter->setMinimumContentsLength(16);
    m_productFilter->addItem(tr("All products"), QString());
    productLabel->setBuddy(m_productFilter);
    m_filter = new QLineEdit(this);
    m_filter->setObjectName(QStringLiteral("planFilter"));
    m_filter->setPlaceholderText(tr("Filter by plan, product, metric or Stripe price id"));
    m_filter->setClearButtonEnabled(true);
    m_filter->setAccessibleName(tr("Filter plans"));
    m_currencyFilter = new QComboBox(this);
    m_currencyFilter->setObjectName(QStringLiteral("currencyFilter"));
    m_currencyFilter->setAccessibleName(tr("Currency filter"));
    m_currencyFilter->addItem(tr("All currencies"), QString());
    m_usageFilter = new QComboBox(this);
    m_usageFilter->setObjectName(QStringLiteral("usageFilter"));
    m_usageFilter->setAccessibleName(tr("Usage filter"));
    m_usageFilter->addItem(tr("Per seat and metered"), QString());
    m_usageFilter->addItem(tr("Per seat"), QStringLiteral("licensed"));
    m_usageFilter->addItem(tr("Metered"), QStringLiteral("metered"));
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("planStatusFilter"));
    m_statusFilter->setAccessibleName(tr("Status filter"));
    m_statusFilter->addItem(tr("Active and archived"), QString());
    m_statusFilter->addItem(tr("Active"), QStringLiteral("active"));
    m_statusFilter->addItem(tr("Archived"), QStringLiteral("archived"));
    filters->addWidget(productLabel);
    filters->addWidget(m_productFilter, 1);
    filters->addWidget(m_filter, 3);
    filters->addWidget(m_currencyFilter);
    filters->addWidget(m_usageFilter);
    filters->addWidget(m_statusFilter);
    layout->addLayout(filters);

    auto *actions = new QHBoxLayout;
    m_productButton = new QToolButton(this);
    m_productButton->setObjectName(QStringLiteral("productButton"));
    m_productButton->setText(tr("Pr&oducts"));
    m_productButton->setPopupMode(QToolButton::InstantPopup);
    m_productButton->setToolButtonStyle(Qt::ToolButtonTextOnly);
    auto *productMenu = new QMenu(m_productButton);
    m_newProductAction = productMenu->addAction(tr("New product…"));
    m_newProductAction->setObjectName(QStringLiteral("newProductAction"));
    m_editProductAction = productMenu->addAction(tr("Edit product…"));
    m_editProductAction->setObjectName(QStringLiteral("editProductAction"));
    m_archiveProductAction = productMenu->addAction(tr("Archive product…"));
    m_archiveProductAction->setObjectName(QStringLiteral("archiveProductAction"));
    productMenu->setToolTipsVisible(true);
    m_productButton->setMenu(productMenu);
    m_newPlanButton = new QPushButton(tr("&New plan…"), this);
    m_newPlanButton->setObjectName(QStringLiteral("newPlanButton"));
    m_editButton = new QPushButton(tr("&Edit…"), this);
    m_editButton->setObjectName(QStringLiteral("editPlanButton"));
    m_changeAmountButton = new QPushButton(tr("Change &amount…"), this);
    m_changeAmountButton->setObjectName(QStringLiteral("changeAmountButton"));
    m_archiveButton = new QPushButton(tr("A&rchive…"), this);
    m_archiveButton->setObjectName(QStringLiteral("archivePlanButton"));
    m_deleteButton = new QPushButton(tr("&Delete…"), this);
    m_deleteButton->setObjectName(QStringLiteral("deletePlanButton"));
    actions->addWidget(m_productButton);
    actions->addSpacing(12);
    actions->addWidget(m_newPlanButton);
    actions->addWidget(m_editButton);
    actions->addWidget(m_changeAmountButton);
    actions->addWidget(m_archiveButton);
    actions->addWidget(m_deleteButton);
    actions->addStretch(1);
    m_exportButton = new ExportButton(QStringLiteral("plans.csv"), tr("Export plans"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    actions->addWidget(m_exportButton);
    layout->addLayout(actions);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("planTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(PlanListModel::Product, Qt::AscendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(PlanListModel::Product, 100);
    m_view->setColumnWidth(PlanListModel::Name, 140);
    m_view->setColumnWidth(PlanListModel::Price, 88);
    m_view->setColumnWidth(PlanListModel::Billing, 92);
    m_view->setColumnWidth(PlanListModel::Usage, 68);
    m_view->setColumnWidth(PlanListModel::Metric, 72);
    m_view->setColumnWidth(PlanListModel::Trial, 60);
    m_view->setColumnWidth(PlanListModel::Subscribers, 80);
    m_view->setAccessibleName(tr("Plans"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("planCount"));
    listLayout->addWidget(m_count);
    m_details = new PlanDetailPanel(m_actionWorker.get());
    m_stripeActions = new StripeActions(settings, m_banner, m_details);
    m_stripeActions->setObjectName(QStringLiteral("planStripeActions"));
    StripeActions::Action publish;
    publish.id = QStringLiteral("publishToStripe");
    publish.text = tr("Publish to Stripe");
    publish.kind = jobkinds::SyncPlan;
    publish.unavailable = [](const StripeActions::Target &t) {
        return t.values.value(QLatin1String("archived")).toBool()
                   ? tr("An archived plan is not offered in Stripe.")
                   : QString();
    };
    publish.payload = [](const StripeActions::Target &t) {
        return QJsonObject{{QStringLiteral("plan_id"), t.text("id")}};
    };
    publish.what = [](const StripeActions::Target &t) {
        return tr("publication of the plan %1").arg(t.text("name"));
    };
    publish.success = [](const StripeActions::Target &t, const QJsonObject &r) {
        QString text =
            tr("The plan %1 is in Stripe: product %2, price %3.")
                .arg(t.text("name"), r.value(QLatin1String("stripe_product_id")).toString(),
                     r.value(QLatin1String("stripe_price_id")).toString());
        if (const QString meter = r.value(QLatin1String("stripe_meter_id")).toString();
            !meter.isEmpty())
            text += QLatin1Char(' ') + tr("Usage is metered by %1.").arg(meter);
        if (const QString old = r.value(QLatin1String("archived_price_id")).toString();
            !old.isEmpty())
            text += QLatin1Char(' ') + tr("The replaced price %1 is archived.").arg(old);
        return text;
    };
    m_stripeActions->addAction(publish);
    m_details->addActions(m_stripeActions);
    // Scrolled rather than clipped when a long description does not fit; a scroll area also
    // gives wrapped lines the height they need.
    auto *detailScroll = new QScrollArea(splitter);
    detailScroll->setWidget(m_details);
    detailScroll->setWidgetResizable(true);
    detailScroll->setFrameShape(QFrame::NoFrame);
    detailScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    detailScroll->setMinimumWidth(m_details->minimumWidth());
    splitter->addWidget(listBox);
    splitter->addWidget(detailScroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({820, 300});
    layout->addWidget(splitter, 1);

    m_filterDebounce = new QTimer(this);
    m_filterDebounce->setSingleShot(true);
    m_filterDebounce->setInterval(250);
    connect(m_filter, &QLineEdit::textChanged, m_filterDebounce, qOverload<>(&QTimer::start));
    connect(m_filterDebounce, &QTimer::timeout, this,
            [this]() { m_model->setFilterText(m_filter->text()); });
    connect(m_productFilter, &QComboBox::currentIndexChanged, this, [this]() {
        m_wantedProductId = m_productFilter->currentData().toString();
        m_model->setProductFilter(m_wantedProductId);
        updateActions();
    });
    connect(m_currencyFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setCurrencyFilter(m_currencyFilter->currentData().toString()); });
    connect(m_usageFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setUsageTypeFilter(m_usageFilter->currentData().toString()); });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_statusFilter->currentData().toString()); });

    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);
    // Bursts of changes (another operator's work, a batch of new subscriptions) become one
    // refresh.
    m_reloadSoon = new QTimer(this);
    m_reloadSoon->setSingleShot(true);
    m_reloadSoon->setInterval(500);
    connect(m_reloadSoon, &QTimer::timeout, this, &PlansPage::reloadKeepingPlace);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &PlansPage::selectionChanged);
    connect(m_view, &QTableView::doubleClicked, this, &PlansPage::editSelected);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        if (m_scrollToRestore >= 0) {
            m_view->verticalScrollBar()->setValue(m_scrollToRestore);
            m_scrollToRestore = -1;
        }
        updateCount();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &PlansPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &PlansPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The plans could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        reloadCatalog();
        m_model->reload();
    });
    connect(m_newProductAction, &QAction::triggered, this, &PlansPage::newProduct);
    connect(m_editProductAction, &QAction::triggered, this, &PlansPage::editProduct);
    connect(m_archiveProductAction, &QAction::triggered, this, &PlansPage::toggleProductArchived);
    connect(m_newPlanButton, &QPushButton::clicked, this, &PlansPage::newPlan);
    connect(m_editButton, &QPushButton::clicked, this, &PlansPage::editSelected);
    connect(m_changeAmountButton, &QPushButton::clicked, this, &PlansPage::changeAmount);
    connect(m_archiveButton, &QPushButton::clicked, this, &PlansPage::toggleArchived);
    connect(m_deleteButton, &QPushButton::clicked, this, &PlansPage::deleteSelected);
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_filter, [this]() {
        m_filter->setFocus();
        m_filter->selectAll();
    });
    auto *create = new QShortcut(QKeySequence::New, this);
    connect(create, &QShortcut::activated, this, &PlansPage::newPlan);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, this, [this]() {
        reloadCatalog();
        m_model->reload();
    });
    updateActions();
}

PlansPage::~PlansPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page; the
    // workers then finish their current statement and close their connections.
    delete m_view;
    delete m_model;
}

void PlansPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    reloadCatalog();
    m_model->reload();
}

bool PlansPage::isBusy() const
{
    return m_model->isLoading() || m_details->isLoading() || m_busyAction || m_catalogLoading;
}

void PlansPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    m_stripeActions->setReadOnly(readOnly, reason);
    updateActions();
}

void PlansPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_stripeActions->setAccess(access);
    m_details->setCountsArePartial(!access.platformAdmin);
    updateActions();
}

void PlansPage::setChangeFeed(ChangeFeed *feed)
{
    if (!feed)
        return;
    m_stripeActions->setChangeFeed(feed);
    connect(feed, &ChangeFeed::changed, this,
            [this](const QString &table, const QString &, const QString &) {
                if (!m_activated)
                    return; // loads fresh when first shown
                if (table == QLatin1String("products") || table == QLatin1String("plans"))
                    reloadCatalog();
                // Subscriptions change the subscriber counts.
                if (table == QLatin1String("products") || table == QLatin1String("plans") ||
                    table == QLatin1String("subscriptions"))
                    m_reloadSoon->start();
            });
}

PlanDialog *PlansPage::openPlanDialog() const
{
    return findChild<PlanDialog *>();
}

ProductDialog *PlansPage::openProductDialog() const
{
    return findChild<ProductDialog *>();
}

ChangeAmountDialog *PlansPage::openChangeAmountDialog() const
{
    return findChild<ChangeAmountDialog *>();
}

bool PlansPage::anyDialogOpen() const
{
    return openPlanDialog() || openProductDialog() || openChangeAmountDialog() ||
           findChild<QMessageBox *>();
}

const Plan *PlansPage::selectedPlan() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->planAt(rows.first().row());
}

const Product *PlansPage::filteredProduct() const
{
    const QString id = m_productFilter->currentData().toString();
    for (const Product &p : m_catalog.products) {
        if (p.id == id)
            return &p;
    }
    return nullptr;
}

void PlansPage::reloadCatalog()
{
    const quint64 request = ++m_catalogRequest;
    m_catalogLoading = true;
    m_actionWorker->run<PlanCatalog>(
        this, [](const QString &connection) { return PlanService(connection).catalog(); },
        [this, request](Result<PlanCatalog> result) {
            if (request != m_catalogRequest)
                return;
            m_catalogLoading = false;
            if (!result) {
                m_banner->showMessage(
                    MessageBanner::Kind::Error,
                    tr("The products could not be loaded. %1").arg(result.error().message),
                    tr("Retry"));
                return;
            }
            catalogArrived(result.value());
        });
}

void PlansPage::catalogArrived(const PlanCatalog &catalog)
{
    m_catalog = catalog;
    {
        // Rebuilt without signals: the list keeps its filter unless the product is gone.
        const QSignalBlocker blocker(m_productFilter);
        m_productFilter->clear();
        m_productFilter->addItem(tr("All products"), QString());
        for (const Product &p : catalog.products) {
            const QString label = p.isArchived() ? tr("%1 (archived)").arg(p.name) : p.name;
            m_productFilter->addItem(label, p.id);
            if (!p.description.isEmpty())
                m_productFilter->setItemData(m_productFilter->count() - 1, p.description,
                                             Qt::ToolTipRole);
        }
        const int wanted = m_productFilter->findData(m_wantedProductId);
        m_productFilter->setCurrentIndex(wanted >= 0 ? wanted : 0);
    }
    {
        const QSignalBlocker blocker(m_currencyFilter);
        const QString current = m_currencyFilter->currentData().toString();
        m_currencyFilter->clear();
        m_currencyFilter->addItem(tr("All currencies"), QString());
        for (const QString &currency : catalog.currencies)
            m_currencyFilter->addItem(currency, currency);
        const int kept = m_currencyFilter->findData(current);
        m_currencyFilter->setCurrentIndex(kept >= 0 ? kept : 0);
    }
    // A product that disappeared (deleted by someone else) no longer filters the list.
    m_model->setProductFilter(m_productFilter->currentData().toString());
    m_model->setCurrencyFilter(m_currencyFilter->currentData().toString());
    updateActions();
    updateCount();
}

void PlansPage::selectionChanged()
{
    const Plan *plan = selectedPlan();
    if (plan) {
        m_selectedId = plan->id;
        m_details->showPlan(*plan);
    } else if (m_model->rowCount() > 0 || !m_model->isLoading()) {
        m_details->clear();
    }
    updateActions();
}

void PlansPage::restoreSelection()
{
    if (selectedPlan())
        return;
    if (m_selectedId.isEmpty()) {
        // Open on the first plan, so the detail panel shows something useful at once.
        if (m_model->rowCount() > 0)
            m_view->selectRow(0);
        return;
    }
    const int row = m_model->rowOfId(m_selectedId);
    if (row >= 0) {
        m_view->selectRow(row);
        m_view->scrollTo(m_model->index(row, 0));
    }
}

void PlansPage::reloadKeepingPlace()
{
    // The selection is restored by id once the rows are back (restoreSelection); the scroll
    // position as far as the first page reaches.
    m_scrollToRestore = m_view->verticalScrollBar()->value();
    m_model->reload();
}

void PlansPage::updateActions()
{
    const Plan *plan = selectedPlan();
    m_stripeActions->setTarget(
        plan ? std::optional<StripeActions::Target>(StripeActions::Target{
                   QString(), QString(),
                   QJsonObject{{QStringLiteral("id"), plan->id},
                               {QStringLiteral("name"), plan->name},
                               {QStringLiteral("archived"), plan->isArchived()}}})
             : std::nullopt);
    const Product *product = filteredProduct();
    const bool canWrite = !m_readOnly && !m_busyAction;
    const bool canManage = !m_accessKnown || m_access.platformAdmin;
    bool activeProduct = false;
    for (const Product &p : std::as_const(m_catalog.products))
        activeProduct = activeProduct || !p.isArchived();
    const bool allowed = canWrite && canManage;
    m_newProductAction->setEnabled(allowed);
    m_editProductAction->setEnabled(allowed && product);
    m_archiveProductAction->setEnabled(allowed && product);
    m_archiveProductAction->setText(product && product->isArchived() ? tr("Unarchive product…")
                                                                     : tr("Archive product…"));
    m_newPlanButton->setEnabled(allowed && activeProduct);
    m_editButton->setEnabled(allowed && plan);
    m_changeAmountButton->setEnabled(allowed && plan && !plan->isArchived());
    m_archiveButton->setEnabled(allowed && plan &&
                                (!plan->isArchived() || plan->replacedByPlanId.isEmpty()));
    m_deleteButton->setEnabled(allowed && plan);
    m_archiveButton->setText(plan && plan->isArchived() ? tr("Una&rchive…") : tr("A&rchive…"));

    const QList<QWidget *> buttons{m_newPlanButton, m_editButton,   m_changeAmountButton,
                                   m_archiveButton, m_deleteButton, m_productButton};
    const QList<QAction *> productActions{m_newProductAction, m_editProductAction,
                                          m_archiveProductAction};
    if (m_readOnly || !canManage) {
        const QString reason =
            m_readOnly ? m_readOnlyReason
                       : tr("Only platform administrators can change the plan catalog (it "
                            "needs the permission \"plans.manage\").");
        for (QWidget *w : buttons)
            w->setToolTip(reason);
        for (QAction *a : productActions)
            a->setToolTip(reason);
        return;
    }
    m_productButton->setToolTip(tr("Create, rename and archive products"));
    m_newProductAction->setToolTip(QString());
    const QString chooseProduct = tr("Choose a product in the Product filter first.");
    m_editProductAction->setToolTip(product ? QString() : chooseProduct);
    m_archiveProductAction->setToolTip(product ? QString() : chooseProduct);
    m_newPlanButton->setToolTip(activeProduct ? tr("Add a price to a product (Ctrl+N)")
                                              : tr("Create a product first (Products menu)."));
    m_editButton->setToolTip(tr("Rename the plan or change its description"));
    m_changeAmountButton->setToolTip(
        plan && plan->isArchived()
            ? tr("An archived plan keeps its price. Change the amount of the active version.")
            : tr("Set a new price; a plan in use gets a new version"));
    m_archiveButton->setToolTip(
        plan && !plan->replacedByPlanId.isEmpty()
            ? tr("A newer version replaced this plan; only the newest version can be offered.")
            : QString());
    m_deleteButton->setToolTip(tr("Only a plan nobody ever used can be deleted"));
}

void PlansPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    if (total == 0) {
        const PlanQuery &q = m_model->query();
        const bool filtered = !q.text.isEmpty() || !q.productId.isEmpty() ||
                              !q.currency.isEmpty() || !q.usageType.isEmpty() ||
                              !q.status.isEmpty();
        const bool productOnly = !q.productId.isEmpty() && q.text.isEmpty() &&
                                 q.currency.isEmpty() && q.usageType.isEmpty() &&
                                 q.status.isEmpty();
        if (productOnly)
            m_count->setText(tr("No plans for this product yet. Add one with \"New plan\"."));
        else if (filtered)
            m_count->setText(tr("No plan matches this filter."));
        else if (m_catalog.products.isEmpty())
            m_count->setText(tr("No products yet. Create the first one with Products → New "
                                "product, then add its prices with \"New plan\"."));
        else
            m_count->setText(tr("No plans yet. Add a price with \"New plan\"."));
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 plans, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n plan(s)", nullptr, total));
}

void PlansPage::announce(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Information, message);
    m_announceTimer->start();
    emit statusMessage(message);
}

void PlansPage::showFailure(const QString &message)
{
    m_announceTimer->stop();
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void PlansPage::newProduct()
{
    if (!m_newProductAction->isEnabled() || anyDialogOpen())
        return;
    auto *dialog = new ProductDialog(m_actionWorker.get(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ProductDialog::saved, this, [this](const Product &product) {
        m_wantedProductId = product.id; // shown once the catalog is back
        announce(tr("Product %1 was created. Add its prices with \"New plan\".").arg(product.name));
        reloadCatalog();
    });
    dialog->open();
}

void PlansPage::editProduct()
{
    const Product *product = filteredProduct();
    if (!m_editProductAction->isEnabled() || !product || anyDialogOpen())
        return;
    auto *dialog = new ProductDialog(m_actionWorker.get(), *product, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ProductDialog::saved, this, [this](const Product &saved) {
        announce(tr("Changes to %1 were saved.").arg(saved.name));
        reloadCatalog();
        reloadKeepingPlace(); // the product's name shows in every row
    });
    dialog->open();
}

void PlansPage::toggleProductArchived()
{
    const Product *selected = filteredProduct();
    if (!m_archiveProductAction->isEnabled() || !selected || anyDialogOpen())
        return;
    const Product product = *selected;
    const bool archive = !product.isArchived();
    auto *box = new QMessageBox(
        QMessageBox::Question, archive ? tr("Archive product") : tr("Unarchive product"),
        archive ? tr("Archive %1?").arg(product.name) : tr("Unarchive %1?").arg(product.name),
        QMessageBox::Cancel, this);
    box->setInformativeText(archive ? tr("No plan can be added to an archived product. A "
                                         "product with active plans cannot be archived: "
                                         "archive its plans first.")
                                    : tr("Plans can be added to the product again."));
    QPushButton *confirm =
        box->addButton(archive ? tr("Archive") : tr("Unarchive"), QMessageBox::AcceptRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, product, archive]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<Product>(
            this,
            [product, archive](const QString &connection) {
                return PlanService(connection)
                    .setProductArchived(product.id, product.version, archive);
            },
            [this, archive](Result<Product> result) {
                m_busyAction = false;
                if (!result)
                    showFailure(result.error().message);
                else
                    announce(archive ? tr("%1 is archived.").arg(result.value().name)
                                     : tr("%1 is offered again.").arg(result.value().name));
                reloadCatalog();
                updateActions();
            });
    });
    box->open();
}

void PlansPage::newPlan()
{
    if (!m_newPlanButton->isEnabled() || anyDialogOpen())
        return;
    const Plan *selected = selectedPlan();
    QString productId = m_productFilter->currentData().toString();
    if (productId.isEmpty() && selected)
        productId = selected->productId;
    auto *dialog = new PlanDialog(m_actionWorker.get(), m_catalog.products, productId, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &PlanDialog::saved, this, [this](const Plan &plan) {
        planSaved(
            plan,
            tr("Plan %1 was created: %2.").arg(plan.name, formatMoney(plan.amount, plan.currency)));
        reloadCatalog(); // a new currency, a product's count
    });
    dialog->open();
}

void PlansPage::editSelected()
{
    const Plan *plan = selectedPlan();
    if (!m_editButton->isEnabled() || !plan || anyDialogOpen())
        return;
    auto *dialog = new PlanDialog(m_actionWorker.get(), *plan, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &PlanDialog::saved, this, [this](const Plan &saved) {
        planSaved(saved, tr("Changes to %1 were saved.").arg(saved.name));
    });
    dialog->open();
}

void PlansPage::planSaved(const Plan &plan, const QString &message)
{
    m_selectedId = plan.id;
    announce(message);
    // A new or renamed plan may move in the database's order: reload, then reselect it.
    m_model->reload();
}

void PlansPage::changeAmount()
{
    const Plan *plan = selectedPlan();
    if (!m_changeAmountButton->isEnabled() || !plan || anyDialogOpen())
        return;
    auto *dialog = new ChangeAmountDialog(m_actionWorker.get(), *plan, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &ChangeAmountDialog::changed, this, [this](const AmountChange &change) {
        const QString price = formatMoney(change.plan.amount, change.plan.currency);
        const QString before = formatMoney(change.previous.amount, change.previous.currency);
        if (change.versioned)
            planSaved(change.plan,
                      tr("%1 now costs %2 as a new version. The previous version (%3) is "
                         "archived; its subscriptions keep that price until they are moved.")
                          .arg(change.plan.name, price, before));
        else
            planSaved(change.plan,
                      tr("%1 now costs %2 (was %3).").arg(change.plan.name, price, before));
    });
    dialog->open();
}

void PlansPage::runPlanAction(const QString &question, const QString &details,
                              const QString &confirmText, bool destructive,
                              const std::function<Result<Plan>(const QString &)> &task,
                              const std::function<QString(const Plan &)> &outcome)
{
    auto *box = new QMessageBox(destructive ? QMessageBox::Warning : QMessageBox::Question,
                                confirmText, question, QMessageBox::Cancel, this);
    box->setInformativeText(details);
    QPushButton *confirm = box->addButton(confirmText, destructive ? QMessageBox::DestructiveRole
                                                                   : QMessageBox::AcceptRole);
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, task, outcome]() {
        if (box->clickedButton() != confirm)
            return;
        m_busyAction = true;
        updateActions();
        m_actionWorker->run<Plan>(this, task, [this, outcome](Result<Plan> result) {
            m_busyAction = false;
            if (!result) {
                showFailure(result.error().message);
                if (result.error().kind == ErrorKind::Conflict ||
                    result.error().kind == ErrorKind::NotFound)
                    reloadKeepingPlace(); // show what someone else changed
            } else {
                announce(outcome(result.value()));
                if (result.value().id.isEmpty()) {
                    m_selectedId.clear();
                    m_details->clear();
                    m_model->reload();
                } else {
                    m_model->updatePlan(result.value());
                    if (const Plan *current = selectedPlan())
                        m_details->showPlan(*current);
                }
            }
            updateActions();
        });
    });
    box->open();
}

void PlansPage::toggleArchived()
{
    const Plan *selected = selectedPlan();
    if (!m_archiveButton->isEnabled() || !selected || anyDialogOpen())
        return;
    const Plan plan = *selected;
    const bool archive = !plan.isArchived();
    const QString id = plan.id;
    const int version = plan.version;
    if (archive) {
        runPlanAction(
            tr("Archive %1?").arg(plan.name),
            tr("No new subscription can start on an archived plan. Its %1 live subscriptions "
               "keep it and are billed as before. You can unarchive it later.")
                .arg(QLocale().toString(plan.subscriberCount)),
            tr("Archive"), false,
            [id, version](const QString &connection) {
                return PlanService(connection).archive(id, version);
            },
            [](const Plan &archived) {
                return tr("%1 is archived: no new subscription can start on it.")
                    .arg(archived.name);
            });
    } else {
        runPlanAction(
            tr("Unarchive %1?").arg(plan.name),
            tr("New subscriptions can start on the plan again."), tr("Unarchive"), false,
            [id, version](const QString &connection) {
                return PlanService(connection).unarchive(id, version);
            },
            [](const Plan &active) { return tr("%1 is offered again.").arg(active.name); });
    }
}

void PlansPage::deleteSelected()
{
    const Plan *selected = selectedPlan();
    if (!m_deleteButton->isEnabled() || !selected || anyDialogOpen())
        return;
    const Plan plan = *selected;
    const QString id = plan.id;
    runPlanAction(
        tr("Delete %1 for good?").arg(plan.name),
        tr("This cannot be undone. Only a plan nobody ever used can be deleted: one that "
           "subscriptions use or used, or that is in Stripe, is archived instead."),
        tr("Delete"), true,
        [id](const QString &connection) -> Result<Plan> {
            Status removed = PlanService(connection).remove(id);
            if (!removed)
                return removed.error();
            return Plan{}; // no id: gone
        },
        [name = plan.name](const Plan &) { return tr("%1 was deleted.").arg(name); });
}

} // namespace nobill
