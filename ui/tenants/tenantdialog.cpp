#include "tenants/tenantdialog.h"

#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "tenants/tenantservice.h"
#include "tenants/tenantvalidator.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

TenantDialog::TenantDialog(DatabaseWorker *worker, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
{
    setWindowTitle(tr("New tenant"));
    buildForm();
    m_currency->setCurrentText(QStringLiteral("EUR"));
    revalidate();
}

TenantDialog::TenantDialog(DatabaseWorker *worker, const Tenant &tenant, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_tenant(tenant)
{
    setWindowTitle(tr("Edit %1").arg(tenant.name));
    buildForm();
    m_slugEdited = true; // an existing slug is never rewritten from the name
    setDraft(TenantDraft::from(tenant));
}

void TenantDialog::buildForm()
{
    setObjectName(QStringLiteral("tenantDialog"));
    setMinimumWidth(520);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    auto addField = [&](const QString &label, QWidget *field, const char *key) {
        auto *column = new QVBoxLayout;
        column->setSpacing(2);
        column->addWidget(field);
        auto *problem = new QLabel(this);
        problem->setObjectName(QStringLiteral("problem-") + QLatin1String(key));
        problem->setWordWrap(true);
        problem->setStyleSheet(QStringLiteral("color: #c0392b;"));
        problem->hide();
        column->addWidget(problem);
        m_problemLabels.insert(QLatin1String(key), problem);
        // A label of our own, so its mnemonic (&N) moves the focus to the field.
        auto *caption = new QLabel(label, this);
        caption->setBuddy(field);
        form->addRow(caption, column);
    };

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("Acme Ltd"));
    m_name->setMaxLength(200);
    addField(tr("&Name:"), m_name, "name");

    auto *slugRow = new QWidget(this);
    auto *slugLayout = new QHBoxLayout(slugRow);
    slugLayout->setContentsMargins(0, 0, 0, 0);
    m_slug = new QLineEdit(slugRow);
    slugRow->setFocusProxy(m_slug);
    m_slug->setObjectName(QStringLiteral("slug"));
    m_slug->setPlaceholderText(tr("acme-ltd"));
    m_slug->setMaxLength(63);
    m_slugStatus = new QLabel(slugRow);
    m_slugStatus->setObjectName(QStringLiteral("slugStatus"));
    slugLayout->addWidget(m_slug, 1);
    slugLayout->addWidget(m_slugStatus);
    addField(tr("&Slug:"), slugRow, "slug");

    m_email = new QLineEdit(this);
    m_email->setObjectName(QStringLiteral("billingEmail"));
    m_email->setPlaceholderText(tr("billing@example.com"));
    addField(tr("Billing &email:"), m_email, "billingEmail");

    m_currency = new QComboBox(this);
    m_currency->setObjectName(QStringLiteral("currency"));
    m_currency->setEditable(true);
    m_currency->addItems(TenantValidator::commonCurrencies());
    m_currency->setInsertPolicy(QComboBox::NoInsert);
    addField(tr("&Currency:"), m_currency, "currency");

    m_taxId = new QLineEdit(this);
    m_taxId->setObjectName(QStringLiteral("taxId"));
    m_taxId->setPlaceholderText(tr("optional, e.g. DE123456789"));
    addField(tr("&Tax id:"), m_taxId, "taxId");

    m_address1 = new QLineEdit(this);
    m_address1->setObjectName(QStringLiteral("addressLine1"));
    m_address1->setPlaceholderText(tr("optional"));
    m_address2 = new QLineEdit(this);
    m_address2->setObjectName(QStringLiteral("addressLine2"));
    auto *addressBox = new QWidget(this);
    addressBox->setFocusProxy(m_address1);
    auto *addressLayout = new QVBoxLayout(addressBox);
    addressLayout->setContentsMargins(0, 0, 0, 0);
    addressLayout->setSpacing(4);
    addressLayout->addWidget(m_address1);
    addressLayout->addWidget(m_address2);
    auto *cityRow = new QHBoxLayout;
    m_postalCode = new QLineEdit(this);
    m_postalCode->setObjectName(QStringLiteral("postalCode"));
    m_postalCode->setPlaceholderText(tr("Postal code"));
    m_city = new QLineEdit(this);
    m_city->setObjectName(QStringLiteral("city"));
    m_city->setPlaceholderText(tr("City"));
    m_country = new QLineEdit(this);
    m_country->setObjectName(QStringLiteral("country"));
    m_country->setPlaceholderText(tr("Country (DE)"));
    m_country->setMaxLength(2);
    cityRow->addWidget(m_postalCode, 1);
    cityRow->addWidget(m_city, 2);
    cityRow->addWidget(m_country, 1);
    addressLayout->addLayout(cityRow);
    addField(tr("&Address:"), addressBox, "address");
    if (auto *countryProblem = new QLabel(this)) {
        countryProblem->setObjectName(QStringLiteral("problem-country"));
        countryProblem->setStyleSheet(QStringLiteral("color: #c0392b;"));
        countryProblem->hide();
        m_problemLabels.insert(QStringLiteral("country"), countryProblem);
        form->addRow(QString(), countryProblem);
    }
    layout->addLayout(form);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(isEditing() ? tr("&Save changes") : tr("&Create tenant"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &TenantDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    m_slugTimer = new QTimer(this);
    m_slugTimer->setSingleShot(true);
    m_slugTimer->setInterval(300);
    connect(m_slugTimer, &QTimer::timeout, this, &TenantDialog::checkSlugSoon);

    connect(m_name, &QLineEdit::textChanged, this, [this](const QString &name) {
        if (!m_slugEdited) {
            const QSignalBlocker blocker(m_slug);
            m_slug->setText(TenantValidator::suggestSlug(name));
            m_slugTimer->start();
        }
        revalidate();
    });
    connect(m_slug, &QLineEdit::textEdited, this, [this]() {
        m_slugEdited = true;
        m_slugTaken = false;
        m_slugStatus->clear();
        m_slugTimer->start();
        revalidate();
    });
    for (QLineEdit *edit :
         {m_email, m_taxId, m_address1, m_address2, m_postalCode, m_city, m_country})
        connect(edit, &QLineEdit::textChanged, this, &TenantDialog::revalidate);
    connect(m_currency, &QComboBox::currentTextChanged, this, &TenantDialog::revalidate);
}

TenantDraft TenantDialog::draft() const
{
    TenantDraft d;
    d.name = m_name->text();
    d.slug = m_slug->text();
    d.billingEmail = m_email->text();
    d.currency = m_currency->currentText();
    d.taxId = m_taxId->text();
    d.addressLine1 = m_address1->text();
    d.addressLine2 = m_address2->text();
    d.postalCode = m_postalCode->text();
    d.city = m_city->text();
    d.country = m_country->text();
    return d;
}

void TenantDialog::setDraft(const TenantDraft &d)
{
    m_name->setText(d.name); // suggests a slug while the operator has not typed one
    if (!d.slug.isEmpty()) {
        const QSignalBlocker blocker(m_slug);
        m_slug->setText(d.slug);
        m_slugEdited = true;
    }
    m_email->setText(d.billingEmail);
    m_currency->setCurrentText(d.currency);
    m_taxId->setText(d.taxId);
    m_address1->setText(d.addressLine1);
    m_address2->setText(d.addressLine2);
    m_postalCode->setText(d.postalCode);
    m_city->setText(d.city);
    m_country->setText(d.country);
    m_slugTimer->start();
    revalidate();
}

void TenantDialog::showProblems(const QList<FieldProblem> &problems)
{
    for (QLabel *label : std::as_const(m_problemLabels)) {
        label->clear();
        label->hide();
    }
    for (const FieldProblem &p : problems) {
        if (QLabel *label = m_problemLabels.value(p.field)) {
            if (label->isHidden()) { // the first problem of a field is the one to fix first
                label->setText(p.message);
                label->show();
            }
        }
    }
}

void TenantDialog::revalidate()
{
    QList<FieldProblem> problems = TenantValidator::validate(draft());
    // Only show a problem once the operator has had a chance to type: not on an empty form.
    QList<FieldProblem> shown;
    for (const FieldProblem &p : std::as_const(problems)) {
        const bool untouched =
            (p.field == QLatin1String("name") && m_name->text().isEmpty()) ||
            (p.field == QLatin1String("slug") && m_slug->text().isEmpty() &&
             m_name->text().isEmpty()) ||
            (p.field == QLatin1String("billingEmail") && m_email->text().isEmpty());
        if (!untouched)
            shown.append(p);
    }
    if (m_slugTaken)
        shown.append({QStringLiteral("slug"),
                      tr("Another tenant already uses this slug. Choose a different one.")});
    showProblems(shown);
    m_buttons->button(QDialogButtonBox::Save)
        ->setEnabled(!m_saving && problems.isEmpty() && !m_slugTaken);
}

void TenantDialog::checkSlugSoon()
{
    const QString slug = m_slug->text().trimmed().toLower();
    if (slug.size() < 2) {
        m_slugStatus->clear();
        return;
    }
    const quint64 check = ++m_slugCheck;
    const QString exceptId = m_tenant.id;
    m_slugStatus->setText(tr("checking…"));
    m_worker->run<bool>(
        this,
        [slug, exceptId](const QString &connection) {
            return TenantService(connection).isSlugAvailable(slug, exceptId);
        },
        [this, check](Result<bool> available) {
            if (check != m_slugCheck)
                return; // the operator typed on; a newer check is coming
            if (!available) {
                m_slugStatus->setText(tr("not checked"));
                m_slugStatus->setToolTip(available.error().message);
                return;
            }
            m_slugTaken = !available.value();
            m_slugStatus->setText(m_slugTaken ? tr("taken") : tr("available"));
            revalidate();
        });
}

void TenantDialog::setSaving(bool saving)
{
    m_saving = saving;
    for (QWidget *w :
         std::initializer_list<QWidget *>{m_name, m_slug, m_email, m_currency, m_taxId, m_address1,
                                          m_address2, m_postalCode, m_city, m_country})
        w->setEnabled(!saving);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(saving ? tr("Saving…")
                         : (isEditing() ? tr("&Save changes") : tr("&Create tenant")));
    revalidate();
}

void TenantDialog::save()
{
    if (m_saving)
        return;
    const TenantDraft d = draft();
    const QList<FieldProblem> problems = TenantValidator::validate(d);
    if (!problems.isEmpty() || m_slugTaken) {
        showProblems(problems);
        return;
    }
    m_banner->clear();
    setSaving(true);
    const Tenant original = m_tenant;
    m_worker->run<Tenant>(
        this,
        [d, original](const QString &connection) {
            TenantService service(connection);
            return original.id.isEmpty() ? service.create(d)
                                         : service.update(original.id, original.version, d);
        },
        [this](Result<Tenant> result) {
            setSaving(false);
            if (!result) {
                if (result.error().subject == QLatin1String("organizations_slug_key")) {
                    m_slugTaken = true;
                    revalidate();
                }
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                return;
            }
            emit saved(result.value());
            accept();
        });
}

} // namespace nobill
