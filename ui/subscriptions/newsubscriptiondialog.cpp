#include "subscriptions/newsubscriptiondialog.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "jobs/jobkinds.h"
#include "jobs/jobtracker.h"
#include "plans/planservice.h"
#include "subscriptions/subscriptionservice.h"

#include <QButtonGroup>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QSpinBox>
#include <QUuid>
#include <QVBoxLayout>

namespace nobill {

NewSubscriptionDialog::NewSubscriptionDialog(DatabaseWorker *worker, ChangeFeed *feed,
                                             const SessionAccess &access, bool accessKnown,
                                             QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_feed(feed)
    , m_access(access)
    , m_accessKnown(accessKnown)
    , m_token(QUuid::createUuid().toString(QUuid::WithoutBraces))
{
    setObjectName(QStringLiteral("newSubscriptionDialog"));
    setWindowTitle(tr("New subscription"));
    auto *layout = new QVBoxLayout(this);
    auto *form = new QFormLayout;
    m_tenant = new QComboBox(this);
    m_tenant->setObjectName(QStringLiteral("newSubscriptionTenant"));
    m_tenant->setAccessibleName(tr("Tenant"));
    m_plan = new QComboBox(this);
    m_plan->setObjectName(QStringLiteral("newSubscriptionPlan"));
    m_plan->setAccessibleName(tr("Plan"));
    m_plan->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_plan->setMinimumContentsLength(30);
    m_quantity = new QSpinBox(this);
    m_quantity->setObjectName(QStringLiteral("newSubscriptionQuantity"));
    m_quantity->setRange(1, 1000000);
    m_quantity->setGroupSeparatorShown(true);
    form->addRow(tr("Tenant:"), m_tenant);
    form->addRow(tr("Plan:"), m_plan);
    form->addRow(tr("Quantity:"), m_quantity);

    auto *payment = new QWidget(this);
    auto *paymentLayout = new QVBoxLayout(payment);
    paymentLayout->setContentsMargins(0, 0, 0, 0);
    m_automatic = new QRadioButton(tr("Charge the saved payment method automatically"), payment);
    m_automatic->setObjectName(QStringLiteral("collectAutomatically"));
    m_invoice = new QRadioButton(tr("Send an invoice each period"), payment);
    m_invoice->setObjectName(QStringLiteral("collectByInvoice"));
    auto *dueRow = new QHBoxLayout;
    dueRow->setContentsMargins(24, 0, 0, 0);
    m_daysUntilDue = new QSpinBox(payment);
    m_daysUntilDue->setObjectName(QStringLiteral("daysUntilDue"));
    m_daysUntilDue->setRange(0, 365);
    m_daysUntilDue->setValue(30);
    m_daysUntilDue->setSuffix(tr(" days"));
    dueRow->addWidget(new QLabel(tr("Due within"), payment));
    dueRow->addWidget(m_daysUntilDue);
    dueRow->addStretch(1);
    m_checkout =
        new QRadioButton(tr("Make a Stripe Checkout link to send to the customer"), payment);
    m_checkout->setObjectName(QStringLiteral("collectByCheckout"));
    auto *urlRow = new QHBoxLayout;
    urlRow->setContentsMargins(24, 0, 0, 0);
    m_successUrl = new QLineEdit(payment);
    m_successUrl->setObjectName(QStringLiteral("successUrl"));
    m_successUrl->setPlaceholderText(QStringLiteral("https://example.com/thanks"));
    m_successUrl->setAccessibleName(tr("Address the customer returns to after paying"));
    urlRow->addWidget(new QLabel(tr("Return to"), payment));
    urlRow->addWidget(m_successUrl, 1);
    auto *group = new QButtonGroup(this);
    group->addButton(m_automatic);
    group->addButton(m_invoice);
    group->addButton(m_checkout);
    m_automatic->setChecked(true);
    paymentLayout->addWidget(m_automatic);
    paymentLayout->addWidget(m_invoice);
    paymentLayout->addLayout(dueRow);
    paymentLayout->addWidget(m_checkout);
    paymentLayout->addLayout(urlRow);
    form->addRow(tr("Payment:"), payment);
    m_trialDays = new QSpinBox(this);
    m_trialDays->setObjectName(QStringLiteral("trialDays"));
    m_trialDays->setRange(0, 730);
    m_trialDays->setSpecialValueText(tr("No trial"));
    m_trialDays->setSuffix(tr(" days"));
    form->addRow(tr("Trial:"), m_trialDays);
    layout->addLayout(form);

    auto *readyRow = new QHBoxLayout;
    m_readiness = new QLabel(this);
    m_readiness->setObjectName(QStringLiteral("newSubscriptionReadiness"));
    m_readiness->setWordWrap(true);
    m_sync = new QPushButton(this);
    m_sync->setObjectName(QStringLiteral("syncButton"));
    m_sync->hide();
    readyRow->addWidget(m_readiness, 1);
    readyRow->addWidget(m_sync, 0, Qt::AlignTop);
    layout->addLayout(readyRow);

    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("newSubscriptionStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);
    auto *linkRow = new QHBoxLayout;
    m_link = new QLineEdit(this);
    m_link->setObjectName(QStringLiteral("checkoutLink"));
    m_link->setReadOnly(true);
    m_link->setAccessibleName(tr("Checkout link"));
    m_copy = new QPushButton(tr("Copy link"), this);
    m_copy->setObjectName(QStringLiteral("copyLinkButton"));
    linkRow->addWidget(m_link, 1);
    linkRow->addWidget(m_copy);
    layout->addLayout(linkRow);
    m_link->hide();
    m_copy->hide();

    auto *buttons = new QDialogButtonBox(this);
    m_create = buttons->addButton(tr("Create subscription"), QDialogButtonBox::AcceptRole);
    m_create->setObjectName(QStringLiteral("createButton"));
    m_close = buttons->addButton(QDialogButtonBox::Cancel);
    m_close->setObjectName(QStringLiteral("closeButton"));
    layout->addWidget(buttons);
    connect(m_close, &QPushButton::clicked, this, &QDialog::reject);
    connect(m_create, &QPushButton::clicked, this, &NewSubscriptionDialog::create);
    connect(m_sync, &QPushButton::clicked, this, &NewSubscriptionDialog::sync);
    connect(m_copy, &QPushButton::clicked, this, [this]() {
        QGuiApplication::clipboard()->setText(m_link->text());
        m_status->setText(tr("The Checkout link is copied. Send it to the customer; the "
                             "subscription starts once they have paid."));
    });
    connect(m_tenant, &QComboBox::currentIndexChanged, this, &NewSubscriptionDialog::tenantChanged);
    connect(m_plan, &QComboBox::currentIndexChanged, this, &NewSubscriptionDialog::updateState);
    connect(m_successUrl, &QLineEdit::textChanged, this, &NewSubscriptionDialog::updateState);
    for (QRadioButton *button : {m_automatic, m_invoice, m_checkout})
        connect(button, &QRadioButton::toggled, this, &NewSubscriptionDialog::updateState);
    setMinimumWidth(600);
    loadChoices();
}

void NewSubscriptionDialog::loadChoices()
{
    m_loading += 2;
    updateState();
    m_worker->run<QList<TenantChoice>>(
        this,
        [](const QString &connection) { return SubscriptionService(connection).tenantChoices(); },
        [this](Result<QList<TenantChoice>> result) {
            --m_loading;
            if (!result) {
                m_status->setText(
                    tr("The tenants could not be loaded. %1").arg(result.error().message));
            } else {
                const QString current = m_tenant->currentData().toString();
                m_tenants = result.value();
                const QSignalBlocker blocker(m_tenant);
                m_tenant->clear();
                for (const TenantChoice &t : m_tenants)
                    m_tenant->addItem(t.name, t.id);
                const int index = m_tenant->findData(current);
                m_tenant->setCurrentIndex(index >= 0 ? index : 0);
            }
            tenantChanged();
        });
    PlanQuery query;
    query.status = QStringLiteral("active");
    m_worker->run<PlanPage>(
        this,
        [query](const QString &connection) {
            return PlanService(connection).page(query, std::nullopt, 500);
        },
        [this](Result<PlanPage> result) {
            --m_loading;
            if (!result)
                m_status->setText(
                    tr("The plans could not be loaded. %1").arg(result.error().message));
            else
                m_plans = result.value().rows;
            tenantChanged();
        });
}

const TenantChoice *NewSubscriptionDialog::currentTenant() const
{
    const QString id = m_tenant->currentData().toString();
    for (const TenantChoice &t : m_tenants)
        if (t.id == id)
            return &t;
    return nullptr;
}

const Plan *NewSubscriptionDialog::currentPlan() const
{
    const QString id = m_plan->currentData().toString();
    for (const Plan &p : m_plans)
        if (p.id == id)
            return &p;
    return nullptr;
}

void NewSubscriptionDialog::tenantChanged()
{
    // Plans in the tenant's currency (a Stripe customer is billed in one currency).
    const TenantChoice *tenant = currentTenant();
    const QString current = m_plan->currentData().toString();
    const QSignalBlocker blocker(m_plan);
    m_plan->clear();
    for (const Plan &p : m_plans) {
        if (tenant && !tenant->currency.isEmpty() && p.currency != tenant->currency)
            continue;
        QString label =
            tr("%1 — %2 (%3)").arg(p.productName, p.name, formatMoney(p.amount, p.currency));
        if (!p.isInStripe())
            label = tr("%1, not in Stripe yet").arg(label);
        m_plan->addItem(label, p.id);
    }
    const int index = m_plan->findData(current);
    m_plan->setCurrentIndex(index >= 0 ? index : 0);
    updateState();
}

QString NewSubscriptionDialog::collection() const
{
    if (m_invoice->isChecked())
        return QStringLiteral("send_invoice");
    if (m_checkout->isChecked())
        return QStringLiteral("checkout");
    return QStringLiteral("automatic");
}

void NewSubscriptionDialog::updateState()
{
    const TenantChoice *tenant = currentTenant();
    const Plan *plan = currentPlan();
    const bool started = m_tracker != nullptr;
    const bool syncing = m_syncTracker && m_syncTracker->isActive();
    m_daysUntilDue->setEnabled(m_invoice->isChecked());
    m_successUrl->setEnabled(m_checkout->isChecked());
    if (plan && plan->isMetered()) {
        m_quantity->setValue(1);
        m_quantity->setEnabled(false);
        m_quantity->setToolTip(tr("A metered plan is billed by usage; it has no quantity."));
    } else {
        m_quantity->setEnabled(true);
        m_quantity->setToolTip(QString());
    }

    // What is missing before Stripe can take the subscription, and who can fix it here.
    QString missing;
    QString syncText;
    QString syncWhy;
    if (!m_loading && m_tenants.isEmpty()) {
        missing = tr("You may not start subscriptions for any tenant: that needs the "
                     "permission \"subscriptions.manage\".");
    } else if (tenant && !tenant->isCustomer) {
        missing = tr("%1 is not a Stripe customer yet. Sync the tenant to Stripe first.")
                      .arg(tenant->name);
        syncText = tr("Sync tenant to Stripe");
        if (m_accessKnown && !m_access.can(tenant->id, QStringLiteral("tenants.manage")))
            syncWhy = tr("You need the permission \"tenants.manage\" in %1.").arg(tenant->name);
    } else if (plan && !plan->isInStripe()) {
        missing =
            tr("The plan %1 has no Stripe price yet. Publish it to Stripe first.").arg(plan->name);
        syncText = tr("Publish plan to Stripe");
        if (m_accessKnown && !m_access.platformAdmin)
            syncWhy = tr("Publishing plans is for platform administrators.");
    } else if (!m_loading && tenant && !plan) {
        missing = tr("No current plan in %1 can be chosen.").arg(tenant->currency);
    }
    if (syncing)
        missing = m_syncTracker->describe();
    m_readiness->setText(missing);
    m_readiness->setVisible(!missing.isEmpty());
    m_sync->setVisible(!syncText.isEmpty() && !started);
    m_sync->setText(syncText);
    m_sync->setEnabled(syncWhy.isEmpty() && !syncing);
    m_sync->setToolTip(syncWhy);

    QString why;
    if (m_checkout->isChecked() && !m_successUrl->text().startsWith(QLatin1String("https://")))
        why = tr("A Checkout link needs the https address the customer returns to.");
    if (!missing.isEmpty())
        why = missing;
    m_create->setEnabled(!m_loading && !m_busy && !started && tenant && plan && why.isEmpty());
    m_create->setToolTip(why);
}

void NewSubscriptionDialog::sync()
{
    const TenantChoice *tenant = currentTenant();
    const Plan *plan = currentPlan();
    if (!tenant || !plan)
        return;
    if (m_syncTracker)
        m_syncTracker->deleteLater();
    m_syncTracker = new JobTracker(m_worker, this);
    m_syncTracker->setChangeFeed(m_feed);
    connect(m_syncTracker, &JobTracker::stateChanged, this, &NewSubscriptionDialog::updateState);
    connect(m_syncTracker, &JobTracker::waitingLong, this, &NewSubscriptionDialog::updateState);
    connect(m_syncTracker, &JobTracker::finished, this, [this](bool succeeded) {
        if (succeeded) {
            m_status->setText(tr("Done in Stripe."));
            loadChoices();
        } else {
            m_status->setText(tr("Not done in Stripe: %1").arg(m_syncTracker->errorMessage()));
            updateState();
        }
    });
    const QString token = QUuid::createUuid().toString(QUuid::WithoutBraces);
    if (!tenant->isCustomer)
        m_syncTracker->enqueue(tenant->id, jobkinds::SyncCustomer, {},
                               QStringLiteral("customer:%1:sync:%2").arg(tenant->id, token));
    else
        m_syncTracker->enqueue(QString(), jobkinds::SyncPlan,
                               {{QStringLiteral("plan_id"), plan->id}},
                               QStringLiteral("plan:%1:sync:%2").arg(plan->id, token));
    updateState();
}

void NewSubscriptionDialog::create()
{
    if (!m_create->isEnabled())
        return;
    NewSubscriptionRequest request;
    request.organizationId = m_tenant->currentData().toString();
    request.planId = m_plan->currentData().toString();
    request.quantity = m_quantity->value();
    request.collection = collection();
    request.daysUntilDue = m_daysUntilDue->value();
    request.trialDays = m_trialDays->value();
    request.successUrl = m_successUrl->text().trimmed();
    request.requestToken = m_token;
    m_busy = true;
    m_status->setText(tr("Queueing…"));
    updateState();
    m_worker->run<NewSubscriptionQueued>(
        this,
        [request](const QString &connection) {
            return SubscriptionService(connection).create(request);
        },
        [this](Result<NewSubscriptionQueued> result) {
            m_busy = false;
            if (!result) {
                m_status->setText(result.error().message);
                updateState();
                return;
            }
            emit subscriptionQueued(result.value().subscriptionId);
            m_tracker = new JobTracker(m_worker, this);
            m_tracker->setChangeFeed(m_feed);
            connect(m_tracker, &JobTracker::stateChanged, this,
                    &NewSubscriptionDialog::showOutcome);
            connect(m_tracker, &JobTracker::waitingLong, this, &NewSubscriptionDialog::showOutcome);
            m_tracker->track(result.value().jobId);
            m_close->setText(tr("Close"));
            for (QWidget *w : std::initializer_list<QWidget *>{
                     m_tenant, m_plan, m_quantity, m_automatic, m_invoice, m_checkout,
                     m_daysUntilDue, m_trialDays, m_successUrl})
                w->setEnabled(false);
            showOutcome();
            updateState();
        });
}

void NewSubscriptionDialog::showOutcome()
{
    if (!m_tracker)
        return;
    switch (m_tracker->state()) {
    case JobTracker::State::Succeeded: {
        const QJsonObject result = m_tracker->result();
        const QString url = result.value(QLatin1String("checkout_url")).toString();
        if (!url.isEmpty()) {
            m_link->setText(url);
            m_link->show();
            m_copy->show();
            m_status->setText(tr("Stripe made the Checkout link. Copy it and send it to the "
                                 "customer; the subscription starts once they have paid."));
        } else {
            m_status->setText(
                tr("Done in Stripe: subscription %1 (%2).")
                    .arg(result.value(QLatin1String("stripe_subscription_id")).toString(),
                         result.value(QLatin1String("status")).toString()));
        }
        break;
    }
    case JobTracker::State::Failed:
    case JobTracker::State::Cancelled:
        m_status->setText(tr("Not done in Stripe: %1").arg(m_tracker->errorMessage()));
        break;
    default:
        m_status->setText(tr("The subscription is queued. %1").arg(m_tracker->describe()));
    }
}

} // namespace nobill
