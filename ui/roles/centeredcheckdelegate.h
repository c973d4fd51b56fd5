#pragma once

#include <QStyledItemDelegate>

namespace nobill {

// Draws a cell's check box in the middle of the cell, and toggles it on a click anywhere in
// the cell or on Space: the permission matrix reads as a grid of ticks.
class CenteredCheckDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;
    bool editorEvent(QEvent *event, QAbstractItemModel *model, const QStyleOptionViewItem &option,
                     const QModelIndex &index) override;
};

} // namespace nobill
