#include "plans/plandialogs.h"

#include "common/messagebanner.h"
#include "core/money.h"
#include "database/databaseworker.h"
#include "plans/planformat.h"
#include "plans/planservice.h"
#include "plans/planvalidator.h"
#include "tenants/tenantvalidator.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSpinBox>
#include <QVBoxLayout>

namespace nobill {

namespace {
// A field with the line under it that says what is wrong with it, and a caption whose
// mnemonic moves the focus to the field.
void addField(QWidget *dialog, QFormLayout *form, QMap<QString, QLabel *> &problems,
              const QString &caption, QWidget *field, const char *key)
{
    auto *column = new QVBoxLayout;
    column->setSpacing(2);
    column->addWidget(field);
    auto *problem = new QLabel(dialog);
    problem->setObjectName(QStringLiteral("problem-") + QLatin1String(key));
    problem->setWordWrap(true);
    problem->setStyleSheet(QStringLiteral("color: #c0392b;"));
    problem->hide();
    column->addWidget(problem);
    problems.insert(QLatin1String(key), problem);
    auto *label = new QLabel(caption, dialog);
    label->setBuddy(field);
    form->addRow(label, column);
}

void showProblems(const QMap<QString, QLabel *> &labels, const QList<FieldProblem> &problems)
{
    for (QLabel *label : labels) {
        label->clear();
        label->hide();
    }
    for (const FieldProblem &p : problems) {
        QLabel *label = labels.value(p.field);
        if (label && label->isHidden()) { // a field's first problem is the one to fix first
            label->setText(p.message);
            label->show();
        }
    }
}

QPlainTextEdit *descriptionEdit(QWidget *parent, const QString &placeholder)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setObjectName(QStringLiteral("description"));
    edit->setPlaceholderText(placeholder);
    edit->setTabChangesFocus(true);
    edit->setFixedHeight(edit->fontMetrics().lineSpacing() * 4 + 12);
    return edit;
}
} // namespace

// --- ProductDialog -----------------------------------------------------------------------

ProductDialog::ProductDialog(DatabaseWorker *worker, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
{
    setWindowTitle(tr("New product"));
    buildForm();
    revalidate();
}

ProductDialog::ProductDialog(DatabaseWorker *worker, const Product &product, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_product(product)
{
    setWindowTitle(tr("Edit %1").arg(product.name));
    buildForm();
    setDraft({product.name, product.description});
}

void ProductDialog::buildForm()
{
    setObjectName(QStringLiteral("productDialog"));
    setMinimumWidth(480);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("NOBill Cloud"));
    m_name->setMaxLength(200);
    addField(this, form, m_problemLabels, tr("&Name:"), m_name, "name");
    m_description = descriptionEdit(this, tr("What customers get, in a sentence or two"));
    addField(this, form, m_problemLabels, tr("&Description:"), m_description, "description");
    layout->addLayout(form);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(isEditing() ? tr("&Save changes") : tr("&Create product"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ProductDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &ProductDialog::revalidate);
    connect(m_description, &QPlainTextEdit::textChanged, this, &ProductDialog::revalidate);
}

ProductDraft ProductDialog::draft() const
{
    return {m_name->text(), m_description->toPlainText()};
}

void ProductDialog::setDraft(const ProductDraft &draft)
{
    m_name->setText(draft.name);
    m_description->setPlainText(draft.description);
    revalidate();
}

void ProductDialog::revalidate()
{
    const QList<FieldProblem> problems = PlanValidator::validate(draft());
    QList<FieldProblem> shown;
    for (const FieldProblem &p : problems) {
        // Not on an empty form: only once the operator has had a chance to type.
        if (!(p.field == QLatin1String("name") && m_name->text().isEmpty()))
            shown.append(p);
    }
    showProblems(m_problemLabels, shown);
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(!m_saving && problems.isEmpty());
}

void ProductDialog::save()
{
    if (m_saving || !PlanValidator::validate(draft()).isEmpty())
        return;
    m_banner->clear();
    m_saving = true;
    m_name->setEnabled(false);
    m_description->setEnabled(false);
    revalidate();
    const ProductDraft d = draft();
    const Product original = m_product;
    m_worker->run<Product>(
        this,
        [d, original](const QString &connection) {
            PlanService service(connection);
            return original.id.isEmpty() ? service.createProduct(d)
                                         : service.updateProduct(original.id, original.version, d);
        },
        [this](Result<Product> result) {
            m_saving = false;
            m_name->setEnabled(true);
            m_description->setEnabled(true);
            revalidate();
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                return;
            }
            emit saved(result.value());
            accept();
        });
}

// --- PlanDialog --------------------------------------------------------------------------

PlanDialog::PlanDialog(DatabaseWorker *worker, const QList<Product> &products,
                       const QString &productId, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
{
    setWindowTitle(tr("New plan"));
    buildForm(products);
    const int preselected = m_product->findData(productId);
    if (preselected >= 0)
        m_product->setCurrentIndex(preselected);
    m_currency->setCurrentText(QStringLiteral("EUR"));
    revalidate();
}

PlanDialog::PlanDialog(DatabaseWorker *worker, const Plan &plan, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_plan(plan)
{
    setWindowTitle(tr("Edit %1").arg(plan.name));
    Product product;
    product.id = plan.productId;
    product.name = plan.productName;
    buildForm({product});
    PlanDraft d;
    d.productId = plan.productId;
    d.name = plan.name;
    d.description = plan.description;
    d.amount = plan.amount;
    d.currency = plan.currency;
    d.interval = plan.interval;
    d.intervalCount = plan.intervalCount;
    d.usageType = plan.usageType;
    d.metric = plan.metric;
    d.trialDays = plan.trialDays;
    setDraft(d);
}

void PlanDialog::buildForm(const QList<Product> &products)
{
    setObjectName(QStringLiteral("planDialog"));
    setMinimumWidth(540);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);

    m_product = new QComboBox(this);
    m_product->setObjectName(QStringLiteral("product"));
    for (const Product &p : products) {
        if (!p.isArchived())
            m_product->addItem(p.name, p.id);
    }
    m_product->setPlaceholderText(tr("Create a product first"));
    addField(this, form, m_problemLabels, tr("&Product:"), m_product, "productId");

    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("name"));
    m_name->setPlaceholderText(tr("Team (EUR)"));
    m_name->setMaxLength(200);
    addField(this, form, m_problemLabels, tr("&Name:"), m_name, "name");

    m_description = descriptionEdit(this, tr("optional: who this price is for"));
    addField(this, form, m_problemLabels, tr("&Description:"), m_description, "description");

    auto *priceRow = new QWidget(this);
    auto *priceLayout = new QHBoxLayout(priceRow);
    priceLayout->setContentsMargins(0, 0, 0, 0);
    m_amount = new QLineEdit(priceRow);
    m_amount->setObjectName(QStringLiteral("amount"));
    m_amount->setPlaceholderText(tr("49.00"));
    m_amount->setAlignment(Qt::AlignRight);
    m_currency = new QComboBox(priceRow);
    m_currency->setObjectName(QStringLiteral("currency"));
    m_currency->setEditable(true);
    m_currency->setInsertPolicy(QComboBox::NoInsert);
    m_currency->addItems(TenantValidator::commonCurrencies());
    m_currency->setAccessibleName(tr("Currency"));
    priceLayout->addWidget(m_amount, 2);
    priceLayout->addWidget(m_currency, 1);
    priceRow->setFocusProxy(m_amount);
    addField(this, form, m_problemLabels, tr("P&rice:"), priceRow, "amount");
    if (auto *currencyProblem = new QLabel(this)) {
        currencyProblem->setObjectName(QStringLiteral("problem-currency"));
        currencyProblem->setWordWrap(true);
        currencyProblem->setStyleSheet(QStringLiteral("color: #c0392b;"));
        currencyProblem->hide();
        m_problemLabels.insert(QStringLiteral("currency"), currencyProblem);
        form->addRow(QString(), currencyProblem);
    }

    auto *billingRow = new QWidget(this);
    auto *billingLayout = new QHBoxLayout(billingRow);
    billingLayout->setContentsMargins(0, 0, 0, 0);
    auto *every = new QLabel(tr("every"), billingRow);
    m_intervalCount = new QSpinBox(billingRow);
    m_intervalCount->setObjectName(QStringLiteral("intervalCount"));
    m_intervalCount->setRange(0, 1095);
    m_intervalCount->setValue(1);
    m_intervalCount->setAccessibleName(tr("Number of intervals between bills"));
    m_interval = new QComboBox(billingRow);
    m_interval->setObjectName(QStringLiteral("interval"));
    m_interval->addItem(tr("day(s)"), QStringLiteral("day"));
    m_interval->addItem(tr("week(s)"), QStringLiteral("week"));
    m_interval->addItem(tr("month(s)"), QStringLiteral("month"));
    m_interval->addItem(tr("year(s)"), QStringLiteral("year"));
    m_interval->setCurrentIndex(2);
    m_interval->setAccessibleName(tr("Billing interval"));
    billingLayout->addWidget(every);
    billingLayout->addWidget(m_intervalCount);
    billingLayout->addWidget(m_interval, 1);
    billingRow->setFocusProxy(m_intervalCount);
    addField(this, form, m_problemLabels, tr("&Billed:"), billingRow, "interval");

    m_usageType = new QComboBox(this);
    m_usageType->setObjectName(QStringLiteral("usageType"));
    m_usageType->addItem(tr("Per seat (licensed): the price times the quantity"),
                         QStringLiteral("licensed"));
    m_usageType->addItem(tr("By usage (metered): the price per unit of a metric"),
                         QStringLiteral("metered"));
    addField(this, form, m_problemLabels, tr("&Usage:"), m_usageType, "usageType");

    m_metric = new QLineEdit(this);
    m_metric->setObjectName(QStringLiteral("metric"));
    m_metric->setPlaceholderText(tr("api_calls"));
    m_metric->setMaxLength(100);
    addField(this, form, m_problemLabels, tr("&Metric:"), m_metric, "metric");

    m_trialDays = new QSpinBox(this);
    m_trialDays->setObjectName(QStringLiteral("trialDays"));
    m_trialDays->setRange(0, PlanValidator::MaxTrialDays);
    m_trialDays->setSuffix(tr(" days"));
    m_trialDays->setSpecialValueText(tr("No trial"));
    addField(this, form, m_problemLabels, tr("&Trial:"), m_trialDays, "trialDays");
    layout->addLayout(form);

    if (isEditing()) {
        // The terms are shown for reference; a price never changes in place.
        for (QWidget *w :
             std::initializer_list<QWidget *>{m_product, m_amount, m_currency, m_intervalCount,
                                              m_interval, m_usageType, m_metric, m_trialDays})
            w->setEnabled(false);
        auto *note = new QLabel(tr("The price and terms of a plan do not change here: use "
                                   "\"Change amount…\" for a new price."),
                                this);
        note->setObjectName(QStringLiteral("termsNote"));
        note->setWordWrap(true);
        note->setForegroundRole(QPalette::PlaceholderText);
        layout->addWidget(note);
    }

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(isEditing() ? tr("&Save changes") : tr("&Create plan"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &PlanDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    for (QLineEdit *edit : {m_name, m_amount, m_metric})
        connect(edit, &QLineEdit::textChanged, this, &PlanDialog::revalidate);
    connect(m_description, &QPlainTextEdit::textChanged, this, &PlanDialog::revalidate);
    for (QComboBox *combo : {m_product, m_interval, m_usageType})
        connect(combo, &QComboBox::currentIndexChanged, this, &PlanDialog::revalidate);
    connect(m_currency, &QComboBox::currentTextChanged, this, &PlanDialog::revalidate);
    for (QSpinBox *spin : {m_intervalCount, m_trialDays})
        connect(spin, &QSpinBox::valueChanged, this, &PlanDialog::revalidate);
}

PlanDraft PlanDialog::draft() const
{
    PlanDraft d;
    d.productId = m_product->currentData().toString();
    d.name = m_name->text();
    d.description = m_description->toPlainText();
    d.currency = m_currency->currentText().trimmed().toUpper();
    d.amount = PlanValidator::parseAmount(m_amount->text(), d.currency).value_or(0);
    d.interval = m_interval->currentData().toString();
    d.intervalCount = m_intervalCount->value();
    d.usageType = m_usageType->currentData().toString();
    d.metric = m_metric->text();
    d.trialDays = m_trialDays->value();
    return d;
}

void PlanDialog::setDraft(const PlanDraft &d)
{
    const int product = m_product->findData(d.productId);
    if (product >= 0)
        m_product->setCurrentIndex(product);
    m_name->setText(d.name);
    m_description->setPlainText(d.description);
    m_currency->setCurrentText(d.currency);
    m_amount->setText(d.amount > 0 ? PlanValidator::amountForEditing(d.amount, d.currency)
                                   : QString());
    m_intervalCount->setValue(d.intervalCount);
    const int interval = m_interval->findData(d.interval);
    if (interval >= 0)
        m_interval->setCurrentIndex(interval);
    const int usage = m_usageType->findData(d.usageType);
    if (usage >= 0)
        m_usageType->setCurrentIndex(usage);
    m_metric->setText(d.metric);
    m_trialDays->setValue(d.trialDays);
    revalidate();
}

QList<FieldProblem> PlanDialog::problems() const
{
    if (isEditing())
        return PlanValidator::validate(PlanEdit{m_name->text(), m_description->toPlainText()});
    QList<FieldProblem> problems = PlanValidator::validate(draft());
    // Text that is no amount at all reads better as such than as "above zero".
    const QString currency = m_currency->currentText().trimmed().toUpper();
    if (!m_amount->text().trimmed().isEmpty() &&
        !PlanValidator::parseAmount(m_amount->text(), currency)) {
        qint64 example = 49; // "49.00", "49" or "49.000", as the currency has decimals
        for (int i = 0; i < currencyDecimals(currency); ++i)
            example *= 10;
        problems.prepend({QStringLiteral("amount"),
                          tr("Enter the price as a number, like %1.")
                              .arg(PlanValidator::amountForEditing(example, currency))});
    }
    return problems;
}

void PlanDialog::revalidate()
{
    const bool metered = m_usageType->currentData().toString() == QLatin1String("metered");
    m_metric->setEnabled(metered && !isEditing() && !m_saving);
    if (!metered && !m_metric->text().isEmpty() && !isEditing())
        m_metric->clear();
    const QList<FieldProblem> all = problems();
    QList<FieldProblem> shown;
    for (const FieldProblem &p : all) {
        const bool untouched = (p.field == QLatin1String("name") && m_name->text().isEmpty()) ||
                               (p.field == QLatin1String("amount") && m_amount->text().isEmpty()) ||
                               (p.field == QLatin1String("metric") && m_metric->text().isEmpty() &&
                                !m_metric->hasFocus());
        if (!untouched)
            shown.append(p);
    }
    showProblems(m_problemLabels, shown);
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(!m_saving && all.isEmpty());
}

void PlanDialog::setSaving(bool saving)
{
    m_saving = saving;
    m_name->setEnabled(!saving);
    m_description->setEnabled(!saving);
    if (!isEditing()) {
        for (QWidget *w :
             std::initializer_list<QWidget *>{m_product, m_amount, m_currency, m_intervalCount,
                                              m_interval, m_usageType, m_trialDays})
            w->setEnabled(!saving);
    }
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(saving ? tr("Saving…")
                         : (isEditing() ? tr("&Save changes") : tr("&Create plan")));
    revalidate();
}

void PlanDialog::save()
{
    if (m_saving)
        return;
    const QList<FieldProblem> found = problems();
    if (!found.isEmpty()) {
        showProblems(m_problemLabels, found);
        return;
    }
    m_banner->clear();
    setSaving(true);
    const PlanDraft d = draft();
    const Plan original = m_plan;
    m_worker->run<Plan>(
        this,
        [d, original](const QString &connection) {
            PlanService service(connection);
            if (original.id.isEmpty())
                return service.create(d);
            return service.update(original.id, original.version, PlanEdit{d.name, d.description});
        },
        [this](Result<Plan> result) {
            setSaving(false);
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                return;
            }
            emit saved(result.value());
            accept();
        });
}

// --- ChangeAmountDialog ------------------------------------------------------------------

ChangeAmountDialog::ChangeAmountDialog(DatabaseWorker *worker, const Plan &plan, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_plan(plan)
{
    setObjectName(QStringLiteral("changeAmountDialog"));
    setWindowTitle(tr("Change the amount of %1").arg(plan.name));
    setMinimumWidth(500);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);

    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    auto *current = new QLabel(PlanFormat::terms(plan), this);
    current->setObjectName(QStringLiteral("currentTerms"));
    form->addRow(tr("Now:"), current);
    auto *amountRow = new QWidget(this);
    auto *amountLayout = new QHBoxLayout(amountRow);
    amountLayout->setContentsMargins(0, 0, 0, 0);
    m_amount = new QLineEdit(amountRow);
    m_amount->setObjectName(QStringLiteral("amount"));
    m_amount->setAlignment(Qt::AlignRight);
    m_amount->setText(PlanValidator::amountForEditing(plan.amount, plan.currency));
    amountLayout->addWidget(m_amount, 1);
    amountLayout->addWidget(new QLabel(plan.currency, amountRow));
    amountRow->setFocusProxy(m_amount);
    auto *caption = new QLabel(tr("&New amount:"), this);
    caption->setBuddy(m_amount);
    form->addRow(caption, amountRow);
    m_problem = new QLabel(this);
    m_problem->setObjectName(QStringLiteral("problem-amount"));
    m_problem->setWordWrap(true);
    m_problem->setStyleSheet(QStringLiteral("color: #c0392b;"));
    m_problem->hide();
    form->addRow(QString(), m_problem);
    layout->addLayout(form);

    // What will happen, said before it happens. The service decides again in its
    // transaction; the outcome message says what it did.
    QString consequence;
    if (plan.subscriptionCount > 0)
        consequence = tr("Subscriptions use this plan, so its price cannot change in place. A "
                         "new version of the plan is created at the new amount, and this one is "
                         "archived; its subscriptions keep the current price until they are "
                         "moved to the new version.");
    else if (plan.isInStripe())
        consequence = tr("This plan is in Stripe, where a price cannot change. A new version of "
                         "the plan is created at the new amount, and this one is archived.");
    else
        consequence = tr("Nobody subscribes to this plan and it is not in Stripe yet, so its "
                         "price simply changes.");
    auto *explanation = new QLabel(consequence, this);
    explanation->setObjectName(QStringLiteral("consequence"));
    explanation->setWordWrap(true);
    layout->addWidget(explanation);

    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)->setText(tr("&Change amount"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ChangeAmountDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_amount, &QLineEdit::textChanged, this, &ChangeAmountDialog::revalidate);
    m_amount->selectAll();
    revalidate();
}

void ChangeAmountDialog::setAmountText(const QString &text)
{
    m_amount->setText(text);
}

std::optional<qint64> ChangeAmountDialog::newAmount() const
{
    return PlanValidator::parseAmount(m_amount->text(), m_plan.currency);
}

void ChangeAmountDialog::revalidate()
{
    const std::optional<qint64> amount = newAmount();
    QString problem;
    if (!amount)
        problem = m_amount->text().trimmed().isEmpty()
                      ? QString()
                      : tr("This is not an amount in %1 (like %2).")
                            .arg(m_plan.currency,
                                 PlanValidator::amountForEditing(m_plan.amount, m_plan.currency));
    else
        problem = PlanValidator::amountProblem(*amount, m_plan.currency);
    const bool unchanged = amount && *amount == m_plan.amount;
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    m_buttons->button(QDialogButtonBox::Save)
        ->setEnabled(!m_saving && amount && problem.isEmpty() && !unchanged);
}

void ChangeAmountDialog::save()
{
    const std::optional<qint64> amount = newAmount();
    if (m_saving || !amount || !PlanValidator::amountProblem(*amount, m_plan.currency).isEmpty())
        return;
    m_banner->clear();
    m_saving = true;
    m_amount->setEnabled(false);
    revalidate();
    const Plan plan = m_plan;
    const qint64 value = *amount;
    m_worker->run<AmountChange>(
        this,
        [plan, value](const QString &connection) {
            return PlanService(connection).changeAmount(plan.id, plan.version, value);
        },
        [this](Result<AmountChange> result) {
            m_saving = false;
            m_amount->setEnabled(true);
            revalidate();
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                return;
            }
            emit changed(result.value());
            accept();
        });
}

} // namespace nobill
