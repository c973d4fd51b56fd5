#include "audit/auditlistmodel.h"

#include "audit/auditservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

AuditListModel::AuditListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

int AuditListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString AuditListModel::actionText(const QString &action)
{
    if (action == QLatin1String("insert"))
        return tr("Created");
    if (action == QLatin1String("update"))
        return tr("Changed");
    if (action == QLatin1String("delete"))
        return tr("Deleted");
    if (action == QLatin1String("import"))
        return tr("Imported");
    return action;
}

QString AuditListModel::sourceText(const QString &source)
{
    if (source == QLatin1String("console"))
        return tr("Console");
    if (source == QLatin1String("cli"))
        return tr("Command line");
    if (source == QLatin1String("webhook"))
        return tr("Stripe webhook");
    if (source == QLatin1String("worker"))
        return tr("Job worker");
    if (source == QLatin1String("migration"))
        return tr("Migration");
    return source;
}

QVariant AuditListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const AuditEntry &e = m_rows.at(index.row());
    if (role == IdRole)
        return QString::number(e.id);
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Id:
            return raw ? QVariant(e.id) : QVariant(QLocale().toString(e.id));
        case When:
            if (raw)
                return e.occurredAt;
            return QLocale().toString(e.occurredAt.toLocalTime(),
                                      QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        case Actor:
            if (raw || e.actorName.isEmpty())
                return e.login;
            return e.actorName;
        case Organization:
            if (raw)
                return e.organizationId;
            if (e.organizationId.isEmpty())
                return tr("Platform");
            return e.organizationName.isEmpty() ? e.organizationId : e.organizationName;
        case Action:
            return raw ? e.action : actionText(e.action);
        case Entity:
            return e.entity;
        case EntityId:
            return e.entityId;
        case Changed:
            if (raw)
                return e.changedFields;
            return e.changedFields.join(QStringLiteral(", "));
        case Source:
            return raw ? e.source : sourceText(e.source);
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole) {
        if (index.column() == Organization && e.organizationId.isEmpty())
            return QColor(Qt::gray);
        if (index.column() == Action && e.action == QLatin1String("delete"))
            return QColor(0xb0, 0x3a, 0x2e);
    }
    if (role == Qt::ToolTipRole) {
        if (index.column() == Actor)
            return e.actorName.isEmpty() ? e.login : tr("%1 (login %2)").arg(e.actorName, e.login);
        if (index.column() == When)
            return QLocale().toString(e.occurredAt.toLocalTime(), QLocale::LongFormat);
        if (index.column() == Changed && !e.changedFields.isEmpty())
            return e.changedFields.join(QLatin1Char('\n'));
    }
    return {};
}

QVariant AuditListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Id:
        return tr("#");
    case When:
        return tr("When");
    case Actor:
        return tr("Who");
    case Organization:
        return tr("Organization");
    case Action:
        return tr("Action");
    case Entity:
        return tr("Table");
    case EntityId:
        return tr("Record");
    case Changed:
        return tr("Changed fields");
    case Source:
        return tr("From");
    case ColumnCount:
        break;
    }
    return {};
}

void AuditListModel::sort(int column, Qt::SortOrder order)
{
    if (column != Id && column != When)
        return;
    const bool oldestFirst = order == Qt::AscendingOrder;
    if (oldestFirst == m_query.oldestFirst && generation() > 0)
        return;
    AuditQuery q = m_query;
    q.oldestFirst = oldestFirst;
    q.startAtId = 0;
    m_query = q;
    reload();
}

void AuditListModel::apply(AuditQuery query)
{
    query.actor = query.actor.trimmed().toLower();
    if (query.from == m_query.from && query.to == m_query.to &&
        query.organizationId == m_query.organizationId && query.actor == m_query.actor &&
        query.entity == m_query.entity && query.action == m_query.action &&
        query.oldestFirst == m_query.oldestFirst && query.startAtId == m_query.startAtId &&
        generation() > 0)
        return;
    m_query = query;
    reload();
}

void AuditListModel::setQuery(const AuditQuery &query)
{
    apply(query);
}

void AuditListModel::setTimeRange(const QDateTime &from, const QDateTime &to)
{
    AuditQuery q = m_query;
    q.from = from;
    q.to = to;
    q.startAtId = 0;
    apply(q);
}

void AuditListModel::setOrganizationFilter(const QString &organizationId)
{
    AuditQuery q = m_query;
    q.organizationId = organizationId;
    q.startAtId = 0;
    apply(q);
}

void AuditListModel::setActorFilter(const QString &login)
{
    AuditQuery q = m_query;
    q.actor = login;
    q.startAtId = 0;
    apply(q);
}

void AuditListModel::setEntityFilter(const QString &entity)
{
    AuditQuery q = m_query;
    q.entity = entity;
    q.startAtId = 0;
    apply(q);
}

void AuditListModel::setActionFilter(const QString &action)
{
    AuditQuery q = m_query;
    q.action = action;
    q.startAtId = 0;
    apply(q);
}

void AuditListModel::jumpToId(qint64 id)
{
    AuditQuery q;
    q.startAtId = id;
    apply(q);
}

AuditListModel::PageTask AuditListModel::pageTask(const std::optional<AuditCursor> &after,
                                                  int limit) const
{
    const AuditQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return AuditService(connection).page(query, after, limit);
    };
}

AuditListModel::CountTask AuditListModel::countTask() const
{
    const AuditQuery query = m_query;
    return [query](const QString &connection) {
        return AuditService(connection).count(query);
    };
}

} // namespace nobill
