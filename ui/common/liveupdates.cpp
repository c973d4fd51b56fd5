#include "common/liveupdates.h"

#include "common/asynctablemodel.h"

#include <QHeaderView>
#include <QScrollBar>
#include <QTableView>

namespace nobill {

void keepScrollPositionOnNewRows(QTableView *view, AsyncTableModel *model)
{
    QObject::connect(model, &AsyncTableModel::rowsPrepended, view, [view](int count) {
        QScrollBar *bar = view->verticalScrollBar();
        if (bar->value() == 0)
            return;
        const bool perPixel = view->verticalScrollMode() == QAbstractItemView::ScrollPerPixel;
        const int step = perPixel ? view->verticalHeader()->defaultSectionSize() : 1;
        // The range grows once the view lays out the new rows; grow it now so the new value
        // is not clamped.
        bar->setMaximum(bar->maximum() + count * step);
        bar->setValue(bar->value() + count * step);
    });
}

} // namespace nobill
