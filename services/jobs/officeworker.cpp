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
    if (m_reader) {
        m_reader->wait();
        delete m_reader;
    }
}

void OfficeWorker::start(const Options &options)
{
    if (m_worker || m_reader)
        return;
    m_stopRequested = false;
    auto read = std::make_shared<Result<QString>>(QString());
    // SecretStore blocks (a keychain answers when it likes): never on the GUI thread.
    m_reader = QThread::create([read, secrets = options.secrets]() {
        SecretStore store(secrets);
        *read = store.read(stripeKeyName());
    });
    connect(m_reader, &QThread::finished, this, [this, read, options]() {
        m_reader->deleteLater();
        m_reader = nullptr;
        if (m_stopRequested) {
            emit stopped();
            return;
        }
        if (!read->isOk()) {
            emit failed(read->error().kind == ErrorKind::NotFound
                            ? tr("No Stripe key is stored on this computer, so it cannot do the "
                                 "office's background work. Store the key in Settings, or run "
                                 "\"nobillctl stripe set-key\".")
                            : read->error().message);
            return;
        }
        launch(options, read->value().trimmed());
    });
    m_reader->start();
}

void OfficeWorker::launch(const Options &options, const QString &key)
{
    StripeClientOptions stripe;
    stripe.baseUrl = options.stripeBaseUrl;
    stripe.secretKey = key;
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

void OfficeWorker::stop()
{
    m_stopRequested = true;
    if (m_worker)
        m_worker->stop();
    else if (!m_reader)
        emit stopped();
}

} // namespace nobill
