#include "subscriptions/subscriptionservice.h"

#include "access/permissioncheck.h"
#include "database/sql.h"
#include "invoices/invoiceservice.h"
#include "jobs/jobkinds.h"
#include "subscriptions/stripework.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QSqlDatabase>
#include <QUrl>
#include <QUuid>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::SubscriptionService", text);
}

const QString SubscriptionColumns = QStringLiteral(
    "s.id::text, s.organization_id::text, o.name, s.plan_id::text, p.name, pr.name, p.amount, "
    "p.currency, p.interval, p.interval_count, p.usage_type, p.metric, s.status, s.quantity, "
    "s.collection_method, s.days_until_due, s.current_period_start, s.current_period_end, "
    "s.cancel_at_period_end, s.canceled_at, s.trial_end, s.stripe_subscription_id, s.version, "
    "s.created_at, s.updated_at");
constexpr int SubscriptionColumnCount = 25;

// A login that may see subscriptions but not the tenant (a custom role) still sees them,
// without the name.
const QString SubscriptionFrom =
    QStringLiteral(" FROM subscriptions s"
                   " LEFT JOIN organizations o ON o.id = s.organization_id"
                   " LEFT JOIN plans p ON p.id = s.plan_id"
                   " LEFT JOIN products pr ON pr.id = p.product_id");

QDateTime timeAt(const QSqlQuery &q, int column)
{
    return q.value(column).isNull() ? QDateTime() : q.value(column).toDateTime();
}

Subscription readSubscription(const QSqlQuery &q)
{
    Subscription s;
    s.id = q.value(0).toString();
    s.organizationId = q.value(1).toString();
    s.organizationName = q.value(2).toString();
    s.planId = q.value(3).toString();
    s.planName = q.value(4).toString();
    s.productName = q.value(5).toString();
    s.planAmount = q.value(6).toLongLong();
    s.currency = q.value(7).toString();
    s.interval = q.value(8).toString();
    s.intervalCount = q.value(9).toInt();
    s.usageType = q.value(10).toString();
    s.metric = q.value(11).toString();
    s.status = q.value(12).toString();
    s.quantity = q.value(13).toInt();
    s.collectionMethod = q.value(14).toString();
    s.daysUntilDue = q.value(15).isNull() ? -1 : q.value(15).toInt();
    s.currentPeriodStart = timeAt(q, 16);
    s.currentPeriodEnd = timeAt(q, 17);
    s.cancelAtPeriodEnd = q.value(18).toBool();
    s.canceledAt = timeAt(q, 19);
    s.trialEnd = timeAt(q, 20);
    s.stripeSubscriptionId = q.value(21).toString();
    s.version = q.value(22).toInt();
    s.createdAt = timeAt(q, 23);
    s.updatedAt = timeAt(q, 24);
    return s;
}

struct SortColumn
{
    QString expression;
    QString castType;
};

// The expressions repeat the indexes of migration 4 exactly. The renewal key is the end of
// the current period while the subscription renews; one that is paused, has ended or never
// started (no renewal to come) sorts after every renewal date.
const QString RenewalKey =
    QStringLiteral("(CASE WHEN s.status IN ('trialing', 'active', 'past_due', 'unpaid') "
                   "THEN coalesce(s.current_period_end, 'infinity'::timestamptz) "
                   "ELSE 'infinity'::timestamptz END)");

SortColumn sortColumn(SubscriptionSort sort)
{
    switch (sort) {
    case SubscriptionSort::RenewalDate:
        return {RenewalKey, QStringLiteral("timestamptz")};
    case SubscriptionSort::CreatedAt:
        return {QStringLiteral("s.created_at"), QStringLiteral("timestamptz")};
    case SubscriptionSort::SubscriptionStatus:
        return {QStringLiteral("s.status"), QStringLiteral("text")};
    case SubscriptionSort::TenantName:
        return {QStringLiteral("coalesce(o.name, '')"), QStringLiteral("text")};
    }
    return {QStringLiteral("s.created_at"), QStringLiteral("timestamptz")};
}

Error subscriptionNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This subscription no longer exists, or you cannot see it. Refresh the "
                        "list."));
}

Status appendConditions(const QString &connectionName, const SubscriptionQuery &query,
                        QStringList &conditions, QVariantList &values)
{
    // Row-level security hides what the login may not see; naming the visible
    // organizations in the query as well lets the planner fetch them by key.
    auto admin = isPlatformAdmin(connectionName);
    if (!admin)
        return admin.error();
    if (!admin.value())
        conditions << QStringLiteral("s.organization_id = ANY ((SELECT "
                                     "nobill_orgs_with('subscriptions.read'))::uuid[])");
    if (!query.organizationId.isEmpty()) {
        if (!isUuid(query.organizationId))
            return organizationNotFound();
        conditions << QStringLiteral("s.organization_id = ?::uuid");
        values << query.organizationId;
    }
    if (!query.status.isEmpty()) {
        conditions << QStringLiteral("s.status = ?");
        values << query.status;
    }
    if (!query.planId.isEmpty()) {
        if (!isUuid(query.planId))
            return makeError(ErrorKind::NotFound,
                             tr("This plan no longer exists. Choose another one."));
        conditions << QStringLiteral("s.plan_id = ?::uuid");
        values << query.planId;
    }
    if (query.renewalWithinDays > 0) {
        // Running subscriptions whose period ends within the window.
        conditions << RenewalKey + QStringLiteral(" >= now() AND ") + RenewalKey +
                          QStringLiteral(" < now() + make_interval(days => ?)");
        values << qMin(query.renewalWithinDays, 36500);
    }
    return {};
}

PendingJob readJob(const QSqlQuery &q)
{
    PendingJob job;
    job.id = q.value(0).toString();
    job.kind = q.value(1).toString();
    job.status = q.value(2).toString();
    job.payload = QJsonDocument::fromJson(q.value(3).toString().toUtf8()).object();
    job.requestedBy = q.value(4).toString();
    job.requestedByName = q.value(5).toString();
    job.attempts = q.value(6).toInt();
    job.lastError = q.value(7).toString();
    job.createdAt = timeAt(q, 8);
    job.runAfter = timeAt(q, 9);
    return job;
}

const QString JobColumns =
    QStringLiteral("j.id::text, j.kind, j.status, j.payload::text, j.requested_by, u.display_name, "
                   "j.attempts, j.last_error, j.created_at, j.run_after");
const QString JobFrom =
    QStringLiteral(" FROM jobs j LEFT JOIN users u ON u.login_role = j.requested_by");

QString actionKey(SubscriptionAction action)
{
    switch (action) {
    case SubscriptionAction::CancelAtPeriodEnd:
        return QStringLiteral("cancel_at_period_end");
    case SubscriptionAction::CancelNow:
        return QStringLiteral("cancel");
    case SubscriptionAction::Resume:
        return QStringLiteral("resume");
    case SubscriptionAction::ChangeQuantity:
        return QStringLiteral("update_quantity");
    case SubscriptionAction::PauseCollection:
        return QStringLiteral("pause_collection");
    case SubscriptionAction::ResumeCollection:
        return QStringLiteral("resume_collection");
    }
    return QString();
}
} // namespace

SubscriptionService::SubscriptionService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Result<SubscriptionPage> SubscriptionService::page(const SubscriptionQuery &query,
                                                   const std::optional<SubscriptionCursor> &after,
                                                   int limit) const
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
        conditions << QStringLiteral("(%1, s.id) %2 (?::%3, ?::uuid)")
                          .arg(sort.expression,
                               query.descending ? QStringLiteral("<") : QStringLiteral(">"),
                               sort.castType);
        values << after->sortValue << after->id;
    }
    // One row more than asked tells whether another page exists without counting.
    const QString sql = QStringLiteral("SELECT %1, %2::text%3%4 ORDER BY %2 %5, s.id %5 LIMIT %6")
                            .arg(SubscriptionColumns, sort.expression, SubscriptionFrom,
                                 whereClause(conditions), direction)
                            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    SubscriptionPage page;
    QString lastSortKey;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readSubscription(q.value()));
        lastSortKey = q.value().value(SubscriptionColumnCount).toString();
    }
    if (page.hasMore)
        page.next = SubscriptionCursor{lastSortKey, page.rows.last().id};
    return page;
}

Result<int> SubscriptionService::count(const SubscriptionQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status ok = appendConditions(m_connectionName, query, conditions, values); !ok)
        return ok.error();
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM subscriptions s") + whereClause(conditions),
        values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<Subscription> SubscriptionService::get(const QString &id) const
{
    if (!isUuid(id))
        return subscriptionNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1%2 WHERE s.id = ?::uuid")
                         .arg(SubscriptionColumns, SubscriptionFrom),
                     {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return subscriptionNotFound();
    return readSubscription(q.value());
}

Result<SubscriptionDetails> SubscriptionService::details(const QString &id) const
{
    auto subscription = get(id);
    if (!subscription)
        return subscription.error();
    SubscriptionDetails details;
    details.subscription = subscription.value();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto tenant = execSql(db,
                          QStringLiteral("SELECT o.billing_email FROM organizations o "
                                         "WHERE o.id = ?::uuid"),
                          {details.subscription.organizationId});
    if (!tenant)
        return tenant.error();
    if (tenant.value().next())
        details.tenantBillingEmail = tenant.value().value(0).toString();

    InvoiceService invoices(m_connectionName);
    InvoiceQuery query;
    query.subscriptionId = id;
    query.organizationId = details.subscription.organizationId;
    auto latest = invoices.page(query, std::nullopt, SubscriptionDetails::InvoiceLimit);
    if (!latest)
        return latest.error();
    details.invoices = latest.value().rows;
    if (latest.value().hasMore) {
        auto total = invoices.count(query);
        if (!total)
            return total.error();
        details.invoiceCount = total.value();
    } else {
        details.invoiceCount = int(details.invoices.size());
    }

    auto jobs = pendingJobs(details.subscription);
    if (!jobs)
        return jobs.error();
    details.pendingJobs = jobs.value();
    return details;
}

Result<QList<PendingJob>> SubscriptionService::pendingJobs(const Subscription &subscription) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // Work queued by the console names the subscription; older work may name only its
    // Stripe id. Cancelled jobs are not pending; failed ones are shown for a month.
    auto q =
        execSql(db,
                QStringLiteral(
                    "SELECT %1%2 WHERE j.organization_id = ?::uuid"
                    " AND (j.payload ->> 'subscription_id' = ?"
                    "      OR (? <> '' AND j.payload ->> 'stripe_subscription_id' = ?))"
                    " AND (j.status IN ('queued', 'running')"
                    "      OR (j.status = 'failed' AND j.updated_at > now() - interval '30 days'))"
                    " ORDER BY (j.status = 'failed'), j.created_at DESC, j.id LIMIT 10")
                    .arg(JobColumns, JobFrom),
                {subscription.organizationId, subscription.id, subscription.stripeSubscriptionId,
                 subscription.stripeSubscriptionId});
    if (!q)
        return q.error();
    QList<PendingJob> jobs;
    while (q.value().next())
        jobs.append(readJob(q.value()));
    return jobs;
}

Result<QList<PlanChoice>> SubscriptionService::planChoices() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db, QStringLiteral("SELECT p.id::text, pr.name, p.name, p.currency, p.interval, "
                           "p.interval_count, p.archived_at IS NOT NULL"
                           " FROM plans p JOIN products pr ON pr.id = p.product_id"
                           " WHERE p.archived_at IS NULL"
                           "    OR EXISTS (SELECT 1 FROM subscriptions s WHERE s.plan_id = p.id)"
                           " ORDER BY lower(pr.name), lower(p.name), p.currency, p.id"
                           " LIMIT 1000"));
    if (!q)
        return q.error();
    QList<PlanChoice> plans;
    while (q.value().next()) {
        PlanChoice plan;
        plan.id = q.value().value(0).toString();
        plan.archived = q.value().value(6).toBool();
        const QString product = q.value().value(1).toString();
        const QString name = q.value().value(2).toString();
        const QString label = product.compare(name, Qt::CaseInsensitive) == 0
                                  ? name
                                  : tr("%1 — %2").arg(product, name);
        plan.label = plan.archived
                         ? tr("%1 (%2, archived)").arg(label, q.value().value(3).toString())
                         : tr("%1 (%2)").arg(label, q.value().value(3).toString());
        plans.append(plan);
    }
    return plans;
}

QString SubscriptionService::jobKind(SubscriptionAction action)
{
    return QStringLiteral("subscription.") + actionKey(action);
}

QString SubscriptionService::actionUnavailableReason(const Subscription &s,
                                                     SubscriptionAction action)
{
    if (s.stripeSubscriptionId.isEmpty())
        return tr("This subscription is not in Stripe yet, so there is nothing to change there.");
    switch (action) {
    case SubscriptionAction::CancelAtPeriodEnd:
        if (!s.isLive())
            return tr("Only a running subscription can be cancelled at the end of its period.");
        if (s.cancelAtPeriodEnd)
            return tr("This subscription already ends with its current period.");
        return {};
    case SubscriptionAction::CancelNow:
        if (s.status == QLatin1String("canceled") ||
            s.status == QLatin1String("incomplete_expired"))
            return tr("This subscription has already ended.");
        return {};
    case SubscriptionAction::Resume:
        if (!s.cancelAtPeriodEnd && s.status != QLatin1String("paused"))
            return tr("Only a paused subscription, or one set to end with its period, can be "
                      "resumed.");
        if (!s.isLive())
            return tr("This subscription has already ended.");
        return {};
    case SubscriptionAction::ChangeQuantity:
        if (!s.isLive())
            return tr("Only a running subscription's quantity can be changed.");
        if (s.isMetered())
            return tr("A metered plan is billed by usage; it has no quantity to change.");
        return {};
    case SubscriptionAction::PauseCollection:
    case SubscriptionAction::ResumeCollection:
        // Whether collection is paused now is not mirrored in our table, so both stay
        // available while the subscription runs; Stripe accepts either in any live state.
        if (!s.isLive())
            return tr("Only a running subscription's collection can be paused or resumed.");
        return {};
    }
    return {};
}

Result<PendingJob> SubscriptionService::requestAction(const SubscriptionActionRequest &request)
{
    if (QUuid::fromString(request.requestToken).isNull())
        return makeError(ErrorKind::InvalidInput,
                         tr("The request has no key, so it was not queued. Open the action "
                            "again."));
    auto found = get(request.subscriptionId);
    if (!found)
        return found.error();
    const Subscription s = found.value();
    auto allowed = requireOrganizationPermission(
        m_connectionName, s.organizationId, QStringLiteral("subscriptions.manage"),
        tr("You don't have permission to change subscriptions of %1. Ask an administrator of "
           "the organization for a role with \"subscriptions.manage\"."));
    if (!allowed)
        return allowed.error().kind == ErrorKind::NotFound ? subscriptionNotFound()
                                                           : allowed.error();
    if (const QString reason = actionUnavailableReason(s, request.action); !reason.isEmpty())
        return makeError(ErrorKind::Conflict, reason);

    QJsonObject payload{{QStringLiteral("subscription_id"), s.id},
                        {QStringLiteral("stripe_subscription_id"), s.stripeSubscriptionId}};
    if (request.action == SubscriptionAction::ChangeQuantity) {
        if (request.quantity < 1 || request.quantity > 1000000)
            return makeError(ErrorKind::InvalidInput,
                             tr("The quantity must be a whole number from 1 to 1,000,000."));
        if (request.quantity == s.quantity)
            return makeError(ErrorKind::InvalidInput,
                             tr("The subscription already has this quantity."));
        payload.insert(QStringLiteral("quantity"), request.quantity);
        payload.insert(QStringLiteral("previous_quantity"), s.quantity);
    }
    if (request.action == SubscriptionAction::PauseCollection) {
        const QString behavior =
            request.pauseBehavior.isEmpty() ? QStringLiteral("void") : request.pauseBehavior;
        if (behavior != QLatin1String("void") && behavior != QLatin1String("keep_as_draft") &&
            behavior != QLatin1String("mark_uncollectible"))
            return makeError(ErrorKind::InvalidInput,
                             tr("Choose what happens to invoices while collection is paused."));
        payload.insert(QStringLiteral("behavior"), behavior);
    }
    if (request.action == SubscriptionAction::Resume)
        // Stripe resumes a paused subscription with POST /resume; a scheduled cancellation
        // is withdrawn with cancel_at_period_end=false.
        payload.insert(QStringLiteral("mode"), s.status == QLatin1String("paused")
                                                   ? QStringLiteral("resume_paused")
                                                   : QStringLiteral("keep_renewing"));

    const QString key =
        QStringLiteral("subscription:%1:%2:%3")
            .arg(s.id, actionKey(request.action),
                 QUuid::fromString(request.requestToken).toString(QUuid::WithoutBraces));
    auto jobId =
        enqueueStripeJob(m_connectionName, s.organizationId, jobKind(request.action), payload, key);
    if (!jobId)
        return jobId.error();

    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q =
        execSql(db, QStringLiteral("SELECT %1%2 WHERE j.id = ?::uuid").arg(JobColumns, JobFrom),
                {jobId.value()});
    if (!q)
        return q.error();
    if (!q.value().next())
        return makeError(ErrorKind::Internal, tr("The work was queued but cannot be read back."));
    return readJob(q.value());
}

Result<QList<TenantChoice>> SubscriptionService::tenantChoices() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db, QStringLiteral("SELECT o.id::text, o.name, o.currency, "
                                        "o.stripe_customer_id IS NOT NULL FROM organizations o"
                                        " WHERE (SELECT nobill_is_platform_admin())"
                                        "    OR o.id = ANY ((SELECT nobill_orgs_with("
                                        "'subscriptions.manage'))::uuid[])"
                                        " ORDER BY lower(o.name), o.id LIMIT 2000"));
    if (!q)
        return q.error();
    QList<TenantChoice> tenants;
    while (q.value().next())
        tenants.append({q.value().value(0).toString(), q.value().value(1).toString(),
                        q.value().value(2).toString(), q.value().value(3).toBool()});
    return tenants;
}

Result<NewSubscriptionQueued> SubscriptionService::create(const NewSubscriptionRequest &request)
{
    if (QUuid::fromString(request.requestToken).isNull())
        return makeError(ErrorKind::InvalidInput,
                         tr("The request has no key, so it was not queued. Open the dialog "
                            "again."));
    if (!isUuid(request.organizationId))
        return makeError(ErrorKind::InvalidInput, tr("Choose the tenant."));
    if (!isUuid(request.planId))
        return makeError(ErrorKind::InvalidInput, tr("Choose the plan."));
    if (request.quantity < 1 || request.quantity > 1000000)
        return makeError(ErrorKind::InvalidInput,
                         tr("The quantity must be a whole number from 1 to 1,000,000."));
    if (request.trialDays < 0 || request.trialDays > 730)
        return makeError(ErrorKind::InvalidInput, tr("A trial lasts from 0 to 730 days."));
    const QString &collection = request.collection;
    if (collection != QLatin1String("automatic") && collection != QLatin1String("send_invoice") &&
        collection != QLatin1String("checkout"))
        return makeError(ErrorKind::InvalidInput, tr("Choose how the subscription is paid."));
    if (collection == QLatin1String("send_invoice") &&
        (request.daysUntilDue < 0 || request.daysUntilDue > 365))
        return makeError(ErrorKind::InvalidInput,
                         tr("Invoices are due within 0 to 365 days of being sent."));
    if (collection == QLatin1String("checkout")) {
        const QUrl url(request.successUrl, QUrl::StrictMode);
        if (!url.isValid() || url.scheme() != QLatin1String("https") || url.host().isEmpty())
            return makeError(ErrorKind::InvalidInput,
                             tr("A Checkout link needs the https address the customer returns "
                                "to after paying, e.g. https://example.com/thanks."));
    }
    auto allowed = requireOrganizationPermission(
        m_connectionName, request.organizationId, QStringLiteral("subscriptions.manage"),
        tr("You don't have permission to start subscriptions for %1. Ask an administrator of "
           "the organization for a role with \"subscriptions.manage\"."));
    if (!allowed)
        return allowed.error();

    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto ready = execSql(db,
                         QStringLiteral("SELECT o.name, o.stripe_customer_id IS NOT NULL, p.name, "
                                        "p.stripe_price_id IS NOT NULL, p.archived_at IS NOT NULL, "
                                        "p.usage_type FROM organizations o, plans p "
                                        "WHERE o.id = ?::uuid AND p.id = ?::uuid"),
                         {request.organizationId, request.planId});
    if (!ready)
        return ready.error();
    if (!ready.value().next())
        return makeError(ErrorKind::NotFound,
                         tr("The tenant or the plan no longer exists. Choose again."));
    const QString tenant = ready.value().value(0).toString();
    const QString plan = ready.value().value(2).toString();
    if (!ready.value().value(1).toBool())
        return makeError(ErrorKind::Conflict,
                         tr("%1 is not a Stripe customer yet. Sync the tenant to Stripe first "
                            "(Tenants, Sync to Stripe), then start the subscription.")
                             .arg(tenant));
    if (ready.value().value(4).toBool())
        return makeError(ErrorKind::Conflict,
                         tr("The plan %1 is archived; choose a current plan.").arg(plan));
    if (!ready.value().value(3).toBool())
        return makeError(ErrorKind::Conflict,
                         tr("The plan %1 has no Stripe price yet. Publish it to Stripe first "
                            "(Plans, Publish to Stripe), then start the subscription.")
                             .arg(plan));
    const bool metered = ready.value().value(5).toString() == QLatin1String("metered");

    return inTransaction(db, [&]() -> Result<NewSubscriptionQueued> {
        // The request's token is the new row's id: the same request sent again (a double
        // click, a retry after a lost answer) finds its row and its job instead of adding
        // a second subscription.
        const QString id = QUuid::fromString(request.requestToken).toString(QUuid::WithoutBraces);
        const bool invoiced = collection == QLatin1String("send_invoice");
        auto insert = execSql(
            db,
            QStringLiteral("INSERT INTO subscriptions (id, organization_id, plan_id, status, "
                           "quantity, collection_method, days_until_due) VALUES (?::uuid, "
                           "?::uuid, ?::uuid, 'incomplete', ?, ?, ?) ON CONFLICT (id) DO NOTHING"),
            {id, request.organizationId, request.planId, metered ? 1 : request.quantity,
             invoiced ? QStringLiteral("send_invoice") : QStringLiteral("charge_automatically"),
             invoiced ? QVariant(request.daysUntilDue) : QVariant(QMetaType::fromType<int>())});
        if (!insert)
            return insert.error();
        QJsonObject payload{{QStringLiteral("subscription_id"), id},
                            {QStringLiteral("collection"), collection}};
        if (invoiced)
            payload.insert(QStringLiteral("days_until_due"), request.daysUntilDue);
        if (request.trialDays > 0)
            payload.insert(QStringLiteral("trial_days"), request.trialDays);
        if (collection == QLatin1String("checkout"))
            payload.insert(QStringLiteral("success_url"), request.successUrl);
        auto job =
            enqueueStripeJob(m_connectionName, request.organizationId, jobkinds::CreateSubscription,
                             payload, QStringLiteral("subscription:new:%1").arg(id));
        if (!job)
            return job.error();
        return NewSubscriptionQueued{id, job.value()};
    });
}

} // namespace nobill
