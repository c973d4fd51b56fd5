#include "plans/plandetailpanel.h"

#include "core/money.h"
#include "database/databaseworker.h"
#include "plans/planformat.h"
#include "plans/planservice.h"

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

PlanDetailPanel::PlanDetailPanel(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
{
    setObjectName(QStringLiteral("planDetailPanel"));
    setMinimumWidth(280);
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

    m_empty = new QLabel(tr("Select a plan to see its terms, subscribers and versions."), this);
    m_empty->setWordWrap(true);
    m_empty->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_empty);

    m_content = new QWidget(this);
    auto *form = new QFormLayout(m_content);
    form->setContentsMargins(0, 4, 0, 0);
    form->setLabelAlignment(Qt::AlignRight);
    m_status = valueLabel(m_content, "detailStatus");
    m_product = valueLabel(m_content, "detailProduct");
    m_terms = valueLabel(m_content, "detailTerms");
    m_trial = valueLabel(m_content, "detailTrial");
    m_description = valueLabel(m_content, "detailDescription");
    m_stripePrice = valueLabel(m_content, "detailStripePrice");
    m_stripeMeter = valueLabel(m_content, "detailStripeMeter");
    m_subscribers = valueLabel(m_content, "detailSubscribers");
    m_created = valueLabel(m_content, "detailCreated");
    m_updated = valueLabel(m_content, "detailUpdated");
    form->addRow(tr("Status:"), m_status);
    form->addRow(tr("Product:"), m_product);
    form->addRow(tr("Price:"), m_terms);
    form->addRow(tr("Trial:"), m_trial);
    form->addRow(tr("Description:"), m_description);
    form->addRow(tr("Stripe price:"), m_stripePrice);
    form->addRow(tr("Stripe meter:"), m_stripeMeter);
    form->addRow(tr("Subscribers:"), m_subscribers);
    form->addRow(tr("Created:"), m_created);
    form->addRow(tr("Last changed:"), m_updated);
    layout->addWidget(m_content);
    // The history below the form, not in it: a form row spanning both columns did not grow
    // when the lines arrived.
    m_history = new QWidget(this);
    auto *historyLayout = new QVBoxLayout(m_history);
    historyLayout->setContentsMargins(0, 8, 0, 0);
    auto *history = new QLabel(tr("Versions"), m_history);
    QFont historyFont = history->font();
    historyFont.setBold(true);
    history->setFont(historyFont);
    historyLayout->addWidget(history);
    m_versions = valueLabel(m_history, "detailVersions");
    m_versions->setWordWrap(false); // one short line per version
    historyLayout->addWidget(m_versions);
    layout->addWidget(m_history);
    layout->addStretch(1);
    clear();
}

void PlanDetailPanel::setValue(QLabel *label, const QString &text, bool placeholder)
{
    label->setText(text);
    label->setForegroundRole(placeholder ? QPalette::PlaceholderText : QPalette::WindowText);
}

void PlanDetailPanel::setCountsArePartial(bool partial)
{
    m_partialCounts = partial;
}

void PlanDetailPanel::clear()
{
    ++m_request;
    m_loading = false;
    m_title->setText(tr("No plan selected"));
    m_empty->show();
    m_content->hide();
    m_history->hide();
}

void PlanDetailPanel::showPlan(const Plan &p)
{
    m_empty->hide();
    m_content->show();
    m_history->show();
    m_title->setText(p.name);
    QString status = PlanFormat::status(p);
    if (!p.replacedByPlanId.isEmpty())
        status = tr("Replaced by a newer version (archived)");
    else if (p.isArchived())
        status = tr("Archived: no new subscription can start on it");
    setValue(m_status, status);
    setValue(m_product, p.productArchived ? tr("%1 (archived)").arg(p.productName) : p.productName);
    setValue(m_terms, PlanFormat::terms(p));
    setValue(m_trial, PlanFormat::trial(p.trialDays), p.trialDays == 0);
    if (p.description.isEmpty())
        setValue(m_description, tr("none"), true);
    else
        setValue(m_description, p.description);
    if (p.isInStripe())
        setValue(m_stripePrice, p.stripePriceId);
    else
        setValue(m_stripePrice, tr("not in Stripe yet"), true);
    if (!p.isMetered())
        setValue(m_stripeMeter, tr("none (per seat)"), true);
    else if (p.stripeMeterId.isEmpty())
        setValue(m_stripeMeter, tr("not in Stripe yet"), true);
    else
        setValue(m_stripeMeter, p.stripeMeterId);
    const QLocale here;
    QString subscribers =
        tr("%1 live of %2")
            .arg(here.toString(p.subscriberCount), here.toString(p.subscriptionCount));
    if (m_partialCounts)
        subscribers += QLatin1Char('\n') + tr("(in the organizations you can see)");
    setValue(m_subscribers, subscribers);
    m_subscribers->setToolTip(tr("Live: trialing, active, past due, unpaid or paused. All: "
                                 "ended subscriptions too."));
    setValue(m_created, here.toString(p.createdAt.toLocalTime(), QLocale::ShortFormat));
    setValue(m_updated, here.toString(p.updatedAt.toLocalTime(), QLocale::ShortFormat));
    setValue(m_versions, tr("loading…"), true);

    const quint64 request = ++m_request;
    m_loading = true;
    const QString id = p.id;
    m_worker->run<PlanDetails>(
        this, [id](const QString &connection) { return PlanService(connection).details(id); },
        [this, request, id](Result<PlanDetails> result) {
            if (request != m_request)
                return; // another plan was selected meanwhile
            m_loading = false;
            if (!result) {
                setValue(m_versions, result.error().message, true);
                return;
            }
            showVersions(result.value().versions, id);
        });
}

void PlanDetailPanel::showVersions(const QList<Plan> &versions, const QString &currentId)
{
    if (versions.size() <= 1) {
        setValue(m_versions, tr("This is the only version of the plan."), true);
        return;
    }
    const QLocale here;
    QStringList lines;
    for (const Plan &v : versions) {
        const QString line =
            tr("%1 · %2 · since %3")
                .arg(formatMoney(v.amount, v.currency, here), PlanFormat::status(v),
                     here.toString(v.createdAt.toLocalTime().date(), QLocale::ShortFormat));
        // The selected version is marked; the others are there to compare with.
        lines << (v.id == currentId ? QStringLiteral("▸ ") : QStringLiteral("   ")) + line;
    }
    setValue(m_versions, lines.join(QLatin1Char('\n')));
    m_versions->setToolTip(tr("Oldest first; ▸ marks the plan selected in the list."));
}

void PlanDetailPanel::addActions(QWidget *actions)
{
    static_cast<QFormLayout *>(m_content->layout())->addRow(actions);
}

} // namespace nobill
