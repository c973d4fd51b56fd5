#include "settings/officeworkercontrol.h"

#include <QCoreApplication>
#include <QDir>
#include <QSettings>
#include <QStandardPaths>
#include <QSysInfo>

namespace nobill {

namespace {
const QString EnabledKey = QStringLiteral("officeWorker/enabled");
const QString LoginKey = QStringLiteral("officeWorker/serviceLogin");
} // namespace

OfficeWorkerControl::OfficeWorkerControl(QObject *parent)
    : QObject(parent)
{}

OfficeWorkerControl::~OfficeWorkerControl()
{
    // OfficeWorker's destructor stops its threads; running jobs go back to the queue when
    // their lease ends.
    delete m_worker;
}

bool OfficeWorkerControl::enabledInSettings()
{
    return QSettings().value(EnabledKey, false).toBool();
}

QString OfficeWorkerControl::serviceLoginInSettings()
{
    return QSettings().value(LoginKey).toString();
}

QString OfficeWorkerControl::apply(bool enabled, const QString &serviceLoginUri)
{
    const QString uri = serviceLoginUri.trimmed();
    if (enabled) {
        if (uri.isEmpty())
            return tr("Enter the service login, e.g. postgresql://nobill_service@localhost/nobill "
                      "(nobillctl setup printed it).");
        auto parsed = ConnectionSettings::fromUri(uri);
        if (!parsed)
            return parsed.error().message;
        if (!parsed.value().password.isEmpty())
            return tr("Leave the password out of the address: it would be kept in plain text. "
                      "Put it in ~/.pgpass instead.");
    }
    QSettings settings;
    settings.setValue(EnabledKey, enabled);
    settings.setValue(LoginKey, uri);
    if (!enabled) {
        stop();
    } else if (m_worker && uri != m_login) {
        m_restart = true; // another login: stop, then start with it
        stop();
    } else if (!m_worker) {
        start(uri);
    }
    return QString();
}

void OfficeWorkerControl::startFromSettings()
{
    if (enabledInSettings() && !m_worker)
        start(serviceLoginInSettings());
}

void OfficeWorkerControl::start(const QString &serviceLoginUri)
{
    auto parsed = ConnectionSettings::fromUri(serviceLoginUri);
    if (!parsed) {
        setState(State::Failed, parsed.error().message);
        return;
    }
    OfficeWorker::Options options;
    options.serviceLogin = parsed.value();
    options.serviceLogin.source = QStringLiteral("worker");
    options.worker.workerName = QStringLiteral("console-%1-%2")
                                    .arg(QSysInfo::machineHostName())
                                    .arg(QCoreApplication::applicationPid());
    // Where `nobillctl stripe set-key` keeps the key when no keychain answers.
    options.secrets.fallbackDirectory =
        QDir(QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation))
            .filePath(QStringLiteral("nobill/secrets"));
    if (m_hook)
        m_hook(options);
    m_login = serviceLoginUri;
    m_worker = new OfficeWorker(this);
    connect(m_worker, &OfficeWorker::started, this, [this]() { setState(State::Running); });
    connect(m_worker, &OfficeWorker::failed, this, [this](const QString &message) {
        m_worker->deleteLater();
        m_worker = nullptr;
        setState(State::Failed, message);
    });
    connect(m_worker, &OfficeWorker::stopped, this, [this]() {
        m_worker->deleteLater();
        m_worker = nullptr;
        setState(State::Off);
        if (m_restart) {
            m_restart = false;
            if (enabledInSettings())
                start(serviceLoginInSettings());
        }
    });
    connect(m_worker, &OfficeWorker::jobDone, this,
            [this](const QString &, const QString &, const QString &status, const QString &) {
                if (status == QLatin1String("succeeded") || status == QLatin1String("failed")) {
                    ++m_jobsDone;
                    emit stateChanged();
                }
            });
    setState(State::Starting);
    m_worker->start(options);
}

void OfficeWorkerControl::stop()
{
    if (!m_worker) {
        if (m_state == State::Failed)
            setState(State::Off);
        return;
    }
    setState(State::Stopping);
    m_worker->stop();
}

void OfficeWorkerControl::setState(State state, const QString &message)
{
    m_state = state;
    m_message = message;
    emit stateChanged();
}

QString OfficeWorkerControl::stateText() const
{
    switch (m_state) {
    case State::Off:
        return tr("Not running in this console. Queued Stripe work waits for the office server.");
    case State::Starting:
        return tr("Starting: reading the Stripe key…");
    case State::Running:
        return tr("Running: this console does the office's Stripe work while it is open (%n "
                  "job(s) done so far).",
                  nullptr, m_jobsDone);
    case State::Stopping:
        return tr("Stopping: running work finishes or goes back to the queue…");
    case State::Failed:
        return tr("Not running. %1").arg(m_message);
    }
    return QString();
}

} // namespace nobill
