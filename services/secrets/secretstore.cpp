#include "secrets/secretstore.h"

#include <QCoreApplication>
#include <QDir>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QLoggingCategory>
#include <QMutex>
#include <QMutexLocker>
#include <QPointer>
#include <QRegularExpression>
#include <QSaveFile>
#include <QSemaphore>
#include <QThread>
#include <QTimer>

#include <qt6keychain/keychain.h>

#include <memory>
#include <optional>

Q_LOGGING_CATEGORY(lcSecrets, "nobill.secrets")

namespace nobill {

namespace {

QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::SecretStore", text);
}

enum class Operation { Read, Write, Remove };

struct JobOutcome
{
    QKeychain::Error error = QKeychain::OtherError;
    QString errorString;
    QString value;
};

// Shared between the caller and the job's completion, which may arrive after the caller
// gave up waiting.
struct PendingJob
{
    QMutex mutex;
    std::optional<JobOutcome> outcome;
    QSemaphore done;
    QPointer<QEventLoop> loop;
};

// Runs on the main thread.
void startJob(Operation operation, const QString &service, const QString &key, const QString &value,
              const std::shared_ptr<PendingJob> &pending)
{
    QKeychain::Job *job = nullptr;
    switch (operation) {
    case Operation::Read:
        job = new QKeychain::ReadPasswordJob(service);
        break;
    case Operation::Write: {
        auto *write = new QKeychain::WritePasswordJob(service);
        write->setTextData(value);
        job = write;
        break;
    }
    case Operation::Remove:
        job = new QKeychain::DeletePasswordJob(service);
        break;
    }
    job->setAutoDelete(true);
    job->setKey(key);
    QObject::connect(job, &QKeychain::Job::finished, job, [pending](QKeychain::Job *finished) {
        JobOutcome outcome;
        outcome.error = finished->error();
        outcome.errorString = finished->errorString();
        if (auto *read = qobject_cast<QKeychain::ReadPasswordJob *>(finished))
            outcome.value = read->textData();
        QMutexLocker locker(&pending->mutex);
        pending->outcome = outcome;
        pending->done.release();
        if (pending->loop)
            pending->loop->quit();
    });
    job->start();
}

// Empty optional: no answer in time.
std::optional<JobOutcome> runJob(Operation operation, const QString &service, const QString &key,
                                 const QString &value, int timeoutMs)
{
    QCoreApplication *app = QCoreApplication::instance();
    if (!app) {
        JobOutcome outcome;
        outcome.errorString = QStringLiteral("no QCoreApplication");
        return outcome;
    }
    auto pending = std::make_shared<PendingJob>();
    if (QThread::currentThread() == app->thread()) {
        QEventLoop loop;
        pending->loop = &loop;
        QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
        startJob(operation, service, key, value, pending);
        {
            QMutexLocker locker(&pending->mutex);
            if (pending->outcome)
                return pending->outcome;
        }
        loop.exec(QEventLoop::ExcludeUserInputEvents);
        QMutexLocker locker(&pending->mutex);
        pending->loop = nullptr;
        return pending->outcome;
    }
    QMetaObject::invokeMethod(
        app, [=]() { startJob(operation, service, key, value, pending); }, Qt::QueuedConnection);
    if (!pending->done.tryAcquire(1, timeoutMs))
        return std::nullopt;
    QMutexLocker locker(&pending->mutex);
    return pending->outcome;
}

bool isValidKey(const QString &key)
{
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._@-]{0,127}$"));
    return pattern.match(key).hasMatch();
}

Error invalidKey(const QString &key)
{
    return makeError(ErrorKind::InvalidInput,
                     tr("\"%1\" cannot name a secret: use letters, digits, '.', '_', '@' and "
                        "'-' only.")
                         .arg(key.left(60)));
}

} // namespace

SecretStore::SecretStore(Options options)
    : m_options(std::move(options))
{}

QString SecretStore::fallbackFilePath(const QString &key) const
{
    if (m_options.fallbackDirectory.isEmpty())
        return {};
    return QDir(m_options.fallbackDirectory).filePath(key + QStringLiteral(".secret"));
}

QString SecretStore::lastBackendDescription() const
{
    switch (m_lastBackend) {
    case Backend::Keychain:
        return tr("in the system keychain");
    case Backend::File:
        return tr("in the file %1, readable only by you").arg(m_lastFile);
    case Backend::None:
        break;
    }
    return {};
}

bool SecretStore::keychainUsable() const
{
    return m_options.mode == Mode::KeychainWithFileFallback && m_keychainProblem.isEmpty();
}

void SecretStore::noteKeychainProblem(const QString &problem)
{
    // Once the keychain failed, this instance stops asking: every further try would wait
    // for the same timeout.
    m_keychainProblem = problem;
    qCWarning(lcSecrets).noquote()
        << "keychain unavailable, using files in" << m_options.fallbackDirectory << ":" << problem;
}

namespace {

enum class KeychainAnswer { Done, NotFound, Unavailable, Refused };

KeychainAnswer classify(const std::optional<JobOutcome> &outcome, QString *problem)
{
    if (!outcome) {
        *problem = QStringLiteral("no answer from the keychain service in time");
        return KeychainAnswer::Unavailable;
    }
    switch (outcome->error) {
    case QKeychain::NoError:
        return KeychainAnswer::Done;
    case QKeychain::EntryNotFound:
        return KeychainAnswer::NotFound;
    case QKeychain::AccessDeniedByUser:
        *problem = outcome->errorString;
        return KeychainAnswer::Refused;
    default:
        // No Secret Service on the session bus shows as OtherError, not NoBackendAvailable.
        *problem = QStringLiteral("%1 (error %2)")
                       .arg(outcome->errorString)
                       .arg(static_cast<int>(outcome->error));
        return KeychainAnswer::Unavailable;
    }
}

Error keychainRefused(const QString &problem)
{
    return makeError(ErrorKind::PermissionDenied,
                     tr("Access to the keychain was refused. Allow NOBill Console to use the "
                        "keychain, and try again."),
                     problem);
}

Error noFallback(const QString &problem)
{
    return makeError(ErrorKind::Unavailable,
                     tr("The system keychain is not available, so the secret cannot be kept. "
                        "Unlock or start the keychain (for example GNOME Keyring or KWallet) "
                        "and try again."),
                     problem);
}

} // namespace

Result<QString> SecretStore::read(const QString &key)
{
    if (!isValidKey(key))
        return invalidKey(key);
    if (keychainUsable()) {
        QString problem;
        const auto outcome =
            runJob(Operation::Read, m_options.service, key, {}, m_options.timeoutMs);
        switch (classify(outcome, &problem)) {
        case KeychainAnswer::Done:
            m_lastBackend = Backend::Keychain;
            return outcome->value;
        case KeychainAnswer::NotFound:
            break; // it may have been written to the file while the keychain was away
        case KeychainAnswer::Refused:
            return keychainRefused(problem);
        case KeychainAnswer::Unavailable:
            noteKeychainProblem(problem);
            break;
        }
    }
    const QString path = fallbackFilePath(key);
    if (path.isEmpty() || !QFileInfo::exists(path)) {
        if (path.isEmpty() && !m_keychainProblem.isEmpty())
            return noFallback(m_keychainProblem);
        return makeError(ErrorKind::NotFound, tr("No secret named \"%1\" is stored.").arg(key));
    }
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("The secret file %1 cannot be read: %2. Check its owner and "
                            "permissions.")
                             .arg(path, file.errorString()));
    }
    m_lastBackend = Backend::File;
    m_lastFile = path;
    return QString::fromUtf8(file.readAll());
}

Status SecretStore::write(const QString &key, const QString &value)
{
    if (!isValidKey(key))
        return invalidKey(key);
    const QString path = fallbackFilePath(key);
    if (keychainUsable()) {
        QString problem;
        const auto outcome =
            runJob(Operation::Write, m_options.service, key, value, m_options.timeoutMs);
        switch (classify(outcome, &problem)) {
        case KeychainAnswer::Done:
        case KeychainAnswer::NotFound:
            // An older copy in the file would be read back if the keychain is away later.
            if (!path.isEmpty() && QFileInfo::exists(path))
                QFile::remove(path);
            m_lastBackend = Backend::Keychain;
            return {};
        case KeychainAnswer::Refused:
            return keychainRefused(problem);
        case KeychainAnswer::Unavailable:
            noteKeychainProblem(problem);
            break;
        }
    }
    if (path.isEmpty())
        return noFallback(m_keychainProblem);

    const QString directory = QFileInfo(path).absolutePath();
    if (!QFileInfo::exists(directory)) {
        if (!QDir().mkpath(directory)) {
            return makeError(ErrorKind::PermissionDenied,
                             tr("Could not create the directory %1 for the secret file. Check "
                                "that its parent is writable.")
                                 .arg(directory));
        }
        QFile::setPermissions(directory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    }
    QSaveFile file(path);
    // The permissions are set before anything is written, so the secret is never in a file
    // others could read.
    if (!file.open(QIODevice::WriteOnly) ||
        !file.setPermissions(QFile::ReadOwner | QFile::WriteOwner) ||
        file.write(value.toUtf8()) < 0 || !file.commit()) {
        return makeError(ErrorKind::PermissionDenied,
                         tr("Could not write the secret file %1: %2. Check that the directory "
                            "is writable.")
                             .arg(path, file.errorString()));
    }
    m_lastBackend = Backend::File;
    m_lastFile = path;
    return {};
}

Status SecretStore::remove(const QString &key)
{
    if (!isValidKey(key))
        return invalidKey(key);
    if (keychainUsable()) {
        QString problem;
        const auto outcome =
            runJob(Operation::Remove, m_options.service, key, {}, m_options.timeoutMs);
        switch (classify(outcome, &problem)) {
        case KeychainAnswer::Done:
        case KeychainAnswer::NotFound:
            m_lastBackend = Backend::Keychain;
            break;
        case KeychainAnswer::Refused:
            return keychainRefused(problem);
        case KeychainAnswer::Unavailable:
            noteKeychainProblem(problem);
            break;
        }
    }
    const QString path = fallbackFilePath(key);
    if (!path.isEmpty() && QFileInfo::exists(path)) {
        if (!QFile::remove(path)) {
            return makeError(ErrorKind::PermissionDenied,
                             tr("Could not remove the secret file %1. Check its directory's "
                                "permissions.")
                                 .arg(path));
        }
        m_lastBackend = Backend::File;
        m_lastFile = path;
    }
    return {};
}

} // namespace nobill
