#include "common/jumptoend.h"

#include "common/asynctablemodel.h"

#include <QHeaderView>
#include <QKeyEvent>
#include <QPointer>
#include <QTableView>

namespace nobill {

namespace {
class JumpToEnd final : public QObject
{
public:
    JumpToEnd(QTableView *view, AsyncTableModel *model)
        : QObject(view)
        , m_view(view)
        , m_model(model)
    {}

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (event->type() != QEvent::KeyPress ||
            !static_cast<QKeyEvent *>(event)->matches(QKeySequence::MoveToEndOfDocument))
            return QObject::eventFilter(watched, event);
        if (!m_model->hasMore() || !m_view->isSortingEnabled())
            return false;
        const QHeaderView *header = m_view->horizontalHeader();
        const Qt::SortOrder reversed = header->sortIndicatorOrder() == Qt::AscendingOrder
                                           ? Qt::DescendingOrder
                                           : Qt::AscendingOrder;
        QPointer<QTableView> view(m_view);
        auto connection = std::make_shared<QMetaObject::Connection>();
        *connection = connect(m_model, &AsyncTableModel::pageLoaded, this,
                              [view, connection](bool firstPage) {
                                  if (!firstPage)
                                      return;
                                  disconnect(*connection);
                                  if (view && view->model()->rowCount() > 0) {
                                      view->selectRow(0);
                                      view->scrollToTop();
                                  }
                              });
        m_view->sortByColumn(header->sortIndicatorSection(), reversed);
        return true;
    }

private:
    QTableView *m_view;
    AsyncTableModel *m_model; // the page deletes its view (and so this filter) first
};
} // namespace

void installJumpToEnd(QTableView *view, AsyncTableModel *model)
{
    view->installEventFilter(new JumpToEnd(view, model));
}

} // namespace nobill
