#include "mainwindow/shortcutsdialog.h"

#include <QAction>
#include <QDialogButtonBox>
#include <QHeaderView>
#include <QMenu>
#include <QMenuBar>
#include <QRegularExpression>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace nobill {

namespace {
QString plain(QString text)
{
    // "&Tenants" -> "Tenants", "Search…" stays.
    return text.remove(QRegularExpression(QStringLiteral("&(?!&)")));
}

void collect(const QMenu *menu, const QString &path, QList<QPair<QString, QString>> &entries)
{
    for (const QAction *action : menu->actions()) {
        if (action->isSeparator())
            continue;
        const QString name = path + QStringLiteral(" › ") + plain(action->text());
        if (action->menu()) {
            collect(action->menu(), name, entries);
            continue;
        }
        QStringList keys;
        for (const QKeySequence &sequence : action->shortcuts())
            keys << sequence.toString(QKeySequence::NativeText);
        if (!keys.isEmpty())
            entries.append({keys.join(QStringLiteral(", ")), name});
    }
}
} // namespace

ShortcutsDialog::ShortcutsDialog(const QMenuBar *menus, QWidget *parent)
    : QDialog(parent)
{
    setObjectName(QStringLiteral("shortcutsDialog"));
    setWindowTitle(tr("Keyboard shortcuts"));
    resize(600, 520);

    for (const QAction *top : menus->actions()) {
        if (top->menu())
            collect(top->menu(), plain(top->text()), m_entries);
    }
    const QList<QPair<QString, QString>> everywhere{
        {tr("Tab, Shift+Tab"), tr("Move to the next or previous control")},
        {tr("Up, Down, Page Up, Page Down"), tr("Move through a list; more rows load as you go")},
        {tr("Alt+underlined letter"), tr("Go to that field, button or menu")},
        {tr("Enter"), tr("Confirm a dialog")},
        {tr("Esc"), tr("Close a dialog without changing anything")},
    };
    m_entries.append(everywhere);

    auto *list = new QTreeWidget(this);
    list->setObjectName(QStringLiteral("shortcutList"));
    list->setAccessibleName(tr("Keyboard shortcuts"));
    list->setRootIsDecorated(false);
    list->setHeaderLabels({tr("Keys"), tr("Action")});
    list->header()->setSectionResizeMode(0, QHeaderView::ResizeToContents);
    for (const auto &entry : std::as_const(m_entries))
        new QTreeWidgetItem(list, {entry.first, entry.second});

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(list);
    layout->addWidget(buttons);
    list->setFocus();
}

} // namespace nobill
