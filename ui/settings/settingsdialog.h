#pragma once

#include <QDialog>

class QCheckBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace nobill {

class OfficeWorkerControl;

// Settings of this console. For now: whether this console also runs the office's job
// worker (a one-machine office), with the service login it uses and the worker's state,
// including why it does not run and what to do about it.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(OfficeWorkerControl *control, QWidget *parent = nullptr);

    QCheckBox *runWorkerBox() const { return m_runWorker; }
    QLineEdit *serviceLoginEdit() const { return m_login; }
    QLabel *workerState() const { return m_state; }
    QPushButton *applyButton() const { return m_apply; }

private:
    void apply();
    void showState();

    OfficeWorkerControl *m_control;
    QCheckBox *m_runWorker;
    QLineEdit *m_login;
    QLabel *m_state;
    QLabel *m_problem;
    QPushButton *m_apply;
};

} // namespace nobill
