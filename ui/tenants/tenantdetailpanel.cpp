#include "tenants/tenantdetailpanel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "tenants/tenantservice.h"

#include <QFormLayout>
#include <QLabel>
#include <QLocale>
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
} // namespace

TenantDetailPanel::TenantDetailPanel(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("tenantDetailPanel"));
    setMinimumWidth(260);
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

    m_empty = new QLabel(tr("Select a tenant to see its details."), this);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_empty);

    m_content = new QWidget(this);
    auto *form = new QFormLayout(m_content);
    form->setContentsMargins(0, 4, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    m_status = valueLabel(m_content, "detailStatus");
    m_slug = valueLabel(m_content, "detailSlug");
    m_email = valueLabel(m_content, "detailEmail");
    m_currency = valueLabel(m_content, "detailCurrency");
    m_stripe = valueLabel(m_content, "detailStripe");
    m_taxId = valueLabel(m_content, "detailTaxId");
    m_address = valueLabel(m_content, "detailAddress");
    m_created = valueLabel(m_content, "detailCreated");
    m_updated = valueLabel(m_content, "detailUpdated");
    m_subscriptions = valueLabel(m_content, "detailSubscriptions");
    m_invoices = valueLabel(m_content, "detailInvoices");
    m_members = valueLabel(m_content, "detailMembers");
    m_usage = valueLabel(m_content, "detailUsage");
    form->addRow(tr("Status:"), m_status);
    form->addRow(tr("Slug:"), m_slug);
    form->addRow(tr("Billing email:"), m_email);
    form->addRow(tr("Currency:"), m_currency);
    form->addRow(tr("Stripe customer:"), m_stripe);
    form->addRow(tr("Tax id:"), m_taxId);
    form->addRow(tr("Address:"), m_address);
    form->addRow(tr("Created:"), m_created);
    form->addRow(tr("Last changed:"), m_updated);
    auto *figures = new QLabel(tr("Billing"), m_content);
    QFont figuresFont = figures->font();
    figuresFont.setBold(true);
    figures->setFont(figuresFont);
    form->addRow(figures);
    form->addRow(tr("Subscriptions:"), m_subscriptions);
    form->addRow(tr("Open invoices:"), m_invoices);
    form->addRow(tr("Members:"), m_members);
    form->addRow(tr("Usage records:"), m_usage);
    layout->addWidget(m_content);
    layout->addStretch(1);
    clear();
}

void TenantDetailPanel::setValue(QLabel *label, const QString &text, bool placeholder)
{
    label->setText(text);
    label->setForegroundRole(placeholder ? QPalette::PlaceholderText : QPalette::WindowText);
}

void TenantDetailPanel::clear()
{
    ++m_request;
    m_loading = false;
    m_title->setText(tr("No tenant selected"));
    m_empty->show();
    m_content->hide();
}

void TenantDetailPanel::showTenant(const Tenant &t)
{
    m_empty->hide();
    m_content->show();
    m_title->setText(t.name);
    setValue(m_status, t.isSuspended() ? tr("Suspended") : tr("Active"));
    setValue(m_slug, t.slug);
    setValue(m_email, t.billingEmail);
    setValue(m_currency, t.currency);
    if (t.stripeCustomerId.isEmpty())
        setValue(m_stripe, tr("not linked to Stripe yet"), true);
    else
        setValue(m_stripe, t.stripeCustomerId);
    if (t.taxId.isEmpty())
        setValue(m_taxId, tr("none"), true);
    else
        setValue(m_taxId, t.taxId);
    QStringList address;
    for (const QString &part :
         {t.addressLine1, t.addressLine2,
          QStringList{t.postalCode, t.city}.join(QLatin1Char(' ')).trimmed(), t.country}) {
        if (!part.isEmpty())
            address << part;
    }
    if (address.isEmpty())
        setValue(m_address, tr("none"), true);
    else
        setValue(m_address, address.join(QLatin1Char('\n')));
    const QLocale here;
    setValue(m_created, here.toString(t.createdAt.toLocalTime(), QLocale::ShortFormat));
    setValue(m_updated, here.toString(t.updatedAt.toLocalTime(), QLocale::ShortFormat));
    for (QLabel *figure : {m_subscriptions, m_invoices, m_members, m_usage})
        setValue(figure, tr("loading…"), true);

    const quint64 request = ++m_request;
    m_loading = true;
    const QString id = t.id;
    m_worker->run<TenantDetails>(
        this, [id](const QString &connection) { return TenantService(connection).details(id); },
        [this, request](Result<TenantDetails> result) {
            if (request != m_request)
                return; // another tenant was selected meanwhile
            m_loading = false;
            if (!result) {
                for (QLabel *figure : {m_subscriptions, m_invoices, m_members, m_usage})
                    setValue(figure, tr("not available"), true);
                m_subscriptions->setToolTip(result.error().message);
                setValue(m_subscriptions, result.error().message, true);
                return;
            }
            const TenantDetails &d = result.value();
            const QLocale locale; // not captured: the operator may change it meanwhile
            setValue(m_subscriptions, tr("%1 live of %2")
                                          .arg(locale.toString(d.liveSubscriptionCount),
                                               locale.toString(d.subscriptionCount)));
            if (d.openInvoiceCount == 0) {
                setValue(m_invoices, tr("none"));
            } else if (d.openInvoiceCurrency.isEmpty()) {
                setValue(m_invoices,
                         tr("%1 (in several currencies)").arg(locale.toString(d.openInvoiceCount)));
            } else {
                setValue(m_invoices,
                         tr("%1, %2 outstanding")
                             .arg(locale.toString(d.openInvoiceCount),
                                  formatMoney(d.openInvoiceAmount, d.openInvoiceCurrency, locale)));
            }
            setValue(m_members, locale.toString(d.memberCount));
            setValue(m_usage, locale.toString(d.usageRecordCount));
        });
}

void TenantDetailPanel::addActions(QWidget *actions)
{
    static_cast<QFormLayout *>(m_content->layout())->addRow(actions);
}

} // namespace nobill
