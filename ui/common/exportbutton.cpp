#include "common/exportbutton.h"

#include "common/messagebanner.h"

#include <QDir>
#include <QFileDialog>

namespace nobill {

ExportButton::ExportButton(const QString &fileName, const QString &dialogTitle, QWidget *parent)
    : QPushButton(tr("Export CSV…"), parent)
    , m_fileName(fileName)
    , m_dialogTitle(dialogTitle)
{
    setToolTip(tr("Save the list as shown (filter and order) as a CSV file"));
    connect(this, &QPushButton::clicked, this, &ExportButton::chooseFile);
}

void ExportButton::chooseFile()
{
    auto *dialog = new QFileDialog(window(), m_dialogTitle, QDir::home().filePath(m_fileName),
                                   tr("CSV files (*.csv)"));
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setDefaultSuffix(QStringLiteral("csv"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &QFileDialog::fileSelected, this, &ExportButton::exportTo);
    dialog->open();
}

void ExportButton::exportTo(const QString &path)
{
    if (m_running || !m_prepare)
        return;
    const Prepared prepared = m_prepare(path);
    m_running = true;
    setEnabled(false);
    ExportRunner *runner =
        ExportRunner::start(window(), m_settings, path, prepared.expectedRows, prepared.work);
    connect(runner, &ExportRunner::finished, this, [this](bool ok, const QString &message) {
        m_running = false;
        setEnabled(true);
        if (m_banner) {
            m_banner->showMessage(
                ok ? MessageBanner::Kind::Information : MessageBanner::Kind::Error, message);
        }
        emit finished(ok, message);
    });
}

} // namespace nobill
