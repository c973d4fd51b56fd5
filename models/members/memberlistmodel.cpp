#include "members/memberlistmodel.h"

#include "database/databaseworker.h"
#include "members/memberservice.h"

#include <QColor>
#include <QLocale>

namespace nobill {

namespace {
MemberSort sortForColumn(int column)
{
    switch (column) {
    case MemberListModel::Email:
        return MemberSort::Email;
    case MemberListModel::Role:
        return MemberSort::Role;
    case MemberListModel::MemberSince:
        return MemberSort::MemberSince;
    default:
        return MemberSort::Name;
    }
}

QString accessKey(ConsoleAccess access)
{
    switch (access) {
    case ConsoleAccess::None:
        return QStringLiteral("none");
    case ConsoleAccess::Enabled:
        return QStringLiteral("enabled");
    case ConsoleAccess::Disabled:
        return QStringLiteral("disabled");
    case ConsoleAccess::MustChangePassword:
        return QStringLiteral("must_change_password");
    }
    return {};
}
} // namespace

MemberListModel::MemberListModel(DatabaseWorker *worker, QObject *parent)
    : KeysetTableModel(worker, parent)
{}

QString MemberListModel::accessText(ConsoleAccess access)
{
    switch (access) {
    case ConsoleAccess::None:
        return tr("No console access");
    case ConsoleAccess::Enabled:
        return tr("Enabled");
    case ConsoleAccess::Disabled:
        return tr("Disabled");
    case ConsoleAccess::MustChangePassword:
        return tr("Must change password");
    }
    return {};
}

int MemberListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant MemberListModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Member &m = m_rows.at(index.row());
    if (role == IdRole)
        return m.userId;
    if (role == Qt::DisplayRole || role == RawValueRole) {
        const bool raw = role == RawValueRole;
        switch (Column(index.column())) {
        case Name:
            if (!raw && m.isSelf)
                return tr("%1 (you)").arg(m.displayName);
            return m.displayName;
        case Email:
            return m.email;
        case Role:
            if (raw)
                return m.roleName;
            return m.roleIsBuiltin ? m.roleName : tr("%1 (custom)").arg(m.roleName);
        case Access:
            if (raw)
                return accessKey(m.access);
            return accessText(m.access);
        case MemberSince:
            if (raw)
                return m.memberSince;
            return QLocale().toString(m.memberSince.toLocalTime().date(), QLocale::ShortFormat);
        case ColumnCount:
            break;
        }
    }
    if (role == Qt::ForegroundRole && index.column() == Access &&
        (m.access == ConsoleAccess::None || m.access == ConsoleAccess::Disabled))
        return QColor(Qt::gray);
    if (role == Qt::ToolTipRole) {
        if (index.column() == Access && !m.login.isEmpty())
            return tr("Console login: %1").arg(m.login);
        if (index.column() == MemberSince)
            return QLocale().toString(m.memberSince.toLocalTime(), QLocale::LongFormat);
    }
    return {};
}

QVariant MemberListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case Name:
        return tr("Name");
    case Email:
        return tr("Email");
    case Role:
        return tr("Role");
    case Access:
        return tr("Console access");
    case MemberSince:
        return tr("Member since");
    case ColumnCount:
        break;
    }
    return {};
}

void MemberListModel::sort(int column, Qt::SortOrder order)
{
    if (column == Access) // computed, not a database order; the view keeps the previous one
        return;
    const MemberSort sort = sortForColumn(column);
    const bool descending = order == Qt::DescendingOrder;
    if (sort == m_query.sort && descending == m_query.descending && generation() > 0)
        return;
    m_query.sort = sort;
    m_query.descending = descending;
    reload();
}

void MemberListModel::setOrganization(const QString &organizationId)
{
    if (organizationId == m_query.organizationId && generation() > 0)
        return;
    m_query.organizationId = organizationId;
    reload();
}

void MemberListModel::setFilterText(const QString &text)
{
    if (text.simplified() == m_query.text)
        return;
    m_query.text = text.simplified();
    reload();
}

void MemberListModel::updateMember(const Member &member)
{
    const int row = rowOfId(member.userId);
    if (row < 0 || member.organizationId != m_query.organizationId)
        return;
    m_rows[row] = member;
    emit dataChanged(index(row, 0), index(row, ColumnCount - 1));
}

MemberListModel::PageTask MemberListModel::pageTask(const std::optional<MemberCursor> &after,
                                                    int limit) const
{
    const MemberQuery query = m_query;
    return [query, after, limit](const QString &connection) {
        return MemberService(connection).page(query, after, limit);
    };
}

MemberListModel::CountTask MemberListModel::countTask() const
{
    const MemberQuery query = m_query;
    return [query](const QString &connection) {
        return MemberService(connection).count(query);
    };
}

} // namespace nobill
