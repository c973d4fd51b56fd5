#pragma once

#include "common/exportrunner.h"
#include "database/connectionsettings.h"
#include "export/listexport.h"

#include <QPushButton>

#include <functional>

namespace nobill {

class MessageBanner;

// "Export CSV…" on a list page: asks for a file (a non-modal dialog), then writes the list as
// it is shown, with the model's current filter and order, on a connection of its own with
// progress and Cancel (ExportRunner). The outcome sentence goes to the page's banner. One
// button for every list: what differs is only the model's query type.
class ExportButton final : public QPushButton
{
    Q_OBJECT
public:
    // `fileName` is the suggested name ("tenants.csv"); `dialogTitle` the file dialog's title.
    ExportButton(const QString &fileName, const QString &dialogTitle, QWidget *parent);

    // Exports what `model` shows: any list model with query() and totalCount().
    template <typename Model>
    void setSource(const ConnectionSettings &settings, const Model *model, MessageBanner *banner)
    {
        m_settings = settings;
        m_banner = banner;
        m_prepare = [model](const QString &path) -> Prepared {
            const auto query = model->query();
            return {qint64(model->totalCount()),
                    [query, path](const QString &connection, const ExportProgress &progress,
                                  const std::atomic<bool> *cancel) {
                        return exportList(connection, query, path, progress, cancel);
                    }};
        };
    }

    // Starts the export to `path` without asking (the file dialog ends here; tests call it).
    void exportTo(const QString &path);
    bool isExporting() const { return m_running; }

signals:
    // "Exported 1,234 rows to /home/ann/tenants.csv." or why not.
    void finished(bool ok, const QString &message);

private:
    struct Prepared
    {
        qint64 expectedRows = -1;
        ExportRunner::Work work;
    };
    void chooseFile();

    QString m_fileName;
    QString m_dialogTitle;
    ConnectionSettings m_settings;
    MessageBanner *m_banner = nullptr;
    std::function<Prepared(const QString &path)> m_prepare;
    bool m_running = false;
};

} // namespace nobill
