#pragma once

#include "core/result.h"
#include "database/connectionsettings.h"

#include <QObject>
#include <QPointer>

#include <atomic>
#include <functional>
#include <memory>

class QProgressDialog;
class QWidget;

namespace nobill {

class DatabaseWorker;

// Runs one CSV export on a connection of its own (the list stays usable meanwhile), with a
// progress dialog and Cancel, and reports the outcome as a sentence. Every list's Export…
// goes through it; what to export is the caller's `work`.
class ExportRunner final : public QObject
{
    Q_OBJECT
public:
    using Work = std::function<Result<qint64>(const QString &connection,
                                              const std::function<void(qint64)> &progress,
                                              const std::atomic<bool> *cancel)>;

    // `expectedRows` sizes the progress bar (-1: unknown). Deletes itself when done.
    static ExportRunner *start(QWidget *parent, const ConnectionSettings &settings,
                               const QString &path, qint64 expectedRows, Work work);

    bool isRunning() const { return m_running; }

signals:
    // "Exported 1,234 tenants to /home/ann/tenants.csv." or why not.
    void finished(bool ok, const QString &message);

private:
    ExportRunner(QWidget *parent, const ConnectionSettings &settings);
    ~ExportRunner() override;
    void run(const QString &path, qint64 expectedRows, Work work);

    std::unique_ptr<DatabaseWorker> m_worker;
    QProgressDialog *m_progress = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancel;
    bool m_running = false;
};

} // namespace nobill
