#include "invoices/invoicedetailpanel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "invoices/invoicelistmodel.h"
#include "invoices/invoiceservice.h"
#include "subscriptions/subscriptionlistmodel.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
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

QString when(const QDateTime &at)
{
    return QLocale().toString(at.toLocalTime(), QLocale::ShortFormat);
}
} // namespace

InvoiceDetailPanel::InvoiceDetailPanel(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("invoiceDetailPanel"));
    setMinimumWidth(270);
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
    m_empty = new QLabel(tr("Select an invoice to see its details."), this);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_empty);

    m_content = new QWidget(this);
    auto *form = new QFormLayout(m_content);
    form->setContentsMargins(0, 4, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    m_tenant = valueLabel(m_content, "detailTenant");
    m_status = valueLabel(m_content, "detailStatus");
    m_subtotal = valueLabel(m_content, "detailSubtotal");
    m_tax = valueLabel(m_content, "detailTax");
    m_total = valueLabel(m_content, "detailTotal");
    m_amountDue = valueLabel(m_content, "detailAmountDue");
    m_amountPaid = valueLabel(m_content, "detailAmountPaid");
    m_amountRemaining = valueLabel(m_content, "detailAmountRemaining");
    m_period = valueLabel(m_content, "detailPeriod");
    m_created = valueLabel(m_content, "detailCreated");
    m_finalized = valueLabel(m_content, "detailFinalized");
    m_due = valueLabel(m_content, "detailDue");
    m_paid = valueLabel(m_content, "detailPaid");
    m_subscription = valueLabel(m_content, "detailSubscription");
    m_stripe = valueLabel(m_content, "detailStripe");
    m_customer = valueLabel(m_content, "detailCustomer");
    m_subscriptionStatus = valueLabel(m_content, "detailSubscriptionStatus");
    m_billingEmail = valueLabel(m_content, "detailBillingEmail");
    for (QLabel *amount :
         {m_subtotal, m_tax, m_total, m_amountDue, m_amountPaid, m_amountRemaining})
        amount->setAlignment(Qt::AlignRight | Qt::AlignVCenter);
    QFont bold = m_total->font();
    bold.setBold(true);
    m_total->setFont(bold);
    form->addRow(tr("Tenant:"), m_tenant);
    form->addRow(tr("Status:"), m_status);
    form->addRow(tr("Period:"), m_period);
    form->addRow(heading(tr("Amounts"), m_content));
    form->addRow(tr("Subtotal:"), m_subtotal);
    form->addRow(tr("Tax:"), m_tax);
    form->addRow(tr("Total:"), m_total);
    form->addRow(tr("Amount due:"), m_amountDue);
    form->addRow(tr("Paid:"), m_amountPaid);
    form->addRow(tr("Remaining:"), m_amountRemaining);
    form->addRow(heading(tr("Dates"), m_content));
    form->addRow(tr("Created:"), m_created);
    form->addRow(tr("Finalized:"), m_finalized);
    form->addRow(tr("Due:"), m_due);
    form->addRow(tr("Paid on:"), m_paid);
    form->addRow(heading(tr("Stripe"), m_content));
    form->addRow(tr("Subscription:"), m_subscription);
    form->addRow(tr("Its status:"), m_subscriptionStatus);
    form->addRow(tr("Invoice id:"), m_stripe);
    form->addRow(tr("Customer:"), m_customer);
    form->addRow(tr("Billing email:"), m_billingEmail);
    m_open = new QPushButton(tr("Open invoice in browser"), m_content);
    m_open->setObjectName(QStringLiteral("openInvoiceButton"));
    form->addRow(m_open);
    connect(m_open, &QPushButton::clicked, this, [this]() {
        if (m_invoice && InvoiceService::isOpenableUrl(m_invoice->hostedInvoiceUrl))
            emit openRequested(m_invoice->hostedInvoiceUrl);
    });
    layout->addWidget(m_content);
    layout->addStretch(1);
    clear();
}

void InvoiceDetailPanel::setValue(QLabel *label, const QString &text, bool placeholder)
{
    label->setText(text);
    label->setForegroundRole(placeholder ? QPalette::PlaceholderText : QPalette::WindowText);
}

void InvoiceDetailPanel::clear()
{
    ++m_request;
    m_loading = false;
    m_invoice.reset();
    m_title->setText(tr("No invoice selected"));
    m_empty->show();
    m_content->hide();
}

void InvoiceDetailPanel::showFields(const Invoice &i)
{
    const QLocale locale;
    m_title->setText(i.number.isEmpty() ? tr("Draft invoice") : tr("Invoice %1").arg(i.number));
    setValue(m_tenant,
             i.organizationName.isEmpty() ? tr("(tenant not visible)") : i.organizationName,
             i.organizationName.isEmpty());
    setValue(m_status, InvoiceListModel::statusText(i));
    m_status->setStyleSheet(i.isOverdue() ? QStringLiteral("color: #b02020;") : QString());
    const QString period = InvoiceListModel::periodText(i);
    setValue(m_period, period.isEmpty() ? tr("none") : period, period.isEmpty());
    setValue(m_subtotal, formatMoney(i.subtotal, i.currency, locale));
    setValue(m_tax, formatMoney(i.tax, i.currency, locale));
    setValue(m_total, formatMoney(i.total, i.currency, locale));
    setValue(m_amountDue, formatMoney(i.amountDue, i.currency, locale));
    setValue(m_amountPaid, formatMoney(i.amountPaid, i.currency, locale));
    setValue(m_amountRemaining, formatMoney(i.amountRemaining, i.currency, locale));
    setValue(m_created, when(i.createdAt));
    setValue(m_finalized, i.finalizedAt.isValid() ? when(i.finalizedAt) : tr("not yet"),
             !i.finalizedAt.isValid());
    setValue(m_due, i.dueDate.isValid() ? when(i.dueDate) : tr("charged automatically"),
             !i.dueDate.isValid());
    setValue(m_paid, i.paidAt.isValid() ? when(i.paidAt) : tr("not paid"), !i.paidAt.isValid());
    if (i.subscriptionId.isEmpty())
        setValue(m_subscription, tr("none (one-off invoice)"), true);
    else
        setValue(m_subscription, i.planName.isEmpty()
                                     ? i.stripeSubscriptionId
                                     : tr("%1 (%2)").arg(i.planName, i.stripeSubscriptionId));
    setValue(m_stripe, i.stripeInvoiceId.isEmpty() ? tr("not in Stripe yet") : i.stripeInvoiceId,
             i.stripeInvoiceId.isEmpty());
    const bool openable = InvoiceService::isOpenableUrl(i.hostedInvoiceUrl);
    m_open->setEnabled(openable);
    m_open->setToolTip(openable ? i.hostedInvoiceUrl
                                : (i.hostedInvoiceUrl.isEmpty()
                                       ? tr("Stripe has no page for this invoice (yet): drafts "
                                            "get one when they are finalized.")
                                       : tr("The invoice's address is not a secure https link, "
                                            "so it is not opened.")));
}

void InvoiceDetailPanel::showInvoice(const Invoice &invoice)
{
    m_invoice = invoice;
    m_empty->hide();
    m_content->show();
    showFields(invoice);
    for (QLabel *later : {m_customer, m_billingEmail, m_subscriptionStatus})
        setValue(later, tr("loading…"), true);
    const quint64 request = ++m_request;
    m_loading = true;
    const QString id = invoice.id;
    m_worker->run<InvoiceDetails>(
        this, [id](const QString &connection) { return InvoiceService(connection).details(id); },
        [this, request](Result<InvoiceDetails> result) {
            if (request != m_request)
                return;
            m_loading = false;
            if (!result) {
                for (QLabel *later : {m_customer, m_billingEmail, m_subscriptionStatus})
                    setValue(later, tr("not available"), true);
                m_customer->setToolTip(result.error().message);
                return;
            }
            const InvoiceDetails &d = result.value();
            m_invoice = d.invoice;
            showFields(d.invoice);
            setValue(m_customer,
                     d.tenantStripeCustomerId.isEmpty() ? tr("not linked")
                                                        : d.tenantStripeCustomerId,
                     d.tenantStripeCustomerId.isEmpty());
            setValue(m_billingEmail,
                     d.tenantBillingEmail.isEmpty() ? tr("not visible") : d.tenantBillingEmail,
                     d.tenantBillingEmail.isEmpty());
            setValue(m_subscriptionStatus,
                     d.subscriptionStatus.isEmpty()
                         ? tr("none")
                         : SubscriptionListModel::statusText(d.subscriptionStatus),
                     d.subscriptionStatus.isEmpty());
        });
}

void InvoiceDetailPanel::addActions(QWidget *actions)
{
    static_cast<QFormLayout *>(m_content->layout())->addRow(actions);
}

} // namespace nobill
