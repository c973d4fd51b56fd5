#pragma once

#include "core/result.h"

#include <QString>

namespace nobill {

// Named secrets (database passwords, the Stripe key) in the operating system's keychain,
// through QtKeychain; where no keychain service answers (a server without a desktop
// session, root under sudo), in a file readable only by the current user, in a directory
// the caller chooses.
//
// Blocking, bounded by a timeout. Call it from a worker thread or from a command line
// tool's main thread, never from the GUI thread. Keychain jobs always run on the
// application's main thread (QtKeychain's job queue is not safe to drive from other
// threads); a call from a worker thread posts the job there and waits for it, so the main
// thread must be running its event loop. A timeout falls back to the file with a logged
// warning. One instance belongs to one thread.
class SecretStore
{
public:
    enum class Mode {
        KeychainWithFileFallback,
        FileOnly, // for tests, and for installations that choose the file knowingly
    };
    enum class Backend {
        None, // nothing done yet
        Keychain,
        File,
    };

    struct Options
    {
        // Where the fallback files live (one `<key>.secret` per secret, mode 0600). Empty:
        // no fallback, a missing keychain is an error.
        QString fallbackDirectory;
        Mode mode = Mode::KeychainWithFileFallback;
        int timeoutMs = 10000;
        QString service = QStringLiteral("NOBill Console");
    };

    explicit SecretStore(Options options);

    // NotFound when no secret of that name is stored.
    Result<QString> read(const QString &key);
    Status write(const QString &key, const QString &value);
    // Removing a secret that does not exist succeeds.
    Status remove(const QString &key);

    // Where the last successful operation kept the secret, and a sentence saying so
    // ("in the system keychain", "in the file /x/y.secret, readable only by you").
    Backend lastBackend() const { return m_lastBackend; }
    QString lastBackendDescription() const;
    // Why the keychain was not used, when it was not; empty otherwise.
    QString keychainProblem() const { return m_keychainProblem; }

    QString fallbackFilePath(const QString &key) const;

private:
    bool keychainUsable() const;
    void noteKeychainProblem(const QString &problem);

    Options m_options;
    Backend m_lastBackend = Backend::None;
    QString m_lastFile;
    QString m_keychainProblem;
};

} // namespace nobill
