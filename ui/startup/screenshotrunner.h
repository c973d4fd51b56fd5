#pragma once

#include <QObject>

class QDialog;
#include <QString>

#include <functional>

namespace nobill {

class MainWindow;

// Opens every area in turn, waits until its page has its data, and saves DIR/<area>.png;
// then the tenant dialog as DIR/tenants-new-dialog.png, and the billing dialogs (new
// subscription, change of plan, pause of collection) and Settings. For README pictures and for
// looking at what was built (`nobill-console --demo --screenshots DIR`). Works offscreen.
class ScreenshotRunner final : public QObject
{
    Q_OBJECT
public:
    ScreenshotRunner(MainWindow *window, QString directory, QObject *parent = nullptr);
    void start();

signals:
    void finished(int exitCode);

private:
    void next();
    void captureWhenQuiet(int waitedMs);
    void captureDialog(int waitedMs);
    void captureBilling(int step);
    // Saves the dialog once `ready` says so (or after a while), closes it, then goes on.
    void saveWhenReady(QDialog *dialog, const QString &name, std::function<bool()> ready,
                       std::function<void()> then, int waitedMs = 0);
    bool save(class QWidget *widget, const QString &name);

    MainWindow *m_window;
    QString m_directory;
    int m_index = -1;
    int m_failures = 0;
};

} // namespace nobill
