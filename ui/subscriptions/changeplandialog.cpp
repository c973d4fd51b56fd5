#include "subscriptions/changeplandialog.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "jobs/jobtracker.h"
#include "plans/planservice.h"
#include "subscriptions/stripework.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QTableWidget>
#include <QUuid>
#include <QVBoxLayout>

namespace nobill {

namespace {
QString planLabel(const Plan &plan)
{
    return ChangePlanDialog::tr("%1 — %2 (%3 per unit)")
        .arg(plan.productName, plan.name, formatMoney(plan.amount, plan.currency));
}
} // namespace

ChangePlanDialog::ChangePlanDialog(DatabaseWorker *worker, ChangeFeed *feed,
                                   const Subscription &subscription, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_feed(feed)
    , m_subscription(subscription)
    , m_token(QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    setObjectName(QStringLiteral("changePlanDialog"));
    setWindowTitle(tr("Change plan or quantity"));
    auto *layout = new QVBoxLayout(this);

    const QString tenant =
        subscription.organizationName.isEmpty() ? tr("this tenant") : subscription.organizationName;
    m_current = new QLabel(
        tr("%1 is on %2, quantity %3 (%4 per period).")
            .arg(tenant, subscription.planName, QLocale().toString(subscription.quantity),
                 formatMoney(subscription.periodAmount(), subscription.currency)),
        this);
    m_current->setObjectName(QStringLiteral("currentPlan"));
    m_current->setWordWrap(true);
    layout->addWidget(m_current);

    auto *form = new QFormLayout;
    m_plan = new QComboBox(this);
    m_plan->setObjectName(QStringLiteral("newPlan"));
    m_plan->setAccessibleName(tr("New plan"));
    m_plan->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_plan->setMinimumContentsLength(32);
    m_quantity = new QSpinBox(this);
    m_quantity->setObjectName(QStringLiteral("newQuantity"));
    m_quantity->setAccessibleName(tr("New quantity"));
    m_quantity->setRange(1, 1000000);
    m_quantity->setValue(qMax(1, subscription.quantity));
    m_quantity->setGroupSeparatorShown(true);
    if (subscription.isMetered()) {
        m_quantity->setEnabled(false);
        m_quantity->setToolTip(tr("A metered plan is billed by usage; it has no quantity."));
    }
    m_proration = new QComboBox(this);
    m_proration->setObjectName(QStringLiteral("prorationBehavior"));
    m_proration->setAccessibleName(tr("Proration"));
    m_proration->addItem(tr("Prorate: credit and charge the difference on the next invoice"),
                         QStringLiteral("create_prorations"));
    m_proration->addItem(tr("Prorate and invoice the difference now"),
                         QStringLiteral("always_invoice"));
    m_proration->addItem(tr("Don't prorate: the new price applies from the next period"),
                         QStringLiteral("none"));
    form->addRow(tr("New plan:"), m_plan);
    form->addRow(tr("Quantity:"), m_quantity);
    form->addRow(tr("Proration:"), m_proration);
    layout->addLayout(form);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("previewStatus"));
    m_status->setWordWrap(true);
    layout->addWidget(m_status);
    m_lines = new QTableWidget(0, 2, this);
    m_lines->setObjectName(QStringLiteral("previewLines"));
    m_lines->setHorizontalHeaderLabels({tr("Line"), tr("Amount")});
    m_lines->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_lines->setSelectionMode(QAbstractItemView::NoSelection);
    m_lines->verticalHeader()->hide();
    m_lines->horizontalHeader()->setSectionResizeMode(0, QHeaderView::Stretch);
    m_lines->horizontalHeader()->setSectionResizeMode(1, QHeaderView::ResizeToContents);
    m_lines->setWordWrap(false);
    m_lines->setAccessibleName(tr("Lines of the preview invoice"));
    m_lines->setMinimumHeight(m_lines->verticalHeader()->defaultSectionSize() * 4);
    layout->addWidget(m_lines, 1);
    m_lines->hide(); // shown with a preview's lines
    m_amountDue = new QLabel(this);
    m_amountDue->setObjectName(QStringLiteral("previewAmountDue"));
    m_amountDue->setWordWrap(true);
    QFont bold = m_amountDue->font();
    bold.setBold(true);
    m_amountDue->setFont(bold);
    layout->addWidget(m_amountDue);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    m_previewButton = buttons->addButton(tr("Preview"), QDialogButtonBox::ActionRole);
    m_previewButton->setObjectName(QStringLiteral("previewButton"));
    m_confirmButton = buttons->addButton(tr("Confirm change"), QDialogButtonBox::AcceptRole);
    m_confirmButton->setObjectName(QStringLiteral("confirmButton"));
    m_confirmButton->setAutoDefault(false);
    m_previewButton->setDefault(true);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_previewButton, &QPushButton::clicked, this, &ChangePlanDialog::preview);
    connect(m_confirmButton, &QPushButton::clicked, this, &ChangePlanDialog::confirm);
    connect(m_plan, &QComboBox::currentIndexChanged, this, &ChangePlanDialog::inputsChanged);
    connect(m_quantity, &QSpinBox::valueChanged, this, &ChangePlanDialog::inputsChanged);
    connect(m_proration, &QComboBox::currentIndexChanged, this, &ChangePlanDialog::inputsChanged);

    setMinimumWidth(560);
    m_status->setText(tr("Choose the new plan or quantity, then Preview to see what Stripe "
                         "would charge. Nothing changes until you confirm."));
    loadPlans();
}

void ChangePlanDialog::loadPlans()
{
    m_loading = true;
    updateButtons();
    PlanQuery query;
    query.currency = m_subscription.currency;
    query.usageType = m_subscription.usageType;
    query.status = QStringLiteral("active");
    m_worker->run<PlanPage>(
        this,
        [query](const QString &connection) {
            return PlanService(connection).page(query, std::nullopt, 200);
        },
        [this](Result<PlanPage> result) {
            m_loading = false;
            if (!result) {
                m_status->setText(
                    tr("The plans could not be loaded. %1").arg(result.error().message));
                updateButtons();
                return;
            }
            const QSignalBlocker blocker(m_plan);
            m_plans.clear();
            m_plan->clear();
            auto *items = qobject_cast<QStandardItemModel *>(m_plan->model());
            for (const Plan &plan : result.value().rows) {
                // Stripe switches an item only between prices of the same interval.
                if (plan.interval != m_subscription.interval ||
                    plan.intervalCount != m_subscription.intervalCount)
                    continue;
                m_plans << plan;
                QString label = planLabel(plan);
                if (plan.id == m_subscription.planId)
                    label = tr("%1 (current)").arg(label);
                else if (!plan.isInStripe())
                    label = tr("%1 — not in Stripe yet: publish it on the Plans screen").arg(label);
                m_plan->addItem(label, plan.id);
                if (!plan.isInStripe() && plan.id != m_subscription.planId && items)
                    items->item(m_plan->count() - 1)->setEnabled(false);
            }
            const int current = m_plan->findData(m_subscription.planId);
            m_plan->setCurrentIndex(current >= 0 ? current : 0);
            if (m_plans.isEmpty())
                m_status->setText(tr("No plan in %1 with this interval can be chosen.")
                                      .arg(m_subscription.currency));
            updateButtons();
        });
}

QString ChangePlanDialog::describeChange() const
{
    const QString planId = m_plan->currentData().toString();
    const int quantity = m_quantity->value();
    QString plan;
    for (const Plan &p : m_plans)
        if (p.id == planId)
            plan = p.name;
    if (planId == m_subscription.planId)
        return tr("change of quantity to %1").arg(QLocale().toString(quantity));
    if (m_subscription.isMetered() || quantity == m_subscription.quantity)
        return tr("change of plan to %1").arg(plan);
    return tr("change of plan to %1, quantity %2").arg(plan, QLocale().toString(quantity));
}

void ChangePlanDialog::inputsChanged()
{
    // A preview is only good for what it priced.
    if (!m_preview.isEmpty()) {
        m_preview = QJsonObject();
        m_lines->setRowCount(0);
        m_lines->hide();
        m_amountDue->clear();
        m_status->setText(tr("The choice changed: Preview again to see its price."));
    }
    updateButtons();
}

void ChangePlanDialog::updateButtons()
{
    const bool waiting = m_tracker && m_tracker->isActive();
    const QString planId = m_plan->currentData().toString();
    const bool changed =
        !planId.isEmpty() &&
        (planId != m_subscription.planId ||
         (!m_subscription.isMetered() && m_quantity->value() != m_subscription.quantity));
    m_previewButton->setEnabled(!m_loading && !waiting && !m_queueing && changed);
    m_previewButton->setToolTip(changed ? QString() : tr("Choose another plan or quantity first."));
    m_confirmButton->setEnabled(!m_preview.isEmpty() && !waiting && !m_queueing && changed);
    m_confirmButton->setToolTip(
        m_preview.isEmpty() ? tr("Preview the change first, to see what it costs.") : QString());
    m_plan->setEnabled(!waiting && !m_queueing);
    m_proration->setEnabled(!waiting && !m_queueing);
}

void ChangePlanDialog::preview()
{
    if (!m_previewButton->isEnabled())
        return;
    QJsonObject payload{
        {QStringLiteral("subscription_id"), m_subscription.id},
        {QStringLiteral("stripe_subscription_id"), m_subscription.stripeSubscriptionId},
        {QStringLiteral("plan_id"), m_plan->currentData().toString()},
        {QStringLiteral("proration_behavior"), m_proration->currentData().toString()}};
    if (!m_subscription.isMetered())
        payload.insert(QStringLiteral("quantity"), m_quantity->value());
    m_previewedRequest = payload;
    m_preview = QJsonObject();
    m_lines->setRowCount(0);
    m_amountDue->clear();
    if (m_tracker)
        m_tracker->deleteLater();
    m_tracker = new JobTracker(m_worker, this);
    m_tracker->setChangeFeed(m_feed);
    m_tracker->setStaleAfterMs(m_waitingHintMs);
    auto show = [this]() {
        if (!m_tracker)
            return;
        if (m_tracker->state() == JobTracker::State::Failed ||
            m_tracker->state() == JobTracker::State::Cancelled)
            m_status->setText(tr("No preview: %1").arg(m_tracker->errorMessage()));
        else if (m_tracker->state() != JobTracker::State::Succeeded)
            m_status->setText(tr("Asking Stripe for the price… %1").arg(m_tracker->describe()));
        updateButtons();
    };
    connect(m_tracker, &JobTracker::stateChanged, this, show);
    connect(m_tracker, &JobTracker::waitingLong, this, show);
    connect(m_tracker, &JobTracker::finished, this, [this](bool succeeded) {
        if (succeeded)
            showPreview();
        updateButtons();
    });
    // A preview changes nothing in Stripe; each one gets its own key.
    m_tracker->enqueue(
        m_subscription.organizationId, jobkinds::PreviewChange, payload,
        QStringLiteral("subscription:%1:preview_change:%2")
            .arg(m_subscription.id, QUuid::createUuid().toString(QUuid::WithoutBraces)));
    show();
}

void ChangePlanDialog::showPreview()
{
    const QJsonObject result = m_tracker->result();
    const QString currency = result.value(QLatin1String("currency")).toString();
    const QJsonArray lines = result.value(QLatin1String("lines")).toArray();
    m_lines->setRowCount(int(lines.size()));
    m_lines->setVisible(!lines.isEmpty());
    for (int i = 0; i < lines.size(); ++i) {
        const QJsonObject line = lines.at(i).toObject();
        m_lines->setItem(i, 0,
                         new QTableWidgetItem(line.value(QLatin1String("description")).toString()));
        auto *amount = new QTableWidgetItem(
            formatMoney(qint64(line.value(QLatin1String("amount")).toDouble()), currency));
        amount->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_lines->setItem(i, 1, amount);
    }
    const qint64 due = qint64(result.value(QLatin1String("amount_due")).toDouble());
    m_amountDue->setText(tr("Amount due on the next invoice: %1").arg(formatMoney(due, currency)));
    m_status->setText(tr("Stripe's price for this change, as of now. Confirm to queue it."));
    m_preview = result;
}

void ChangePlanDialog::confirm()
{
    if (!m_confirmButton->isEnabled())
        return;
    QJsonObject payload = m_previewedRequest;
    payload.insert(QStringLiteral("proration_date"),
                   m_preview.value(QLatin1String("proration_date")));
    m_queueing = true;
    updateButtons();
    m_status->setText(tr("Queueing…"));
    const QString what = describeChange();
    const QString organization = m_subscription.organizationId;
    const QString key =
        QStringLiteral("subscription:%1:change_plan:%2").arg(m_subscription.id, m_token);
    m_worker->run<QString>(
        this,
        [organization, payload, key](const QString &connection) {
            return enqueueStripeJob(connection, organization, jobkinds::ChangePlan, payload, key);
        },
        [this, what](Result<QString> id) {
            m_queueing = false;
            if (!id) {
                m_status->setText(id.error().message);
                updateButtons();
                return;
            }
            emit queued(id.value(), what);
            accept();
        });
}

} // namespace nobill
