#include "connection/connectiondialog.h"

#include "common/messagebanner.h"
#include "database/databaseworker.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLineEdit>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QVBoxLayout>

namespace nobill {

ConnectionDialog::ConnectionDialog(const ConnectionSettings &initial, QWidget *parent)
    : QDialog(parent)
    , m_banner(new MessageBanner(this))
    , m_host(new QLineEdit(initial.host, this))
    , m_port(new QSpinBox(this))
    , m_database(new QLineEdit(initial.database, this))
    , m_user(new QLineEdit(initial.user, this))
    , m_password(new QLineEdit(initial.password, this))
    , m_sslMode(new QComboBox(this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
{
    setObjectName(QStringLiteral("connectionDialog"));
    setWindowTitle(tr("Connect to the billing database"));
    setMinimumWidth(460);
    m_host->setObjectName(QStringLiteral("host"));
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(1, 65535);
    m_port->setValue(initial.port);
    m_database->setObjectName(QStringLiteral("database"));
    m_user->setObjectName(QStringLiteral("user"));
    m_password->setObjectName(QStringLiteral("password"));
    m_password->setEchoMode(QLineEdit::Password);
    m_sslMode->setObjectName(QStringLiteral("sslMode"));
    const QStringList modes{QStringLiteral("disable"), QStringLiteral("prefer"),
                            QStringLiteral("require"), QStringLiteral("verify-ca"),
                            QStringLiteral("verify-full")};
    m_sslMode->addItems(modes);
    m_sslMode->setCurrentText(initial.sslMode);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_banner);
    auto *form = new QFormLayout;
    form->addRow(tr("&Server:"), m_host);
    form->addRow(tr("P&ort:"), m_port);
    form->addRow(tr("&Database:"), m_database);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("&Password:"), m_password);
    form->addRow(tr("SSL &mode:"), m_sslMode);
    layout->addLayout(form);
    layout->addWidget(m_buttons);
    m_buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    connect(m_buttons, &QDialogButtonBox::accepted, this, &ConnectionDialog::tryConnect);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    if (m_user->text().isEmpty())
        m_user->setFocus();
    else
        m_password->setFocus();
}

ConnectionDialog::~ConnectionDialog() = default;

ConnectionSettings ConnectionDialog::settings() const
{
    ConnectionSettings s;
    s.host = m_host->text().trimmed();
    s.port = m_port->value();
    s.database = m_database->text().trimmed();
    s.user = m_user->text().trimmed();
    s.password = m_password->text();
    s.sslMode = m_sslMode->currentText();
    return s;
}

void ConnectionDialog::showProblem(const QString &message)
{
    m_banner->showMessage(MessageBanner::Kind::Error, message);
}

ConnectionSettings ConnectionDialog::savedProfile()
{
    QSettings store;
    ConnectionSettings s;
    store.beginGroup(QStringLiteral("connection"));
    s.host = store.value(QStringLiteral("host"), s.host).toString();
    s.port = store.value(QStringLiteral("port"), s.port).toInt();
    s.database = store.value(QStringLiteral("database"), s.database).toString();
    s.user = store.value(QStringLiteral("user")).toString();
    s.sslMode = store.value(QStringLiteral("sslMode"), s.sslMode).toString();
    return s;
}

void ConnectionDialog::saveProfile(const ConnectionSettings &s)
{
    QSettings store;
    store.beginGroup(QStringLiteral("connection"));
    store.setValue(QStringLiteral("host"), s.host);
    store.setValue(QStringLiteral("port"), s.port);
    store.setValue(QStringLiteral("database"), s.database);
    store.setValue(QStringLiteral("user"), s.user);
    store.setValue(QStringLiteral("sslMode"), s.sslMode);
}

void ConnectionDialog::setTrying(bool trying)
{
    for (QWidget *w : std::initializer_list<QWidget *>{m_host, m_port, m_database, m_user,
                                                       m_password, m_sslMode})
        w->setEnabled(!trying);
    m_buttons->button(QDialogButtonBox::Ok)->setEnabled(!trying);
    m_buttons->button(QDialogButtonBox::Ok)->setText(trying ? tr("Connecting…") : tr("&Connect"));
}

void ConnectionDialog::tryConnect()
{
    const ConnectionSettings s = settings();
    if (s.host.isEmpty() || s.database.isEmpty() || s.user.isEmpty()) {
        showProblem(tr("Enter the server, the database and your user name."));
        return;
    }
    m_banner->clear();
    setTrying(true);
    // A fresh worker per attempt: its connection uses exactly what was typed.
    m_probe = std::make_unique<DatabaseWorker>(s, QStringLiteral("connection-probe"));
    m_probe->run<ServerInfo>(
        this, [](const QString &connection) { return inspectServer(connection); },
        [this, s](Result<ServerInfo> info) {
            setTrying(false);
            if (!info) {
                showProblem(info.error().message);
                return;
            }
            const Error problem = schemaProblem(info.value().schema);
            if (problem.kind == ErrorKind::SchemaTooNew) {
                m_readOnlyReason = problem.message;
            } else if (!problem.message.isEmpty()) {
                showProblem(problem.message);
                return;
            }
            m_info = info.value();
            saveProfile(s);
            accept();
        });
}

} // namespace nobill
