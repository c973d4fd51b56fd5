#pragma once

class QTableView;

namespace nobill {

class AsyncTableModel;

// Live updates put new rows above the first one (AsyncTableModel::rowsPrepended). At the top
// of the list the new rows come into sight; scrolled further down, the view moves with its
// rows, so the operator keeps reading what they were reading. The selection follows its row
// by itself (persistent indexes).
void keepScrollPositionOnNewRows(QTableView *view, AsyncTableModel *model);

} // namespace nobill
