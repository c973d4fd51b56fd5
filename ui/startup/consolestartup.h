#pragma once

#include "database/connectionsettings.h"

#include <QObject>
#include <QPointer>
#include <QString>

#include <atomic>
#include <memory>
#include <optional>

class QLabel;
class QPushButton;
class QWidget;

namespace nobill {

class DatabaseWorker;
struct SignIn;
class MainWindow;
class ScreenshotRunner;

// Takes the console from launch to a usable main window: starts the embedded demo
// database (--demo) or asks for a connection, checks the schema, opens the window. Slow
// steps run on worker threads behind a small progress window, so nothing freezes.
class ConsoleStartup final : public QObject
{
    Q_OBJECT
public:
    struct Options
    {
        bool demo = false;
        QString demoDirectory; // empty: the default place for this user
        QString demoLogin;     // --as: which demo operator signs in; empty: the platform admin
        QString screenshotDirectory;                  // non-empty: save every screen, then quit
        std::optional<ConnectionSettings> connection; // --connect URI
    };

    explicit ConsoleStartup(Options options, QObject *parent = nullptr);
    ~ConsoleStartup() override;

    void start();
    // Stops the demo database if this console started it. Call after the event loop ended.
    void stopDemoIfStarted();
    MainWindow *mainWindow() const;

signals:
    // The console should quit with this code (screenshots done, or the operator gave up).
    void finished(int exitCode);

private:
    void startDemo();
    void demoReady(const Result<ConnectionSettings> &up);
    void askForConnection(const ConnectionSettings &initial, const QString &problem);
    // Signs in without a dialog (the demo's operators), then opens the window.
    void signInDirectly(const ConnectionSettings &settings);
    void afterSignIn(const ConnectionSettings &settings, const SignIn &signIn);
    void changePassword(const ConnectionSettings &settings, const SignIn &signIn);
    void openMainWindow(const ConnectionSettings &settings, const SignIn &signIn);
    void showProgress(const QString &text);
    void showFatal(const QString &text, bool offerRetry);

    Options m_options;
    std::unique_ptr<QWidget> m_progressWindow;
    QLabel *m_progressLabel = nullptr;
    QPushButton *m_retryButton = nullptr;
    QPointer<MainWindow> m_window;
    ScreenshotRunner *m_screenshots = nullptr;
    std::unique_ptr<DatabaseWorker> m_signInWorker;
    std::atomic<bool> m_stopDemoOnExit{false}; // set on the demo thread
};

} // namespace nobill
