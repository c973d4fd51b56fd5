#pragma once

#include "core/result.h"
#include "export/csvwriter.h"

#include <atomic>
#include <functional>
#include <optional>

namespace nobill {

// Streams every row of a keyset-paged query to CSV, a page at a time: memory stays flat
// whatever the table's size. `fetch(after, limit)` returns the next page (PageT with rows,
// hasMore, next); `fields(row)` turns a row into CSV fields. `progress(rowsWritten)` is
// called after each page; `cancel` stops between pages. Returns the number of rows written.
template <typename PageT, typename Cursor, typename Row>
Result<qint64> exportPages(
    const QString &path, const QStringList &header,
    const std::function<Result<PageT>(const std::optional<Cursor> &after, int limit)> &fetch,
    const std::function<QStringList(const Row &)> &fields,
    const std::function<void(qint64)> &progress, const std::atomic<bool> *cancel)
{
    constexpr int PageSize = 1000;
    CsvWriter writer(path);
    if (Status opened = writer.open(); !opened)
        return opened.error();
    if (Status written = writer.writeRow(header); !written)
        return written.error();
    qint64 rows = 0;
    std::optional<Cursor> after;
    for (;;) {
        if (cancel && cancel->load())
            return makeError(ErrorKind::Cancelled, QStringLiteral("cancelled"));
        Result<PageT> page = fetch(after, PageSize);
        if (!page)
            return page.error();
        for (const Row &row : page.value().rows) {
            if (Status written = writer.writeRow(fields(row)); !written)
                return written.error();
        }
        rows += page.value().rows.size();
        if (progress)
            progress(rows);
        if (!page.value().hasMore || !page.value().next)
            break;
        after = page.value().next;
    }
    if (Status finished = writer.finish(); !finished)
        return finished.error();
    return rows;
}

} // namespace nobill
