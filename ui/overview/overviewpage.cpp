#include "overview/overviewpage.h"

#include "common/messagebanner.h"
#include "core/money.h"
#include "database/databaseworker.h"
#include "overview/overviewscopepicker.h"
#include "overview/overviewservice.h"

#include <QChart>
#include <QChartView>
#include <QDateTimeAxis>
#include <QFrame>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineSeries>
#include <QLocale>
#include <QPushButton>
#include <QScrollArea>
#include <QStackedWidget>
#include <QTimeZone>
#include <QTreeWidget>
#include <QVBoxLayout>
#include <QValueAxis>

namespace nobill {

namespace {

QString statusTitle(const QString &status)
{
    if (status == QLatin1String("active"))
        return OverviewPage::tr("Active");
    if (status == QLatin1String("past_due"))
        return OverviewPage::tr("Past due");
    if (status == QLatin1String("trialing"))
        return OverviewPage::tr("Trialing");
    if (status == QLatin1String("unpaid"))
        return OverviewPage::tr("Unpaid");
    if (status == QLatin1String("paused"))
        return OverviewPage::tr("Paused");
    if (status == QLatin1String("incomplete"))
        return OverviewPage::tr("Incomplete");
    if (status == QLatin1String("incomplete_expired"))
        return OverviewPage::tr("Incomplete, expired");
    if (status == QLatin1String("canceled"))
        return OverviewPage::tr("Canceled");
    return status;
}

// A titled box with a short note at the bottom saying how its figure is computed, and the
// full definition as its tooltip.
struct Card
{
    QFrame *frame;
    QVBoxLayout *body;
    QLabel *note;
};

// expand: the body takes the card's spare height (a chart, a list); otherwise the note
// stays at the bottom and the figures at the top.
Card makeCard(const QString &title, const char *name, const QString &definition, QWidget *parent,
              bool expand = false)
{
    auto *frame = new QFrame(parent);
    frame->setObjectName(QLatin1String(name));
    frame->setFrameShape(QFrame::StyledPanel);
    frame->setToolTip(definition);
    auto *layout = new QVBoxLayout(frame);
    layout->setContentsMargins(14, 10, 14, 10);
    layout->setSpacing(6);
    auto *heading = new QLabel(title, frame);
    QFont font = heading->font();
    font.setBold(true);
    font.setPointSizeF(font.pointSizeF() * 1.1);
    heading->setFont(font);
    layout->addWidget(heading);
    auto *body = new QVBoxLayout;
    body->setSpacing(4);
    layout->addLayout(body, expand ? 1 : 0);
    if (!expand)
        layout->addStretch(1);
    auto *note = new QLabel(frame);
    note->setObjectName(QLatin1String(name) + QStringLiteral("Note"));
    note->setWordWrap(true);
    note->setForegroundRole(QPalette::PlaceholderText);
    QFont small = note->font();
    small.setPointSizeF(small.pointSizeF() * 0.9);
    note->setFont(small);
    layout->addWidget(note);
    return {frame, body, note};
}

void clearGrid(QGridLayout *grid)
{
    while (QLayoutItem *item = grid->takeAt(0)) {
        delete item->widget();
        delete item;
    }
}

QLabel *cell(const QString &text, QWidget *parent, Qt::Alignment alignment = Qt::AlignLeft,
             double scale = 1.0, bool bold = false)
{
    auto *label = new QLabel(text, parent);
    label->setAlignment(alignment | Qt::AlignVCenter);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    if (scale != 1.0 || bold) {
        QFont font = label->font();
        font.setPointSizeF(font.pointSizeF() * scale);
        font.setBold(bold);
        label->setFont(font);
    }
    return label;
}

// Rows of "EUR   4,241.00 EUR" in a grid: money right-aligned so the decimals line up.
void fillAmounts(QGridLayout *grid, const QList<CurrencyAmount> &amounts, const QString &empty,
                 QWidget *parent, double scale)
{
    clearGrid(grid);
    if (amounts.isEmpty()) {
        grid->addWidget(cell(empty, parent), 0, 0, 1, 2);
        return;
    }
    const QLocale locale;
    int row = 0;
    for (const CurrencyAmount &a : amounts) {
        QLabel *money = cell(formatMoney(a.minorUnits, a.currency, locale), parent, Qt::AlignRight,
                             scale, true);
        money->setObjectName(QStringLiteral("amount_") + a.currency);
        grid->addWidget(money, row, 0);
        grid->addWidget(cell(OverviewPage::tr("%n subscription(s)", nullptr, a.subscriptions),
                             parent, Qt::AlignLeft),
                        row, 1);
        ++row;
    }
    grid->setColumnStretch(2, 1);
}

} // namespace

OverviewPage::OverviewPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_worker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("overview")))
{
    setObjectName(QStringLiteral("overviewPage"));
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(8, 8, 8, 8);

    auto *toolbar = new QHBoxLayout;
    m_picker = new OverviewScopePicker(m_worker.get(), this);
    m_asOf = new QLabel(this);
    m_asOf->setObjectName(QStringLiteral("overviewAsOf"));
    m_asOf->setForegroundRole(QPalette::PlaceholderText);
    m_refreshButton = new QPushButton(tr("&Refresh"), this);
    m_refreshButton->setObjectName(QStringLiteral("overviewRefreshButton"));
    m_refreshButton->setShortcut(QKeySequence::Refresh);
    m_refreshButton->setToolTip(tr("Compute the figures again (F5)"));
    toolbar->addWidget(m_picker);
    toolbar->addStretch(1);
    toolbar->addWidget(m_asOf);
    toolbar->addSpacing(8);
    toolbar->addWidget(m_refreshButton);
    outer->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    outer->addWidget(m_banner);

    auto *scroll = new QScrollArea(this);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setWidgetResizable(true);
    auto *content = new QWidget(scroll);
    auto *layout = new QVBoxLayout(content);
    layout->setContentsMargins(0, 4, 0, 0);
    layout->setSpacing(10);
    scroll->setWidget(content);
    outer->addWidget(scroll, 1);

    // Top row: MRR, statuses, churn.
    auto *cards = new QHBoxLayout;
    cards->setSpacing(10);
    Card mrr = makeCard(
        tr("Monthly recurring revenue"), "mrrCard",
        tr("MRR per currency: subscriptions with status active or past due, on licensed "
           "plans. Each contributes plan amount × quantity per month: daily plans × 365/12, "
           "weekly × 52/12, monthly × 1, yearly × 1/12, each divided by the plan's interval "
           "count. Summed exactly per currency and rounded half up once, to the cent (or "
           "the currency's minor unit). Currencies are never converted. Metered plans are "
           "left out: their revenue depends on usage."),
        content);
    m_mrrGrid = new QGridLayout;
    m_mrrGrid->setHorizontalSpacing(12);
    mrr.body->addLayout(m_mrrGrid);
    m_mrrNote = mrr.note;
    cards->addWidget(mrr.frame, 4);

    Card statuses = makeCard(tr("Subscriptions by status"), "statusCard",
                             tr("Every subscription of the selection, by its current Stripe "
                                "status."),
                             content);
    m_statusGrid = new QGridLayout;
    m_statusGrid->setHorizontalSpacing(10);
    m_statusGrid->setVerticalSpacing(3);
    statuses.body->addLayout(m_statusGrid);
    statuses.note->setText(tr("Current status of every subscription, canceled ones included."));
    cards->addWidget(statuses.frame, 4);

    Card churn = makeCard(
        tr("Churn, last 30 days"), "churnCard",
        tr("Subscriptions canceled in the last 30 days (status canceled, canceled_at within "
           "the 30 days) divided by the subscriptions live 30 days ago: created before then, "
           "not canceled before then, and not incomplete (never started). A subscription "
           "started and canceled within the 30 days counts as canceled but was not live at "
           "the start. Lost MRR: the monthly revenue of the canceled subscriptions, computed "
           "like MRR (metered plans left out)."),
        content);
    m_churnRate = cell(QString(), churn.frame, Qt::AlignLeft, 1.6, true);
    m_churnRate->setObjectName(QStringLiteral("churnRate"));
    m_churnCounts = cell(QString(), churn.frame);
    m_churnCounts->setObjectName(QStringLiteral("churnCounts"));
    m_churnCounts->setWordWrap(true);
    churn.body->addWidget(m_churnRate);
    churn.body->addWidget(m_churnCounts);
    churn.body->addSpacing(4);
    churn.body->addWidget(cell(tr("Lost MRR:"), churn.frame));
    m_lostGrid = new QGridLayout;
    m_lostGrid->setHorizontalSpacing(12);
    churn.body->addLayout(m_lostGrid);
    churn.note->setText(tr("Canceled in the last 30 days ÷ live 30 days ago. Hover for the "
                           "exact rules."));
    cards->addWidget(churn.frame, 4);
    layout->addLayout(cards);

    // Bottom row: the usage trend and the failed payments.
    auto *lower = new QHBoxLayout;
    lower->setSpacing(10);
    Card usage = makeCard(tr("Usage, last 90 days"), "usageCard",
                          tr("The sum of recorded usage quantities per metric and day, in "
                             "your time zone, over the last 90 days (today included)."),
                          content, true);
    m_usageStack = new QStackedWidget(usage.frame);
    auto *chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->setMargins(QMargins(4, 4, 4, 4));
    chart->setBackgroundRoundness(0);
    m_chartView = new QChartView(chart, m_usageStack);
    m_chartView->setObjectName(QStringLiteral("usageChart"));
    m_chartView->setRenderHint(QPainter::Antialiasing);
    m_chartView->setMinimumHeight(300);
    m_usageEmpty = new QLabel(tr("No usage recorded in the last 90 days."), m_usageStack);
    m_usageEmpty->setAlignment(Qt::AlignCenter);
    m_usageEmpty->setForegroundRole(QPalette::PlaceholderText);
    m_usageStack->addWidget(m_chartView);
    m_usageStack->addWidget(m_usageEmpty);
    usage.body->addWidget(m_usageStack, 1);
    usage.note->setText(tr("Daily sum of usage quantity per metric, days in your time zone."));
    lower->addWidget(usage.frame, 3);

    Card failed = makeCard(
        tr("Failed payments"), "failedCard",
        tr("Invoices open or uncollectible whose payment was due before now: the due date "
           "of invoices sent to the customer, or, for invoices charged automatically (they "
           "have no due date), the moment they were finalized and charged. Newest first; "
           "the amount is what remains unpaid."),
        content, true);
    m_failedView = new QTreeWidget(failed.frame);
    m_failedView->setObjectName(QStringLiteral("failedPayments"));
    m_failedView->setRootIsDecorated(false);
    m_failedView->setAlternatingRowColors(true);
    m_failedView->setSelectionMode(QAbstractItemView::NoSelection);
    m_failedView->setFocusPolicy(Qt::NoFocus);
    m_failedView->setUniformRowHeights(true);
    m_failedView->setHeaderLabels({tr("Tenant"), tr("Invoice"), tr("Unpaid"), tr("Due")});
    m_failedView->headerItem()->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
    m_failedView->header()->setStretchLastSection(false);
    m_failedView->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_failedView->header()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_failedView->header()->setSectionResizeMode(2, QHeaderView::ResizeToContents);
    m_failedView->header()->setSectionResizeMode(3, QHeaderView::ResizeToContents);
    m_failedView->setAccessibleName(tr("Failed payments"));
    m_failedView->setMinimumWidth(420);
    failed.body->addWidget(m_failedView, 1);
    m_failedSummary = cell(QString(), failed.frame);
    m_failedSummary->setObjectName(QStringLiteral("failedSummary"));
    m_failedSummary->setWordWrap(true);
    failed.body->addWidget(m_failedSummary);
    failed.note->setText(tr("Open or uncollectible after the due date; invoices charged "
                            "automatically count from their finalization."));
    lower->addWidget(failed.frame, 2);
    layout->addLayout(lower, 1);

    connect(m_refreshButton, &QPushButton::clicked, this, &OverviewPage::refresh);
    connect(m_picker, &OverviewScopePicker::scopeChanged, this, &OverviewPage::refresh);
    connect(m_picker, &OverviewScopePicker::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The organizations could not be listed: %1").arg(message));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, &OverviewPage::refresh);
}

OverviewPage::~OverviewPage() = default;

void OverviewPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_picker->reload();
    refresh();
}

bool OverviewPage::isBusy() const
{
    return m_loading || m_picker->isLoading();
}

QChart *OverviewPage::chart() const
{
    return m_chartView->chart();
}

void OverviewPage::refresh()
{
    const quint64 request = ++m_request;
    m_loading = true;
    m_refreshButton->setEnabled(false);
    m_asOf->setText(tr("Computing…"));
    const std::optional<QString> organization = m_picker->currentOrganizationId();
    OverviewOptions options;
    options.timeZone = QString::fromLatin1(QTimeZone::systemTimeZoneId());
    m_worker->run<OverviewFigures>(
        this,
        [organization, options](const QString &connection) {
            return OverviewService(connection).figures(organization, options);
        },
        [this, request](Result<OverviewFigures> result) {
            if (request != m_request)
                return;
            m_loading = false;
            m_refreshButton->setEnabled(true);
            if (!result) {
                m_asOf->clear();
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message,
                                      tr("Retry"));
                return;
            }
            m_banner->clear();
            showFigures(result.value());
        });
}

void OverviewPage::showFigures(const OverviewFigures &figures)
{
    m_figures = figures;
    m_hasFigures = true;
    const QLocale locale;
    m_asOf->setText(
        tr("As of %1")
            .arg(locale.toString(figures.asOf.toLocalTime().time(), QLocale::ShortFormat)));
    m_asOf->setToolTip(locale.toString(figures.asOf.toLocalTime(), QLocale::LongFormat));
    showMrr(figures);
    showStatuses(figures);
    showChurn(figures);
    showFailedPayments(figures);
    showUsage(figures);
}

void OverviewPage::showMrr(const OverviewFigures &figures)
{
    QWidget *parent = m_mrrGrid->parentWidget();
    fillAmounts(m_mrrGrid, figures.mrr, tr("No active or past-due licensed subscriptions."), parent,
                1.35);
    QString note = tr("Active and past-due subscriptions, amount × quantity per month.");
    note += QLatin1Char(' ');
    note += figures.meteredSubscriptionsExcluded > 0
                ? tr("Metered plans excluded (%n subscription(s)).", nullptr,
                     figures.meteredSubscriptionsExcluded)
                : tr("Metered plans excluded.");
    m_mrrNote->setText(note);
}

void OverviewPage::showStatuses(const OverviewFigures &figures)
{
    clearGrid(m_statusGrid);
    QWidget *parent = m_statusGrid->parentWidget();
    const QLocale locale;
    const int rows = (int(figures.statusCounts.size()) + 1) / 2;
    for (int i = 0; i < figures.statusCounts.size(); ++i) {
        const SubscriptionStatusCount &s = figures.statusCounts.at(i);
        const int row = i % rows;
        const int column = (i / rows) * 3;
        QLabel *name = cell(statusTitle(s.status), parent);
        QLabel *count = cell(locale.toString(s.count), parent, Qt::AlignRight, 1.0, s.count > 0);
        count->setObjectName(QStringLiteral("statusCount_") + s.status);
        if (s.count == 0)
            count->setForegroundRole(QPalette::PlaceholderText);
        m_statusGrid->addWidget(name, row, column);
        m_statusGrid->addWidget(count, row, column + 1);
    }
    m_statusGrid->setColumnMinimumWidth(2, 18);
    m_statusGrid->setColumnStretch(5, 1);
}

void OverviewPage::showChurn(const OverviewFigures &figures)
{
    const QLocale locale;
    const std::optional<double> rate = figures.churnRate();
    m_churnRate->setText(rate ? tr("%1 %").arg(locale.toString(*rate * 100.0, 'f', 1)) : tr("—"));
    m_churnCounts->setText(tr("%1 canceled of %2 live on %3")
                               .arg(locale.toString(figures.canceledInWindow),
                                    locale.toString(figures.liveAtWindowStart),
                                    locale.toString(figures.churnWindowStart.toLocalTime().date(),
                                                    QLocale::ShortFormat)));
    fillAmounts(m_lostGrid, figures.lostMrr, tr("none"), m_lostGrid->parentWidget(), 1.0);
}

void OverviewPage::showFailedPayments(const OverviewFigures &figures)
{
    m_failedView->clear();
    const QLocale locale;
    for (const FailedPayment &f : figures.failedPayments) {
        auto *item = new QTreeWidgetItem(m_failedView);
        item->setText(0, f.organizationName.isEmpty() ? tr("(tenant not visible)")
                                                      : f.organizationName);
        item->setText(1, f.number.isEmpty() ? tr("(no number)") : f.number);
        item->setText(2, formatMoney(f.amountRemaining, f.currency, locale));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(3, locale.toString(f.dueAt.toLocalTime().date(), QLocale::ShortFormat));
        const QString status =
            f.status == QLatin1String("uncollectible") ? tr("Uncollectible") : tr("Open");
        const QString when =
            f.chargedAutomatically
                ? tr("Charged automatically; finalized and charged on %1, still unpaid.")
                : tr("Sent to the customer; due on %1, still unpaid.");
        const QString tip = status + QStringLiteral(". ") +
                            when.arg(locale.toString(f.dueAt.toLocalTime(), QLocale::LongFormat));
        for (int c = 0; c < 4; ++c)
            item->setToolTip(c, tip);
    }
    if (figures.failedPaymentCount == 0) {
        m_failedSummary->setText(tr("No failed or overdue payments."));
        return;
    }
    QStringList totals;
    for (const CurrencyAmount &a : figures.failedPaymentTotals)
        totals << formatMoney(a.minorUnits, a.currency, locale);
    m_failedSummary->setText(
        tr("%n invoice(s) unpaid in all: %1", nullptr, figures.failedPaymentCount)
            .arg(totals.join(QStringLiteral(", "))));
}

void OverviewPage::showUsage(const OverviewFigures &figures)
{
    QChart *chart = m_chartView->chart();
    chart->removeAllSeries();
    const auto axes = chart->axes();
    for (QAbstractAxis *axis : axes) {
        chart->removeAxis(axis);
        delete axis;
    }
    if (figures.usageTrend.isEmpty()) {
        m_usageStack->setCurrentWidget(m_usageEmpty);
        return;
    }
    m_usageStack->setCurrentWidget(m_chartView);
    auto *x = new QDateTimeAxis;
    x->setFormat(QStringLiteral("d MMM"));
    x->setTickCount(7);
    auto *y = new QValueAxis;
    y->setLabelFormat(QStringLiteral("%.0f"));
    chart->addAxis(x, Qt::AlignBottom);
    chart->addAxis(y, Qt::AlignLeft);
    qint64 highest = 0;
    for (const UsageSeries &s : figures.usageTrend) {
        auto *series = new QLineSeries;
        series->setName(s.metric);
        for (int day = 0; day < s.daily.size(); ++day) {
            const QDateTime at = figures.trendFirstDay.addDays(day).startOfDay();
            series->append(double(at.toMSecsSinceEpoch()), double(s.daily.at(day)));
            highest = qMax(highest, s.daily.at(day));
        }
        chart->addSeries(series);
        series->attachAxis(x);
        series->attachAxis(y);
    }
    x->setRange(figures.trendFirstDay.startOfDay(),
                figures.trendFirstDay.addDays(OverviewFigures::TrendDays - 1).startOfDay());
    y->setRange(0, highest > 0 ? double(highest) * 1.1 : 1.0);
    y->applyNiceNumbers();
}

} // namespace nobill
