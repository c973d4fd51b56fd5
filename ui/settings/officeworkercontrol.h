#pragma once

#include "jobs/officeworker.h"

#include <QObject>

#include <functional>

namespace nobill {

// Runs the office's job worker inside this console when Settings says so (off by default):
// for a one-machine office whose console is also the office server. Owned by the main
// window, so the worker runs while the console is open, whichever dialog is shown. The
// choice and the service login (a PostgreSQL URI without its password; the password comes
// from ~/.pgpass or PGPASSFILE, as for nobillctl serve) are kept in QSettings; the Stripe
// key is read from the secret store by OfficeWorker, off the GUI thread.
class OfficeWorkerControl final : public QObject
{
    Q_OBJECT
public:
    enum class State { Off, Starting, Running, Stopping, Failed };
    Q_ENUM(State)

    explicit OfficeWorkerControl(QObject *parent = nullptr);
    ~OfficeWorkerControl() override;

    static bool enabledInSettings();
    static QString serviceLoginInSettings();
    // Saves the choice and starts or stops the worker to match. A malformed login is
    // refused with a sentence (the choice is not saved then).
    QString apply(bool enabled, const QString &serviceLoginUri);
    // At start-up: starts the worker if the settings ask for it.
    void startFromSettings();

    State state() const { return m_state; }
    // A sentence for Settings: what runs, or why it does not and what to do.
    QString stateText() const;
    int jobsDone() const { return m_jobsDone; }

    // Tests: the options (Stripe address, secret store) are adjusted before each start.
    void setOptionsHook(std::function<void(OfficeWorker::Options &)> hook)
    {
        m_hook = std::move(hook);
    }

signals:
    void stateChanged();

private:
    void start(const QString &serviceLoginUri);
    void stop();
    void setState(State state, const QString &message = {});

    OfficeWorker *m_worker = nullptr;
    State m_state = State::Off;
    QString m_message;
    QString m_login;
    bool m_restart = false;
    int m_jobsDone = 0;
    std::function<void(OfficeWorker::Options &)> m_hook;
};

} // namespace nobill
