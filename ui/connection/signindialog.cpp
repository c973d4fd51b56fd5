#include "connection/signindialog.h"

#include "common/messagebanner.h"
#include "core/offthread.h"
#include "database/databaseworker.h"
#include "secrets/secretstore.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace nobill {

namespace {
// No file fallback for operators' passwords: where no keychain runs, the console says so
// and asks for the password next time.
SecretStore passwordStore()
{
    SecretStore::Options options;
    options.timeoutMs = 5000;
    return SecretStore(options);
}
} // namespace

SignInDialog::SignInDialog(const ConnectionSettings &initial, QWidget *parent)
    : SignInDialog(initial, OfficeProfile::load(), parent)
{}

SignInDialog::SignInDialog(const ConnectionSettings &initial, const OfficeProfile &office,
                           QWidget *parent)
    : QDialog(parent)
    , m_office(office)
    , m_banner(new MessageBanner(this))
    , m_host(new QLineEdit(initial.host, this))
    , m_port(new QSpinBox(this))
    , m_database(new QLineEdit(initial.database, this))
    , m_sslMode(new QComboBox(this))
    , m_user(new QLineEdit(initial.user, this))
    , m_password(new QLineEdit(initial.password, this))
    , m_remember(new QCheckBox(tr("&Remember password in the system keychain"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("signInDialog"));
    setWindowTitle(tr("Sign in to NOBill Console"));
    setMinimumWidth(460);
    m_host->setObjectName(QStringLiteral("host"));
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(initial.port);
    m_database->setObjectName(QStringLiteral("database"));
    m_sslMode->setObjectName(QStringLiteral("sslMode"));
    m_sslMode->addItems({QStringLiteral("disable"), QStringLiteral("prefer"),
                         QStringLiteral("require"), QStringLiteral("verify-ca"),
                         QStringLiteral("verify-full")});
    m_sslMode->setCurrentText(initial.sslMode);
    m_user->setObjectName(QStringLiteral("user"));
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_remember->setObjectName(QStringLiteral("rememberPassword"));
    m_sslRootCert = initial.sslRootCert;

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    auto *server = new QGroupBox(
        office.officeName.isEmpty() ? tr("Server") : tr("Server of %1").arg(office.officeName),
        this);
    auto *serverForm = new QFormLayout(server);
    if (!office.servers.isEmpty()) {
        m_officeServer = new QComboBox(this);
        m_officeServer->setObjectName(QStringLiteral("officeServer"));
        m_officeServer->setAccessibleName(tr("Office server"));
        for (const OfficeServer &officeServer : office.servers) {
            m_officeServer->addItem(officeServer.label, officeServer.id);
            m_officeServer->setItemData(m_officeServer->count() - 1,
                                        QStringLiteral("%1:%2/%3")
                                            .arg(officeServer.connection.host)
                                            .arg(officeServer.connection.port)
                                            .arg(officeServer.connection.database),
                                        Qt::ToolTipRole);
        }
        m_officeServer->addItem(tr("Other server…"), QString());
        const OfficeServer *current = office.matching(initial);
        m_officeServer->setCurrentIndex(current ? m_officeServer->findData(current->id)
                                                : m_officeServer->count() - 1);
        serverForm->addRow(tr("O&ffice server:"), m_officeServer);
        connect(m_officeServer, &QComboBox::activated, this, &SignInDialog::chooseOfficeServer);
        connect(m_host, &QLineEdit::textEdited, this, &SignInDialog::serverEdited);
        connect(m_database, &QLineEdit::textEdited, this, &SignInDialog::serverEdited);
        connect(m_port, &QSpinBox::valueChanged, this, &SignInDialog::serverEdited);
    }
    serverForm->addRow(tr("&Host:"), m_host);
    serverForm->addRow(tr("P&ort:"), m_port);
    serverForm->addRow(tr("&Database:"), m_database);
    serverForm->addRow(tr("SSL &mode:"), m_sslMode);
    layout->addWidget(server);
    auto *you = new QFormLayout;
    you->addRow(tr("&User name:"), m_user);
    you->addRow(tr("&Password:"), m_password);
    you->addRow(QString(), m_remember);
    layout->addLayout(you);
    layout->addWidget(m_buttons);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Sign in"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &SignInDialog::tryConnect);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_password, &QLineEdit::textEdited, this, [this]() { m_passwordTyped = true; });

    if (!office.warnings.isEmpty())
        m_banner->showMessage(
            MessageBanner::Kind::Warning,
            tr("The office profile has problems: %1").arg(office.warnings.join(QLatin1Char(' '))));
    QSettings store;
    m_remember->setChecked(store.value(QStringLiteral("connection/rememberPassword")).toBool());
    if (m_user->text().isEmpty())
        m_user->setFocus();
    else
        m_password->setFocus();
    if (initial.password.isEmpty() && m_remember->isChecked() && !initial.user.isEmpty())
        loadRememberedPassword();
}

SignInDialog::~SignInDialog() = default;

ConnectionSettings SignInDialog::settings() const
{
    ConnectionSettings s;
    s.host = m_host->text().trimmed();
    s.port = m_port->value();
    s.database = m_database->text().trimmed();
    s.user = m_user->text().trimmed();
    s.password = m_password->text();
    s.sslMode = m_sslMode->currentText();
    s.sslRootCert = m_sslRootCert;
    return s;
}

void SignInDialog::chooseOfficeServer(int index)
{
    const OfficeServer *chosen = m_office.server(m_officeServer->itemData(index).toString());
    if (!chosen)
        return; // "Other server…": the fields stay as they are, to be typed over
    m_applyingServer = true;
    m_host->setText(chosen->connection.host);
    m_port->setValue(chosen->connection.port);
    m_database->setText(chosen->connection.database);
    m_sslMode->setCurrentText(chosen->connection.sslMode);
    m_sslRootCert = chosen->connection.sslRootCert;
    m_applyingServer = false;
    if (m_user->text().isEmpty())
        m_user->setFocus();
    else
        m_password->setFocus();
}

void SignInDialog::serverEdited()
{
    if (m_applyingServer || !m_officeServer)
        return;
    // Typed details that no longer match the chosen office server make it "Other server…",
    // and its certificate authority no longer applies.
    const OfficeServer *matching = m_office.matching(settings());
    m_officeServer->setCurrentIndex(matching ? m_officeServer->findData(matching->id)
                                             : m_officeServer->count() - 1);
    m_sslRootCert = matching ? matching->connection.sslRootCert : QString();
}

void SignInDialog::showProblem(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

void SignInDialog::setRememberPassword(bool remember)
{
    m_remember->setChecked(remember);
}

QString SignInDialog::keychainKey(const ConnectionSettings &s)
{
    return QStringLiteral("password:%1@%2:%3/%4").arg(s.user, s.host).arg(s.port).arg(s.database);
}

ConnectionSettings SignInDialog::savedProfile()
{
    return savedProfile(OfficeProfile::load());
}

ConnectionSettings SignInDialog::savedProfile(const OfficeProfile &office)
{
    QSettings store;
    ConnectionSettings s;
    if (const OfficeServer *preset = office.defaultServer())
        s = preset->connection;
    store.beginGroup(QStringLiteral("connection"));
    s.host = store.value(QStringLiteral("host"), s.host).toString();
    s.port = store.value(QStringLiteral("port"), s.port).toInt();
    s.database = store.value(QStringLiteral("database"), s.database).toString();
    s.user = store.value(QStringLiteral("user")).toString();
    s.sslMode = store.value(QStringLiteral("sslMode"), s.sslMode).toString();
    s.sslRootCert = store.value(QStringLiteral("sslRootCert"), s.sslRootCert).toString();
    return s;
}

void SignInDialog::saveProfile(const ConnectionSettings &s, bool rememberPassword)
{
    QSettings store;
    store.beginGroup(QStringLiteral("connection"));
    store.setValue(QStringLiteral("host"), s.host);
    store.setValue(QStringLiteral("port"), s.port);
    store.setValue(QStringLiteral("database"), s.database);
    store.setValue(QStringLiteral("user"), s.user);
    store.setValue(QStringLiteral("sslMode"), s.sslMode);
    store.setValue(QStringLiteral("sslRootCert"), s.sslRootCert);
    store.setValue(QStringLiteral("rememberPassword"), rememberPassword);
}

void SignInDialog::loadRememberedPassword()
{
    const QString key = keychainKey(settings());
    m_password->setPlaceholderText(tr("looking in the keychain…"));
    runOffThread<Result<QString>>(
        this, [key]() { return passwordStore().read(key); },
        [this](Result<QString> password) {
            m_password->setPlaceholderText(QString());
            if (password && !m_passwordTyped && m_password->text().isEmpty())
                m_password->setText(password.value());
            else if (!password && password.error().kind != ErrorKind::NotFound)
                m_banner->showMessage(MessageBanner::Kind::Warning,
                                      tr("Your remembered password could not be read: %1 Type "
                                         "it in to sign in.")
                                          .arg(password.error().message));
        });
}

void SignInDialog::storePassword(const ConnectionSettings &s, bool remember)
{
    const QString key = keychainKey(s);
    const QString password = s.password;
    // Parented to the application, not to this dialog: it closes right after sign-in, and a
    // failure to remember is then reported on stderr rather than lost silently.
    runOffThread<Status>(
        QCoreApplication::instance(),
        [key, password, remember]() {
            SecretStore store = passwordStore();
            return remember ? store.write(key, password) : store.remove(key);
        },
        [](Status stored) {
            if (!stored)
                qWarning("%s", qPrintable(stored.error().message));
        });
}

void SignInDialog::rememberNewPassword(const ConnectionSettings &settings)
{
    const ConnectionSettings profile = savedProfile();
    const bool remembered =
        QSettings().value(QStringLiteral("connection/rememberPassword")).toBool();
    if (remembered && profile.user == settings.user && profile.host == settings.host &&
        profile.port == settings.port && profile.database == settings.database)
        storePassword(settings, true);
}

void SignInDialog::setTrying(bool trying)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_host, m_port, m_database, m_sslMode,
                                                       m_user, m_password, m_remember})
        w->setEnabled(!trying);
    if (m_officeServer)
        m_officeServer->setEnabled(!trying);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!trying);
    m_buttons->button(QDialogButtonBox::Ok)->setText(trying ? tr("Signing in…") : tr("&Sign in"));
}

void SignInDialog::tryConnect()
{
    const ConnectionSettings s = settings();
    if (s.host.isEmpty() || s.database.isEmpty() || s.user.isEmpty()) {
        showProblem(tr("Enter the server, the database and your user name."));
        return;
    }
    if (s.password.isEmpty()) {
        showProblem(tr("Enter your password."));
        m_password->setFocus();
        return;
    }
    m_banner->clear();
    setTrying(true);
    // A fresh worker per attempt: its connection uses exactly what was typed.
    m_probe = std::make_unique<DatabaseWorker>(s, QStringLiteral("sign-in"));
    m_probe->run<SignIn>(
        this, [](const QString &connection) { return completeSignIn(connection); },
        [this, s](Result<SignIn> result) {
            setTrying(false);
            if (!result) {
                showProblem(result.error().message);
                return;
            }
            m_signIn = result.value();
            const bool remember = m_remember->isChecked();
            // The keychain is touched only to remember, or to forget what was remembered.
            const bool wasRemembered =
                QSettings().value(QStringLiteral("connection/rememberPassword")).toBool();
            saveProfile(s, remember);
            if (remember || wasRemembered)
                storePassword(s, remember);
            accept();
        });
}

} // namespace nobill
