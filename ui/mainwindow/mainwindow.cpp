#include "mainwindow/mainwindow.h"

#include "audit/auditlogpage.h"
#include "common/appicon.h"
#include "common/messagebanner.h"
#include "common/notavailablepage.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "database/serverinfo.h"
#include "invoices/invoicespage.h"
#include "jobs/jobspage.h"
#include "mainwindow/shortcutsdialog.h"
#include "members/memberspage.h"
#include "overview/overviewpage.h"
#include "plans/planspage.h"
#include "roles/rolespage.h"
#include "search/searchdialog.h"
#include "settings/officeworkercontrol.h"
#include "settings/settingsdialog.h"
#include "subscriptions/subscriptionspage.h"
#include "tenants/tenantspage.h"
#include "usage/usagepage.h"
#include "webhookevents/webhookeventspage.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QHeaderView>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSettings>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTableView>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace nobill {

MainWindow::MainWindow(const ConnectionSettings &settings, const Options &options, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_options(options)
    , m_healthWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("health")))
    , m_searchWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("search")))
{
    setObjectName(QStringLiteral("mainWindow"));
    setWindowTitle(options.demo ? tr("NOBill Console — demo database") : tr("NOBill Console"));
    setWindowIcon(applicationIcon());
    resize(1280, 800);

    // One listening connection per window; pages that list live data connect to it.
    m_changeFeed = new ChangeFeed(settings, this);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    m_banner = new MessageBanner(central);
    layout->addWidget(m_banner);
    auto *splitter = new QSplitter(Qt::Horizontal, central);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    m_splitter = splitter;
    m_navigation = new QListWidget(splitter);
    m_navigation->setObjectName(QStringLiteral("navigation"));
    m_navigation->setAccessibleName(tr("Areas"));
    m_navigation->setMinimumWidth(140);
    m_navigation->setSpacing(1);
    QFont navFont = m_navigation->font();
    navFont.setPointSizeF(navFont.pointSizeF() * 1.1);
    m_navigation->setFont(navFont);
    m_stack = new QStackedWidget(splitter);
    for (Area area : allAreas()) {
        auto *item = new QListWidgetItem(areaTitle(area), m_navigation);
        item->setData(Qt::UserRole, int(area));
        item->setToolTip(areaPurpose(area));
        Page *page = createPage(area);
        if (!page->isAvailable())
            item->setForeground(QPalette().brush(QPalette::Disabled, QPalette::Text));
        m_pages.insert(area, page);
        m_stack->addWidget(page);
    }
    splitter->addWidget(m_navigation);
    splitter->addWidget(m_stack);
    splitter->setStretchFactor(1, 1);
    splitter->setCollapsible(1, false);
    splitter->setSizes({170, 1110});
    layout->addWidget(splitter, 1);
    setCentralWidget(central);

    connect(m_navigation, &QListWidget::currentRowChanged, this, [this](int row) {
        if (row < 0)
            return;
        const Area area = Area(m_navigation->item(row)->data(Qt::UserRole).toInt());
        Page *page = m_pages.value(area);
        if (!page)
            return;
        m_stack->setCurrentWidget(page);
        page->activate();
    });

    if (!options.readOnlyReason.isEmpty()) {
        m_banner->showMessage(MessageBanner::Kind::Warning,
                              tr("Read-only: %1").arg(options.readOnlyReason));
        if (auto *tenants = qobject_cast<TenantsPage *>(m_pages.value(Area::Tenants)))
            tenants->setReadOnly(true, options.readOnlyReason);
        if (auto *members = qobject_cast<MembersPage *>(m_pages.value(Area::Members)))
            members->setReadOnly(true, options.readOnlyReason);
        if (auto *roles = qobject_cast<RolesPage *>(m_pages.value(Area::Roles)))
            roles->setReadOnly(true, options.readOnlyReason);
    }

    if (options.access) {
        if (auto *tenants = qobject_cast<TenantsPage *>(m_pages.value(Area::Tenants)))
            tenants->setAccess(*options.access);
    }

    m_connectionLabel = new QLabel(connectionText(), this);
    m_connectionLabel->setObjectName(QStringLiteral("connectionLabel"));
    m_connectionLabel->setAccessibleName(tr("Connection"));
    m_healthLabel = new QLabel(tr("Checking connection…"), this);
    m_healthLabel->setObjectName(QStringLiteral("healthLabel"));
    m_healthLabel->setAccessibleName(tr("Connection health"));
    statusBar()->addPermanentWidget(m_connectionLabel);
    statusBar()->addPermanentWidget(m_healthLabel);
    connect(m_healthWorker.get(), &DatabaseWorker::connectionStateChanged, this,
            [this](bool connected, const QString &message) {
                if (!connected && !message.isEmpty())
                    m_healthLabel->setToolTip(message);
            });
    m_healthTimer = new QTimer(this);
    m_healthTimer->setInterval(15000);
    connect(m_healthTimer, &QTimer::timeout, this, &MainWindow::checkHealth);
    m_healthTimer->start();
    checkHealth();

    buildMenus();
    m_navigation->setCurrentRow(int(allAreas().indexOf(Area::Tenants)));
    restoreLayout();
}

MainWindow::~MainWindow()
{
    // Pages own database workers; end them before the health worker and the window.
    qDeleteAll(m_pages);
    m_pages.clear();
}

Page *MainWindow::createPage(Area area)
{
    const auto announce = [this](const QString &message) {
        statusBar()->showMessage(message, 8000);
    };
    const std::optional<SessionAccess> access = m_options.access;
    if (area == Area::Overview)
        return new OverviewPage(m_settings, this);
    if (area == Area::Tenants) {
        auto *page = new TenantsPage(m_settings, this);
        connect(page, &TenantsPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        return page;
    }
    if (area == Area::Members) {
        auto *page = new MembersPage(m_settings, this);
        connect(page, &MembersPage::statusMessage, this, announce);
        // What the operator may do depends on the organization shown.
        connect(page, &MembersPage::organizationChanged, page,
                [page, access](const QString &organizationId) {
                    page->setAllowedActions(
                        !access || access->can(organizationId, QStringLiteral("members.manage")));
                });
        return page;
    }
    if (area == Area::Roles) {
        auto *page = new RolesPage(m_settings, this);
        connect(page, &RolesPage::statusMessage, this, announce);
        connect(page, &RolesPage::organizationChanged, page,
                [page, access](const QString &organizationId) {
                    page->setCanManageRoles(
                        !access || access->can(organizationId, QStringLiteral("roles.manage")));
                });
        return page;
    }
    if (area == Area::Usage) {
        auto *page = new UsagePage(m_settings, this);
        connect(page, &UsagePage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (!m_options.readOnlyReason.isEmpty())
            page->setReadOnly(true, m_options.readOnlyReason);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::AuditLog) {
        auto *page = new AuditLogPage(m_settings, this);
        connect(page, &AuditLogPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::WebhookEvents) {
        auto *page = new WebhookEventsPage(m_settings, this);
        page->setChangeFeed(m_changeFeed);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::Jobs) {
        auto *page = new JobsPage(m_settings, this);
        connect(page, &JobsPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (!m_options.readOnlyReason.isEmpty())
            page->setReadOnly(true, m_options.readOnlyReason);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::Subscriptions) {
        auto *page = new SubscriptionsPage(m_settings, this);
        connect(page, &SubscriptionsPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (!m_options.readOnlyReason.isEmpty())
            page->setReadOnly(true, m_options.readOnlyReason);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::Invoices) {
        auto *page = new InvoicesPage(m_settings, this);
        connect(page, &InvoicesPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (access)
            page->setAccess(*access);
        return page;
    }
    if (area == Area::Plans) {
        auto *page = new PlansPage(m_settings, this);
        connect(page, &PlansPage::statusMessage, this, announce);
        page->setChangeFeed(m_changeFeed);
        if (!m_options.readOnlyReason.isEmpty())
            page->setReadOnly(true, m_options.readOnlyReason);
        if (access)
            page->setAccess(*access);
        return page;
    }
    return new NotAvailablePage(areaTitle(area), areaPurpose(area), this);
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QAction *change = file->addAction(tr("Sign in &again or elsewhere…"));
    connect(change, &QAction::triggered, this, &MainWindow::changeConnectionRequested);
    QAction *password = file->addAction(tr("Change my &password…"));
    password->setEnabled(m_options.access && !m_options.access->userId.isEmpty());
    connect(password, &QAction::triggered, this, &MainWindow::changePasswordRequested);
    // The office worker runs while this window is open, when Settings asks for it.
    m_officeWorker = new OfficeWorkerControl(this);
    m_officeWorker->startFromSettings();
    QAction *settings = file->addAction(tr("&Settings…"));
    settings->setMenuRole(QAction::PreferencesRole);
    connect(settings, &QAction::triggered, this, [this]() {
        if (auto *open = findChild<SettingsDialog *>()) {
            open->raise();
            return;
        }
        auto *dialog = new SettingsDialog(m_officeWorker, this);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
    });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"));
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    QMenu *go = menuBar()->addMenu(tr("&Go"));
    const QList<Area> areas = allAreas();
    for (int i = 0; i < areas.size(); ++i) {
        QAction *action = go->addAction(areaTitle(areas.at(i)));
        if (i < 9)
            action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(Qt::Key_1 + i)));
        const Area area = areas.at(i);
        connect(action, &QAction::triggered, this, [this, area]() { selectArea(area); });
    }

    // Beyond Ctrl+1..9, and in order: the way tabs are switched everywhere else.
    go->addSeparator();
    QAction *next = go->addAction(tr("&Next area"));
    next->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageDown));
    connect(next, &QAction::triggered, this, [this]() {
        m_navigation->setCurrentRow((m_navigation->currentRow() + 1) % m_navigation->count());
    });
    QAction *previous = go->addAction(tr("&Previous area"));
    previous->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_PageUp));
    connect(previous, &QAction::triggered, this, [this]() {
        const int count = m_navigation->count();
        m_navigation->setCurrentRow((m_navigation->currentRow() + count - 1) % count);
    });
    QAction *areaList = go->addAction(tr("Area &list"));
    areaList->setShortcut(QKeySequence(Qt::ALT | Qt::Key_L));
    connect(areaList, &QAction::triggered, m_navigation, [this]() { m_navigation->setFocus(); });

    go->addSeparator();
    QAction *search = go->addAction(tr("&Search…"));
    search->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    connect(search, &QAction::triggered, this, &MainWindow::openSearch);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *keys = help->addAction(tr("&Keyboard shortcuts"));
    keys->setShortcuts({QKeySequence(Qt::Key_F1), QKeySequence(Qt::CTRL | Qt::Key_Slash)});
    connect(keys, &QAction::triggered, this, &MainWindow::showShortcuts);
    QAction *about = help->addAction(tr("&About NOBill Console"));
    connect(about, &QAction::triggered, this, [this]() {
        auto *box = new QMessageBox(QMessageBox::NoIcon, tr("About NOBill Console"), aboutText(),
                                    QMessageBox::Close, this);
        box->setObjectName(QStringLiteral("aboutBox"));
        box->setIconPixmap(windowIcon().pixmap(64, 64));
        box->setTextFormat(Qt::RichText);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->open();
    });
}

ShortcutsDialog *MainWindow::showShortcuts()
{
    if (auto *open = findChild<ShortcutsDialog *>())
        return open;
    auto *dialog = new ShortcutsDialog(menuBar(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
    return dialog;
}

QString MainWindow::aboutText() const
{
    const QString server = m_serverVersion.isEmpty() ? tr("not known yet") : m_serverVersion;
    const QString schema =
        m_schemaVersion > 0 ? QString::number(m_schemaVersion) : tr("not known yet");
    return tr("<b>NOBill Console</b> %1<br>Qt %2 (built with %3)<br>PostgreSQL server %4<br>"
              "Database schema version %5<br>Signed in as %6 on %7:%8, database %9")
        .arg(QStringLiteral(NOBILL_VERSION), QString::fromLatin1(qVersion()),
             QStringLiteral(QT_VERSION_STR), server.toHtmlEscaped(), schema,
             m_settings.user.toHtmlEscaped(), m_settings.host.toHtmlEscaped())
        .arg(m_settings.port)
        .arg(m_settings.database.toHtmlEscaped());
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    saveLayout();
    QMainWindow::closeEvent(event);
}

namespace {
// Tables (and trees with columns) of a page whose column layout is worth keeping.
QList<QHeaderView *> columnHeaders(const QWidget *page)
{
    QList<QHeaderView *> headers;
    for (QTableView *table : page->findChildren<QTableView *>()) {
        if (!table->objectName().isEmpty())
            headers << table->horizontalHeader();
    }
    for (QTreeView *tree : page->findChildren<QTreeView *>()) {
        if (!tree->objectName().isEmpty() && !tree->isHeaderHidden())
            headers << tree->header();
    }
    return headers;
}

QString headerKey(Area area, const QHeaderView *header)
{
    return QStringLiteral("layout/%1/%2").arg(areaKey(area), header->parent()->objectName());
}
} // namespace

void MainWindow::restoreLayout()
{
    QSettings store;
    restoreGeometry(store.value(QStringLiteral("layout/window")).toByteArray());
    m_splitter->restoreState(store.value(QStringLiteral("layout/splitter")).toByteArray());
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        for (QHeaderView *header : columnHeaders(it.value())) {
            const QByteArray state = store.value(headerKey(it.key(), header)).toByteArray();
            // A layout saved for another number of columns (an older version) is not applied.
            if (state.isEmpty() ||
                store.value(headerKey(it.key(), header) + QStringLiteral("-columns")).toInt() !=
                    header->count())
                continue;
            // Widths, order and hidden columns come back; the order of the rows stays the
            // page's own, which knows what the database can sort by.
            const int sortColumn = header->sortIndicatorSection();
            const Qt::SortOrder sortOrder = header->sortIndicatorOrder();
            header->restoreState(state);
            header->setSortIndicator(sortColumn, sortOrder);
        }
    }
}

void MainWindow::saveLayout() const
{
    QSettings store;
    store.setValue(QStringLiteral("layout/window"), saveGeometry());
    store.setValue(QStringLiteral("layout/splitter"), m_splitter->saveState());
    for (auto it = m_pages.cbegin(); it != m_pages.cend(); ++it) {
        for (const QHeaderView *header : columnHeaders(it.value())) {
            if (header->count() == 0)
                continue;
            store.setValue(headerKey(it.key(), header), header->saveState());
            store.setValue(headerKey(it.key(), header) + QStringLiteral("-columns"),
                           header->count());
        }
    }
}

SearchDialog *MainWindow::openSearch()
{
    if (auto *open = findChild<SearchDialog *>())
        return open;
    auto *dialog = new SearchDialog(m_searchWorker.get(), this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &SearchDialog::hitChosen, this, &MainWindow::openSearchHit);
    dialog->open();
    return dialog;
}

void MainWindow::openSearchHit(const SearchHit &hit)
{
    switch (hit.kind) {
    case SearchHit::Kind::Tenant:
        selectArea(Area::Tenants);
        if (auto *tenants = qobject_cast<TenantsPage *>(page(Area::Tenants)))
            tenants->showTenant(hit.id, hit.title);
        break;
    case SearchHit::Kind::User:
        selectArea(Area::Members);
        if (auto *members = qobject_cast<MembersPage *>(page(Area::Members));
            members && !hit.organizationId.isEmpty())
            members->setCurrentOrganization(hit.organizationId);
        statusBar()->showMessage(tr("%1 (%2)").arg(hit.title, hit.detail), 8000);
        break;
    case SearchHit::Kind::Subscription:
        selectArea(Area::Subscriptions);
        if (auto *subscriptions = qobject_cast<SubscriptionsPage *>(page(Area::Subscriptions)))
            subscriptions->showSubscription(hit.id);
        statusBar()->showMessage(tr("Subscription %1").arg(hit.title), 8000);
        break;
    }
}

void MainWindow::selectArea(Area area)
{
    m_navigation->setCurrentRow(int(allAreas().indexOf(area)));
}

Area MainWindow::currentArea() const
{
    const QListWidgetItem *item = m_navigation->currentItem();
    return item ? Area(item->data(Qt::UserRole).toInt()) : Area::Overview;
}

Page *MainWindow::page(Area area) const
{
    return m_pages.value(area);
}

QString MainWindow::connectionText() const
{
    QString who = m_settings.user;
    if (m_options.access && !m_options.access->displayName.isEmpty()) {
        who = m_options.access->platformAdmin
                  ? tr("%1 (%2, platform administrator)")
                        .arg(m_options.access->displayName, m_settings.user)
                  : tr("%1 (%2)").arg(m_options.access->displayName, m_settings.user);
    }
    return tr("Signed in as %1 on %2:%3, database %4")
        .arg(who, m_settings.host)
        .arg(m_settings.port)
        .arg(m_settings.database);
}

QString MainWindow::healthText() const
{
    return m_healthLabel->text();
}

bool MainWindow::onDarkPalette() const
{
    // The system's palette decides (a dark desktop theme): the status colours follow it so
    // they stay readable on either.
    return palette().color(QPalette::Window).lightness() < 128;
}

void MainWindow::checkHealth()
{
    if (m_healthPending)
        return;
    m_healthPending = true;
    m_healthWorker->run<ServerInfo>(
        this, [](const QString &connection) { return inspectServer(connection); },
        [this](Result<ServerInfo> info) {
            m_healthPending = false;
            if (info) {
                m_serverVersion = info.value().serverVersion;
                m_schemaVersion = info.value().schema.databaseVersion;
            }
            if (!info) {
                m_healthLabel->setText(tr("● Not connected"));
                m_healthLabel->setStyleSheet(QStringLiteral("color: %1;")
                                                 .arg(onDarkPalette() ? QStringLiteral("#ef5350")
                                                                      : QStringLiteral("#c0392b")));
                m_healthLabel->setToolTip(info.error().message);
                return;
            }
            m_healthLabel->setText(tr("● Connected (PostgreSQL %1, schema %2)")
                                       .arg(info.value().serverVersion)
                                       .arg(info.value().schema.databaseVersion));
            m_healthLabel->setStyleSheet(
                QStringLiteral("color: %1;")
                    .arg(onDarkPalette() ? QStringLiteral("#66bb6a") : QStringLiteral("#2e7d32")));
            m_healthLabel->setToolTip(tr("Signed in as %1").arg(info.value().login));
        });
}

} // namespace nobill
