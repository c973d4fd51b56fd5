#pragma once

#include <QAbstractTableModel>

namespace nobill {

// Base of every list in the console: rows come from the database a page at a time, on a
// worker thread, and are appended as they arrive. Sorting and filtering are done by the
// database: changing either starts a new "generation" and pages of an older generation
// that arrive late are dropped.
class AsyncTableModel : public QAbstractTableModel
{
    Q_OBJECT
    Q_PROPERTY(bool loading READ isLoading NOTIFY loadingChanged)
public:
    enum Roles {
        RawValueRole = Qt::UserRole + 1, // the value behind the display text (sorting, tests)
        IdRole,                          // the row's id, for keeping a selection across reloads
    };

    explicit AsyncTableModel(QObject *parent = nullptr);

    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    bool isLoading() const { return m_loading; }
    bool hasMore() const { return m_hasMore; }
    // The total for the current filter (counted separately), or -1 until known.
    int totalCount() const { return m_totalCount; }
    QString lastError() const { return m_lastError; }

    // The row of the given id among the rows loaded so far, or -1.
    virtual int rowOfId(const QString &id) const = 0;

public slots:
    // Drops all rows and loads the first page again (after a filter change, or on request).
    void reload();

signals:
    void loadingChanged(bool loading);
    // A page arrived (also an empty first page). `firstPage` after a reload.
    void pageLoaded(bool firstPage);
    void totalCountChanged(int count);
    // A page or the count could not be loaded: a sentence for the person at the console.
    void loadFailed(const QString &message);
    // Rows that are new in the database were put above the first row (live updates): a view
    // scrolled down moves by as many rows to keep showing what it showed.
    void rowsPrepended(int count);

protected:
    // Subclasses post the work for the next page (or the first, after clearRows()) and call
    // pageArrived() with the generation they were given.
    virtual void requestPage(quint64 generation) = 0;
    virtual void requestCount(quint64 generation) = 0;
    virtual void clearRows() = 0;

    quint64 generation() const { return m_generation; }
    bool isCurrent(quint64 generation) const { return generation == m_generation; }
    // Call before inserting a page's rows; returns false for a stale page.
    bool beginPage(quint64 generation);
    void endPage(bool hasMore, bool firstPage);
    void pageFailed(quint64 generation, const QString &message);
    void countArrived(quint64 generation, int count);
    // After the last page: asks for more again, for rows added since (live updates of a list
    // in oldest-first order). Nothing while a page is on its way or after an error.
    void resumePaging();

private:
    void setLoading(bool loading);

    quint64 m_generation = 0;
    bool m_loading = false;
    bool m_hasMore = true;
    int m_totalCount = -1;
    QString m_lastError;
};

} // namespace nobill
