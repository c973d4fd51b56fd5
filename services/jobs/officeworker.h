#pragma once

#include "database/connectionsettings.h"
#include "jobs/jobworker.h"
#include "secrets/secretstore.h"

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
    };

    explicit OfficeWorker(QObject *parent = nullptr);
    ~OfficeWorker() override;

    // Emits started() once the worker runs, or failed() with a sentence (no key stored, the
    // keychain did not answer).
    void start(const Options &options);
    // Running jobs finish or go back to the queue; stopped() follows.
    void stop();
    bool isRunning() const { return m_worker != nullptr; }

signals:
    void started();
    void failed(const QString &message);
    void stopped();
    void jobDone(const QString &id, const QString &kind, const QString &status,
                 const QString &message);

private:
    void launch(const Options &options, const QString &key);

    std::unique_ptr<JobWorker> m_worker;
    QPointer<QThread> m_reader;
    bool m_stopRequested = false;
};

} // namespace nobill
