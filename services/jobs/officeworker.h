#pragma once

#include "database/connectionsettings.h"
#include "database/officeprofile.h"
#include "jobs/jobworker.h"
#include "secrets/secretstore.h"
#include "stripeevents/eventpoller.h"
#include "stripeevents/eventprocessor.h"
#include "webhooks/webhooklistener.h"

#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

namespace nobill {

// The job worker inside the console, for an office whose one machine also does the
// background work (Settings: run the office service on this computer). The Stripe key is
// read from the keychain on a thread of its own, and the worker's SQL and Stripe calls are
// asynchronous, so the GUI thread never waits. The key stays inside the worker's Stripe
// client; nothing here logs, stores or returns it.
//
// Optionally also what `nobillctl serve` runs for Stripe's events: the webhook listener (its
// signing secret read from the keychain like the key), the Events API poller, and the event
// processor that applies what they store (see Options::useOfficeProfile()).
class OfficeWorker final : public QObject
{
    Q_OBJECT
public:
    // The keychain name of the Stripe secret key, shared with `nobillctl stripe set-key`.
    static QString stripeKeyName() { return QStringLiteral("stripe-secret-key"); }
    // The keychain name of the webhook signing secret(s) (one a line: current, previous),
    // shared with `nobillctl stripe set-webhook-secret`.
    static QString webhookSecretName() { return QStringLiteral("stripe-webhook-secret"); }

    struct Options
    {
        ConnectionSettings serviceLogin; // a member of nobill_service, with its password
        JobWorkerOptions worker;
        QUrl stripeBaseUrl = QUrl(QStringLiteral("https://api.stripe.com"));
        SecretStore::Options secrets;

        // Stripe's events on this computer too. The listener needs the webhook signing
        // secret(s) in the secret store (webhookSecretName(), one a line); its secrets and
        // database are filled in from here. The processor runs whenever the listener or the
        // poller does, or when runProcessor is set.
        bool runListener = false;
        WebhookListenerOptions listener; // address, port (0: any free), TLS, limits
        bool runPoller = false;
        EventPollerOptions poller;
        bool runProcessor = false;
        EventProcessorOptions processor;

        // As the office service would: mode=webhook runs the listener on the profile's address
        // and port, mode=poll the poller; the processor either way.
        void useOfficeProfile(const OfficeListener &profile);
    };

    explicit OfficeWorker(QObject *parent = nullptr);
    ~OfficeWorker() override;

    // Emits started() once the worker runs, or failed() with a sentence (no key stored, the
    // keychain did not answer).
    void start(const Options &options);
    // Running jobs finish or go back to the queue; stopped() follows.
    void stop();
    bool isRunning() const { return m_worker != nullptr; }
    // The port the webhook listener listens on, 0 when it does not run.
    quint16 listenerPort() const;

signals:
    void started();
    void failed(const QString &message);
    void stopped();
    void jobDone(const QString &id, const QString &kind, const QString &status,
                 const QString &message);
    // Events applied by the processor (a batch that handled at least one).
    void eventsApplied(const nobill::DrainStats &stats);
    // The processor or the poller could not reach the database or Stripe (a sentence);
    // they retry by themselves.
    void eventProblem(const QString &message);

private:
    void launch(const Options &options, const QString &key, const QStringList &webhookSecrets);
    void stopEvents();

    std::unique_ptr<WebhookListener> m_listener;
    std::unique_ptr<EventPoller> m_poller;
    std::unique_ptr<EventProcessor> m_processor;
    std::unique_ptr<JobWorker> m_worker;
    QPointer<QThread> m_reader;
    bool m_stopRequested = false;
};

} // namespace nobill
