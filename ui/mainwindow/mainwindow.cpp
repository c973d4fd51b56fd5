#include "mainwindow/mainwindow.h"

#include "audit/auditlogpage.h"
#include "common/messagebanner.h"
#include "common/notavailablepage.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "database/serverinfo.h"
#include "invoices/invoicespage.h"
#include "jobs/jobspage.h"
#include "members/memberspage.h"
#include "overview/overviewpage.h"
#include "plans/planspage.h"
#include "roles/rolespage.h"
#include "search/searchdialog.h"
#include "subscriptions/subscriptionspage.h"
#include "tenants/tenantspage.h"
#include "usage/usagepage.h"
#include "webhookevents/webhookeventspage.h"

#include <QAction>
#include <QApplication>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>
#include <QTimer>
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
    resize(1280, 800);

    // One listening connection per window; pages that list live data connect to it.
    m_changeFeed = new ChangeFeed(settings, this);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->setContentsMargins(0, 0, 0, 0);
    m_banner = new MessageBanner(central);
    layout->addWidget(m_banner);
    auto *splitter = new QSplitter(Qt::Horizontal, central);
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
    m_healthLabel = new QLabel(tr("Checking connection…"), this);
    m_healthLabel->setObjectName(QStringLiteral("healthLabel"));
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

    go->addSeparator();
    QAction *search = go->addAction(tr("&Search…"));
    search->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_K));
    connect(search, &QAction::triggered, this, &MainWindow::openSearch);

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    QAction *about = help->addAction(tr("&About NOBill Console"));
    connect(about, &QAction::triggered, this, [this]() {
        QMessageBox::about(this, tr("About NOBill Console"),
                           tr("<b>NOBill Console</b> %1<br>Built with Qt %2, running on Qt %3.")
                               .arg(QStringLiteral(NOBILL_VERSION), QStringLiteral(QT_VERSION_STR),
                                    QString::fromLatin1(qVersion())));
    });
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

void MainWindow::checkHealth()
{
    if (m_healthPending)
        return;
    m_healthPending = true;
    m_healthWorker->run<ServerInfo>(
        this, [](const QString &connection) { return inspectServer(connection); },
        [this](Result<ServerInfo> info) {
            m_healthPending = false;
            if (!info) {
                m_healthLabel->setText(tr("● Not connected"));
                m_healthLabel->setStyleSheet(QStringLiteral("color: #c0392b;"));
                m_healthLabel->setToolTip(info.error().message);
                return;
            }
            m_healthLabel->setText(tr("● Connected (PostgreSQL %1, schema %2)")
                                       .arg(info.value().serverVersion)
                                       .arg(info.value().schema.databaseVersion));
            m_healthLabel->setStyleSheet(QStringLiteral("color: #2e7d32;"));
            m_healthLabel->setToolTip(tr("Signed in as %1").arg(info.value().login));
        });
}

} // namespace nobill
