#include "startup/consolestartup.h"

#include "access/signin.h"
#include "connection/changepassworddialog.h"
#include "connection/signindialog.h"
#include "database/databaseworker.h"
#include "database/serverinfo.h"
#include "demo/democluster.h"
#include "demo/demooperators.h"
#include "mainwindow/mainwindow.h"
#include "startup/screenshotrunner.h"

#include <QApplication>
#include <QLabel>
#include <QPushButton>
#include <QTextStream>
#include <QThread>
#include <QVBoxLayout>

namespace nobill {

ConsoleStartup::ConsoleStartup(Options options, QObject *parent)
    : QObject(parent)
    , m_options(std::move(options))
{}

ConsoleStartup::~ConsoleStartup()
{
    delete m_window.data();
}

MainWindow *ConsoleStartup::mainWindow() const
{
    return m_window.data();
}

void ConsoleStartup::start()
{
    if (m_options.demo) {
        startDemo();
        return;
    }
    ConnectionSettings initial =
        m_options.connection ? *m_options.connection : SignInDialog::savedProfile();
    askForConnection(initial, QString());
}

void ConsoleStartup::showProgress(const QString &text)
{
    if (!m_progressWindow) {
        m_progressWindow = std::make_unique<QWidget>();
        m_progressWindow->setObjectName(QStringLiteral("startupWindow"));
        m_progressWindow->setWindowTitle(tr("NOBill Console"));
        m_progressWindow->setMinimumWidth(420);
        auto *layout = new QVBoxLayout(m_progressWindow.get());
        m_progressLabel = new QLabel(m_progressWindow.get());
        m_progressLabel->setWordWrap(true);
        m_progressLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
        layout->addWidget(m_progressLabel);
        auto *buttons = new QHBoxLayout;
        m_retryButton = new QPushButton(tr("&Try again"), m_progressWindow.get());
        auto *quit = new QPushButton(tr("&Quit"), m_progressWindow.get());
        buttons->addStretch(1);
        buttons->addWidget(m_retryButton);
        buttons->addWidget(quit);
        layout->addLayout(buttons);
        connect(m_retryButton, &QPushButton::clicked, this, &ConsoleStartup::start);
        connect(quit, &QPushButton::clicked, this, [this]() { emit finished(1); });
    }
    m_progressLabel->setText(text);
    m_retryButton->hide();
    if (m_options.screenshotDirectory.isEmpty())
        m_progressWindow->show();
}

void ConsoleStartup::showFatal(const QString &text, bool offerRetry)
{
    if (!m_options.screenshotDirectory.isEmpty()) {
        QTextStream(stderr) << text << Qt::endl;
        emit finished(1);
        return;
    }
    showProgress(text);
    m_retryButton->setVisible(offerRetry);
}

void ConsoleStartup::startDemo()
{
    showProgress(tr("Starting the demo database… The first start creates it and fills it with "
                    "example data, which takes a few seconds."));
    const QString directory = m_options.demoDirectory;
    // initdb and the seed take seconds: they run on a thread of their own, never on this one.
    QPointer<ConsoleStartup> self(this);
    QThread *thread = QThread::create([self, directory]() {
        DemoCluster demo(directory);
        const bool wasRunning = demo.status().running;
        Result<ConnectionSettings> up = demo.up();
        if (self && up && !wasRunning)
            self->m_stopDemoOnExit = true; // started by us: stopped by us (see stopDemoIfStarted)
        if (!self)
            return;
        QMetaObject::invokeMethod(
            self.data(),
            [self, up]() {
                ConsoleStartup *startup = self.data();
                if (!startup)
                    return;
                startup->demoReady(up);
            },
            Qt::QueuedConnection);
    });
    connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

void ConsoleStartup::stopDemoIfStarted()
{
    if (!m_stopDemoOnExit)
        return;
    // The window's connections (lists, change feed) close first, so the server's shutdown
    // does not cut them off mid-conversation.
    if (m_window) {
        m_window->disconnect(this);
        delete m_window.data();
    }
    m_stopDemoOnExit = false;
    // The windows are gone by now, so waiting the fraction of a second a fast shutdown takes
    // freezes nothing. A cluster started by `nobillctl demo up` is left running.
    Status stopped = DemoCluster(m_options.demoDirectory).down();
    if (!stopped)
        QTextStream(stderr) << stopped.error().message << Qt::endl;
}

void ConsoleStartup::demoReady(const Result<ConnectionSettings> &up)
{
    if (!up) {
        showFatal(tr("The demo database could not be started.\n\n%1").arg(up.error().message),
                  true);
        return;
    }
    const QString login = m_options.demoLogin.isEmpty() ? defaultDemoLogin() : m_options.demoLogin;
    const std::optional<DemoOperator> demoOperator = findDemoOperator(login);
    if (!demoOperator) {
        QStringList logins;
        for (const DemoOperator &op : demoOperators())
            logins << op.login;
        showFatal(tr("The demo database has no operator \"%1\". Sign in as one of: %2.")
                      .arg(login, logins.join(QStringLiteral(", "))),
                  false);
        return;
    }
    // The console works as the operator, never as the database owner.
    ConnectionSettings settings = up.value();
    settings.user = demoOperator->login;
    settings.password = demoOperator->password;
    settings.source = QStringLiteral("console");
    signInDirectly(settings);
}

void ConsoleStartup::signInDirectly(const ConnectionSettings &settings)
{
    showProgress(tr("Signing in as %1…").arg(settings.user));
    m_signInWorker = std::make_unique<DatabaseWorker>(settings, QStringLiteral("sign-in"));
    m_signInWorker->run<SignIn>(
        this, [](const QString &connection) { return completeSignIn(connection); },
        [this, settings](Result<SignIn> signIn) {
            if (!signIn) {
                showFatal(
                    tr("Signing in to the demo database failed.\n\n%1").arg(signIn.error().message),
                    true);
                return;
            }
            afterSignIn(settings, signIn.value());
        });
}

void ConsoleStartup::afterSignIn(const ConnectionSettings &settings, const SignIn &signIn)
{
    if (!signIn.access.mustChangePassword) {
        openMainWindow(settings, signIn);
        return;
    }
    // A one-time password set by an admin: nothing else happens until it is replaced.
    auto *dialog = new ChangePasswordDialog(settings, signIn.access.email, true);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, signIn]() {
        SignIn changed = signIn;
        changed.access.mustChangePassword = false;
        SignInDialog::rememberNewPassword(dialog->settings());
        openMainWindow(dialog->settings(), changed);
    });
    connect(dialog, &QDialog::rejected, this, [this]() {
        if (!m_window)
            emit finished(0);
    });
    dialog->open();
}

void ConsoleStartup::changePassword(const ConnectionSettings &settings, const SignIn &signIn)
{
    auto *dialog = new ChangePasswordDialog(settings, signIn.access.email, false, m_window.data());
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QDialog::accepted, this, [this, dialog, signIn]() {
        SignInDialog::rememberNewPassword(dialog->settings());
        // Every connection of the window was opened with the old password: reopen it so a
        // reconnect later uses the new one.
        openMainWindow(dialog->settings(), signIn);
    });
    dialog->open();
}

void ConsoleStartup::askForConnection(const ConnectionSettings &initial, const QString &problem)
{
    if (!m_options.screenshotDirectory.isEmpty()) {
        showFatal(tr("Screenshots need a database: use --demo, or --connect with a password "
                     "in the address."),
                  false);
        return;
    }
    if (m_progressWindow)
        m_progressWindow->hide();
    auto *dialog = new SignInDialog(initial);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    if (!problem.isEmpty())
        dialog->showProblem(problem);
    connect(dialog, &QDialog::accepted, this,
            [this, dialog]() { afterSignIn(dialog->settings(), dialog->signIn()); });
    connect(dialog, &QDialog::rejected, this, [this]() {
        if (!m_window)
            emit finished(0);
    });
    dialog->open();
    // Given a full address with a password, try it at once instead of asking.
    if (m_options.connection && !m_options.connection->password.isEmpty() && problem.isEmpty()) {
        m_options.connection.reset();
        dialog->tryConnect();
    }
}

void ConsoleStartup::openMainWindow(const ConnectionSettings &settings, const SignIn &signIn)
{
    if (m_progressWindow)
        m_progressWindow->hide();
    if (m_window) {
        m_window->disconnect(this); // replacing the window is not quitting
        delete m_window.data();
    }
    MainWindow::Options options;
    options.demo = m_options.demo;
    options.readOnlyReason = signIn.readOnlyReason;
    options.access = signIn.access;
    m_window = new MainWindow(settings, options);
    m_window->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_window.data(), &MainWindow::changeConnectionRequested, this, [this, settings]() {
        ConnectionSettings initial = settings;
        initial.password.clear();
        askForConnection(initial, QString());
    });
    connect(m_window.data(), &MainWindow::changePasswordRequested, this,
            [this, settings, signIn]() { changePassword(settings, signIn); });
    connect(m_window.data(), &QObject::destroyed, this, [this]() {
        if (!m_window)
            emit finished(0);
    });
    m_window->show();
    if (!m_options.screenshotDirectory.isEmpty()) {
        m_screenshots = new ScreenshotRunner(m_window.data(), m_options.screenshotDirectory, this);
        connect(m_screenshots, &ScreenshotRunner::finished, this, &ConsoleStartup::finished);
        m_screenshots->start();
    }
}

} // namespace nobill
