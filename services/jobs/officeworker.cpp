#include "jobs/officeworker.h"

#include "jobs/billinghandlers.h"
#include "stripe/stripeclient.h"

#include <QCoreApplication>
#include <QThread>

namespace nobill {

OfficeWorker::OfficeWorker(QObject *parent)
    : QObject(parent)
{}

OfficeWorker::~OfficeWorker()
{
    stopEvents();
    if (m_reader) {
        m_reader->wait();
        delete m_reader;
    }
}

void OfficeWorker::Options::useOfficeProfile(const OfficeListener &profile)
{
    const bool poll = profile.mode == QLatin1String("poll");
    runListener = !poll;
    runPoller = poll;
    runProcessor = true;
    const QHostAddress address(profile.address);
    if (!address.isNull())
        listener.address = address;
    listener.port = static_cast<quint16>(profile.port);
}

namespace {
struct Secrets
{
    Result<QString> key = QString();
    Result<QString> webhook = QString();
};
} // namespace

void OfficeWorker::start(const Options &options)
{
    if (m_worker || m_reader)
        return;
    m_stopRequested = false;
    auto read = std::make_shared<Secrets>();
    // SecretStore blocks (a keychain answers when it likes): never on the GUI thread.
    m_reader = QThread::create([read, secrets = options.secrets, listener = options.runListener]() {
        SecretStore store(secrets);
        read->key = store.read(stripeKeyName());
        if (listener && read->key.isOk())
            read->webhook = store.read(webhookSecretName());
    });
    connect(m_reader, &QThread::finished, this, [this, read, options]() {
        m_reader->deleteLater();
        m_reader = nullptr;
        if (m_stopRequested) {
            emit stopped();
            return;
        }
        if (!read->key.isOk()) {
            emit failed(read->key.error().kind == ErrorKind::NotFound
                            ? tr("No Stripe key is stored on this computer, so it cannot do the "
                                 "office's background work. Store the key in Settings, or run "
                                 "\"nobillctl stripe set-key\".")
                            : read->key.error().message);
            return;
        }
        QStringList webhookSecrets;
        if (options.runListener) {
            if (!read->webhook.isOk()) {
                emit failed(read->webhook.error().kind == ErrorKind::NotFound
                                ? tr("No webhook signing secret is stored on this computer, so "
                                     "it cannot receive Stripe's events. Store it with "
                                     "\"nobillctl stripe set-webhook-secret\", or let the "
                                     "office pull Stripe's events instead.")
                                : read->webhook.error().message);
                return;
            }
            for (const QString &line : read->webhook.value().split(QLatin1Char('\n'))) {
                if (!line.trimmed().isEmpty())
                    webhookSecrets << line.trimmed();
            }
        }
        launch(options, read->key.value().trimmed(), webhookSecrets);
    });
    m_reader->start();
}

void OfficeWorker::launch(const Options &options, const QString &key,
                          const QStringList &webhookSecrets)
{
    StripeClientOptions stripe;
    stripe.baseUrl = options.stripeBaseUrl;
    stripe.secretKey = key;

    ConnectionSettings events = options.serviceLogin;
    events.source = QStringLiteral("webhook");
    if (options.runListener) {
        WebhookListenerOptions listenerOptions = options.listener;
        listenerOptions.database = events;
        listenerOptions.secrets.clear();
        for (const QString &secret : webhookSecrets.mid(0, 2))
            listenerOptions.secrets << secret.toUtf8();
        m_listener = std::make_unique<WebhookListener>(listenerOptions);
        if (Status listening = m_listener->start(); !listening) {
            m_listener.reset();
            emit failed(listening.error().message);
            return;
        }
    }
    if (options.runListener || options.runPoller || options.runProcessor) {
        m_processor = std::make_unique<EventProcessor>(events, options.processor);
        connect(m_processor.get(), &EventProcessor::batchDone, this, &OfficeWorker::eventsApplied);
        connect(m_processor.get(), &EventProcessor::problem, this, &OfficeWorker::eventProblem);
        m_processor->start();
    }
    if (options.runPoller) {
        m_poller = std::make_unique<EventPoller>(events, stripe, options.poller);
        connect(m_poller.get(), &EventPoller::pollFinished, this,
                [this](bool ok, int, int, const QString &message) {
                    if (!ok)
                        emit eventProblem(message);
                });
        m_poller->start();
    }

    m_worker = std::make_unique<JobWorker>(options.serviceLogin, stripe, options.worker);
    for (const auto &handler : billingJobHandlers())
        m_worker->addHandler(handler);
    connect(m_worker.get(), &JobWorker::jobDone, this, &OfficeWorker::jobDone);
    connect(m_worker.get(), &JobWorker::stopped, this, [this]() {
        // Deleted from the event loop: this slot runs inside one of the worker's signals.
        m_worker.release()->deleteLater();
        emit stopped();
    });
    m_worker->start();
    emit started();
}

quint16 OfficeWorker::listenerPort() const
{
    return m_listener ? m_listener->port() : 0;
}

// As `nobillctl serve` stops: no new deliveries first (Stripe retries what was not
// acknowledged), then the poller, then the processor finishes the event in hand.
void OfficeWorker::stopEvents()
{
    if (m_listener)
        m_listener->stop();
    m_listener.reset();
    if (m_poller)
        m_poller->stop();
    m_poller.reset();
    if (m_processor)
        m_processor->stop();
    m_processor.reset();
}

void OfficeWorker::stop()
{
    m_stopRequested = true;
    stopEvents();
    if (m_worker)
        m_worker->stop();
    else if (!m_reader)
        emit stopped();
}

} // namespace nobill
