#include "common/asynctablemodel.h"

namespace nobill {

AsyncTableModel::AsyncTableModel(QObject *parent)
    : QAbstractTableModel(parent)
{}

bool AsyncTableModel::canFetchMore(const QModelIndex &parent) const
{
    return !parent.isValid() && m_hasMore && !m_loading && m_lastError.isEmpty();
}

void AsyncTableModel::fetchMore(const QModelIndex &parent)
{
    if (!canFetchMore(parent))
        return;
    setLoading(true);
    requestPage(m_generation);
}

void AsyncTableModel::reload()
{
    ++m_generation;
    beginResetModel();
    clearRows();
    m_hasMore = true;
    m_lastError.clear();
    // Loading before the reset ends: views (and QAbstractItemModelTester) ask canFetchMore()
    // from endResetModel(), and must not start a second first page.
    const bool wasLoading = m_loading;
    m_loading = true;
    endResetModel();
    if (!wasLoading)
        emit loadingChanged(true);
    if (m_totalCount != -1) {
        m_totalCount = -1;
        emit totalCountChanged(-1);
    }
    // A request of the old generation may still run; its answer is dropped when it comes.
    requestPage(m_generation);
    requestCount(m_generation);
}

bool AsyncTableModel::beginPage(quint64 generation)
{
    return isCurrent(generation);
}

void AsyncTableModel::endPage(bool hasMore, bool firstPage)
{
    m_hasMore = hasMore;
    setLoading(false);
    emit pageLoaded(firstPage);
}

void AsyncTableModel::pageFailed(quint64 generation, const QString &message)
{
    if (!isCurrent(generation))
        return;
    m_lastError = message; // stops fetchMore until the next reload, so no retry storm
    setLoading(false);
    emit loadFailed(message);
}

void AsyncTableModel::countArrived(quint64 generation, int count)
{
    if (!isCurrent(generation) || count == m_totalCount)
        return;
    m_totalCount = count;
    emit totalCountChanged(count);
}

void AsyncTableModel::resumePaging()
{
    if (m_hasMore || m_loading || !m_lastError.isEmpty())
        return;
    m_hasMore = true;
    fetchMore({});
}

void AsyncTableModel::setLoading(bool loading)
{
    if (loading == m_loading)
        return;
    m_loading = loading;
    emit loadingChanged(loading);
}

} // namespace nobill
