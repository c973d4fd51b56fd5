#pragma once

#include "access/sessionaccess.h"
#include "database/connectionsettings.h"
#include "jobs/jobtracker.h"

#include <QJsonObject>
#include <QMap>
#include <QPointer>
#include <QWidget>

#include <functional>
#include <memory>
#include <optional>

class QPushButton;

namespace nobill {

class ChangeFeed;
class DatabaseWorker;
class JobTracker;
class MessageBanner;

// A row of buttons on a detail panel for Stripe work on the shown item (sync a tenant,
// publish a plan, send or void an invoice, report usage). Each button is gated by the
// permission its job needs (with a tooltip naming it), asks for confirmation where money
// moves or something is destroyed, queues the job and follows it to its outcome in the
// page's MessageBanner. The database checks the permission again when the job is queued.
class StripeActions final : public QWidget
{
    Q_OBJECT
public:
    // What the panel shows: the job's organization (empty: platform work) and the values
    // the actions need (ids, names, state).
    struct Target
    {
        QString organizationId;
        QString organizationName;
        QJsonObject values;
        QString text(const char *key) const { return values.value(QLatin1String(key)).toString(); }
    };

    struct Action
    {
        QString id;   // object name of the button: "<id>Button"
        QString text; // the button's label
        QString kind; // a jobkinds:: name
        // Needed in the target's organization; empty: platform administrators only.
        QString permission;
        std::function<QString(const Target &)> unavailable; // why not now (empty: can)
        std::function<QJsonObject(const Target &)> payload;
        std::function<QString(const Target &)> what; // "sending of invoice ACME-0001"
        // Confirmation (empty question: none).
        std::function<QString(const Target &)> question;
        std::function<QString(const Target &)> detail;
        QString confirmText;
        bool destructive = false;
        // The outcome sentence from the job's result (empty function: "Done in Stripe: <what>.").
        std::function<QString(const Target &, const QJsonObject &)> success;
    };

    StripeActions(const ConnectionSettings &settings, MessageBanner *banner,
                  QWidget *parent = nullptr);
    ~StripeActions() override;

    void addAction(const Action &action);
    QPushButton *button(const QString &id) const { return m_buttons.value(id); }
    void setChangeFeed(ChangeFeed *feed);
    void setAccess(const SessionAccess &access);
    void setReadOnly(bool readOnly, const QString &reason);
    void setTarget(const std::optional<Target> &target);
    // The buttons' tooltip while there is no target ("Choose an organization…").
    void setNoTargetHint(const QString &hint);
    // The work most recently queued here (tests).
    JobTracker *lastTracker() const { return m_lastTracker; }
    bool isBusy() const;

signals:
    void succeeded(const QString &actionId, const QJsonObject &result);

private:
    void trigger(const QString &id);
    void queue(const Action &action, const Target &target);
    void updateButtons();

    ConnectionSettings m_settings;
    std::unique_ptr<DatabaseWorker> m_worker; // made when first needed
    QPointer<MessageBanner> m_banner;
    QPointer<ChangeFeed> m_feed;
    QMap<QString, Action> m_actions;
    QMap<QString, QPushButton *> m_buttons;
    QStringList m_order;
    std::optional<Target> m_target;
    SessionAccess m_access;
    bool m_accessKnown = false;
    bool m_readOnly = false;
    bool m_dialogOpen = false;
    QString m_readOnlyReason;
    QString m_noTargetHint;
    QPointer<JobTracker> m_lastTracker;
    QMap<QString, QPointer<JobTracker>> m_running; // action id + target -> its job
};

} // namespace nobill
