#pragma once

#include <QDialog>

class QMenuBar;

namespace nobill {

// The keyboard shortcuts overlay (F1, Ctrl+/): every shortcut of the window's menus, read
// from the actions themselves so the list can never fall behind, plus the keys every
// screen understands.
class ShortcutsDialog final : public QDialog
{
    Q_OBJECT
public:
    explicit ShortcutsDialog(const QMenuBar *menus, QWidget *parent = nullptr);

    // (keys, what they do), in the order shown; for tests.
    QList<QPair<QString, QString>> entries() const { return m_entries; }

private:
    QList<QPair<QString, QString>> m_entries;
};

} // namespace nobill
