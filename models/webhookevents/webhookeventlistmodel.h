#pragma once

#include "common/keysettablemodel.h"
#include "webhookevents/webhookevent.h"

namespace nobill {

// The webhook inbox: paged from the database on a worker thread, newest first.
class WebhookEventListModel final
    : public KeysetTableModel<WebhookEvent, WebhookEventCursor, WebhookEventPage>
{
    Q_OBJECT
public:
    // The last error comes last: it is the one long text, and takes the room that is left.
    enum Column {
        Received,
        Type,
        Object,
        Organization,
        Status,
        Attempts,
        Processed,
        EventId,
        LastError,
        ColumnCount
    };

    explicit WebhookEventListModel(DatabaseWorker *worker, QObject *parent = nullptr);

    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    const WebhookEvent &eventAt(int row) const { return m_rows.at(row); }
    const WebhookEventQuery &query() const { return m_query; }

    void setStatusFilter(const QString &status);
    void setTypeFilter(const QString &type);
    void setOrganizationFilter(const QString &organizationId);

    static QString statusText(const QString &status);

protected:
    PageTask pageTask(const std::optional<WebhookEventCursor> &after, int limit) const override;
    CountTask countTask() const override;
    QString idOf(const WebhookEvent &row) const override { return row.id; }

private:
    WebhookEventQuery m_query;
};

} // namespace nobill
