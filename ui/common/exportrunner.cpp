#include "common/exportrunner.h"

#include "database/databaseworker.h"

#include <QLocale>
#include <QProgressDialog>
#include <QWidget>

namespace nobill {

ExportRunner::ExportRunner(QWidget *parent, const ConnectionSettings &settings)
    : QObject(parent)
    , m_worker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("export")))
    , m_cancel(std::make_shared<std::atomic<bool>>(false))
{}

ExportRunner::~ExportRunner() = default;

ExportRunner *ExportRunner::start(QWidget *parent, const ConnectionSettings &settings,
                                  const QString &path, qint64 expectedRows, Work work)
{
    auto *runner = new ExportRunner(parent, settings);
    runner->run(path, expectedRows, std::move(work));
    return runner;
}

void ExportRunner::run(const QString &path, qint64 expectedRows, Work work)
{
    m_running = true;
    auto *parentWidget = qobject_cast<QWidget *>(parent());
    m_progress = new QProgressDialog(
        tr("Exporting to %1…").arg(path), tr("Cancel"), 0,
        expectedRows > 0 ? int(qMin<qint64>(expectedRows, INT_MAX)) : 0, parentWidget);
    m_progress->setObjectName(QStringLiteral("exportProgress"));
    m_progress->setWindowTitle(tr("Export"));
    m_progress->setMinimumDuration(300);
    m_progress->setAutoClose(false);
    m_progress->setAutoReset(false);
    const auto cancel = m_cancel;
    connect(m_progress, &QProgressDialog::canceled, this, [cancel]() { cancel->store(true); });

    QPointer<QProgressDialog> progressDialog(m_progress);
    // Progress is reported from the worker thread; the dialog is updated on ours.
    auto progress = [this, progressDialog](qint64 rows) {
        QMetaObject::invokeMethod(
            this,
            [progressDialog, rows]() {
                if (progressDialog && progressDialog->maximum() > 0)
                    progressDialog->setValue(int(qMin<qint64>(rows, progressDialog->maximum())));
            },
            Qt::QueuedConnection);
    };
    m_worker->run<qint64>(
        this,
        [work, progress, cancel](const QString &connection) {
            return work(connection, progress, cancel.get());
        },
        [this, path](Result<qint64> result) {
            m_running = false;
            if (m_progress) {
                m_progress->close();
                m_progress->deleteLater();
            }
            if (result) {
                emit finished(
                    true,
                    tr("Exported %1 rows to %2.").arg(QLocale().toString(result.value()), path));
            } else if (result.error().kind == ErrorKind::Cancelled) {
                emit finished(false, tr("The export was cancelled; no file was written."));
            } else {
                emit finished(false, tr("The export failed: %1").arg(result.error().message));
            }
            deleteLater();
        });
}

} // namespace nobill
