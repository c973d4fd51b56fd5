#include "export/listexport.h"

#include "audit/auditservice.h"
#include "export/pagedexport.h"
#include "invoices/invoiceservice.h"
#include "jobs/jobservice.h"
#include "members/memberservice.h"
#include "plans/planservice.h"
#include "subscriptions/subscriptionservice.h"
#include "tenants/tenantservice.h"
#include "usage/usageservice.h"
#include "webhookevents/webhookeventservice.h"

#include <QList>

#include <utility>

namespace nobill {

namespace {

template <typename Row> struct Column
{
    const char *name;
    QString (*value)(const Row &row);
};

QString iso(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs) : QString();
}

QString number(qint64 value)
{
    return QString::number(value);
}

QString flag(bool value)
{
    return value ? QStringLiteral("true") : QStringLiteral("false");
}

QString consoleAccess(ConsoleAccess access)
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

// The columns of each area: one table per row type, the only thing that differs between
// the exports.
const QList<Column<Tenant>> &columns(const Tenant *)
{
    static const QList<Column<Tenant>> list{
        {"id",
         [](const Tenant &t) {
             return t.id;
         }},
        {"name",
         [](const Tenant &t) {
             return t.name;
         }},
        {"slug",
         [](const Tenant &t) {
             return t.slug;
         }},
        {"status",
         [](const Tenant &t) {
             return t.status;
         }},
        {"currency",
         [](const Tenant &t) {
             return t.currency;
         }},
        {"billing_email",
         [](const Tenant &t) {
             return t.billingEmail;
         }},
        {"stripe_customer_id",
         [](const Tenant &t) {
             return t.stripeCustomerId;
         }},
        {"tax_id",
         [](const Tenant &t) {
             return t.taxId;
         }},
        {"address_line1",
         [](const Tenant &t) {
             return t.addressLine1;
         }},
        {"address_line2",
         [](const Tenant &t) {
             return t.addressLine2;
         }},
        {"postal_code",
         [](const Tenant &t) {
             return t.postalCode;
         }},
        {"city",
         [](const Tenant &t) {
             return t.city;
         }},
        {"country",
         [](const Tenant &t) {
             return t.country;
         }},
        {"created_at",
         [](const Tenant &t) {
             return iso(t.createdAt);
         }},
        {"updated_at",
         [](const Tenant &t) {
             return iso(t.updatedAt);
         }},
    };
    return list;
}

const QList<Column<Member>> &columns(const Member *)
{
    static const QList<Column<Member>> list{
        {"organization_id",
         [](const Member &m) {
             return m.organizationId;
         }},
        {"user_id",
         [](const Member &m) {
             return m.userId;
         }},
        {"display_name",
         [](const Member &m) {
             return m.displayName;
         }},
        {"email",
         [](const Member &m) {
             return m.email;
         }},
        {"role",
         [](const Member &m) {
             return m.roleName;
         }},
        {"role_id",
         [](const Member &m) {
             return m.roleId;
         }},
        {"login",
         [](const Member &m) {
             return m.login;
         }},
        {"console_access",
         [](const Member &m) {
             return consoleAccess(m.access);
         }},
        {"member_since",
         [](const Member &m) {
             return iso(m.memberSince);
         }},
        {"account_disabled_at",
         [](const Member &m) {
             return iso(m.accountDisabledAt);
         }},
    };
    return list;
}

const QList<Column<Plan>> &columns(const Plan *)
{
    static const QList<Column<Plan>> list{
        {"id",
         [](const Plan &p) {
             return p.id;
         }},
        {"product_id",
         [](const Plan &p) {
             return p.productId;
         }},
        {"product",
         [](const Plan &p) {
             return p.productName;
         }},
        {"name",
         [](const Plan &p) {
             return p.name;
         }},
        {"amount_minor",
         [](const Plan &p) {
             return number(p.amount);
         }},
        {"currency",
         [](const Plan &p) {
             return p.currency;
         }},
        {"interval",
         [](const Plan &p) {
             return p.interval;
         }},
        {"interval_count",
         [](const Plan &p) {
             return number(p.intervalCount);
         }},
        {"usage_type",
         [](const Plan &p) {
             return p.usageType;
         }},
        {"metric",
         [](const Plan &p) {
             return p.metric;
         }},
        {"trial_days",
         [](const Plan &p) {
             return number(p.trialDays);
         }},
        {"subscribers",
         [](const Plan &p) {
             return number(p.subscriberCount);
         }},
        {"stripe_price_id",
         [](const Plan &p) {
             return p.stripePriceId;
         }},
        {"archived_at",
         [](const Plan &p) {
             return iso(p.archivedAt);
         }},
        {"created_at",
         [](const Plan &p) {
             return iso(p.createdAt);
         }},
    };
    return list;
}

const QList<Column<Subscription>> &columns(const Subscription *)
{
    static const QList<Column<Subscription>> list{
        {"id",
         [](const Subscription &s) {
             return s.id;
         }},
        {"organization_id",
         [](const Subscription &s) {
             return s.organizationId;
         }},
        {"organization",
         [](const Subscription &s) {
             return s.organizationName;
         }},
        {"plan_id",
         [](const Subscription &s) {
             return s.planId;
         }},
        {"product",
         [](const Subscription &s) {
             return s.productName;
         }},
        {"plan",
         [](const Subscription &s) {
             return s.planName;
         }},
        {"status",
         [](const Subscription &s) {
             return s.status;
         }},
        {"quantity",
         [](const Subscription &s) {
             return number(s.quantity);
         }},
        {"plan_amount_minor",
         [](const Subscription &s) {
             return number(s.planAmount);
         }},
        {"currency",
         [](const Subscription &s) {
             return s.currency;
         }},
        {"interval",
         [](const Subscription &s) {
             return s.interval;
         }},
        {"interval_count",
         [](const Subscription &s) {
             return number(s.intervalCount);
         }},
        {"current_period_start",
         [](const Subscription &s) {
             return iso(s.currentPeriodStart);
         }},
        {"current_period_end",
         [](const Subscription &s) {
             return iso(s.currentPeriodEnd);
         }},
        {"cancel_at_period_end",
         [](const Subscription &s) {
             return flag(s.cancelAtPeriodEnd);
         }},
        {"canceled_at",
         [](const Subscription &s) {
             return iso(s.canceledAt);
         }},
        {"trial_end",
         [](const Subscription &s) {
             return iso(s.trialEnd);
         }},
        {"stripe_subscription_id",
         [](const Subscription &s) {
             return s.stripeSubscriptionId;
         }},
        {"created_at",
         [](const Subscription &s) {
             return iso(s.createdAt);
         }},
    };
    return list;
}

const QList<Column<UsageRecord>> &columns(const UsageRecord *)
{
    static const QList<Column<UsageRecord>> list{
        {"id",
         [](const UsageRecord &u) {
             return u.id;
         }},
        {"organization_id",
         [](const UsageRecord &u) {
             return u.organizationId;
         }},
        {"organization",
         [](const UsageRecord &u) {
             return u.organizationName;
         }},
        {"subscription_id",
         [](const UsageRecord &u) {
             return u.subscriptionId;
         }},
        {"stripe_subscription_id",
         [](const UsageRecord &u) {
             return u.stripeSubscriptionId;
         }},
        {"metric",
         [](const UsageRecord &u) {
             return u.metric;
         }},
        {"quantity",
         [](const UsageRecord &u) {
             return number(u.quantity);
         }},
        {"occurred_at",
         [](const UsageRecord &u) {
             return iso(u.occurredAt);
         }},
        {"idempotency_key",
         [](const UsageRecord &u) {
             return u.idempotencyKey;
         }},
        {"reported_state",
         [](const UsageRecord &u) {
             return u.reportedState;
         }},
        {"reported_at",
         [](const UsageRecord &u) {
             return iso(u.reportedAt);
         }},
    };
    return list;
}

const QList<Column<Invoice>> &columns(const Invoice *)
{
    static const QList<Column<Invoice>> list{
        {"id",
         [](const Invoice &i) {
             return i.id;
         }},
        {"number",
         [](const Invoice &i) {
             return i.number;
         }},
        {"organization_id",
         [](const Invoice &i) {
             return i.organizationId;
         }},
        {"organization",
         [](const Invoice &i) {
             return i.organizationName;
         }},
        {"subscription_id",
         [](const Invoice &i) {
             return i.subscriptionId;
         }},
        {"plan",
         [](const Invoice &i) {
             return i.planName;
         }},
        {"status",
         [](const Invoice &i) {
             return i.status;
         }},
        {"currency",
         [](const Invoice &i) {
             return i.currency;
         }},
        {"subtotal_minor",
         [](const Invoice &i) {
             return number(i.subtotal);
         }},
        {"tax_minor",
         [](const Invoice &i) {
             return number(i.tax);
         }},
        {"total_minor",
         [](const Invoice &i) {
             return number(i.total);
         }},
        {"amount_due_minor",
         [](const Invoice &i) {
             return number(i.amountDue);
         }},
        {"amount_paid_minor",
         [](const Invoice &i) {
             return number(i.amountPaid);
         }},
        {"amount_remaining_minor",
         [](const Invoice &i) {
             return number(i.amountRemaining);
         }},
        {"period_start",
         [](const Invoice &i) {
             return iso(i.periodStart);
         }},
        {"period_end",
         [](const Invoice &i) {
             return iso(i.periodEnd);
         }},
        {"due_date",
         [](const Invoice &i) {
             return iso(i.dueDate);
         }},
        {"created_at",
         [](const Invoice &i) {
             return iso(i.createdAt);
         }},
        {"paid_at",
         [](const Invoice &i) {
             return iso(i.paidAt);
         }},
        {"stripe_invoice_id",
         [](const Invoice &i) {
             return i.stripeInvoiceId;
         }},
    };
    return list;
}

const QList<Column<AuditEntry>> &columns(const AuditEntry *)
{
    static const QList<Column<AuditEntry>> list{
        {"id",
         [](const AuditEntry &a) {
             return number(a.id);
         }},
        {"occurred_at",
         [](const AuditEntry &a) {
             return iso(a.occurredAt);
         }},
        {"login",
         [](const AuditEntry &a) {
             return a.login;
         }},
        {"actor",
         [](const AuditEntry &a) {
             return a.actorName;
         }},
        {"organization_id",
         [](const AuditEntry &a) {
             return a.organizationId;
         }},
        {"organization",
         [](const AuditEntry &a) {
             return a.organizationName;
         }},
        {"source",
         [](const AuditEntry &a) {
             return a.source;
         }},
        {"action",
         [](const AuditEntry &a) {
             return a.action;
         }},
        {"entity",
         [](const AuditEntry &a) {
             return a.entity;
         }},
        {"entity_id",
         [](const AuditEntry &a) {
             return a.entityId;
         }},
        // Column names have no spaces or commas, so one field can list them.
        {"changed_fields",
         [](const AuditEntry &a) {
             return a.changedFields.join(QLatin1Char(' '));
         }},
    };
    return list;
}

const QList<Column<WebhookEvent>> &columns(const WebhookEvent *)
{
    static const QList<Column<WebhookEvent>> list{
        {"id",
         [](const WebhookEvent &e) {
             return e.id;
         }},
        {"type",
         [](const WebhookEvent &e) {
             return e.type;
         }},
        {"status",
         [](const WebhookEvent &e) {
             return e.status;
         }},
        {"object_id",
         [](const WebhookEvent &e) {
             return e.objectId;
         }},
        {"organization_id",
         [](const WebhookEvent &e) {
             return e.organizationId;
         }},
        {"organization",
         [](const WebhookEvent &e) {
             return e.organizationName;
         }},
        {"source",
         [](const WebhookEvent &e) {
             return e.source;
         }},
        {"livemode",
         [](const WebhookEvent &e) {
             return flag(e.livemode);
         }},
        {"api_version",
         [](const WebhookEvent &e) {
             return e.apiVersion;
         }},
        {"attempts",
         [](const WebhookEvent &e) {
             return number(e.attempts);
         }},
        {"last_error",
         [](const WebhookEvent &e) {
             return e.lastError;
         }},
        {"stripe_created",
         [](const WebhookEvent &e) {
             return iso(e.stripeCreated);
         }},
        {"received_at",
         [](const WebhookEvent &e) {
             return iso(e.receivedAt);
         }},
        {"processed_at",
         [](const WebhookEvent &e) {
             return iso(e.processedAt);
         }},
    };
    return list;
}

const QList<Column<Job>> &columns(const Job *)
{
    static const QList<Column<Job>> list{
        {"id",
         [](const Job &j) {
             return j.id;
         }},
        {"kind",
         [](const Job &j) {
             return j.kind;
         }},
        {"status",
         [](const Job &j) {
             return j.status;
         }},
        {"organization_id",
         [](const Job &j) {
             return j.organizationId;
         }},
        {"organization",
         [](const Job &j) {
             return j.organizationName;
         }},
        {"attempts",
         [](const Job &j) {
             return number(j.attempts);
         }},
        {"max_attempts",
         [](const Job &j) {
             return number(j.maxAttempts);
         }},
        {"run_after",
         [](const Job &j) {
             return iso(j.runAfter);
         }},
        {"last_error",
         [](const Job &j) {
             return j.lastError;
         }},
        {"requested_by",
         [](const Job &j) {
             return j.requestedBy;
         }},
        {"idempotency_key",
         [](const Job &j) {
             return j.idempotencyKey;
         }},
        {"created_at",
         [](const Job &j) {
             return iso(j.createdAt);
         }},
        {"updated_at",
         [](const Job &j) {
             return iso(j.updatedAt);
         }},
    };
    return list;
}

template <typename Row> QStringList headerOf()
{
    QStringList header;
    for (const Column<Row> &column : columns(static_cast<const Row *>(nullptr)))
        header << QString::fromLatin1(column.name);
    return header;
}

// The one mechanism behind every area: the service's page() with the list's query, the
// area's columns. The page, cursor and row types follow from the service.
template <typename Service, typename Query>
Result<qint64> exportWith(const QString &connectionName, const Query &query, const QString &path,
                          const ExportProgress &progress, const std::atomic<bool> *cancel)
{
    using PageT = std::decay_t<decltype(std::declval<Service>().page(query, {}, 1).value())>;
    using Cursor = typename decltype(PageT::next)::value_type;
    using Row = typename decltype(PageT::rows)::value_type;
    const Service service(connectionName);
    const auto &cols = columns(static_cast<const Row *>(nullptr));
    return exportPages<PageT, Cursor, Row>(
        path, headerOf<Row>(),
        [&service, &query](const std::optional<Cursor> &after, int limit) {
            return service.page(query, after, limit);
        },
        [&cols](const Row &row) {
            QStringList fields;
            fields.reserve(cols.size());
            for (const Column<Row> &column : cols)
                fields << column.value(row);
            return fields;
        },
        progress, cancel);
}

const QList<std::pair<ExportArea, const char *>> &areaNames()
{
    static const QList<std::pair<ExportArea, const char *>> names{
        {ExportArea::Tenants, "tenants"}, {ExportArea::Members, "members"},
        {ExportArea::Plans, "plans"},     {ExportArea::Subscriptions, "subscriptions"},
        {ExportArea::Usage, "usage"},     {ExportArea::Invoices, "invoices"},
        {ExportArea::Audit, "audit"},     {ExportArea::WebhookEvents, "webhook-events"},
        {ExportArea::Jobs, "jobs"},
    };
    return names;
}

} // namespace

QStringList exportAreaNames()
{
    QStringList names;
    for (const auto &[area, name] : areaNames())
        names << QString::fromLatin1(name);
    return names;
}

std::optional<ExportArea> exportAreaFromName(const QString &name)
{
    for (const auto &[area, areaName] : areaNames()) {
        if (name == QLatin1String(areaName))
            return area;
    }
    return std::nullopt;
}

QString exportAreaName(ExportArea area)
{
    for (const auto &[candidate, name] : areaNames()) {
        if (candidate == area)
            return QString::fromLatin1(name);
    }
    return {};
}

QStringList csvHeader(ExportArea area)
{
    switch (area) {
    case ExportArea::Tenants:
        return headerOf<Tenant>();
    case ExportArea::Members:
        return headerOf<Member>();
    case ExportArea::Plans:
        return headerOf<Plan>();
    case ExportArea::Subscriptions:
        return headerOf<Subscription>();
    case ExportArea::Usage:
        return headerOf<UsageRecord>();
    case ExportArea::Invoices:
        return headerOf<Invoice>();
    case ExportArea::Audit:
        return headerOf<AuditEntry>();
    case ExportArea::WebhookEvents:
        return headerOf<WebhookEvent>();
    case ExportArea::Jobs:
        return headerOf<Job>();
    }
    return {};
}

Result<qint64> exportList(const QString &connectionName, const TenantQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<TenantService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const MemberQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<MemberService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const PlanQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<PlanService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const SubscriptionQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<SubscriptionService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const UsageQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<UsageService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const InvoiceQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<InvoiceService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const AuditQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<AuditService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const WebhookEventQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel)
{
    return exportWith<WebhookEventService>(connectionName, query, path, progress, cancel);
}

Result<qint64> exportList(const QString &connectionName, const JobQuery &query, const QString &path,
                          const ExportProgress &progress, const std::atomic<bool> *cancel)
{
    return exportWith<JobService>(connectionName, query, path, progress, cancel);
}

} // namespace nobill
