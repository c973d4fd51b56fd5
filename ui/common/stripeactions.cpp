#include "common/stripeactions.h"

#include "common/messagebanner.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobtracker.h"

#include <QGridLayout>
#include <QMessageBox>
#include <QPushButton>
#include <QUuid>

namespace nobill {

namespace {
QString runningKey(const QString &id, const StripeActions::Target &target)
{
    return id + QLatin1Char('/') + target.text("id");
}
} // namespace

StripeActions::StripeActions(const ConnectionSettings &settings, MessageBanner *banner,
                             QWidget *parent)
    : QWidget(parent)
    , m_settings(settings)
    , m_banner(banner)
{
    // Two buttons a row: detail panels are narrow, and a label must never be cut.
    auto *layout = new QGridLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
}

StripeActions::~StripeActions() = default;

void StripeActions::addAction(const Action &action)
{
    auto *button = new QPushButton(action.text, this);
    button->setObjectName(action.id + QStringLiteral("Button"));
    m_actions.insert(action.id, action);
    m_buttons.insert(action.id, button);
    m_order << action.id;
    auto *layout = static_cast<QGridLayout *>(this->layout());
    for (int i = 0; i < m_order.size(); ++i) {
        // An odd last button takes the whole row.
        const bool alone = i == m_order.size() - 1 && i % 2 == 0;
        layout->addWidget(m_buttons.value(m_order.at(i)), i / 2, i % 2, 1, alone ? 2 : 1);
    }
    const QString id = action.id;
    connect(button, &QPushButton::clicked, this, [this, id]() { trigger(id); });
    updateButtons();
}

void StripeActions::setChangeFeed(ChangeFeed *feed)
{
    m_feed = feed;
}

void StripeActions::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    updateButtons();
}

void StripeActions::setReadOnly(bool readOnly, const QString &reason)
{
    m_readOnly = readOnly;
    m_readOnlyReason = reason;
    updateButtons();
}

void StripeActions::setTarget(const std::optional<Target> &target)
{
    m_target = target;
    updateButtons();
}

void StripeActions::setNoTargetHint(const QString &hint)
{
    m_noTargetHint = hint;
    updateButtons();
}

bool StripeActions::isBusy() const
{
    return m_worker && m_worker->isBusy();
}

void StripeActions::updateButtons()
{
    for (const QString &id : std::as_const(m_order)) {
        const Action &action = m_actions[id];
        QPushButton *button = m_buttons.value(id);
        QString why;
        if (!m_target) {
            why = m_noTargetHint;
        } else if (m_readOnly) {
            why = m_readOnlyReason;
        } else if (action.permission.isEmpty()) {
            if (m_accessKnown && !m_access.platformAdmin)
                why = tr("Only platform administrators can do this.");
        } else if (m_accessKnown && !m_access.can(m_target->organizationId, action.permission)) {
            why = tr("You need the permission \"%1\" in %2.")
                      .arg(action.permission, m_target->organizationName.isEmpty()
                                                  ? tr("this organization")
                                                  : m_target->organizationName);
        }
        if (why.isEmpty() && m_target && action.unavailable)
            why = action.unavailable(*m_target);
        if (why.isEmpty() && m_target) {
            const JobTracker *running = m_running.value(runningKey(id, *m_target));
            if (running && running->isActive())
                why = tr("This is queued for Stripe already.");
        }
        button->setEnabled(m_target && !m_dialogOpen && why.isEmpty());
        button->setToolTip(why);
    }
}

void StripeActions::trigger(const QString &id)
{
    if (!m_target || !m_actions.contains(id))
        return;
    const QPushButton *button = m_buttons.value(id);
    if (!button || !button->isEnabled())
        return;
    const Action action = m_actions.value(id);
    const Target target = *m_target;
    const QString question = action.question ? action.question(target) : QString();
    if (question.isEmpty()) {
        queue(action, target);
        return;
    }
    auto *box =
        new QMessageBox(action.destructive ? QMessageBox::Warning : QMessageBox::Question,
                        action.text.endsWith(QChar(0x2026)) ? action.text.chopped(1) : action.text,
                        question, QMessageBox::Cancel, this);
    box->setObjectName(QStringLiteral("stripeActionConfirmation"));
    if (action.detail)
        box->setInformativeText(action.detail(target));
    QPushButton *confirm = box->addButton(action.confirmText, QMessageBox::AcceptRole);
    confirm->setObjectName(QStringLiteral("confirmButton"));
    box->button(QMessageBox::Cancel)->setText(tr("Keep as is"));
    box->setDefaultButton(QMessageBox::Cancel);
    box->setAttribute(Qt::WA_DeleteOnClose);
    m_dialogOpen = true;
    updateButtons();
    connect(box, &QMessageBox::finished, this, [this, box, confirm, action, target]() {
        m_dialogOpen = false;
        updateButtons();
        if (box->clickedButton() == confirm)
            queue(action, target);
    });
    box->open();
}

void StripeActions::queue(const Action &action, const Target &target)
{
    if (!m_worker)
        m_worker = std::make_unique<DatabaseWorker>(m_settings, QStringLiteral("stripe-actions"));
    auto *tracker = new JobTracker(m_worker.get(), this);
    tracker->setChangeFeed(m_feed);
    m_lastTracker = tracker;
    m_running.insert(runningKey(action.id, target), tracker);
    const QString what = action.what ? action.what(target) : action.text;
    auto show = [this, tracker, action, target, what]() {
        updateButtons();
        if (!m_banner || (m_lastTracker != tracker && !tracker->isFinished()))
            return;
        switch (tracker->state()) {
        case JobTracker::State::Succeeded:
            m_banner->showMessage(MessageBanner::Kind::Information,
                                  action.success ? action.success(target, tracker->result())
                                                 : tr("Done in Stripe: %1.").arg(what));
            break;
        case JobTracker::State::Failed:
        case JobTracker::State::Cancelled:
            m_banner->showMessage(
                MessageBanner::Kind::Error,
                tr("Not done in Stripe: %1. %2").arg(what, tracker->errorMessage()));
            break;
        case JobTracker::State::Idle:
            break;
        default:
            m_banner->showMessage(tracker->isWaitingLong() ? MessageBanner::Kind::Warning
                                                           : MessageBanner::Kind::Information,
                                  tr("Queued for Stripe: %1. %2").arg(what, tracker->describe()));
        }
    };
    connect(tracker, &JobTracker::stateChanged, this, show);
    connect(tracker, &JobTracker::waitingLong, this, show);
    connect(tracker, &JobTracker::finished, this, [this, tracker, action](bool ok) {
        if (ok)
            emit succeeded(action.id, tracker->result());
        updateButtons();
    });
    // One key per confirmed request: queued once however often the answer is repeated.
    const QString key = QStringLiteral("%1:%2:%3")
                            .arg(action.kind, target.text("id"),
                                 QUuid::createUuid().toString(QUuid::WithoutBraces));
    tracker->enqueue(target.organizationId, action.kind,
                     action.payload ? action.payload(target) : QJsonObject(), key);
    show();
}

} // namespace nobill
