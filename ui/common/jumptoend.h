#pragma once

class QTableView;

namespace nobill {

class AsyncTableModel;

// Ctrl+End on a paged list. A plain view moves to the last *loaded* row and fetches one more
// page: at millions of rows the real end is a page per key press away. While the database
// holds more rows than are loaded, Ctrl+End reverses the list's order instead (the header's
// sort indicator shows it), so the last rows come first in one page, and selects the first.
// With everything loaded it does what a view always does.
void installJumpToEnd(QTableView *view, AsyncTableModel *model);

} // namespace nobill
