#include "subscriptions/subscriptiondetailpanel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "invoices/invoicelistmodel.h"
#include "subscriptions/subscriptionlistmodel.h"
#include "subscriptions/subscriptionservice.h"

#include <QColor>
#include <QFormLayout>
#include <QGridLayout>
#include <QHeaderView>
#include <QJsonValue>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace nobill {

namespace {
QLabel *valueLabel(QWidget *parent, const char *name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(QLatin1String(name));
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    return label;
}

QLabel *heading(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    QFont font = label->font();
    font.setBold(true);
    label->setFont(font);
    return label;
}

QString dateText(const QDateTime &at)
{
    return QLocale().toString(at.toLocalTime().date(), QLocale::ShortFormat);
}

// Today: the time only; otherwise the date and time.
QString momentText(const QDateTime &at)
{
    const QDateTime local = at.toLocalTime();
    const QLocale locale;
    // Minutes are enough to recognise one's own request; some locales' short format has
    // seconds.
    QString time = locale.timeFormat(QLocale::ShortFormat);
    time.remove(QStringLiteral(":ss"));
    if (local.date() == QDate::currentDate())
        return locale.toString(local.time(), time);
    return locale.toString(local.date(), QLocale::ShortFormat) + QLatin1Char(' ') +
           locale.toString(local.time(), time);
}
} // namespace

SubscriptionDetailPanel::SubscriptionDetailPanel(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("subscriptionDetailPanel"));
    setMinimumWidth(300);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(12, 8, 8, 8);
    m_title = new QLabel(this);
    m_title->setObjectName(QStringLiteral("detailTitle"));
    QFont titleFont = m_title->font();
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.3);
    titleFont.setBold(true);
    m_title->setFont(titleFont);
    m_title->setWordWrap(true);
    layout->addWidget(m_title);
    m_subtitle = new QLabel(this);
    m_subtitle->setObjectName(QStringLiteral("detailSubtitle"));
    m_subtitle->setWordWrap(true);
    layout->addWidget(m_subtitle);

    m_empty = new QLabel(tr("Select a subscription to see its details."), this);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_empty);

    m_content = new QWidget(this);
    auto *content = new QVBoxLayout(m_content);
    content->setContentsMargins(0, 4, 0, 0);

    m_pending = new QLabel(m_content);
    m_pending->setObjectName(QStringLiteral("detailPending"));
    m_pending->setWordWrap(true);
    m_pending->setTextFormat(Qt::PlainText);
    m_pending->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_pending->setFrameShape(QFrame::StyledPanel);
    m_pending->setMargin(6);
    m_pending->setAutoFillBackground(true);
    {
        QPalette p = m_pending->palette();
        p.setColor(QPalette::Window, QColor(0xff, 0xf4, 0xd6));
        p.setColor(QPalette::WindowText, QColor(0x4a, 0x3a, 0x00));
        m_pending->setPalette(p);
    }
    content->addWidget(m_pending);

    auto *form = new QFormLayout;
    form->setLabelAlignment(Qt::AlignRight);
    m_status = valueLabel(m_content, "detailStatus");
    m_quantity = valueLabel(m_content, "detailQuantity");
    m_price = valueLabel(m_content, "detailPrice");
    m_period = valueLabel(m_content, "detailPeriod");
    m_renewal = valueLabel(m_content, "detailRenewal");
    m_trial = valueLabel(m_content, "detailTrial");
    m_cancelAtPeriodEnd = valueLabel(m_content, "detailCancelAtPeriodEnd");
    m_collection = valueLabel(m_content, "detailCollection");
    m_stripe = valueLabel(m_content, "detailStripe");
    m_created = valueLabel(m_content, "detailCreated");
    form->addRow(tr("Status:"), m_status);
    form->addRow(tr("Quantity:"), m_quantity);
    form->addRow(tr("Price:"), m_price);
    form->addRow(tr("Current period:"), m_period);
    form->addRow(tr("Next:"), m_renewal);
    form->addRow(tr("Trial:"), m_trial);
    form->addRow(tr("Cancel at period end:"), m_cancelAtPeriodEnd);
    form->addRow(tr("Collection:"), m_collection);
    form->addRow(tr("Stripe id:"), m_stripe);
    form->addRow(tr("Created:"), m_created);
    content->addLayout(form);

    content->addSpacing(6);
    content->addWidget(heading(tr("Change in Stripe"), m_content));
    auto *actions = new QGridLayout;
    actions->setContentsMargins(0, 0, 0, 0);
    m_cancelAtEndButton = new QPushButton(tr("Cancel at period end…"), m_content);
    m_cancelAtEndButton->setObjectName(QStringLiteral("cancelAtPeriodEndButton"));
    m_cancelNowButton = new QPushButton(tr("Cancel now…"), m_content);
    m_cancelNowButton->setObjectName(QStringLiteral("cancelNowButton"));
    m_resumeButton = new QPushButton(tr("Resume…"), m_content);
    m_resumeButton->setObjectName(QStringLiteral("resumeButton"));
    m_quantityButton = new QPushButton(tr("Change quantity…"), m_content);
    m_quantityButton->setObjectName(QStringLiteral("changeQuantityButton"));
    m_changePlanButton = new QPushButton(tr("Change plan…"), m_content);
    m_changePlanButton->setObjectName(QStringLiteral("changePlanButton"));
    m_pauseButton = new QPushButton(tr("Pause collection…"), m_content);
    m_pauseButton->setObjectName(QStringLiteral("pauseCollectionButton"));
    m_resumeCollectionButton = new QPushButton(tr("Resume collection…"), m_content);
    m_resumeCollectionButton->setObjectName(QStringLiteral("resumeCollectionButton"));
    actions->addWidget(m_changePlanButton, 0, 0);
    actions->addWidget(m_quantityButton, 0, 1);
    actions->addWidget(m_cancelAtEndButton, 1, 0);
    actions->addWidget(m_cancelNowButton, 1, 1);
    actions->addWidget(m_resumeButton, 2, 0);
    actions->addWidget(m_pauseButton, 3, 0);
    actions->addWidget(m_resumeCollectionButton, 3, 1);
    content->addLayout(actions);
    auto *explain = new QLabel(tr("Changes are queued here and sent to Stripe by the office "
                                  "server. The subscription shows them once Stripe confirms."),
                               m_content);
    explain->setObjectName(QStringLiteral("actionsExplanation"));
    explain->setWordWrap(true);
    explain->setForegroundRole(QPalette::PlaceholderText);
    content->addWidget(explain);
    connect(m_cancelAtEndButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::CancelAtPeriodEnd); });
    connect(m_cancelNowButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::CancelNow); });
    connect(m_resumeButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::Resume); });
    connect(m_quantityButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::ChangeQuantity); });
    connect(m_pauseButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::PauseCollection); });
    connect(m_resumeCollectionButton, &QPushButton::clicked, this,
            [this]() { emit actionTriggered(SubscriptionAction::ResumeCollection); });
    connect(m_changePlanButton, &QPushButton::clicked, this,
            &SubscriptionDetailPanel::changePlanTriggered);

    content->addSpacing(6);
    content->addWidget(heading(tr("Invoices"), m_content));
    m_invoices = new QTableWidget(0, 4, m_content);
    m_invoices->setObjectName(QStringLiteral("detailInvoices"));
    m_invoices->setHorizontalHeaderLabels(
        {tr("Number"), tr("Period from"), tr("Total"), tr("Status")});
    m_invoices->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    m_invoices->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_invoices->setSelectionMode(QAbstractItemView::NoSelection);
    m_invoices->setFocusPolicy(Qt::NoFocus);
    m_invoices->verticalHeader()->hide();
    m_invoices->horizontalHeader()->setSectionResizeMode(QHeaderView::ResizeToContents);
    m_invoices->horizontalHeader()->setSectionResizeMode(3, QHeaderView::Stretch);
    m_invoices->horizontalHeader()->setHighlightSections(false);
    m_invoices->verticalHeader()->setDefaultSectionSize(m_invoices->fontMetrics().height() + 8);
    m_invoices->setWordWrap(false);
    m_invoices->setAlternatingRowColors(true);
    m_invoices->setAccessibleName(tr("Invoices of the subscription"));
    m_invoices->setMinimumHeight(m_invoices->verticalHeader()->defaultSectionSize() * 8);
    content->addWidget(m_invoices, 1);
    m_invoiceCount = valueLabel(m_content, "detailInvoiceCount");
    content->addWidget(m_invoiceCount);

    layout->addWidget(m_content);
    layout->addStretch(1);
    clear();
}

QPushButton *SubscriptionDetailPanel::actionButton(SubscriptionAction action) const
{
    switch (action) {
    case SubscriptionAction::CancelAtPeriodEnd:
        return m_cancelAtEndButton;
    case SubscriptionAction::CancelNow:
        return m_cancelNowButton;
    case SubscriptionAction::Resume:
        return m_resumeButton;
    case SubscriptionAction::ChangeQuantity:
        return m_quantityButton;
    case SubscriptionAction::PauseCollection:
        return m_pauseButton;
    case SubscriptionAction::ResumeCollection:
        return m_resumeCollectionButton;
    }
    return nullptr;
}

QString SubscriptionDetailPanel::describeWork(const PendingJob &job)
{
    const QString kind = job.kind;
    if (kind.endsWith(QLatin1String(".cancel_at_period_end")))
        return tr("cancel at period end");
    if (kind.endsWith(QLatin1String(".cancel")))
        return tr("cancel now");
    if (kind.endsWith(QLatin1String(".resume")))
        return tr("resume");
    if (kind.endsWith(QLatin1String(".pause_collection")))
        return tr("pause collection");
    if (kind.endsWith(QLatin1String(".resume_collection")))
        return tr("resume collection");
    if (kind.endsWith(QLatin1String(".preview_change")))
        return tr("preview a change");
    if (kind.endsWith(QLatin1String(".change_plan")))
        return tr("change plan");
    const QJsonValue quantity = job.payload.value(QStringLiteral("quantity"));
    if (quantity.isDouble())
        return tr("change quantity to %1").arg(QLocale().toString(quantity.toInt()));
    if (kind.endsWith(QLatin1String(".update_quantity")) || kind.endsWith(QLatin1String(".update")))
        return tr("change the subscription");
    return kind;
}

QString SubscriptionDetailPanel::describePending(const PendingJob &job)
{
    const QString who = job.requestedByName.isEmpty() ? job.requestedBy : job.requestedByName;
    const QString when = momentText(job.createdAt);
    if (job.status == QLatin1String("failed")) {
        return tr("Not done in Stripe: %1 (asked for %2 by %3; failed after %4 attempts: %5)")
            .arg(describeWork(job), when, who, QLocale().toString(job.attempts),
                 job.lastError.isEmpty() ? tr("no reason given") : job.lastError);
    }
    if (job.status == QLatin1String("running"))
        return tr("Being sent to Stripe: %1 (queued %2 by %3)").arg(describeWork(job), when, who);
    return tr("Pending in Stripe: %1 (queued %2 by %3)").arg(describeWork(job), when, who);
}

void SubscriptionDetailPanel::setValue(QLabel *label, const QString &text, bool placeholder)
{
    label->setText(text);
    label->setForegroundRole(placeholder ? QPalette::PlaceholderText : QPalette::WindowText);
}

void SubscriptionDetailPanel::clear()
{
    ++m_request;
    m_loading = false;
    m_subscription.reset();
    m_details.reset();
    m_title->setText(tr("No subscription selected"));
    m_subtitle->clear();
    m_subtitle->hide();
    m_empty->show();
    m_content->hide();
}

void SubscriptionDetailPanel::showFields(const Subscription &s)
{
    m_title->setText(s.organizationName.isEmpty() ? tr("(tenant not visible)")
                                                  : s.organizationName);
    m_subtitle->setText(s.productName.isEmpty() || s.productName == s.planName
                            ? s.planName
                            : tr("%1 — %2").arg(s.productName, s.planName));
    m_subtitle->show();
    QString status = SubscriptionListModel::statusText(s.status);
    if (s.status == QLatin1String("canceled") && s.canceledAt.isValid())
        status = tr("Canceled on %1").arg(dateText(s.canceledAt));
    setValue(m_status, status);
    setValue(m_quantity, s.isMetered() ? tr("billed by usage (%1)").arg(s.metric)
                                       : QLocale().toString(s.quantity));
    setValue(m_price, SubscriptionListModel::priceText(s));
    if (s.currentPeriodStart.isValid() && s.currentPeriodEnd.isValid())
        setValue(m_period,
                 tr("%1 – %2").arg(dateText(s.currentPeriodStart), dateText(s.currentPeriodEnd)));
    else
        setValue(m_period, tr("none yet"), true);
    if (s.status == QLatin1String("paused"))
        setValue(m_renewal, tr("paused: no renewal until it is resumed"));
    else if (!s.renews() || !s.currentPeriodEnd.isValid())
        setValue(m_renewal, tr("does not renew"), true);
    else if (s.cancelAtPeriodEnd)
        setValue(m_renewal, tr("ends on %1").arg(dateText(s.currentPeriodEnd)));
    else
        setValue(m_renewal, tr("renews on %1").arg(dateText(s.currentPeriodEnd)));
    if (!s.trialEnd.isValid())
        setValue(m_trial, tr("none"), true);
    else if (s.trialEnd > QDateTime::currentDateTimeUtc())
        setValue(m_trial, tr("until %1").arg(dateText(s.trialEnd)));
    else
        setValue(m_trial, tr("ended %1").arg(dateText(s.trialEnd)));
    setValue(m_cancelAtPeriodEnd, s.cancelAtPeriodEnd ? tr("Yes") : tr("No"));
    if (s.collectionMethod == QLatin1String("send_invoice"))
        setValue(m_collection, tr("invoice sent, due in %1 days").arg(s.daysUntilDue));
    else
        setValue(m_collection, tr("charged automatically"));
    if (s.stripeSubscriptionId.isEmpty())
        setValue(m_stripe, tr("not in Stripe yet"), true);
    else
        setValue(m_stripe, s.stripeSubscriptionId);
    setValue(m_created, QLocale().toString(s.createdAt.toLocalTime(), QLocale::ShortFormat));
}

void SubscriptionDetailPanel::showSubscription(const Subscription &subscription)
{
    const bool same = m_subscription && m_subscription->id == subscription.id;
    m_subscription = subscription;
    if (!same) {
        m_details.reset();
        m_pending->hide();
        m_invoices->setRowCount(0);
        m_invoices->hide();
        setValue(m_invoiceCount, tr("loading…"), true);
    }
    m_empty->hide();
    m_content->show();
    showFields(subscription);
    refresh();
}

void SubscriptionDetailPanel::refresh()
{
    if (!m_subscription)
        return;
    const quint64 request = ++m_request;
    m_loading = true;
    const QString id = m_subscription->id;
    m_worker->run<SubscriptionDetails>(
        this,
        [id](const QString &connection) { return SubscriptionService(connection).details(id); },
        [this, request](Result<SubscriptionDetails> result) {
            if (request != m_request)
                return; // another subscription was selected meanwhile
            m_loading = false;
            if (!result) {
                setValue(m_invoiceCount, result.error().message, true);
                emit detailsLoaded();
                return;
            }
            showDetails(result.value());
            emit detailsLoaded();
        });
}

void SubscriptionDetailPanel::showDetails(const SubscriptionDetails &d)
{
    m_details = d;
    m_subscription = d.subscription;
    showFields(d.subscription);

    QStringList pending;
    for (const PendingJob &job : d.pendingJobs)
        pending << describePending(job);
    m_pending->setText(pending.join(QLatin1Char('\n')));
    m_pending->setVisible(!pending.isEmpty());

    const QLocale locale;
    m_invoices->setRowCount(int(d.invoices.size()));
    for (int row = 0; row < d.invoices.size(); ++row) {
        const Invoice &i = d.invoices.at(row);
        auto *number = new QTableWidgetItem(i.number.isEmpty() ? tr("draft") : i.number);
        auto *period = new QTableWidgetItem(
            i.periodStart.isValid()
                ? locale.toString(i.periodStart.toLocalTime().date(), QLocale::ShortFormat)
                : QString());
        period->setToolTip(InvoiceListModel::periodText(i));
        auto *total = new QTableWidgetItem(formatMoney(i.total, i.currency, locale));
        total->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        auto *status = new QTableWidgetItem(InvoiceListModel::statusText(i));
        if (i.isOverdue())
            status->setForeground(QColor(0xb0, 0x20, 0x20));
        m_invoices->setItem(row, 0, number);
        m_invoices->setItem(row, 1, period);
        m_invoices->setItem(row, 2, total);
        m_invoices->setItem(row, 3, status);
    }
    m_invoices->setVisible(d.invoiceCount > 0);
    if (d.invoiceCount == 0)
        setValue(m_invoiceCount, tr("No invoices yet."), true);
    else if (d.invoiceCount > d.invoices.size())
        setValue(m_invoiceCount,
                 tr("The latest %1 of %2 invoices; all of them are in the "
                    "Invoices area.")
                     .arg(locale.toString(d.invoices.size()), locale.toString(d.invoiceCount)),
                 true);
    else
        setValue(m_invoiceCount, tr("%n invoice(s)", nullptr, d.invoiceCount), true);
}

} // namespace nobill
