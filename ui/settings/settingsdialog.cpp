#include "settings/settingsdialog.h"

#include "settings/officeworkercontrol.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

namespace nobill {

SettingsDialog::SettingsDialog(OfficeWorkerControl *control, QWidget *parent)
    : QDialog(parent)
    , m_control(control)
{
    setObjectName(QStringLiteral("settingsDialog"));
    setWindowTitle(tr("Settings"));
    auto *layout = new QVBoxLayout(this);

    auto *group = new QGroupBox(tr("Office server"), this);
    auto *groupLayout = new QVBoxLayout(group);
    auto *explain = new QLabel(
        tr("Changes to billing are queued and carried out in Stripe by the office server "
           "(nobillctl serve). In an office with one machine, this console can do that work "
           "itself while it is open. It then needs the Stripe secret key stored on this "
           "computer (nobillctl stripe set-key) and the office's service login."),
        group);
    explain->setWordWrap(true);
    groupLayout->addWidget(explain);
    m_runWorker = new QCheckBox(tr("Run the office worker in this console"), group);
    m_runWorker->setObjectName(QStringLiteral("runOfficeWorker"));
    m_runWorker->setChecked(OfficeWorkerControl::enabledInSettings());
    groupLayout->addWidget(m_runWorker);
    auto *form = new QFormLayout;
    m_login = new QLineEdit(OfficeWorkerControl::serviceLoginInSettings(), group);
    m_login->setObjectName(QStringLiteral("serviceLogin"));
    m_login->setPlaceholderText(QStringLiteral("postgresql://nobill_service@localhost/nobill"));
    m_login->setAccessibleName(tr("Service login"));
    form->addRow(tr("Service login:"), m_login);
    groupLayout->addLayout(form);
    auto *password = new QLabel(tr("Its password is read from ~/.pgpass (or the file PGPASSFILE "
                                   "names), never kept in the console's settings."),
                                group);
    password->setWordWrap(true);
    password->setForegroundRole(QPalette::PlaceholderText);
    groupLayout->addWidget(password);
    m_state = new QLabel(group);
    m_state->setObjectName(QStringLiteral("officeWorkerState"));
    m_state->setWordWrap(true);
    m_state->setTextInteractionFlags(Qt::TextSelectableByMouse);
    groupLayout->addWidget(m_state);
    m_problem = new QLabel(group);
    m_problem->setObjectName(QStringLiteral("settingsProblem"));
    m_problem->setWordWrap(true);
    m_problem->hide();
    groupLayout->addWidget(m_problem);
    layout->addWidget(group);
    layout->addStretch(1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_apply = buttons->addButton(QDialogButtonBox::Apply);
    m_apply->setObjectName(QStringLiteral("applyButton"));
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_apply, &QPushButton::clicked, this, &SettingsDialog::apply);
    connect(m_runWorker, &QCheckBox::toggled, m_login, &QWidget::setEnabled);
    m_login->setEnabled(m_runWorker->isChecked());
    connect(control, &OfficeWorkerControl::stateChanged, this, &SettingsDialog::showState);
    setMinimumWidth(520);
    showState();
}

void SettingsDialog::apply()
{
    const QString problem = m_control->apply(m_runWorker->isChecked(), m_login->text());
    m_problem->setText(problem);
    m_problem->setVisible(!problem.isEmpty());
    showState();
}

void SettingsDialog::showState()
{
    QString text = m_control->stateText();
    if (m_control->state() == OfficeWorkerControl::State::Failed &&
        text.contains(QLatin1String("Stripe key")) &&
        !text.contains(QLatin1String("nobillctl stripe set-key")))
        text += QLatin1Char(' ') + tr("Store the key with \"nobillctl stripe set-key\".");
    m_state->setText(text);
}

} // namespace nobill
