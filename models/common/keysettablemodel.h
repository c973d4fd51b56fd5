#pragma once

#include "common/asynctablemodel.h"
#include "core/result.h"
#include "database/databaseworker.h"

#include <QList>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>

namespace nobill {

// An AsyncTableModel whose rows come from a service's keyset-paged query: PageT has `rows`
// (QList<Row>), `hasMore` and `next` (std::optional<Cursor>). Subclasses say how to fetch a
// page and the count for their current filter; loading, appending and dropping late pages
// is done here once for every list.
template <typename Row, typename Cursor, typename PageT>
class KeysetTableModel : public AsyncTableModel
{
public:
    int rowCount(const QModelIndex &parent = {}) const override
    {
        return parent.isValid() ? 0 : int(m_rows.size());
    }
    const Row &rowAt(int row) const { return m_rows.at(row); }

    int rowOfId(const QString &id) const override
    {
        for (int row = 0; row < m_rows.size(); ++row) {
            if (idOf(m_rows.at(row)) == id)
                return row;
        }
        return -1;
    }
    void setPageSize(int rows) { m_pageSize = rows; }

    // A loaded row changed in the database: shows its new values in place.
    void replaceRow(const Row &updated)
    {
        const int row = rowOfId(idOf(updated));
        if (row < 0)
            return;
        m_rows[row] = updated;
        emit dataChanged(index(row, 0), index(row, columnCount() - 1));
    }

    // Live updates for a list whose new rows come first (newest first): asks for the first
    // page again and puts the rows that are not loaded yet above the current first row, so
    // the rows already loaded, the selection and the scroll position stay. When the first
    // row is gone, or more than a page is new, the list is reloaded instead.
    void loadNewRowsAtHead()
    {
        if (m_rows.isEmpty() || isLoading()) {
            if (!isLoading())
                reload();
            return;
        }
        const quint64 requested = generation();
        m_worker->run<PageT>(this, pageTask(std::nullopt, m_pageSize),
                             [this, requested](Result<PageT> result) {
                                 if (!isCurrent(requested) || !result || m_rows.isEmpty())
                                     return;
                                 const QList<Row> &fresh = result.value().rows;
                                 const QString firstId = idOf(m_rows.constFirst());
                                 int known = -1;
                                 for (int i = 0; i < fresh.size(); ++i) {
                                     if (idOf(fresh.at(i)) == firstId) {
                                         known = i;
                                         break;
                                     }
                                 }
                                 if (known < 0) {
                                     reload();
                                     return;
                                 }
                                 if (known == 0)
                                     return;
                                 beginInsertRows({}, 0, known - 1);
                                 m_rows = fresh.mid(0, known) + m_rows;
                                 endInsertRows();
                                 emit rowsPrepended(known);
                                 if (totalCount() >= 0)
                                     requestCount(requested);
                             });
    }

    // Live updates for a list whose new rows come last (oldest first): when everything is
    // loaded, looks again after the last row. Needs a service that gives the last page's
    // cursor too.
    void loadNewRowsAtEnd()
    {
        if (!m_next) {
            if (m_rows.isEmpty() && !isLoading())
                reload();
            return;
        }
        resumePaging();
        if (totalCount() >= 0)
            requestCount(generation());
    }

protected:
    using PageTask = std::function<Result<PageT>(const QString &connection)>;
    using CountTask = std::function<Result<int>(const QString &connection)>;

    KeysetTableModel(DatabaseWorker *worker, QObject *parent)
        : AsyncTableModel(parent)
        , m_worker(worker)
    {}

    // The work for the page after `after` (none: the first page), with the current query
    // captured by value: it runs on the worker thread.
    virtual PageTask pageTask(const std::optional<Cursor> &after, int limit) const = 0;
    virtual CountTask countTask() const = 0;
    // The id that rowOfId() looks for (the IdRole value).
    virtual QString idOf(const Row &row) const = 0;

    void requestPage(quint64 generation) override
    {
        const bool firstPage = m_rows.isEmpty();
        const std::optional<Cursor> after = firstPage ? std::nullopt : m_next;
        m_worker->run<PageT>(this, pageTask(after, m_pageSize),
                             [this, generation, firstPage](Result<PageT> result) {
                                 if (!beginPage(generation))
                                     return;
                                 if (!result) {
                                     pageFailed(generation, result.error().message);
                                     return;
                                 }
                                 PageT &page = result.value();
                                 if (!page.rows.isEmpty()) {
                                     const int first = int(m_rows.size());
                                     beginInsertRows({}, first, first + int(page.rows.size()) - 1);
                                     m_rows.append(page.rows);
                                     endInsertRows();
                                 }
                                 m_next = page.next;
                                 endPage(page.hasMore, firstPage);
                             });
    }

    void requestCount(quint64 generation) override
    {
        // Counting can take seconds at millions of rows: it runs on a connection of its own,
        // so pages (a filter change's first page above all) never wait behind it, and a count
        // whose filter has changed before it started is skipped.
        if (!m_countWorker) {
            m_countWorker =
                std::make_unique<DatabaseWorker>(m_worker->settings(), QStringLiteral("count"));
        }
        m_latestCount->store(generation);
        const auto latest = m_latestCount;
        CountTask task = countTask();
        m_countWorker->run<int>(
            this,
            [task, latest, generation](const QString &connection) -> Result<int> {
                if (latest->load() != generation)
                    return makeError(ErrorKind::Cancelled, QStringLiteral("stale count"));
                return task(connection);
            },
            [this, generation](Result<int> result) {
                if (result)
                    countArrived(generation, result.value());
            });
    }

    void clearRows() override
    {
        m_rows.clear();
        m_next.reset();
    }

    QList<Row> m_rows;

private:
    DatabaseWorker *m_worker;
    std::unique_ptr<DatabaseWorker> m_countWorker; // made on first use
    std::shared_ptr<std::atomic<quint64>> m_latestCount = std::make_shared<std::atomic<quint64>>(0);
    std::optional<Cursor> m_next;
    int m_pageSize = 200;
};

} // namespace nobill
