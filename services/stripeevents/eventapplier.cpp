#include "stripeevents/eventapplier.h"

#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QLoggingCategory>
#include <QSqlDatabase>
#include <QSqlQuery>

#include <unordered_map>

namespace nobill {

Q_LOGGING_CATEGORY(lcEvents, "nobill.stripeevents")

namespace {

QString tr(const char *text, int n = -1)
{
    return QCoreApplication::translate("nobill::StripeEvents", text, nullptr, n);
}

// Times are bound as ISO text and cast in SQL: exact, and NULL when Stripe gave none.
QVariant timeValue(const QDateTime &time)
{
    return time.isValid() ? QVariant(time.toUTC().toString(Qt::ISODateWithMs))
                          : QVariant(QMetaType::fromType<QString>());
}

QVariant nullText()
{
    return QVariant(QMetaType::fromType<QString>());
}

// A text[] literal for `?::text[]`: every element quoted, quotes and backslashes escaped.
QString textArray(const QStringList &values)
{
    QStringList quoted;
    for (QString v : values) {
        v.replace(QLatin1Char('\\'), QLatin1String("\\\\"));
        v.replace(QLatin1Char('"'), QLatin1String("\\\""));
        quoted << QLatin1Char('"') + v + QLatin1Char('"');
    }
    return QLatin1Char('{') + quoted.join(QLatin1Char(',')) + QLatin1Char('}');
}

QString statusOf(EventOutcome outcome)
{
    switch (outcome) {
    case EventOutcome::Applied:
        return QStringLiteral("processed");
    case EventOutcome::Stale:
    case EventOutcome::Ignored:
        return QStringLiteral("ignored");
    case EventOutcome::Waiting:
        return QStringLiteral("waiting");
    case EventOutcome::Failed:
        return QStringLiteral("failed");
    case EventOutcome::Skipped:
        break;
    }
    return QStringLiteral("received");
}

} // namespace

void DrainStats::add(EventOutcome outcome)
{
    switch (outcome) {
    case EventOutcome::Applied:
        ++applied;
        break;
    case EventOutcome::Stale:
        ++stale;
        break;
    case EventOutcome::Ignored:
        ++ignored;
        break;
    case EventOutcome::Waiting:
        ++waiting;
        break;
    case EventOutcome::Failed:
        ++failed;
        break;
    case EventOutcome::Skipped:
        ++skipped;
        break;
    }
}

struct EventApplier::Decision
{
    EventOutcome outcome = EventOutcome::Applied;
    QString message;        // last_error: why it was ignored, waits or failed
    QString organizationId; // the tenant the event concerns, when known
    QString waitingFor;     // the Stripe id a waiting event needs
    QStringList wake;       // Stripe ids now known here: their waiting dependants may go

    static Decision applied(const QString &org, QStringList wake = {}, QString note = {})
    {
        Decision d;
        d.organizationId = org;
        d.wake = std::move(wake);
        d.message = std::move(note);
        return d;
    }
    static Decision of(EventOutcome outcome, QString message, QString org = {})
    {
        Decision d;
        d.outcome = outcome;
        d.message = std::move(message);
        d.organizationId = std::move(org);
        return d;
    }
    static Decision waitFor(const QString &stripeId, QString message, QString org = {})
    {
        Decision d = of(EventOutcome::Waiting, std::move(message), std::move(org));
        d.waitingFor = stripeId;
        return d;
    }
};

struct EventApplier::Statements
{
    std::unordered_map<QString, QSqlQuery> byText;
};

EventApplier::EventApplier(QString connectionName, EventApplierOptions options)
    : m_connectionName(std::move(connectionName))
    , m_options(options)
    , m_statements(std::make_unique<Statements>())
{}

EventApplier::~EventApplier() = default;
EventApplier::EventApplier(EventApplier &&other) noexcept = default;
EventApplier &EventApplier::operator=(EventApplier &&other) noexcept = default;

Result<QSqlQuery *> EventApplier::run(const QString &sql, const QVariantList &values)
{
    // Every statement is prepared once per connection and reused: preparing (and dropping)
    // each one per event cost more round trips than running it.
    auto &statements = m_statements->byText;
    auto it = statements.find(sql);
    // A statement whose driver is gone (the connection was opened again) is prepared anew.
    if (it != statements.end() && it->second.driver() == nullptr) {
        statements.clear();
        it = statements.end();
    }
    if (it == statements.end()) {
        QSqlQuery q(QSqlDatabase::database(m_connectionName, false));
        q.setForwardOnly(true);
        if (!q.prepare(sql))
            return translateSqlError(q.lastError());
        it = statements.emplace(sql, std::move(q)).first;
    }
    QSqlQuery &q = it->second;
    for (int i = 0; i < values.size(); ++i)
        q.bindValue(i, values.at(i));
    if (!q.exec()) {
        Error error = translateSqlError(q.lastError());
        // The connection may be gone; its statements with it.
        releaseStatements();
        return error;
    }
    return &q;
}

void EventApplier::releaseStatements()
{
    if (m_statements)
        m_statements->byText.clear();
}

Status EventApplier::relaxCommitDurability(const QString &connectionName)
{
    // An event's transaction need not wait for the disk: the event itself is durable in the
    // inbox already (the listener and the poller commit it synchronously before answering).
    // A crash can lose only the last few applied events' commits (WAL is flushed in order,
    // within wal_writer_delay), and with them their status change, which is in the same
    // transaction: those events are still "received" afterwards and are simply applied
    // again. Applying one twice is the same as once, because the per-object version
    // (migration 0015) makes a repeated or older event stale. Only this session is relaxed;
    // any synchronous commit after it (the listener's, the worker's) flushes it too.
    QSqlQuery q(QSqlDatabase::database(connectionName, false));
    if (!q.exec(QStringLiteral("SET synchronous_commit = off")))
        return translateSqlError(q.lastError());
    return {};
}

Result<DrainStats> EventApplier::processDue(int limit)
{
    // Oldest first by Stripe's clock: one object's events in order, and a customer's or a
    // price's before the subscriptions that need them. No lock here: each event is locked
    // (SKIP LOCKED) in its own transaction, so processors running side by side share the
    // work, and the per-object record (migration 0015) keeps them from applying one
    // object's events out of order.
    auto due = run(QStringLiteral("SELECT id FROM stripe_events "
                                  "WHERE status IN ('received', 'waiting') "
                                  "  AND (retry_at IS NULL OR retry_at <= now()) "
                                  "ORDER BY stripe_created, id LIMIT ?"),
                   {qMax(1, limit)});
    if (!due)
        return due.error();
    QStringList ids;
    while (due.value()->next())
        ids << due.value()->value(0).toString();
    due.value()->finish();

    DrainStats stats;
    for (const QString &id : std::as_const(ids)) {
        auto outcome = processOne(id);
        if (!outcome)
            return outcome.error();
        stats.add(outcome.value());
    }
    return stats;
}

Result<EventOutcome> EventApplier::processOne(const QString &eventId)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto done = inTransaction(db, [&]() -> Result<EventOutcome> {
        // Audit rows written by the triggers in this transaction say "webhook" (set in the
        // same statement that locks the event: one round trip less per event).
        auto row = run(QStringLiteral("SELECT payload::text, attempts, "
                                      "  set_config('nobill.source', 'webhook', true) "
                                      "FROM stripe_events "
                                      "WHERE id = ? AND status IN ('received', 'waiting') "
                                      "FOR UPDATE SKIP LOCKED"),
                       {eventId});
        if (!row)
            return row.error();
        if (!row.value()->next())
            return EventOutcome::Skipped;
        const QByteArray payload = row.value()->value(0).toString().toUtf8();
        const int attempts = row.value()->value(1).toInt();
        row.value()->finish();

        Decision decision;
        const auto mapped = mapStripeEvent(payload);
        if (!mapped) {
            decision = Decision::of(EventOutcome::Failed, mapped.error().message);
        } else if (mapped.value().kind == EventKind::Ignored) {
            decision = Decision::of(EventOutcome::Ignored, mapped.value().ignoreReason);
        } else {
            auto decided = decide(mapped.value());
            if (!decided)
                return decided.error();
            decision = std::move(decided.value());
        }
        if (auto s = record(eventId, attempts, decision); !s)
            return s.error();
        return decision.outcome;
    });
    if (done)
        return done;
    // The change could not be written (a constraint, a lost connection): nothing of it
    // stayed. Count the attempt in a transaction of its own, so that the event is retried
    // later and fails for good after the last attempt, with the reason.
    qCWarning(lcEvents) << "event" << eventId << "not applied:" << done.error().detail;
    if (!db.isOpen())
        return done.error();
    if (auto s = recordError(eventId, done.error()); !s)
        return s.error();
    return EventOutcome::Waiting;
}

Result<EventApplier::Decision> EventApplier::decide(const MappedEvent &event)
{
    switch (event.kind) {
    case EventKind::Customer:
        return applyCustomer(event);
    case EventKind::Product:
        return applyProduct(event);
    case EventKind::Price:
        return applyPrice(event);
    case EventKind::Subscription:
        return applySubscription(event);
    case EventKind::Invoice:
        return applyInvoice(event);
    case EventKind::CheckoutCompleted:
        return applyCheckout(event);
    case EventKind::MeterErrorReport:
        return applyMeterError(event);
    case EventKind::Ignored:
        break;
    }
    return Decision::of(EventOutcome::Ignored, event.ignoreReason);
}

Result<bool> EventApplier::advance(const MappedEvent &event)
{
    if (event.objectId.isEmpty())
        return true;
    auto q = run(QStringLiteral("SELECT nobill_stripe_object_advance(?, ?::timestamptz, ?, ?)"),
                 {event.objectId, timeValue(event.created), event.rank, event.eventId});
    if (!q)
        return q.error();
    return q.value()->next() && q.value()->value(0).toBool();
}

Result<EventApplier::Decision> EventApplier::applyCustomer(const MappedEvent &event)
{
    const CustomerChange &c = event.customer;
    auto q = run(QStringLiteral("SELECT id::text, stripe_customer_id FROM organizations "
                                "WHERE stripe_customer_id = ? "
                                "   OR (id = ?::uuid AND stripe_customer_id IS NULL) "
                                "ORDER BY stripe_customer_id NULLS LAST LIMIT 1"),
                 {c.customerId, c.organizationId.isEmpty() ? nullText() : c.organizationId});
    if (!q)
        return q.error();
    if (!q.value()->next()) {
        return Decision::of(EventOutcome::Ignored,
                            tr("Stripe customer %1 belongs to no tenant here (it has no "
                               "nobill_organization_id in its metadata); nothing to update.")
                                .arg(c.customerId));
    }
    const QString org = q.value()->value(0).toString();
    const bool linked = q.value()->value(1).toString() == c.customerId;
    q.value()->finish();
    if (c.deleted && !linked)
        return Decision::of(
            EventOutcome::Ignored,
            tr("Stripe customer %1 was deleted; no tenant is linked to it.").arg(c.customerId),
            org);

    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale,
                            tr("A newer event about %1 was already applied; this one changes "
                               "nothing.")
                                .arg(event.objectId),
                            org);
    auto u = run(c.deleted ? QStringLiteral("UPDATE organizations SET stripe_customer_id = "
                                            "NULL WHERE id = ?::uuid AND stripe_customer_id = ?")
                           : QStringLiteral("UPDATE organizations SET stripe_customer_id = ? "
                                            "WHERE id = ?::uuid AND stripe_customer_id IS NULL"),
                 c.deleted ? QVariantList{org, c.customerId} : QVariantList{c.customerId, org});
    if (!u)
        return u.error();
    return Decision::applied(org, c.deleted ? QStringList() : QStringList{c.customerId});
}

Result<EventApplier::Decision> EventApplier::applyProduct(const MappedEvent &event)
{
    const ProductChange &p = event.product;
    auto q = run(QStringLiteral("SELECT id::text FROM products WHERE stripe_product_id = ? "
                                "   OR (id = ?::uuid AND stripe_product_id IS NULL) "
                                "ORDER BY stripe_product_id NULLS LAST LIMIT 1"),
                 {p.productId, p.localId.isEmpty() ? nullText() : p.localId});
    if (!q)
        return q.error();
    if (!q.value()->next())
        return Decision::of(EventOutcome::Ignored,
                            tr("Stripe product %1 is not in NOBill's catalog (products are "
                               "created in the Plans screen); nothing to update.")
                                .arg(p.productId));
    const QString id = q.value()->value(0).toString();
    q.value()->finish();
    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale,
                            tr("A newer event about %1 was already applied; this one changes "
                               "nothing.")
                                .arg(event.objectId));
    const bool archived = p.deleted || !p.active;
    auto u = run(QStringLiteral("UPDATE products SET stripe_product_id = ?, "
                                "  name = CASE WHEN ? <> '' THEN ? ELSE name END, "
                                "  description = CASE WHEN ? <> '' THEN ? ELSE description END, "
                                "  archived_at = CASE WHEN ? THEN coalesce(archived_at, "
                                "                 ?::timestamptz) ELSE NULL END "
                                "WHERE id = ?::uuid"),
                 {p.productId, p.name, p.name, p.description, p.description, archived,
                  timeValue(event.created), id});
    if (!u)
        return u.error();
    return Decision::applied(QString(), {p.productId});
}

Result<EventApplier::Decision> EventApplier::applyPrice(const MappedEvent &event)
{
    const PriceChange &p = event.price;
    auto q = run(QStringLiteral("SELECT id::text FROM plans WHERE stripe_price_id = ? "
                                "   OR (id = ?::uuid AND stripe_price_id IS NULL) "
                                "ORDER BY stripe_price_id NULLS LAST LIMIT 1"),
                 {p.priceId, p.localId.isEmpty() ? nullText() : p.localId});
    if (!q)
        return q.error();
    if (!q.value()->next())
        return Decision::of(EventOutcome::Ignored,
                            tr("Stripe price %1 is not a plan of NOBill's catalog (plans are "
                               "created in the Plans screen); nothing to update.")
                                .arg(p.priceId));
    const QString id = q.value()->value(0).toString();
    q.value()->finish();
    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale,
                            tr("A newer event about %1 was already applied; this one changes "
                               "nothing.")
                                .arg(event.objectId));
    const bool archived = p.deleted || !p.active;
    auto u = run(QStringLiteral("UPDATE plans SET stripe_price_id = ?, "
                                "  name = CASE WHEN ? <> '' THEN ? ELSE name END, "
                                "  stripe_meter_id = coalesce(?, stripe_meter_id), "
                                "  archived_at = CASE WHEN ? THEN coalesce(archived_at, "
                                "                 ?::timestamptz) ELSE NULL END "
                                "WHERE id = ?::uuid"),
                 {p.priceId, p.nickname, p.nickname, p.meterId.isEmpty() ? nullText() : p.meterId,
                  archived, timeValue(event.created), id});
    if (!u)
        return u.error();
    return Decision::applied(QString(), {p.priceId});
}

Result<EventApplier::Decision> EventApplier::applySubscription(const MappedEvent &event)
{
    const SubscriptionChange &s = event.subscription;

    auto org = run(QStringLiteral("SELECT id::text FROM organizations "
                                  "WHERE stripe_customer_id = ?"),
                   {s.customerId});
    if (!org)
        return org.error();
    if (!org.value()->next())
        return Decision::waitFor(s.customerId,
                                 tr("Waiting for Stripe customer %1 to be linked to a tenant "
                                    "(its customer.created event, or a checkout).")
                                     .arg(s.customerId));
    const QString orgId = org.value()->value(0).toString();
    org.value()->finish();

    auto plan =
        run(QStringLiteral("SELECT id::text FROM plans WHERE stripe_price_id = ?"), {s.priceId});
    if (!plan)
        return plan.error();
    if (!plan.value()->next())
        return Decision::waitFor(s.priceId,
                                 tr("The price %1 is not in the catalog. Add the plan in Plans "
                                    "(or archive it in Stripe); the event is applied when the "
                                    "price arrives.")
                                     .arg(s.priceId),
                                 orgId);
    const QString planId = plan.value()->value(0).toString();
    plan.value()->finish();

    auto existing = run(QStringLiteral("SELECT id::text, organization_id::text FROM subscriptions "
                                       "WHERE stripe_subscription_id = ? "
                                       "   OR (id = ?::uuid AND stripe_subscription_id IS NULL) "
                                       "ORDER BY stripe_subscription_id NULLS LAST LIMIT 1"),
                        {s.subscriptionId, s.localId.isEmpty() ? nullText() : s.localId});
    if (!existing)
        return existing.error();
    QString id;
    if (existing.value()->next()) {
        id = existing.value()->value(0).toString();
        if (existing.value()->value(1).toString() != orgId)
            return Decision::of(EventOutcome::Failed,
                                tr("Subscription %1 belongs to another tenant here than its "
                                   "Stripe customer %2. Check which tenant the customer is "
                                   "linked to.")
                                    .arg(s.subscriptionId, s.customerId),
                                orgId);
    }
    existing.value()->finish();

    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale,
                            tr("A newer event about %1 was already applied; this one changes "
                               "nothing.")
                                .arg(event.objectId),
                            orgId);

    const QVariant days =
        s.daysUntilDue ? QVariant(*s.daysUntilDue) : QVariant(QMetaType::fromType<int>());
    Result<QSqlQuery *> w =
        id.isEmpty()
            ? run(QStringLiteral(
                      "INSERT INTO subscriptions (organization_id, plan_id, "
                      "stripe_subscription_id, "
                      "  status, quantity, collection_method, days_until_due, "
                      "current_period_start, "
                      "  current_period_end, cancel_at_period_end, canceled_at, trial_end) "
                      "VALUES (?::uuid, ?::uuid, ?, ?, ?, ?, ?, ?::timestamptz, ?::timestamptz, ?, "
                      "  ?::timestamptz, ?::timestamptz) "
                      // Another processor may have added it since we looked (it held the
                      // object's record then): update it, in the same tenant only.
                      "ON CONFLICT ON CONSTRAINT subscriptions_stripe_subscription_id_key DO "
                      "UPDATE SET plan_id = EXCLUDED.plan_id, status = EXCLUDED.status, "
                      "  quantity = EXCLUDED.quantity, collection_method = "
                      "  EXCLUDED.collection_method, days_until_due = EXCLUDED.days_until_due, "
                      "  current_period_start = EXCLUDED.current_period_start, "
                      "  current_period_end = EXCLUDED.current_period_end, "
                      "  cancel_at_period_end = EXCLUDED.cancel_at_period_end, "
                      "  canceled_at = EXCLUDED.canceled_at, trial_end = EXCLUDED.trial_end, "
                      "  version = subscriptions.version + 1 "
                      "WHERE subscriptions.organization_id = EXCLUDED.organization_id"),
                  {orgId, planId, s.subscriptionId, s.status, s.quantity, s.collectionMethod, days,
                   timeValue(s.currentPeriodStart), timeValue(s.currentPeriodEnd),
                   s.cancelAtPeriodEnd, timeValue(s.canceledAt), timeValue(s.trialEnd)})
            : run(QStringLiteral(
                      "UPDATE subscriptions SET stripe_subscription_id = ?, plan_id = ?::uuid, "
                      "  status = ?, quantity = ?, collection_method = ?, days_until_due = ?, "
                      "  current_period_start = ?::timestamptz, current_period_end = "
                      "  ?::timestamptz, cancel_at_period_end = ?, canceled_at = ?::timestamptz, "
                      "  trial_end = ?::timestamptz, version = version + 1 "
                      "WHERE id = ?::uuid"),
                  {s.subscriptionId, planId, s.status, s.quantity, s.collectionMethod, days,
                   timeValue(s.currentPeriodStart), timeValue(s.currentPeriodEnd),
                   s.cancelAtPeriodEnd, timeValue(s.canceledAt), timeValue(s.trialEnd), id});
    if (!w)
        return w.error();
    return Decision::applied(orgId, {s.subscriptionId});
}

Result<EventApplier::Decision> EventApplier::applyInvoice(const MappedEvent &event)
{
    const InvoiceChange &i = event.invoice;

    auto org = run(QStringLiteral("SELECT id::text FROM organizations "
                                  "WHERE stripe_customer_id = ?"),
                   {i.customerId});
    if (!org)
        return org.error();
    if (!org.value()->next())
        return Decision::waitFor(i.customerId,
                                 tr("Waiting for Stripe customer %1 to be linked to a tenant "
                                    "(its customer.created event, or a checkout).")
                                     .arg(i.customerId));
    const QString orgId = org.value()->value(0).toString();
    org.value()->finish();

    QVariant subscription(QMetaType::fromType<QString>());
    if (!i.subscriptionId.isEmpty()) {
        auto sub = run(QStringLiteral("SELECT id::text FROM subscriptions "
                                      "WHERE stripe_subscription_id = ? AND organization_id = "
                                      "?::uuid"),
                       {i.subscriptionId, orgId});
        if (!sub)
            return sub.error();
        if (!sub.value()->next())
            return Decision::waitFor(i.subscriptionId,
                                     tr("Waiting for subscription %1, which this invoice bills, "
                                        "to arrive.")
                                         .arg(i.subscriptionId),
                                     orgId);
        subscription = sub.value()->value(0).toString();
    }

    auto existing = run(QStringLiteral("SELECT id::text, organization_id::text FROM invoices "
                                       "WHERE stripe_invoice_id = ?"),
                        {i.invoiceId});
    if (!existing)
        return existing.error();
    QString id;
    if (existing.value()->next()) {
        id = existing.value()->value(0).toString();
        if (existing.value()->value(1).toString() != orgId)
            return Decision::of(EventOutcome::Failed,
                                tr("Invoice %1 belongs to another tenant here than its Stripe "
                                   "customer %2. Check which tenant the customer is linked to.")
                                    .arg(i.invoiceId, i.customerId),
                                orgId);
    }
    existing.value()->finish();

    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale,
                            tr("A newer event about %1 was already applied; this one changes "
                               "nothing.")
                                .arg(event.objectId),
                            orgId);

    const QVariantList common = {subscription,
                                 nullIfEmpty(i.number),
                                 i.status,
                                 i.subtotal,
                                 i.tax,
                                 i.total,
                                 i.amountDue,
                                 i.amountPaid,
                                 i.amountRemaining,
                                 timeValue(i.periodStart),
                                 timeValue(i.periodEnd),
                                 timeValue(i.dueDate),
                                 nullIfEmpty(i.hostedInvoiceUrl),
                                 timeValue(i.finalizedAt),
                                 timeValue(i.paidAt)};
    QString sql;
    QVariantList values;
    if (id.isEmpty()) {
        values = {orgId, i.invoiceId, i.currency};
        values << common << timeValue(i.created.isValid() ? i.created : event.created);
        sql = QStringLiteral(
            "INSERT INTO invoices (organization_id, stripe_invoice_id, currency, "
            "  subscription_id, number, status, subtotal, tax, total, amount_due, "
            "  amount_paid, amount_remaining, period_start, period_end, due_date, "
            "  hosted_invoice_url, finalized_at, paid_at, created_at) "
            "VALUES (?::uuid, ?, ?, ?::uuid, ?, ?, ?, ?, ?, ?, ?, ?, ?::timestamptz, "
            "  ?::timestamptz, ?::timestamptz, ?, ?::timestamptz, ?::timestamptz, "
            "  ?::timestamptz) "
            // Added by another processor since we looked: update it, same tenant only.
            "ON CONFLICT ON CONSTRAINT invoices_stripe_invoice_id_key DO UPDATE SET "
            "  subscription_id = EXCLUDED.subscription_id, number = EXCLUDED.number, "
            "  status = EXCLUDED.status, subtotal = EXCLUDED.subtotal, tax = EXCLUDED.tax, "
            "  total = EXCLUDED.total, amount_due = EXCLUDED.amount_due, "
            "  amount_paid = EXCLUDED.amount_paid, amount_remaining = "
            "  EXCLUDED.amount_remaining, period_start = EXCLUDED.period_start, "
            "  period_end = EXCLUDED.period_end, due_date = EXCLUDED.due_date, "
            "  hosted_invoice_url = EXCLUDED.hosted_invoice_url, "
            "  finalized_at = EXCLUDED.finalized_at, paid_at = EXCLUDED.paid_at "
            "WHERE invoices.organization_id = EXCLUDED.organization_id");
    } else {
        values = common;
        values << id;
        sql =
            QStringLiteral("UPDATE invoices SET subscription_id = ?::uuid, number = ?, status = ?, "
                           "  subtotal = ?, tax = ?, total = ?, amount_due = ?, amount_paid = ?, "
                           "  amount_remaining = ?, period_start = ?::timestamptz, period_end = "
                           "  ?::timestamptz, due_date = ?::timestamptz, hosted_invoice_url = ?, "
                           "  finalized_at = ?::timestamptz, paid_at = ?::timestamptz "
                           "WHERE id = ?::uuid");
    }
    auto w = run(sql, values);
    if (!w)
        return w.error();
    return Decision::applied(orgId);
}

Result<EventApplier::Decision> EventApplier::applyCheckout(const MappedEvent &event)
{
    const CheckoutCompletion &c = event.checkout;
    auto org = run(QStringLiteral("SELECT id::text, coalesce(stripe_customer_id, '') "
                                  "FROM organizations WHERE id = ?::uuid OR "
                                  "  stripe_customer_id = ? "
                                  "ORDER BY (id = ?::uuid) DESC LIMIT 1"),
                   {c.organizationId.isEmpty() ? nullText() : c.organizationId,
                    c.customerId.isEmpty() ? nullText() : c.customerId,
                    c.organizationId.isEmpty() ? nullText() : c.organizationId});
    if (!org)
        return org.error();
    if (!org.value()->next())
        return Decision::of(EventOutcome::Ignored,
                            tr("Checkout session %1 names no tenant here (no "
                               "client_reference_id); nothing to link.")
                                .arg(c.sessionId));
    const QString orgId = org.value()->value(0).toString();
    const QString linkedCustomer = org.value()->value(1).toString();
    org.value()->finish();
    if (!c.customerId.isEmpty() && !linkedCustomer.isEmpty() && linkedCustomer != c.customerId)
        return Decision::of(EventOutcome::Failed,
                            tr("Checkout session %1 used Stripe customer %2, but the tenant is "
                               "linked to %3. Check the tenant's Stripe customer in Stripe.")
                                .arg(c.sessionId, c.customerId, linkedCustomer),
                            orgId);

    auto newer = advance(event);
    if (!newer)
        return newer.error();
    if (!newer.value())
        return Decision::of(EventOutcome::Stale, tr("This checkout session was already applied."),
                            orgId);

    QStringList wake;
    if (!c.customerId.isEmpty() && linkedCustomer.isEmpty()) {
        auto u = run(QStringLiteral("UPDATE organizations SET stripe_customer_id = ? "
                                    "WHERE id = ?::uuid AND stripe_customer_id IS NULL"),
                     {c.customerId, orgId});
        if (!u)
            return u.error();
        wake << c.customerId;
    }
    if (!c.subscriptionId.isEmpty() && !c.localSubscriptionId.isEmpty()) {
        auto u = run(QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = ? "
                                    "WHERE id = ?::uuid AND organization_id = ?::uuid "
                                    "  AND stripe_subscription_id IS NULL "
                                    "  AND NOT EXISTS (SELECT 1 FROM subscriptions o "
                                    "                  WHERE o.stripe_subscription_id = ?)"),
                     {c.subscriptionId, c.localSubscriptionId, orgId, c.subscriptionId});
        if (!u)
            return u.error();
        wake << c.subscriptionId;
    }
    return Decision::applied(orgId, wake);
}

Result<EventApplier::Decision> EventApplier::applyMeterError(const MappedEvent &event)
{
    const MeterErrorReport &r = event.meterError;
    int marked = 0;
    if (!r.identifiers.isEmpty()) {
        // The worker reports a usage record with its id as the meter event's identifier and
        // keeps Stripe's answer in stripe_meter_event_id: either names it.
        auto u = run(QStringLiteral("UPDATE usage_records SET reported_state = 'failed' "
                                    "WHERE reported_state <> 'failed' AND "
                                    "  (stripe_meter_event_id = ANY (?::text[]) "
                                    "   OR id::text = ANY (?::text[]))"),
                     {textArray(r.identifiers), textArray(r.identifiers)});
        if (!u)
            return u.error();
        marked = u.value()->numRowsAffected();
    }
    const QString note =
        tr("Stripe could not accept %n meter event(s) of meter %1: %2",
           static_cast<int>(qMin<qint64>(r.errorCount, 1000000000)))
            .arg(r.meterId.isEmpty() ? tr("(unknown)") : r.meterId,
                 r.summary.isEmpty() ? tr("no details given") : r.summary) +
        QLatin1Char(' ') +
        tr("%n usage record(s) marked as failed; correct and import them again.", marked);
    return Decision::applied(QString(), {}, note);
}

Status EventApplier::record(const QString &eventId, int attempts, const Decision &d)
{
    EventOutcome outcome = d.outcome;
    QString message = d.message;
    QVariant retryAt(QMetaType::fromType<QString>());
    if (outcome == EventOutcome::Waiting) {
        if (attempts + 1 >= m_options.maxAttempts) {
            outcome = EventOutcome::Failed;
            message = tr("%1 Gave up after %2 attempts; reprocess the event once the cause is "
                         "fixed.")
                          .arg(message)
                          .arg(attempts + 1);
        } else {
            const qint64 delay =
                qMin<qint64>(qint64(m_options.backoffBaseSeconds) << qMin(attempts, 20),
                             m_options.backoffMaxSeconds);
            retryAt = QDateTime::currentDateTimeUtc().addSecs(delay).toString(Qt::ISODateWithMs);
        }
    }
    // In the same statement: events that waited for what this one brought are due now,
    // not at their backoff.
    auto u = run(
        QStringLiteral("WITH woken AS (UPDATE stripe_events SET retry_at = NULL "
                       "  WHERE status = 'waiting' AND waiting_for = ANY (?::text[]) AND id <> ?) "
                       "UPDATE stripe_events SET status = ?, attempts = attempts + 1, "
                       "  last_error = ?, retry_at = ?::timestamptz, waiting_for = ?, "
                       "  processed_at = CASE WHEN ? IN ('processed', 'ignored') THEN now() END, "
                       "  organization_id = coalesce(organization_id, ?::uuid) "
                       "WHERE id = ?"),
        {textArray(outcome == EventOutcome::Applied ? d.wake : QStringList()), eventId,
         statusOf(outcome), nullIfEmpty(message.left(2000)), retryAt,
         outcome == EventOutcome::Waiting ? nullIfEmpty(d.waitingFor) : nullText(),
         statusOf(outcome), nullIfEmpty(d.organizationId), eventId});
    if (!u)
        return u.error();
    return {};
}

Status EventApplier::recordError(const QString &eventId, const Error &error)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Status {
        auto row = run(QStringLiteral("SELECT attempts FROM stripe_events "
                                      "WHERE id = ? AND status IN ('received', 'waiting') "
                                      "FOR UPDATE SKIP LOCKED"),
                       {eventId});
        if (!row)
            return row.error();
        if (!row.value()->next())
            return {};
        const int attempts = row.value()->value(0).toInt();
        row.value()->finish();
        Decision d = Decision::of(EventOutcome::Waiting,
                                  tr("Could not apply the event: %1").arg(error.message));
        return record(eventId, attempts, d);
    });
}

} // namespace nobill
