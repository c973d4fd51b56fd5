#include "audit/auditlogpage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/liveupdates.h"
#include "common/timetext.h"
#include "database/changefeed.h"

#include "access/auditverifier.h"
#include "audit/auditdiffview.h"
#include "audit/auditlistmodel.h"
#include "audit/auditservice.h"
#include "audit/organizationscopefilter.h"
#include "common/messagebanner.h"
#include "database/databaseworker.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPushButton>
#include <QShortcut>
#include <QSplitter>
#include <QStackedWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
enum TimeRange { AnyTime, LastHour, LastDay, LastWeek, LastMonth, Custom };

QString entityLabel(const QString &entity)
{
    // The table names are what the rows say; the label says what they hold.
    if (entity == QLatin1String("organizations"))
        return AuditLogPage::tr("Tenants (organizations)");
    if (entity == QLatin1String("users"))
        return AuditLogPage::tr("People (users)");
    if (entity == QLatin1String("memberships"))
        return AuditLogPage::tr("Members (memberships)");
    if (entity == QLatin1String("roles"))
        return AuditLogPage::tr("Roles (roles)");
    if (entity == QLatin1String("role_permissions"))
        return AuditLogPage::tr("Role permissions (role_permissions)");
    if (entity == QLatin1String("products"))
        return AuditLogPage::tr("Products (products)");
    if (entity == QLatin1String("plans"))
        return AuditLogPage::tr("Plans (plans)");
    if (entity == QLatin1String("subscriptions"))
        return AuditLogPage::tr("Subscriptions (subscriptions)");
    if (entity == QLatin1String("invoices"))
        return AuditLogPage::tr("Invoices (invoices)");
    if (entity == QLatin1String("usage_records"))
        return AuditLogPage::tr("Usage (usage_records)");
    if (entity == QLatin1String("jobs"))
        return AuditLogPage::tr("Jobs (jobs)");
    return entity;
}

} // namespace

AuditLogPage::AuditLogPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("audit-list")))
    , m_actionWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("audit-actions")))
{
    setObjectName(QStringLiteral("auditLogPage"));
    m_model = new AuditListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);

    auto *filters = new QHBoxLayout;
    m_timeRange = new QComboBox(this);
    m_timeRange->setObjectName(QStringLiteral("auditTimeRange"));
    m_timeRange->setAccessibleName(tr("Time range"));
    m_timeRange->addItem(tr("Any time"), AnyTime);
    m_timeRange->addItem(tr("Last hour"), LastHour);
    m_timeRange->addItem(tr("Last 24 hours"), LastDay);
    m_timeRange->addItem(tr("Last 7 days"), LastWeek);
    m_timeRange->addItem(tr("Last 30 days"), LastMonth);
    m_timeRange->addItem(tr("Between…"), Custom);
    const QDateTime now = QDateTime::currentDateTime();
    m_from = new QDateTimeEdit(now.addDays(-1), this);
    m_from->setObjectName(QStringLiteral("auditFrom"));
    m_from->setAccessibleName(tr("From"));
    m_from->setCalendarPopup(true);
    m_from->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_to = new QDateTimeEdit(now.addSecs(3600), this);
    m_to->setObjectName(QStringLiteral("auditTo"));
    m_to->setAccessibleName(tr("To"));
    m_to->setCalendarPopup(true);
    m_to->setDisplayFormat(QStringLiteral("yyyy-MM-dd HH:mm"));
    m_from->hide();
    m_to->hide();
    m_organization =
        new OrganizationScopeFilter(m_actionWorker.get(), AuditQuery::platformRows(), this);
    m_organization->setObjectName(QStringLiteral("auditOrganization"));
    m_actor = new QLineEdit(this);
    m_actor->setObjectName(QStringLiteral("auditActor"));
    m_actor->setPlaceholderText(tr("Who (login)"));
    m_actor->setToolTip(tr("The login of the person or program, e.g. demo_admin; matched "
                           "exactly."));
    m_actor->setAccessibleName(tr("Who (login)"));
    m_actor->setClearButtonEnabled(true);
    m_entity = new QComboBox(this);
    m_entity->setObjectName(QStringLiteral("auditEntity"));
    m_entity->setAccessibleName(tr("Table"));
    m_entity->addItem(tr("All tables"), QString());
    for (const QString &entity : auditedEntities())
        m_entity->addItem(entityLabel(entity), entity);
    m_action = new QComboBox(this);
    m_action->setObjectName(QStringLiteral("auditAction"));
    m_action->setAccessibleName(tr("Action"));
    m_action->addItem(tr("All actions"), QString());
    for (const char *action : {"insert", "update", "delete", "import"}) {
        const QString key = QString::fromLatin1(action);
        m_action->addItem(AuditListModel::actionText(key), key);
    }
    m_verifyButton = new QPushButton(tr("&Verify chain"), this);
    m_verifyButton->setObjectName(QStringLiteral("verifyChainButton"));
    filters->addWidget(m_timeRange);
    filters->addWidget(m_from);
    filters->addWidget(m_to);
    filters->addWidget(m_organization, 2);
    filters->addWidget(m_actor, 1);
    filters->addWidget(m_entity, 1);
    filters->addWidget(m_action);
    filters->addSpacing(12);
    filters->addWidget(m_verifyButton);
    m_exportButton =
        new ExportButton(QStringLiteral("audit-log.csv"), tr("Export audit log"), this);
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
    m_view->setObjectName(QStringLiteral("auditTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(AuditListModel::Id, Qt::DescendingOrder);
    installJumpToEnd(m_view, m_model);
    // Only the order of the trail can change (newest or oldest first): a click on another
    // column turns the indicator back to where the order really is.
    connect(m_view->horizontalHeader(), &QHeaderView::sortIndicatorChanged, this,
            [this](int column, Qt::SortOrder) {
                if (column == AuditListModel::Id || column == AuditListModel::When)
                    return;
                const QSignalBlocker blocker(m_view->horizontalHeader());
                m_view->horizontalHeader()->setSortIndicator(
                    AuditListModel::Id,
                    m_model->query().oldestFirst ? Qt::AscendingOrder : Qt::DescendingOrder);
            });
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(AuditListModel::Id, 60);
    m_view->setColumnWidth(AuditListModel::When, 145);
    m_view->setColumnWidth(AuditListModel::Actor, 125);
    m_view->setColumnWidth(AuditListModel::Organization, 165);
    m_view->setColumnWidth(AuditListModel::Action, 70);
    m_view->setColumnWidth(AuditListModel::Entity, 105);
    m_view->setColumnWidth(AuditListModel::EntityId, 120);
    m_view->setColumnWidth(AuditListModel::Changed, 170);
    m_view->setAccessibleName(tr("Audit log"));
    m_empty = new QLabel(m_listStack);
    m_empty->setObjectName(QStringLiteral("auditEmpty"));
    m_empty->setAlignment(Qt::AlignCenter);
    m_empty->setWordWrap(true);
    m_listStack->addWidget(m_view);
    m_listStack->addWidget(m_empty);
    m_newRowsSoon = new QTimer(this);
    m_newRowsSoon->setSingleShot(true);
    m_newRowsSoon->setInterval(200);
    connect(m_newRowsSoon, &QTimer::timeout, this, [this]() {
        if (m_model->query().oldestFirst)
            m_model->loadNewRowsAtEnd();
        else
            m_model->loadNewRowsAtHead();
    });
    keepScrollPositionOnNewRows(m_view, m_model);
    listLayout->addWidget(m_listStack, 1);
    auto *countRow = new QHBoxLayout;
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("auditCount"));
    m_verifyResult = new QLabel(listBox);
    m_verifyResult->setObjectName(QStringLiteral("verifyResult"));
    m_verifyResult->setTextInteractionFlags(Qt::TextSelectableByMouse);
    countRow->addWidget(m_count, 1);
    countRow->addWidget(m_verifyResult);
    listLayout->addLayout(countRow);

    auto *detailBox = new QWidget(splitter);
    auto *detailLayout = new QVBoxLayout(detailBox);
    detailLayout->setContentsMargins(0, 6, 0, 0);
    auto *detailHeader = new QHBoxLayout;
    m_detailTitle = new QLabel(detailBox);
    m_detailTitle->setObjectName(QStringLiteral("auditDetailTitle"));
    QFont titleFont = m_detailTitle->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.1);
    m_detailTitle->setFont(titleFont);
    m_detailTitle->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_onlyChanged = new QCheckBox(tr("Only &changed fields"), detailBox);
    m_onlyChanged->setObjectName(QStringLiteral("onlyChangedFields"));
    m_onlyChanged->setChecked(true);
    detailHeader->addWidget(m_detailTitle, 1);
    detailHeader->addWidget(m_onlyChanged);
    m_detailMeta = new QLabel(detailBox);
    m_detailMeta->setObjectName(QStringLiteral("auditDetailMeta"));
    m_detailMeta->setWordWrap(true);
    m_detailMeta->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_diff = new AuditDiffView(detailBox);
    detailLayout->addLayout(detailHeader);
    detailLayout->addWidget(m_detailMeta);
    detailLayout->addWidget(m_diff, 1);
    splitter->addWidget(listBox);
    splitter->addWidget(detailBox);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({420, 300});
    layout->addWidget(splitter, 1);
    clearDetail();

    m_actorDebounce = new QTimer(this);
    m_actorDebounce->setSingleShot(true);
    m_actorDebounce->setInterval(250);
    m_rangeDebounce = new QTimer(this);
    m_rangeDebounce->setSingleShot(true);
    m_rangeDebounce->setInterval(400);
    connect(m_actor, &QLineEdit::textChanged, m_actorDebounce, qOverload<>(&QTimer::start));
    connect(m_actorDebounce, &QTimer::timeout, this,
            [this]() { m_model->setActorFilter(m_actor->text()); });
    connect(m_timeRange, &QComboBox::currentIndexChanged, this, &AuditLogPage::timeRangeChanged);
    connect(m_from, &QDateTimeEdit::dateTimeChanged, m_rangeDebounce, qOverload<>(&QTimer::start));
    connect(m_to, &QDateTimeEdit::dateTimeChanged, m_rangeDebounce, qOverload<>(&QTimer::start));
    connect(m_rangeDebounce, &QTimer::timeout, this, &AuditLogPage::applyTimeRange);
    connect(m_organization, &OrganizationScopeFilter::keyChanged, m_model,
            &AuditListModel::setOrganizationFilter);
    connect(m_entity, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setEntityFilter(m_entity->currentData().toString()); });
    connect(m_action, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setActionFilter(m_action->currentData().toString()); });
    connect(m_onlyChanged, &QCheckBox::toggled, m_diff, &AuditDiffView::setOnlyChanged);
    connect(m_verifyButton, &QPushButton::clicked, this, &AuditLogPage::verifyChain);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &AuditLogPage::selectionChanged);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        updateCount();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &AuditLogPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &AuditLogPage::updateCount);
    connect(m_model, &QAbstractItemModel::modelReset, this, [this]() {
        if (m_model->rowCount() == 0)
            clearDetail();
    });
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_bannerAction = BannerAction::Retry;
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The audit log could not be loaded. %1").arg(message),
                              tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        const BannerAction action = m_bannerAction;
        m_bannerAction = BannerAction::None;
        m_banner->clear();
        if (action == BannerAction::ShowBrokenRow && m_brokenId > 0) {
            showRow(m_brokenId);
        } else if (action == BannerAction::ShowNewest) {
            m_selectedId = 0;
            m_model->setQuery(AuditQuery{});
        } else {
            m_model->reload();
        }
    });
    auto *focusFilter = new QShortcut(QKeySequence::Find, this);
    connect(focusFilter, &QShortcut::activated, m_actor, [this]() {
        m_actor->setFocus();
        m_actor->selectAll();
    });
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);
    updateVerifyButton();
}

AuditLogPage::~AuditLogPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page.
    delete m_view;
    delete m_model;
}

void AuditLogPage::setChangeFeed(ChangeFeed *feed)
{
    connect(feed, &ChangeFeed::changed, this,
            [this](const QString &table, const QString &operation, const QString &) {
                onChange(table, operation);
            });
}

void AuditLogPage::onChange(const QString &table, const QString &operation)
{
    Q_UNUSED(operation)
    // Audit rows are written by the triggers of the audited tables, and every audited table
    // is on the change feed (migration 8): a change there is a new audit row. The rows are
    // only ever added, so looking for new ones is all there is to do.
    if (!m_activated || !auditedEntities().contains(table))
        return;
    m_newRowsSoon->start();
}

void AuditLogPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_organization->reload();
    m_model->reload();
}

bool AuditLogPage::isBusy() const
{
    return m_model->isLoading() || m_detailLoading || m_verifying || m_organization->isLoading();
}

void AuditLogPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_organization->setShowPlatform(access.platformAdmin);
    updateVerifyButton();
}

QString AuditLogPage::verifyResultText() const
{
    return m_verifyResult->text();
}

void AuditLogPage::updateVerifyButton()
{
    const bool allowed = !m_accessKnown || m_access.platformAdmin;
    m_verifyButton->setEnabled(allowed && !m_verifying);
    m_verifyButton->setToolTip(
        allowed ? tr("Check that no audit row was changed, removed or reordered since it was "
                     "written (the rows' hash chain).")
                : tr("Only platform administrators can verify the audit trail."));
}

void AuditLogPage::timeRangeChanged()
{
    const bool custom = m_timeRange->currentData().toInt() == Custom;
    m_from->setVisible(custom);
    m_to->setVisible(custom);
    applyTimeRange();
}

void AuditLogPage::applyTimeRange()
{
    const QDateTime now = QDateTime::currentDateTime();
    switch (m_timeRange->currentData().toInt()) {
    case LastHour:
        m_model->setTimeRange(now.addSecs(-3600), {});
        break;
    case LastDay:
        m_model->setTimeRange(now.addDays(-1), {});
        break;
    case LastWeek:
        m_model->setTimeRange(now.addDays(-7), {});
        break;
    case LastMonth:
        m_model->setTimeRange(now.addDays(-30), {});
        break;
    case Custom:
        m_model->setTimeRange(m_from->dateTime(), m_to->dateTime());
        break;
    default:
        m_model->setTimeRange({}, {});
        break;
    }
}

void AuditLogPage::resetFilterWidgets()
{
    const QSignalBlocker b1(m_timeRange);
    const QSignalBlocker b2(m_organization);
    const QSignalBlocker b3(m_actor);
    const QSignalBlocker b4(m_entity);
    const QSignalBlocker b5(m_action);
    m_actorDebounce->stop();
    m_rangeDebounce->stop();
    m_timeRange->setCurrentIndex(0);
    m_from->hide();
    m_to->hide();
    m_organization->setCurrentIndex(0);
    m_actor->clear();
    m_entity->setCurrentIndex(0);
    m_action->setCurrentIndex(0);
}

void AuditLogPage::showRow(qint64 id)
{
    resetFilterWidgets();
    m_selectedId = id;
    m_view->clearSelection();
    m_model->jumpToId(id);
    m_bannerAction = BannerAction::ShowNewest;
    m_banner->showMessage(MessageBanner::Kind::Information,
                          tr("Showing the audit log from row %1 back.").arg(QLocale().toString(id)),
                          tr("Show newest"));
}

void AuditLogPage::selectionChanged()
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty()) {
        if (!m_model->isLoading())
            clearDetail();
        return;
    }
    const AuditEntry &entry = m_model->entryAt(rows.first().row());
    m_selectedId = entry.id;
    loadDetail(entry.id);
}

void AuditLogPage::restoreSelection()
{
    if (!m_view->selectionModel()->selectedRows().isEmpty())
        return;
    if (m_model->rowCount() == 0)
        return;
    int row = m_selectedId > 0 ? m_model->rowOfId(QString::number(m_selectedId)) : -1;
    if (row < 0 && m_model->hasMore() && m_selectedId > 0 &&
        m_model->query().startAtId == m_selectedId)
        return; // the jumped-to row is not there: filtered out or not visible
    if (row < 0)
        row = 0;
    m_view->selectRow(row);
    m_view->scrollTo(m_model->index(row, 0));
}

void AuditLogPage::loadDetail(qint64 id)
{
    const quint64 request = ++m_detailRequest;
    m_detailLoading = true;
    m_actionWorker->run<AuditEntry>(
        this, [id](const QString &connection) { return AuditService(connection).get(id); },
        [this, request](Result<AuditEntry> result) {
            if (request != m_detailRequest)
                return;
            m_detailLoading = false;
            if (!result) {
                clearDetail();
                m_detailMeta->setText(result.error().message);
                return;
            }
            showDetail(result.value());
        });
}

void AuditLogPage::showDetail(const AuditEntry &e)
{
    const QString what = AuditListModel::actionText(e.action);
    m_detailTitle->setText(
        e.entityId.isEmpty()
            ? tr("Row %1: %2 in %3").arg(QLocale().toString(e.id), what, e.entity)
            : tr("Row %1: %2 %3 %4").arg(QLocale().toString(e.id), what, e.entity, e.entityId));
    const QString who =
        e.actorName.isEmpty() ? e.login : tr("%1 (login %2)").arg(e.actorName, e.login);
    const QString organization =
        e.organizationId.isEmpty()
            ? tr("the platform")
            : (e.organizationName.isEmpty() ? e.organizationId : e.organizationName);
    m_detailMeta->setText(tr("%1 · by %2 · %3 · from %4")
                              .arg(timeText(e.occurredAt, TimePrecision::Seconds), who,
                                   organization, AuditListModel::sourceText(e.source)));
    const bool update = e.action == QLatin1String("update");
    m_onlyChanged->setVisible(update);
    m_diff->showEntry(e);
}

void AuditLogPage::clearDetail()
{
    ++m_detailRequest;
    m_detailLoading = false;
    m_detailTitle->setText(tr("No entry selected"));
    m_detailMeta->setText(tr("Select a row to see what changed: each field before and after."));
    m_onlyChanged->setVisible(false);
    m_diff->clearEntry();
}

void AuditLogPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    const bool filtered = m_model->query().isFiltered();
    if (total == 0 && !m_model->isLoading()) {
        m_empty->setText(filtered ? tr("No audit entry matches these filters.")
                                  : tr("No audit entries you may see yet. Every change to "
                                       "tenants, people, roles, plans, subscriptions, "
                                       "invoices and jobs is recorded here."));
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
        m_count->setText(tr("%1 entries, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n entry(ies)", nullptr, total));
}

void AuditLogPage::verifyChain()
{
    if (m_verifying || !m_verifyButton->isEnabled())
        return;
    m_verifying = true;
    updateVerifyButton();
    m_verifyResult->setStyleSheet(QString());
    m_verifyResult->setText(tr("Verifying the audit chain…"));
    m_actionWorker->run<AuditVerification>(
        this, [](const QString &connection) { return verifyAuditTrail(connection); },
        [this](Result<AuditVerification> result) {
            m_verifying = false;
            updateVerifyButton();
            if (!result) {
                m_verifyResult->setText(tr("Not verified"));
                m_bannerAction = BannerAction::None;
                m_banner->showMessage(
                    MessageBanner::Kind::Error,
                    tr("The audit chain could not be verified. %1").arg(result.error().message));
                return;
            }
            const AuditVerification &v = result.value();
            const QLocale locale;
            if (v.intact) {
                m_brokenId = 0;
                m_verifyResult->setStyleSheet(QStringLiteral("color: #2e7d32;"));
                m_verifyResult->setText(
                    tr("✔ Chain intact (%1 rows)").arg(locale.toString(v.rowsChecked)));
                emit statusMessage(tr("The audit chain is intact: %1 rows checked.")
                                       .arg(locale.toString(v.rowsChecked)));
                return;
            }
            m_brokenId = v.firstBrokenId;
            m_verifyResult->setStyleSheet(QStringLiteral("color: #c0392b;"));
            m_verifyResult->setText(
                tr("✘ Chain broken at row %1").arg(locale.toString(v.firstBrokenId)));
            m_bannerAction = BannerAction::ShowBrokenRow;
            m_banner->showMessage(
                MessageBanner::Kind::Error,
                tr("The audit trail was tampered with: at row %1, %2. %3 rows were checked. "
                   "Keep this database as it is and tell whoever administers it.")
                    .arg(locale.toString(v.firstBrokenId), v.problem,
                         locale.toString(v.rowsChecked)),
                tr("Show row %1").arg(locale.toString(v.firstBrokenId)));
        });
}

} // namespace nobill
