// The main window as an office uses it: an older console against a newer schema opens
// read-only, says why, and offers no write action anywhere; and the keyboard alone reaches
// every screen. Offscreen, against a throwaway database.

#include "testcluster.h"
#include "testoperators.h"

#include "access/signin.h"
#include "common/messagebanner.h"
#include "common/page.h"
#include "database/databaseworker.h"
#include "database/migrator.h"
#include "mainwindow/mainwindow.h"
#include "mainwindow/shortcutsdialog.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QRegularExpression>
#include <QSettings>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTableView>
#include <QTest>
#include <QToolButton>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

Result<SignIn> signInAs(const ConnectionSettings &settings)
{
    DatabaseWorker worker(settings, QStringLiteral("test-sign-in"));
    std::optional<Result<SignIn>> outcome;
    QObject context;
    worker.run<SignIn>(
        &context, [](const QString &connection) { return completeSignIn(connection); },
        [&outcome](Result<SignIn> r) { outcome = std::move(r); });
    if (!QTest::qWaitFor([&outcome]() { return outcome.has_value(); }, 20000))
        return makeError(ErrorKind::Internal, QStringLiteral("sign-in timed out"));
    return *outcome;
}

QMenu *menu(QMainWindow &window, const char *title)
{
    for (QAction *action : window.menuBar()->actions()) {
        if (action->menu() && action->text().remove(QLatin1Char('&')) == QLatin1String(title))
            return action->menu();
    }
    return nullptr;
}

QAction *find(QMenu *menu, QString text)
{
    text.remove(QLatin1Char('&'));
    for (QAction *action : menu->actions()) {
        if (action->text().remove(QLatin1Char('&')) == text)
            return action;
    }
    return nullptr;
}

bool insideAnInput(const QWidget *widget)
{
    for (const QWidget *w = widget->parentWidget(); w; w = w->parentWidget()) {
        if (qobject_cast<const QAbstractItemView *>(w) || qobject_cast<const QComboBox *>(w) ||
            qobject_cast<const QLineEdit *>(w))
            return true;
    }
    return false;
}

// What a read-only console may still do: look, filter, export, open, copy.
bool isReadAction(const QAbstractButton *button)
{
    static const QRegularExpression reading(
        QStringLiteral("export|refresh|reload|open|copy|search|filter|clear|more|previous|next|"
                       "chart|range|period|show|view|details|verify|all organizations"),
        QRegularExpression::CaseInsensitiveOption);
    const QString what = button->objectName() + QLatin1Char(' ') + button->text() +
                         QLatin1Char(' ') + button->accessibleName();
    return reading.match(what).hasMatch() || button->isCheckable();
}
} // namespace

class ConsoleWindowTest : public QObject
{
    Q_OBJECT
private slots:
    void initTestCase()
    {
        QStandardPaths::setTestModeEnabled(true); // layouts go to a throwaway settings file
        QSettings().remove(QStringLiteral("layout"));
    }

    void newerSchemaOpensReadOnlyAndSaysWhy()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                                "VALUES ('Acme Ltd', 'acme', 'ap@acme.example', 'EUR')"));
        // A newer console migrated this database further than this one knows.
        const int future = Migrator::programVersion() + 1;
        exec(db, QStringLiteral("INSERT INTO nobill_schema_migrations (version, name, checksum) "
                                "VALUES (%1, 'from_the_future', 'x')")
                     .arg(future));
        auto admin = test::createOperator(db, QStringLiteral("ro_admin"), true, {});
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().message));

        auto signIn = signInAs(admin.value().settings);
        QVERIFY2(signIn, qPrintable(signIn ? QString() : signIn.error().message));
        const QString reason = signIn.value().readOnlyReason;
        QVERIFY2(reason.contains(QStringLiteral("version %1").arg(future)) &&
                     reason.contains(QLatin1String("newer")),
                 qPrintable(reason));

        MainWindow::Options options;
        options.readOnlyReason = reason;
        options.access = signIn.value().access;
        MainWindow window(admin.value().settings, options);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));

        auto *banner = window.findChild<MessageBanner *>();
        QVERIFY(banner && banner->isVisible());
        QVERIFY2(banner->text().contains(QLatin1String("Read-only")) &&
                     banner->text().contains(reason),
                 qPrintable(banner->text()));

        QStringList writable;
        for (Area area : allAreas()) {
            window.selectArea(area);
            Page *page = window.page(area);
            QTRY_VERIFY_WITH_TIMEOUT(!page->isBusy(), 20000);
            QTest::qWait(50); // let answers that arrive after the busy flag settle the buttons
            const QList<QAbstractButton *> buttons = page->findChildren<QAbstractButton *>();
            for (QAbstractButton *button : buttons) {
                if (!button->isVisibleTo(&window) || !button->isEnabled() ||
                    insideAnInput(button) || isReadAction(button))
                    continue;
                // A menu button may stay enabled when every write in its menu is disabled.
                if (auto *tool = qobject_cast<QToolButton *>(button); tool && tool->menu()) {
                    for (QAction *action : tool->menu()->actions()) {
                        if (action->isEnabled() && !action->isSeparator())
                            writable
                                << QStringLiteral("%1: %2 › %3")
                                       .arg(areaTitle(area), button->objectName(), action->text());
                    }
                    continue;
                }
                writable << QStringLiteral("%1: %2 \"%3\"")
                                .arg(areaTitle(area), button->objectName(), button->text());
            }
        }
        if (const QString shots = qEnvironmentVariable("NOBILL_SCREENSHOT_DIR"); !shots.isEmpty()) {
            window.selectArea(Area::Plans);
            QTRY_VERIFY_WITH_TIMEOUT(!window.page(Area::Plans)->isBusy(), 20000);
            QVERIFY(window.grab().save(shots + QStringLiteral("/read-only.png")));
        }
        QVERIFY2(writable.isEmpty(),
                 qPrintable(QStringLiteral("Write actions still enabled on a newer schema:\n") +
                            writable.join(QLatin1Char('\n'))));
    }

    void keyboardReachesEveryScreen()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));

        QMenu *go = menu(window, "Go");
        QVERIFY(go);
        const QList<Area> areas = allAreas();
        // The first nine areas have Ctrl+1..9 in the Go menu, and the shortcut opens them.
        int direct = 0;
        for (Area area : areas) {
            QAction *action = find(go, areaTitle(area));
            QVERIFY2(action, qPrintable(areaTitle(area)));
            if (action->shortcut().isEmpty())
                continue;
            ++direct;
            window.selectArea(area == areas.first() ? areas.last() : areas.first());
            QTest::keySequence(&window, action->shortcut());
            QTRY_COMPARE_WITH_TIMEOUT(window.currentArea(), area, 5000);
        }
        QCOMPARE(direct, int(std::min<qsizetype>(areas.size(), 9)));

        // Ctrl+Page Down walks through every area, round to the first; Ctrl+Page Up back.
        window.selectArea(areas.first());
        for (int i = 1; i <= areas.size(); ++i) {
            QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_PageDown));
            QTRY_COMPARE_WITH_TIMEOUT(window.currentArea(), areas.at(i % areas.size()), 5000);
        }
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_PageUp));
        QTRY_COMPARE_WITH_TIMEOUT(window.currentArea(), areas.last(), 5000);

        // Alt+L puts the focus in the area list; the arrow keys then walk through it.
        auto *navigation = window.findChild<QListWidget *>(QStringLiteral("navigation"));
        QVERIFY(navigation);
        QVERIFY(!navigation->accessibleName().isEmpty());
        window.selectArea(areas.first());
        QTest::keySequence(&window, QKeySequence(Qt::ALT | Qt::Key_L));
        QTRY_VERIFY(navigation->hasFocus());
        for (int i = 1; i < areas.size(); ++i) {
            QTest::keyClick(navigation, Qt::Key_Down);
            QCOMPARE(window.currentArea(), areas.at(i));
        }
        QTest::keyClick(navigation, Qt::Key_Home);
        QCOMPARE(window.currentArea(), areas.first());
    }

    void shortcutsAreListedInTheHelpOverlay()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keyClick(&window, Qt::Key_F1);
        ShortcutsDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = window.findChild<ShortcutsDialog *>()) != nullptr);
        QVERIFY(dialog->isVisible());
        QStringList keys;
        for (const auto &entry : dialog->entries())
            keys << entry.first + QStringLiteral(" = ") + entry.second;
        const QString all = keys.join(QLatin1Char('\n'));
        for (const char *expected : {"Ctrl+K", "Ctrl+1", "Ctrl+PgDown", "F1", "Esc"})
            QVERIFY2(all.contains(QLatin1String(expected)),
                     qPrintable(
                         QStringLiteral("%1 missing from:\n%2").arg(QLatin1String(expected), all)));
        QVERIFY(all.contains(areaTitle(Area::Tenants).remove(QLatin1Char('&'))));
        if (const QString shots = qEnvironmentVariable("NOBILL_SCREENSHOT_DIR"); !shots.isEmpty())
            QVERIFY(dialog->grab().save(shots + QStringLiteral("/shortcuts.png")));
        QTest::keyClick(dialog, Qt::Key_Escape);
        QTRY_VERIFY(!window.findChild<ShortcutsDialog *>());
        // Ctrl+/ opens it too.
        window.activateWindow();
        QVERIFY(QTest::qWaitForWindowActive(&window));
        QTest::keySequence(&window, QKeySequence(Qt::CTRL | Qt::Key_Slash));
        QTRY_VERIFY(window.findChild<ShortcutsDialog *>());
    }

    void aboutNamesEveryVersion()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        MainWindow window(db.settings(), MainWindow::Options{});
        window.show();
        QTRY_VERIFY_WITH_TIMEOUT(window.healthText().contains(QLatin1String("Connected")), 20000);
        const QString about = window.aboutText();
        QVERIFY2(about.contains(QLatin1String(NOBILL_VERSION)), qPrintable(about));
        QVERIFY(about.contains(QString::fromLatin1(qVersion())));
        QVERIFY2(about.contains(QRegularExpression(QStringLiteral("PostgreSQL server 1[0-9]"))),
                 qPrintable(about));
        QVERIFY(
            about.contains(QStringLiteral("schema version %1").arg(Migrator::programVersion())));
    }

    void statusColoursFollowTheSystemPalette()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        const QPalette original = QApplication::palette();
        QPalette dark = original;
        dark.setColor(QPalette::Window, QColor(0x2b, 0x2b, 0x2b));
        dark.setColor(QPalette::WindowText, QColor(0xee, 0xee, 0xee));
        QApplication::setPalette(dark);
        {
            MainWindow window(db.settings(), MainWindow::Options{});
            window.show();
            QTRY_VERIFY_WITH_TIMEOUT(window.healthText().contains(QLatin1String("Connected")),
                                     20000);
            auto *health = window.findChild<QLabel *>(QStringLiteral("healthLabel"));
            QVERIFY(health && !health->accessibleName().isEmpty());
            QVERIFY2(health->styleSheet().contains(QLatin1String("#66bb6a")),
                     qPrintable(health->styleSheet()));
        }
        QApplication::setPalette(original);
    }

    void windowAndColumnsAreRemembered()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        int width = 0;
        QSize size;
        {
            MainWindow window(db.settings(), MainWindow::Options{});
            window.show();
            QVERIFY(QTest::qWaitForWindowExposed(&window));
            window.resize(1400, 900);
            size = window.size();
            window.selectArea(Area::Tenants);
            auto *table =
                window.page(Area::Tenants)->findChild<QTableView *>(QStringLiteral("tenantTable"));
            QVERIFY(table && !table->objectName().isEmpty());
            QVERIFY(table->horizontalHeader()->count() > 1);
            table->horizontalHeader()->resizeSection(0, 333);
            width = table->horizontalHeader()->sectionSize(0);
            window.close();
        }
        MainWindow again(db.settings(), MainWindow::Options{});
        again.show();
        QVERIFY(QTest::qWaitForWindowExposed(&again));
        QCOMPARE(again.size(), size);
        auto *table =
            again.page(Area::Tenants)->findChild<QTableView *>(QStringLiteral("tenantTable"));
        QVERIFY(table);
        QCOMPARE(table->horizontalHeader()->sectionSize(0), width);
    }
};

QTEST_MAIN(ConsoleWindowTest)
#include "tst_consolewindow.moc"
