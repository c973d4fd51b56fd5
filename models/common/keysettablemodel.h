#pragma once

#include "common/asynctablemodel.h"
#include "core/result.h"
#include "database/databaseworker.h"

#include <QList>

#include <functional>
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
        m_worker->run<int>(this, countTask(), [this, generation](Result<int> result) {
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
    std::optional<Cursor> m_next;
    int m_pageSize = 200;
};

} // namespace nobill
