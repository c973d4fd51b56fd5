#include "invoices/invoiceservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"

#include <QCoreApplication>
#include <QSqlDatabase>
#include <QUrl>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::InvoiceService", text);
}

const QString InvoiceColumns = QStringLiteral(
    "i.id::text, i.organization_id::text, o.name, i.subscription_id::text, "
    "s.stripe_subscription_id, p.name, i.number, i.status, i.currency, i.subtotal, i.tax, "
    "i.total, i.amount_due, i.amount_paid, i.amount_remaining, i.period_start, i.period_end, "
    "i.due_date, i.hosted_invoice_url, i.stripe_invoice_id, i.created_at, i.finalized_at, "
    "i.paid_at");
constexpr int InvoiceColumnCount = 23;

// The tenant and plan are shown beside the invoice; a login that may see invoices but not
// the tenant (a custom role) still sees its invoices, without the name.
const QString InvoiceFrom = QStringLiteral(" FROM invoices i"
                                           " LEFT JOIN organizations o ON o.id = i.organization_id"
                                           " LEFT JOIN subscriptions s ON s.id = i.subscription_id"
                                           " LEFT JOIN plans p ON p.id = s.plan_id");

QDateTime timeAt(const QSqlQuery &q, int column)
{
    return q.value(column).isNull() ? QDateTime() : q.value(column).toDateTime();
}

Invoice readInvoice(const QSqlQuery &q)
{
    Invoice i;
    i.id = q.value(0).toString();
    i.organizationId = q.value(1).toString();
    i.organizationName = q.value(2).toString();
    i.subscriptionId = q.value(3).toString();
    i.stripeSubscriptionId = q.value(4).toString();
    i.planName = q.value(5).toString();
    i.number = q.value(6).toString();
    i.status = q.value(7).toString();
    i.currency = q.value(8).toString();
    i.subtotal = q.value(9).toLongLong();
    i.tax = q.value(10).toLongLong();
    i.total = q.value(11).toLongLong();
    i.amountDue = q.value(12).toLongLong();
    i.amountPaid = q.value(13).toLongLong();
    i.amountRemaining = q.value(14).toLongLong();
    i.periodStart = timeAt(q, 15);
    i.periodEnd = timeAt(q, 16);
    i.dueDate = timeAt(q, 17);
    i.hostedInvoiceUrl = q.value(18).toString();
    i.stripeInvoiceId = q.value(19).toString();
    i.createdAt = timeAt(q, 20);
    i.finalizedAt = timeAt(q, 21);
    i.paidAt = timeAt(q, 22);
    return i;
}

struct SortColumn
{
    QString expression;
    QString castType;
};

// The expressions repeat the indexes of migration 4 exactly.
SortColumn sortColumn(InvoiceSort sort)
{
    switch (sort) {
    case InvoiceSort::CreatedAt:
        return {QStringLiteral("i.created_at"), QStringLiteral("timestamptz")};
    case InvoiceSort::DueDate:
        return {QStringLiteral("coalesce(i.due_date, 'infinity'::timestamptz)"),
                QStringLiteral("timestamptz")};
    case InvoiceSort::Total:
        return {QStringLiteral("i.total"), QStringLiteral("bigint")};
    case InvoiceSort::InvoiceStatus:
        return {QStringLiteral("i.status"), QStringLiteral("text")};
    }
    return {QStringLiteral("i.created_at"), QStringLiteral("timestamptz")};
}

Error invoiceNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This invoice no longer exists, or you cannot see it. Refresh the "
                        "list."));
}

// Row-level security hides what the login may not see; naming the visible organizations in
// the query as well lets the planner fetch them by key (see TenantService).
Status appendConditions(const QString &connectionName, const InvoiceQuery &query,
                        QStringList &conditions, QVariantList &values)
{
    auto admin = isPlatformAdmin(connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value())
        conditions << QStringLiteral(
            "i.organization_id = ANY ((SELECT nobill_orgs_with('invoices.read'))::uuid[])");
    if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("i.organization_id = ?::uuid");
        values << query.organizationId;
    }
    if (!query.status.isEmpty()) {
        conditions << QStringLiteral("i.status = ?");
        values << query.status;
    }
    if (!query.subscriptionId.isEmpty()) {
        if (!isUuid(query.subscriptionId))
            return invoiceNotFound();
        conditions << QStringLiteral("i.subscription_id = ?::uuid");
        values << query.subscriptionId;
    }
    return {};
}

} // namespace

InvoiceService::InvoiceService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

bool InvoiceService::isOpenableUrl(const QString &url)
{
    const QUrl parsed(url, QUrl::StrictMode);
    return parsed.isValid() && parsed.scheme() == QLatin1String("https") &&
           !parsed.host().isEmpty() && parsed.userInfo().isEmpty();
}

Result<InvoicePage> InvoiceService::page(const InvoiceQuery &query,
                                         const std::optional<InvoiceCursor> &after, int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    const SortColumn sort = sortColumn(query.sort);
    const QString direction = query.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");
    QStringList conditions;
    QVariantList values;
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    if (after) {
        if (!isUuid(after->id))
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(%1, i.id) %2 (?::%3, ?::uuid)")
                          .arg(sort.expression,
                               query.descending ? QStringLiteral("<") : QStringLiteral(">"),
                               sort.castType);
        values << after->sortValue << after->id;
    }
    // One row more than asked tells whether another page exists without counting.
    const QString sql =
        QStringLiteral("SELECT %1, %2::text%3%4 ORDER BY %2 %5, i.id %5 LIMIT %6")
            .arg(InvoiceColumns, sort.expression, InvoiceFrom, whereClause(conditions), direction)
            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    InvoicePage page;
    QString lastSortKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readInvoice(q.value()));
        lastSortKey = q.value().value(InvoiceColumnCount).toString();
    }
    if (page.hasMore)
        page.next = InvoiceCursor{lastSortKey, page.rows.last().id};
    return page;
}

Result<int> InvoiceService::count(const InvoiceQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM invoices i") + whereClause(conditions), values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<Invoice> InvoiceService::get(const QString &id) const
{
    if (!isUuid(id))
        return invoiceNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db, QStringLiteral("SELECT %1%2 WHERE i.id = ?::uuid").arg(InvoiceColumns, InvoiceFrom),
        {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return invoiceNotFound();
    return readInvoice(q.value());
}

Result<InvoiceDetails> InvoiceService::details(const QString &id) const
{
    if (!isUuid(id))
        return invoiceNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1, o.billing_email, o.stripe_customer_id, s.status, "
                                    "s.quantity%2 WHERE i.id = ?::uuid")
                         .arg(InvoiceColumns, InvoiceFrom),
                     {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return invoiceNotFound();
    InvoiceDetails details;
    details.invoice = readInvoice(q.value());
    details.tenantBillingEmail = q.value().value(InvoiceColumnCount).toString();
    details.tenantStripeCustomerId = q.value().value(InvoiceColumnCount + 1).toString();
    details.subscriptionStatus = q.value().value(InvoiceColumnCount + 2).toString();
    details.subscriptionQuantity = q.value().value(InvoiceColumnCount + 3).toInt();
    return details;
}

} // namespace nobill
