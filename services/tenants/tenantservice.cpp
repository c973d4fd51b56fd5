#include "tenants/tenantservice.h"

#include "access/permissioncheck.h"

#include "database/sql.h"
#include "database/sqlerror.h"
#include "tenants/tenantvalidator.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QSqlRecord>
#include <QUuid>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::TenantService", text);
}

const QString TenantColumns = QStringLiteral(
    "o.id::text, o.name, o.slug, o.billing_email, o.currency, o.status, o.stripe_customer_id, "
    "o.tax_id, o.address_line1, o.address_line2, o.postal_code, o.city, o.country, o.version, "
    "o.created_at, o.updated_at");
constexpr int TenantColumnCount = 16;

// What the text filter searches. The trigram index in the schema is built on this very
// expression, so a filter stays an index scan at any table size.
const QString FilterExpression =
    QStringLiteral("(o.name || ' ' || o.slug || ' ' || o.billing_email || ' ' || "
                   "coalesce(o.stripe_customer_id, ''))");

Tenant readTenant(const QSqlQuery &q)
{
    Tenant t;
    t.id = q.value(0).toString();
    t.name = q.value(1).toString();
    t.slug = q.value(2).toString();
    t.billingEmail = q.value(3).toString();
    t.currency = q.value(4).toString();
    t.status = q.value(5).toString();
    t.stripeCustomerId = q.value(6).toString();
    t.taxId = q.value(7).toString();
    t.addressLine1 = q.value(8).toString();
    t.addressLine2 = q.value(9).toString();
    t.postalCode = q.value(10).toString();
    t.city = q.value(11).toString();
    t.country = q.value(12).toString();
    t.version = q.value(13).toInt();
    t.createdAt = q.value(14).toDateTime();
    t.updatedAt = q.value(15).toDateTime();
    return t;
}

struct SortColumn
{
    QString expression;
    QString castType;
};

SortColumn sortColumn(TenantSort sort)
{
    switch (sort) {
    case TenantSort::Name:
        return {QStringLiteral("o.name"), QStringLiteral("text")};
    case TenantSort::Slug:
        return {QStringLiteral("o.slug"), QStringLiteral("text")};
    case TenantSort::TenantStatus:
        return {QStringLiteral("o.status"), QStringLiteral("text")};
    case TenantSort::Currency:
        return {QStringLiteral("o.currency"), QStringLiteral("text")};
    case TenantSort::BillingEmail:
        return {QStringLiteral("o.billing_email"), QStringLiteral("text")};
    case TenantSort::CreatedAt:
        return {QStringLiteral("o.created_at"), QStringLiteral("timestamptz")};
    }
    return {QStringLiteral("o.name"), QStringLiteral("text")};
}

void appendFilters(const TenantQuery &query, QStringList &conditions, QVariantList &values)
{
    const QString text = query.text.simplified();
    if (!text.isEmpty()) {
        conditions << FilterExpression + QStringLiteral(" ILIKE ?");
        values << containsPattern(text);
    }
    if (!query.status.isEmpty()) {
        conditions << QStringLiteral("o.status = ?");
        values << query.status;
    }
}

Error tenantNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This tenant no longer exists; someone may have deleted it. Refresh "
                        "the list."));
}

Status validationFailure(const QList<FieldProblem> &problems)
{
    QStringList messages;
    for (const FieldProblem &p : problems)
        messages << p.message;
    return makeError(ErrorKind::InvalidInput, messages.join(QLatin1Char(' ')));
}
} // namespace

TenantService::TenantService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<TenantPage> TenantService::page(const TenantQuery &query,
                                       const std::optional<TenantCursor> &after, int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    const SortColumn sort = sortColumn(query.sort);
    const QString direction = query.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");

    QStringList conditions;
    QVariantList values;
    if (Status visible = restrictToVisibleOrganizations(m_connectionName, QStringLiteral("o.id"),
                                                        QStringLiteral("tenants.read"), conditions);
        !visible)
        return visible.error();
    appendFilters(query, conditions, values);
    if (after) {
        if (!isUuid(after->id))
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(%1, o.id) %2 (?::%3, ?::uuid)")
                          .arg(sort.expression,
                               query.descending ? QStringLiteral("<") : QStringLiteral(">"),
                               sort.castType);
        values << after->sortValue << after->id;
    }
    const QString where =
        conditions.isEmpty() ? QString()
                             : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
    // One row more than asked tells whether another page exists without counting.
    const QString sql = QStringLiteral("SELECT %1, %2::text FROM organizations o%3 "
                                       "ORDER BY %2 %4, o.id %4 LIMIT %5")
                            .arg(TenantColumns, sort.expression, where, direction)
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    TenantPage page;
    QString lastSortKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readTenant(q.value()));
        lastSortKey = q.value().value(TenantColumnCount).toString();
    }
    if (page.hasMore)
        page.next = TenantCursor{lastSortKey, page.rows.last().id};
    return page;
}

Result<int> TenantService::count(const TenantQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status visible = restrictToVisibleOrganizations(m_connectionName, QStringLiteral("o.id"),
                                                        QStringLiteral("tenants.read"), conditions);
        !visible)
        return visible.error();
    appendFilters(query, conditions, values);
    const QString where =
        conditions.isEmpty() ? QString()
                             : QStringLiteral(" WHERE ") + conditions.join(QStringLiteral(" AND "));
    auto q = execSql(db, QStringLiteral("SELECT count(*) FROM organizations o") + where, values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<Tenant> TenantService::get(const QString &id) const
{
    if (!isUuid(id))
        return tenantNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db,
        QStringLiteral("SELECT %1 FROM organizations o WHERE o.id = ?::uuid").arg(TenantColumns),
        {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return tenantNotFound();
    return readTenant(q.value());
}

Result<TenantDetails> TenantService::details(const QString &id) const
{
    auto tenant = get(id);
    if (!tenant)
        return tenant.error();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db,
        QStringLiteral("SELECT"
                       " (SELECT count(*) FROM memberships m WHERE m.organization_id = $1),"
                       " (SELECT count(*) FROM subscriptions s WHERE s.organization_id = $1),"
                       " (SELECT count(*) FROM subscriptions s WHERE s.organization_id = $1"
                       "    AND s.status IN ('trialing','active','past_due','unpaid','paused')),"
                       " i.open_count, i.open_amount, i.currencies, i.currency,"
                       " (SELECT count(*) FROM usage_records u WHERE u.organization_id = $1)"
                       " FROM (SELECT count(*) AS open_count, coalesce(sum(amount_remaining), 0) "
                       "AS open_amount,"
                       "       count(DISTINCT currency) AS currencies, min(currency) AS currency"
                       "       FROM invoices WHERE organization_id = $1 AND status = 'open') i")
            .replace(QStringLiteral("$1"), QStringLiteral("?::uuid")),
        {id, id, id, id, id});
    if (!q)
        return q.error();
    q.value().next();
    TenantDetails details;
    details.tenant = tenant.value();
    details.memberCount = q.value().value(0).toInt();
    details.subscriptionCount = q.value().value(1).toInt();
    details.liveSubscriptionCount = q.value().value(2).toInt();
    details.openInvoiceCount = q.value().value(3).toInt();
    const bool oneCurrency = q.value().value(5).toInt() <= 1;
    details.openInvoiceAmount = oneCurrency ? q.value().value(4).toLongLong() : 0;
    details.openInvoiceCurrency = oneCurrency ? q.value().value(6).toString() : QString();
    details.usageRecordCount = q.value().value(7).toInt();
    return details;
}

Result<bool> TenantService::isSlugAvailable(const QString &slug,
                                            const QString &exceptTenantId) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db,
        QStringLiteral("SELECT NOT EXISTS (SELECT 1 FROM organizations "
                       "WHERE slug = ? AND id::text <> ?)"),
        // A null QString would bind as NULL and make every comparison unknown.
        {slug.trimmed().toLower(), exceptTenantId.isEmpty() ? QStringLiteral("") : exceptTenantId});
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toBool();
}

Result<Tenant> TenantService::create(const TenantDraft &input)
{
    const QList<FieldProblem> problems = TenantValidator::validate(input);
    if (!problems.isEmpty())
        return validationFailure(problems).error();
    const TenantDraft d = input.normalized();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value())
        return makeError(ErrorKind::PermissionDenied,
                         tr("Only platform administrators can create tenants."));
    auto q = execSql(db,
                     QStringLiteral("INSERT INTO organizations AS o (name, slug, billing_email, "
                                    "currency, tax_id, address_line1, address_line2, "
                                    "postal_code, city, country) "
                                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING %1")
                         .arg(TenantColumns),
                     {d.name, d.slug, d.billingEmail, d.currency, nullIfEmpty(d.taxId),
                      nullIfEmpty(d.addressLine1), nullIfEmpty(d.addressLine2),
                      nullIfEmpty(d.postalCode), nullIfEmpty(d.city), nullIfEmpty(d.country)});
    if (!q)
        return q.error();
    q.value().next();
    return readTenant(q.value());
}

Result<Tenant> TenantService::update(const QString &id, int expectedVersion,
                                     const TenantDraft &input)
{
    if (!isUuid(id))
        return tenantNotFound();
    const QList<FieldProblem> problems = TenantValidator::validate(input);
    if (!problems.isEmpty())
        return validationFailure(problems).error();
    const TenantDraft d = input.normalized();
    if (Status allowed = requireManage(id); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Tenant> {
        auto q = execSql(
            db,
            QStringLiteral("UPDATE organizations AS o SET name = ?, slug = ?, billing_email = ?, "
                           "currency = ?, tax_id = ?, address_line1 = ?, address_line2 = ?, "
                           "postal_code = ?, city = ?, country = ?, version = version + 1 "
                           "WHERE id = ?::uuid AND version = ? RETURNING %1")
                .arg(TenantColumns),
            {d.name, d.slug, d.billingEmail, d.currency, nullIfEmpty(d.taxId),
             nullIfEmpty(d.addressLine1), nullIfEmpty(d.addressLine2), nullIfEmpty(d.postalCode),
             nullIfEmpty(d.city), nullIfEmpty(d.country), id, expectedVersion});
        if (!q)
            return q.error();
        if (q.value().next())
            return readTenant(q.value());
        auto current = get(id);
        if (!current)
            return current.error();
        return makeError(ErrorKind::Conflict,
                         tr("Someone else changed %1 while you were editing it. Nothing was "
                            "saved: close this window, look at their changes, and edit again.")
                             .arg(current.value().name));
    });
}

Result<Tenant> TenantService::suspend(const QString &id, int expectedVersion)
{
    return setStatus(id, expectedVersion, QStringLiteral("suspended"));
}

Result<Tenant> TenantService::reactivate(const QString &id, int expectedVersion)
{
    return setStatus(id, expectedVersion, QStringLiteral("active"));
}

Result<Tenant> TenantService::setStatus(const QString &id, int expectedVersion,
                                        const QString &status)
{
    if (!isUuid(id))
        return tenantNotFound();
    if (Status allowed = requireManage(id); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Tenant> {
        auto q = execSql(db,
                         QStringLiteral("UPDATE organizations AS o SET status = ?, "
                                        "version = version + 1 WHERE id = ?::uuid AND "
                                        "version = ? RETURNING %1")
                             .arg(TenantColumns),
                         {status, id, expectedVersion});
        if (!q)
            return q.error();
        if (q.value().next())
            return readTenant(q.value());
        auto current = get(id);
        if (!current)
            return current.error();
        return makeError(ErrorKind::Conflict,
                         tr("Someone else changed %1 a moment ago. Nothing was changed; look "
                            "at the tenant again and retry.")
                             .arg(current.value().name));
    });
}

Status TenantService::requireManage(const QString &id) const
{
    auto allowed = requireOrganizationPermission(
        m_connectionName, id, QStringLiteral("tenants.manage"),
        tr("You don't have permission to change %1. Ask an administrator of the organization "
           "for a role with \"tenants.manage\"."));
    if (!allowed)
        return allowed.error().kind == ErrorKind::NotFound ? tenantNotFound() : allowed.error();
    return {};
}

Status TenantService::remove(const QString &id)
{
    if (!isUuid(id))
        return tenantNotFound();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value())
        return makeError(ErrorKind::PermissionDenied,
                         tr("Only platform administrators can delete tenants."));
    Result<int> removed = inTransaction(db, [&]() -> Result<int> {
        // Lock the tenant so nobody adds a subscription between the check and the delete.
        auto q = execSql(
            db,
            QStringLiteral("SELECT o.name,"
                           " (SELECT count(*) FROM subscriptions WHERE organization_id = o.id),"
                           " (SELECT count(*) FROM invoices WHERE organization_id = o.id),"
                           " (SELECT count(*) FROM usage_records WHERE organization_id = o.id),"
                           " (SELECT count(*) FROM jobs WHERE organization_id = o.id)"
                           " FROM organizations o WHERE o.id = ?::uuid FOR UPDATE"),
            {id});
        if (!q)
            return q.error();
        if (!q.value().next())
            return tenantNotFound();
        const QString name = q.value().value(0).toString();
        const int subscriptions = q.value().value(1).toInt();
        const int invoices = q.value().value(2).toInt();
        const int usage = q.value().value(3).toInt();
        const int jobs = q.value().value(4).toInt();
        if (subscriptions > 0 || invoices > 0 || usage > 0 || jobs > 0) {
            QStringList what;
            if (subscriptions > 0)
                what << QCoreApplication::translate("nobill::TenantService", "%n subscription(s)",
                                                    nullptr, subscriptions);
            if (invoices > 0)
                what << QCoreApplication::translate("nobill::TenantService", "%n invoice(s)",
                                                    nullptr, invoices);
            if (usage > 0)
                what << QCoreApplication::translate("nobill::TenantService", "%n usage record(s)",
                                                    nullptr, usage);
            return makeError(ErrorKind::Conflict,
                             tr("%1 cannot be deleted: it still has %2. Billing history is "
                                "kept; suspend the tenant instead to stop its access.")
                                 .arg(name, what.join(tr(", "))));
        }
        auto deleted =
            execSql(db, QStringLiteral("DELETE FROM organizations WHERE id = ?::uuid"), {id});
        if (!deleted)
            return deleted.error();
        return 1;
    });
    if (!removed)
        return removed.error();
    return {};
}

} // namespace nobill
