#pragma once

#include "access/sessionaccess.h"
#include "database/connectionsettings.h"
#include "mainwindow/area.h"

#include <QMainWindow>
#include <QMap>

#include <memory>
#include <optional>

class QLabel;
class QListWidget;
class QSplitter;
class QStackedWidget;
class QTimer;

namespace nobill {

class OfficeWorkerControl;

class ChangeFeed;
class DatabaseWorker;
class MessageBanner;
class Page;

// The console's one main window: the navigation list of areas on the left, the selected
// area's page on the right, the connection and its health in the status bar.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
public:
    struct Options
    {
        // Non-empty: the schema is newer than this program; nothing may be written.
        QString readOnlyReason;
        bool demo = false;
        // Who signed in and what they may do; without it (tests) nothing is hidden.
        std::optional<SessionAccess> access;
    };

    MainWindow(const ConnectionSettings &settings, const Options &options,
               QWidget *parent = nullptr);
    ~MainWindow() override;

    void selectArea(Area area);
    // Ctrl+K: the console-wide search; returns the open dialog (tests drive it).
    class SearchDialog *openSearch();
    Area currentArea() const;
    Page *page(Area area) const;
    QString connectionText() const;
    QString healthText() const;
    // F1 / Ctrl+/: the list of keyboard shortcuts; returns the open dialog (tests read it).
    class ShortcutsDialog *showShortcuts();
    // Help › About: versions of the console, Qt, the PostgreSQL server and the schema.
    QString aboutText() const;

signals:
    void changeConnectionRequested();
    void changePasswordRequested();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void buildMenus();
    // Window geometry, the navigation's width and every table's columns, per area, as this
    // operator left them (QSettings "layout/...").
    void restoreLayout();
    void saveLayout() const;
    void openSearchHit(const struct SearchHit &hit);
    void checkHealth();
    bool onDarkPalette() const;
    Page *createPage(Area area);

    ConnectionSettings m_settings;
    Options m_options;
    std::unique_ptr<DatabaseWorker> m_healthWorker;
    std::unique_ptr<DatabaseWorker> m_searchWorker;
    ChangeFeed *m_changeFeed = nullptr;
    OfficeWorkerControl *m_officeWorker = nullptr;
    QListWidget *m_navigation = nullptr;
    QSplitter *m_splitter = nullptr;
    QStackedWidget *m_stack = nullptr;
    MessageBanner *m_banner = nullptr;
    QLabel *m_connectionLabel = nullptr;
    QLabel *m_healthLabel = nullptr;
    QTimer *m_healthTimer = nullptr;
    QMap<Area, Page *> m_pages;
    bool m_healthPending = false;
    QString m_serverVersion; // from the last health check, for the About box
    int m_schemaVersion = 0;
};

} // namespace nobill
