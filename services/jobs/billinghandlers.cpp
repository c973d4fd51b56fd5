#include "jobs/billinghandlers.h"

#include "jobs/jobkinds.h"
#include "reconciliation/reconcilejob.h"
#include "stripe/stripeclient.h"
#include "stripeevents/eventmapping.h"

#include <QCoreApplication>
#include <QCryptographicHash>
#include <QDateTime>
#include <QJsonArray>
#include <QRegularExpression>
#include <QUrl>
#include <QUuid>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::BillingJobs", text);
}

using Done = std::function<void(JobOutcome)>;
using Rows = QList<QVariantMap>;

// A handler made of one function, for kinds whose work is a few lines.
class FunctionHandler final : public JobHandler
{
public:
    using Fn = std::function<void(const ClaimedJob &, JobContext &, Done)>;
    FunctionHandler(QStringList kinds, Fn fn)
        : m_kinds(std::move(kinds))
        , m_fn(std::move(fn))
    {}
    QStringList kinds() const override { return m_kinds; }
    void execute(const ClaimedJob &job, JobContext &context, Done done) override
    {
        m_fn(job, context, std::move(done));
    }

private:
    QStringList m_kinds;
    Fn m_fn;
};

std::shared_ptr<JobHandler> handler(QStringList kinds, FunctionHandler::Fn fn)
{
    return std::make_shared<FunctionHandler>(std::move(kinds), std::move(fn));
}

// Appended to a job's UPDATE of a Stripe object's row, with the values (Stripe id, seconds,
// rank, event id): records the job's version of the object and writes only if it is the
// newest (see JobVersion). An uncorrelated subquery is evaluated once, before the scan.
const QString AdvanceCondition =
    QStringLiteral("(SELECT nobill_stripe_object_advance(?, to_timestamp(?::double precision / "
                   "1000), ?::integer, ?))");

QVariant nullNumber()
{
    return QVariant(QMetaType::fromType<qlonglong>());
}
QVariant nullText()
{
    return QVariant(QMetaType::fromType<QString>());
}

// Stripe times are unix seconds; null or absent stays NULL.
QVariant unixTime(const QJsonValue &value)
{
    if (!value.isDouble())
        return nullNumber();
    return QVariant(qlonglong(value.toDouble()));
}

QString payloadText(const ClaimedJob &job, const char *field)
{
    return job.payload.value(QLatin1String(field)).toString();
}

bool matches(const QString &text, const char *pattern)
{
    return QRegularExpression(QLatin1String(pattern)).match(text).hasMatch();
}

QString unexpected(const QString &what)
{
    return tr("Stripe answered in an unexpected way (%1); nothing was recorded. If this "
              "repeats, look at the object in the Stripe dashboard.")
        .arg(what);
}

QString badPayload(const QString &what)
{
    return tr("The job's details are incomplete (%1); queue the action again from the "
              "console.")
        .arg(what);
}

// A stable key for a Stripe object that several jobs may ask for (a product, a meter):
// identical requests share one key, so two jobs running at once create one object.
QString sharedKey(const QString &what, const QVariantMap &params)
{
    const QByteArray body = encodeStripeForm(params);
    return QStringLiteral("nobill:%1:%2")
        .arg(what,
             QString::fromLatin1(
                 QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex().left(16)));
}

// Runs a read through the context; a database error retries the job (the database may be
// back by then), which is safe because nothing has reached Stripe yet.
void read(JobContext &context, const QString &sql, const QVariantList &values, const Done &done,
          std::function<void(const Rows &)> next)
{
    context.query(sql, values, [done, next = std::move(next)](Result<Rows> rows) {
        if (!rows)
            return done(JobOutcome::retry(
                tr("The worker could not read from the database: %1").arg(rows.error().message)));
        next(rows.value());
    });
}

// ---- subscriptions ----------------------------------------------------------------------

const QStringList SubscriptionStatuses = {
    QStringLiteral("incomplete"), QStringLiteral("incomplete_expired"),
    QStringLiteral("trialing"),   QStringLiteral("active"),
    QStringLiteral("past_due"),   QStringLiteral("canceled"),
    QStringLiteral("unpaid"),     QStringLiteral("paused")};

QJsonObject firstItem(const QJsonObject &subscription)
{
    return subscription.value(QLatin1String("items"))
        .toObject()
        .value(QLatin1String("data"))
        .toArray()
        .first()
        .toObject();
}

// The subscription's Stripe id in a job, checked before it goes into a URL.
Result<QString> stripeSubscriptionId(const ClaimedJob &job)
{
    const QString id = payloadText(job, "stripe_subscription_id");
    if (!matches(id, "^sub_[A-Za-z0-9_]+$"))
        return makeError(ErrorKind::InvalidInput, badPayload(tr("no Stripe subscription id")));
    if (QUuid::fromString(payloadText(job, "subscription_id")).isNull())
        return makeError(ErrorKind::InvalidInput, badPayload(tr("no subscription")));
    return id;
}

QJsonObject subscriptionResult(const QJsonObject &object)
{
    const QJsonObject item = firstItem(object);
    QJsonObject result{
        {QStringLiteral("stripe_subscription_id"), object.value(QLatin1String("id"))},
        {QStringLiteral("status"), object.value(QLatin1String("status"))},
        {QStringLiteral("cancel_at_period_end"),
         object.value(QLatin1String("cancel_at_period_end")).toBool()}};
    if (item.contains(QLatin1String("quantity")))
        result.insert(QStringLiteral("quantity"), item.value(QLatin1String("quantity")));
    const QJsonValue periodEnd = item.contains(QLatin1String("current_period_end"))
                                     ? item.value(QLatin1String("current_period_end"))
                                     : object.value(QLatin1String("current_period_end"));
    if (periodEnd.isDouble())
        result.insert(QStringLiteral("current_period_end"),
                      QDateTime::fromSecsSinceEpoch(qint64(periodEnd.toDouble()), Qt::UTC)
                          .toString(Qt::ISODate));
    const QJsonValue pause = object.value(QLatin1String("pause_collection"));
    if (pause.isObject())
        result.insert(QStringLiteral("pause_collection_behavior"),
                      pause.toObject().value(QLatin1String("behavior")));
    return result;
}

using StripeCallback = StripeClient::Callback;

// Records Stripe's state of a subscription and finishes the job with it.
void finishWithSubscription(const QString &subscriptionId, const QJsonObject &object,
                            const JobVersion &version, const Done &done,
                            QList<SqlWrite> before = {}, const QJsonObject &extra = {})
{
    auto write = subscriptionStateWrite(subscriptionId, object, version);
    if (!write)
        return done(JobOutcome::fail(write.error().message));
    QJsonObject result = subscriptionResult(object);
    for (auto it = extra.constBegin(); it != extra.constEnd(); ++it)
        result.insert(it.key(), it.value());
    before.append(write.value());
    done(JobOutcome::succeeded(result, before));
}

// Built just before the request is sent: the version is the request's moment.
StripeCallback subscriptionReply(const ClaimedJob &job, const Done &done,
                                 QList<SqlWrite> before = {}, QJsonObject extra = {})
{
    const QString subscriptionId = payloadText(job, "subscription_id");
    const JobVersion version = JobVersion::of(job);
    return [subscriptionId, version, done, before, extra](const StripeReply &reply) {
        if (!reply.ok)
            return done(JobOutcome::fromStripe(reply.error));
        finishWithSubscription(subscriptionId, reply.object, version, done, before, extra);
    };
}

void postToSubscription(const ClaimedJob &job, JobContext &context, const QString &suffix,
                        const QVariantMap &params, const Done &done, QList<SqlWrite> before = {},
                        QJsonObject extra = {})
{
    auto sid = stripeSubscriptionId(job);
    if (!sid)
        return done(JobOutcome::fail(sid.error().message));
    context.stripe().post(QStringLiteral("/v1/subscriptions/") + sid.value() + suffix, params,
                          JobContext::stripeKey(job), subscriptionReply(job, done, before, extra));
}

// GET the subscription to learn its (first) item, then `next(item id, subscription)`.
void withItem(const ClaimedJob &job, JobContext &context, const Done &done,
              std::function<void(const QString &, const QJsonObject &)> next)
{
    auto sid = stripeSubscriptionId(job);
    if (!sid)
        return done(JobOutcome::fail(sid.error().message));
    context.stripe().get(
        QStringLiteral("/v1/subscriptions/") + sid.value(), {},
        [done, next = std::move(next)](const StripeReply &reply) {
            if (!reply.ok)
                return done(JobOutcome::fromStripe(reply.error));
            const QString item = firstItem(reply.object).value(QLatin1String("id")).toString();
            if (!matches(item, "^si_[A-Za-z0-9_]+$"))
                return done(JobOutcome::fail(unexpected(tr("the subscription has no item"))));
            next(item, reply.object);
        });
}

QString prorationBehavior(const ClaimedJob &job)
{
    const QString behavior = payloadText(job, "proration_behavior");
    if (behavior == QLatin1String("none") || behavior == QLatin1String("always_invoice"))
        return behavior;
    return QStringLiteral("create_prorations");
}

// The plan's Stripe price, for plan changes.
void withPrice(const QString &planId, JobContext &context, const Done &done,
               std::function<void(const QString &price, const QString &usageType)> next)
{
    if (QUuid::fromString(planId).isNull())
        return done(JobOutcome::fail(badPayload(tr("no plan"))));
    read(context,
         QStringLiteral("SELECT stripe_price_id, usage_type FROM plans WHERE id = ?::uuid"),
         {planId}, done, [done, next = std::move(next)](const Rows &rows) {
             if (rows.isEmpty())
                 return done(JobOutcome::fail(tr("The plan no longer exists.")));
             const QString price = rows.first().value(QStringLiteral("stripe_price_id")).toString();
             if (price.isEmpty())
                 // A plan.sync job queued with it may still be on its way.
                 return done(JobOutcome::retry(
                     tr("The plan is not in Stripe yet. Sync the plan with Stripe; this job is "
                        "tried again meanwhile.")));
             next(price, rows.first().value(QStringLiteral("usage_type")).toString());
         });
}

void updateQuantity(const ClaimedJob &job, JobContext &context, const Done &done)
{
    const int quantity = job.payload.value(QLatin1String("quantity")).toInt(-1);
    if (quantity < 1 || quantity > 1000000)
        return done(JobOutcome::fail(badPayload(tr("no valid quantity"))));
    withItem(job, context, done,
             [job, &context, done, quantity](const QString &item, const QJsonObject &) {
                 const QVariantMap params{
                     {QStringLiteral("items"),
                      QVariantList{QVariantMap{{QStringLiteral("id"), item},
                                               {QStringLiteral("quantity"), quantity}}}},
                     {QStringLiteral("proration_behavior"), prorationBehavior(job)}};
                 postToSubscription(job, context, QString(), params, done);
             });
}

// The items and proration of a plan change, for the preview and the change itself.
QVariantMap planChange(const ClaimedJob &job, const QString &item, const QString &price,
                       const QString &usageType)
{
    QVariantMap entry{{QStringLiteral("id"), item}, {QStringLiteral("price"), price}};
    const int quantity = job.payload.value(QLatin1String("quantity")).toInt(0);
    if (usageType != QLatin1String("metered") && quantity > 0)
        entry.insert(QStringLiteral("quantity"), quantity);
    QVariantMap params{{QStringLiteral("items"), QVariantList{entry}},
                       {QStringLiteral("proration_behavior"), prorationBehavior(job)}};
    const qint64 date = qint64(job.payload.value(QLatin1String("proration_date")).toDouble(0));
    if (date > 0)
        params.insert(QStringLiteral("proration_date"), date);
    return params;
}

void changePlan(const ClaimedJob &job, JobContext &context, const Done &done)
{
    const QString planId = payloadText(job, "plan_id");
    withPrice(planId, context, done,
              [job, &context, done, planId](const QString &price, const QString &usageType) {
                  withItem(job, context, done,
                           [job, &context, done, planId, price, usageType](const QString &item,
                                                                           const QJsonObject &) {
                               const SqlWrite plan{
                                   QStringLiteral("UPDATE subscriptions SET plan_id = ?::uuid "
                                                  "WHERE id = ?::uuid"),
                                   {planId, payloadText(job, "subscription_id")}};
                               postToSubscription(job, context, QString(),
                                                  planChange(job, item, price, usageType), done,
                                                  {plan}, {{QStringLiteral("plan_id"), planId}});
                           });
              });
}

void previewChange(const ClaimedJob &job, JobContext &context, const Done &done)
{
    auto preview = [job, &context, done](const QString &price, const QString &usageType) {
        withItem(
            job, context, done,
            [job, &context, done, price, usageType](const QString &item,
                                                    const QJsonObject &subscription) {
                QVariantMap change =
                    price.isEmpty() ? QVariantMap{{QStringLiteral("items"),
                                                   QVariantList{QVariantMap{
                                                       {QStringLiteral("id"), item},
                                                       {QStringLiteral("quantity"),
                                                        job.payload.value(QLatin1String("quantity"))
                                                            .toInt(1)}}}},
                                                  {QStringLiteral("proration_behavior"),
                                                   prorationBehavior(job)}}
                                    : planChange(job, item, price, usageType);
                // The preview prices the change at one moment; the change itself
                // passes the same moment so that the charge matches what was shown.
                qint64 date =
                    qint64(job.payload.value(QLatin1String("proration_date")).toDouble(0));
                if (date <= 0)
                    date = QDateTime::currentSecsSinceEpoch();
                change.insert(QStringLiteral("proration_date"), date);
                const QVariantMap params{{QStringLiteral("customer"),
                                          subscription.value(QLatin1String("customer")).toString()},
                                         {QStringLiteral("subscription"),
                                          subscription.value(QLatin1String("id")).toString()},
                                         {QStringLiteral("subscription_details"), change}};
                context.stripe().post(
                    QStringLiteral("/v1/invoices/create_preview"), params,
                    JobContext::stripeKey(job), [done, date](const StripeReply &reply) {
                        if (!reply.ok)
                            return done(JobOutcome::fromStripe(reply.error));
                        const QJsonObject &invoice = reply.object;
                        if (!invoice.value(QLatin1String("amount_due")).isDouble() ||
                            !invoice.value(QLatin1String("currency")).isString())
                            return done(
                                JobOutcome::fail(unexpected(tr("the preview has no amount"))));
                        QJsonArray lines;
                        const QJsonArray data = invoice.value(QLatin1String("lines"))
                                                    .toObject()
                                                    .value(QLatin1String("data"))
                                                    .toArray();
                        for (const QJsonValue &line : data) {
                            const QJsonObject l = line.toObject();
                            lines.append(
                                QJsonObject{{QStringLiteral("description"),
                                             l.value(QLatin1String("description")).toString()},
                                            {QStringLiteral("amount"),
                                             l.value(QLatin1String("amount")).toDouble()}});
                        }
                        done(JobOutcome::succeeded(QJsonObject{
                            {QStringLiteral("currency"),
                             invoice.value(QLatin1String("currency")).toString().toUpper()},
                            {QStringLiteral("amount_due"),
                             invoice.value(QLatin1String("amount_due"))},
                            {QStringLiteral("subtotal"), invoice.value(QLatin1String("subtotal"))},
                            {QStringLiteral("total"), invoice.value(QLatin1String("total"))},
                            {QStringLiteral("proration_date"), double(date)},
                            {QStringLiteral("lines"), lines}}));
                    });
            });
    };
    const QString planId = payloadText(job, "plan_id");
    if (planId.isEmpty())
        return preview(QString(), QString());
    withPrice(planId, context, done, preview);
}

void createSubscription(const ClaimedJob &job, JobContext &context, const Done &done)
{
    const QString subscriptionId = payloadText(job, "subscription_id");
    if (QUuid::fromString(subscriptionId).isNull())
        return done(JobOutcome::fail(badPayload(tr("no subscription"))));
    const QString collection = payloadText(job, "collection").isEmpty()
                                   ? QStringLiteral("automatic")
                                   : payloadText(job, "collection");
    if (collection != QLatin1String("automatic") && collection != QLatin1String("send_invoice") &&
        collection != QLatin1String("checkout"))
        return done(JobOutcome::fail(badPayload(tr("unknown collection \"%1\"").arg(collection))));
    const int daysUntilDue = job.payload.value(QLatin1String("days_until_due")).toInt(-1);
    if (collection == QLatin1String("send_invoice") && (daysUntilDue < 0 || daysUntilDue > 365))
        return done(JobOutcome::fail(badPayload(tr("invoices need 0 to 365 days until due"))));
    const int trialDays = job.payload.value(QLatin1String("trial_days")).toInt(0);
    if (trialDays < 0 || trialDays > 730)
        return done(JobOutcome::fail(badPayload(tr("trial days must be 0 to 730"))));
    const QString successUrl = payloadText(job, "success_url");
    if (collection == QLatin1String("checkout") &&
        !QUrl(successUrl, QUrl::StrictMode).scheme().startsWith(QLatin1String("http")))
        return done(JobOutcome::fail(badPayload(tr("a checkout link needs a return address"))));

    read(
        context,
        QStringLiteral("SELECT s.quantity, s.stripe_subscription_id, o.stripe_customer_id, "
                       "p.stripe_price_id, p.usage_type FROM subscriptions s "
                       "JOIN organizations o ON o.id = s.organization_id "
                       "JOIN plans p ON p.id = s.plan_id WHERE s.id = ?::uuid"),
        {subscriptionId}, done,
        [job, &context, done, subscriptionId, collection, daysUntilDue, trialDays,
         successUrl](const Rows &rows) {
            if (rows.isEmpty())
                return done(JobOutcome::fail(tr("The subscription no longer exists.")));
            const QVariantMap row = rows.first();
            const QString existing = row.value(QStringLiteral("stripe_subscription_id")).toString();
            if (!existing.isEmpty())
                // Created by an earlier job for the same subscription: nothing to do.
                return done(
                    JobOutcome::succeeded({{QStringLiteral("stripe_subscription_id"), existing},
                                           {QStringLiteral("already_in_stripe"), true}}));
            const QString customer = row.value(QStringLiteral("stripe_customer_id")).toString();
            const QString price = row.value(QStringLiteral("stripe_price_id")).toString();
            if (customer.isEmpty())
                return done(JobOutcome::retry(
                    tr("The tenant is not a Stripe customer yet. Sync the tenant with Stripe; "
                       "this job is tried again meanwhile.")));
            if (price.isEmpty())
                return done(JobOutcome::retry(
                    tr("The plan is not in Stripe yet. Sync the plan with Stripe; this job is "
                       "tried again meanwhile.")));
            QVariantMap item{{QStringLiteral("price"), price}};
            if (row.value(QStringLiteral("usage_type")).toString() != QLatin1String("metered"))
                item.insert(QStringLiteral("quantity"),
                            qMax(1, row.value(QStringLiteral("quantity")).toInt()));
            const QVariantMap metadata{{QStringLiteral("nobill_subscription_id"), subscriptionId}};

            if (collection == QLatin1String("checkout")) {
                QVariantMap subscriptionData{{QStringLiteral("metadata"), metadata}};
                if (trialDays > 0)
                    subscriptionData.insert(QStringLiteral("trial_period_days"), trialDays);
                const QVariantMap params{{QStringLiteral("mode"), QStringLiteral("subscription")},
                                         {QStringLiteral("customer"), customer},
                                         {QStringLiteral("line_items"), QVariantList{item}},
                                         {QStringLiteral("success_url"), successUrl},
                                         {QStringLiteral("metadata"), metadata},
                                         {QStringLiteral("subscription_data"), subscriptionData}};
                context.stripe().post(
                    QStringLiteral("/v1/checkout/sessions"), params, JobContext::stripeKey(job),
                    [done](const StripeReply &reply) {
                        if (!reply.ok)
                            return done(JobOutcome::fromStripe(reply.error));
                        const QString url = reply.object.value(QLatin1String("url")).toString();
                        const QString id = reply.object.value(QLatin1String("id")).toString();
                        if (!url.startsWith(QLatin1String("https://")) || id.isEmpty())
                            return done(JobOutcome::fail(
                                unexpected(tr("the checkout session has no https link"))));
                        done(JobOutcome::succeeded({{QStringLiteral("checkout_url"), url},
                                                    {QStringLiteral("checkout_session_id"), id}}));
                    });
                return;
            }

            QVariantMap params{{QStringLiteral("customer"), customer},
                               {QStringLiteral("items"), QVariantList{item}},
                               {QStringLiteral("metadata"), metadata}};
            if (trialDays > 0)
                params.insert(QStringLiteral("trial_period_days"), trialDays);
            if (collection == QLatin1String("send_invoice")) {
                params.insert(QStringLiteral("collection_method"), QStringLiteral("send_invoice"));
                params.insert(QStringLiteral("days_until_due"), daysUntilDue);
            } else {
                params.insert(QStringLiteral("collection_method"),
                              QStringLiteral("charge_automatically"));
            }
            const JobVersion version = JobVersion::of(job);
            context.stripe().post(
                QStringLiteral("/v1/subscriptions"), params,
                sharedKey(QStringLiteral("subscription-") + subscriptionId, params),
                [done, subscriptionId, collection, daysUntilDue,
                 version](const StripeReply &reply) {
                    if (!reply.ok)
                        return done(JobOutcome::fromStripe(reply.error));
                    const QString id = reply.object.value(QLatin1String("id")).toString();
                    if (!matches(id, "^sub_[A-Za-z0-9_]+$"))
                        return done(JobOutcome::fail(unexpected(tr("the subscription has no id"))));
                    const bool invoiced = collection == QLatin1String("send_invoice");
                    const SqlWrite link{
                        QStringLiteral("UPDATE subscriptions SET stripe_subscription_id = ?, "
                                       "collection_method = ?, days_until_due = ? "
                                       "WHERE id = ?::uuid"),
                        {id,
                         invoiced ? QStringLiteral("send_invoice")
                                  : QStringLiteral("charge_automatically"),
                         invoiced ? QVariant(daysUntilDue) : nullNumber(), subscriptionId}};
                    finishWithSubscription(subscriptionId, reply.object, version, done, {link});
                });
        });
}

// ---- customers --------------------------------------------------------------------------

void syncCustomer(const ClaimedJob &job, JobContext &context, const Done &done)
{
    if (QUuid::fromString(job.organizationId).isNull())
        return done(JobOutcome::fail(badPayload(tr("no tenant"))));
    read(context,
         QStringLiteral("SELECT name, billing_email, stripe_customer_id, tax_id, address_line1, "
                        "address_line2, postal_code, city, country, currency "
                        "FROM organizations WHERE id = ?::uuid"),
         {job.organizationId}, done, [job, &context, done](const Rows &rows) {
             if (rows.isEmpty())
                 return done(JobOutcome::fail(tr("The tenant no longer exists.")));
             const QVariantMap org = rows.first();
             auto text = [&org](const char *column) {
                 return org.value(QLatin1String(column)).toString();
             };
             QVariantMap address;
             const QList<QPair<const char *, const char *>> fields = {
                 {"line1", "address_line1"},
                 {"line2", "address_line2"},
                 {"postal_code", "postal_code"},
                 {"city", "city"},
                 {"country", "country"}};
             for (const auto &[stripeName, column] : fields) {
                 if (!text(column).isEmpty())
                     address.insert(QLatin1String(stripeName), text(column));
             }
             QVariantMap metadata{{QStringLiteral("nobill_organization_id"), job.organizationId}};
             // Stripe's tax-id objects need a type (eu_vat, gb_vat, ...) the tenant record
             // does not hold; the number travels as metadata until it does.
             metadata.insert(QStringLiteral("tax_id"), text("tax_id"));
             QVariantMap params{{QStringLiteral("name"), text("name")},
                                {QStringLiteral("email"), text("billing_email")},
                                {QStringLiteral("metadata"), metadata}};
             if (!address.isEmpty())
                 params.insert(QStringLiteral("address"), address);
             const QString existing = text("stripe_customer_id");
             const bool create = existing.isEmpty();
             if (!create && !matches(existing, "^cus_[A-Za-z0-9_]+$"))
                 return done(JobOutcome::fail(badPayload(tr("a malformed Stripe customer id"))));
             const QString path = create ? QStringLiteral("/v1/customers")
                                         : QStringLiteral("/v1/customers/") + existing;
             context.stripe().post(
                 path, params,
                 // Creation: the same request from two jobs (a double sync) shares one key, so
                 // the tenant gets one customer.
                 create ? sharedKey(QStringLiteral("customer-") + job.organizationId, params)
                        : JobContext::stripeKey(job, QStringLiteral("update")),
                 [done, create, existing, org = job.organizationId](const StripeReply &reply) {
                     if (!reply.ok)
                         return done(JobOutcome::fromStripe(reply.error));
                     const QString id = reply.object.value(QLatin1String("id")).toString();
                     if (!matches(id, "^cus_[A-Za-z0-9_]+$") || (!create && id != existing))
                         return done(
                             JobOutcome::fail(unexpected(tr("the customer has no usable id"))));
                     QList<SqlWrite> writes;
                     if (create)
                         writes.append(SqlWrite{
                             QStringLiteral("UPDATE organizations SET stripe_customer_id = ? "
                                            "WHERE id = ?::uuid AND stripe_customer_id IS NULL"),
                             {id, org}});
                     done(JobOutcome::succeeded({{QStringLiteral("stripe_customer_id"), id},
                                                 {QStringLiteral("created"), create}},
                                                writes));
                 });
         });
}

// ---- plans ------------------------------------------------------------------------------

// The steps of plan.sync, each skipped when its Stripe object exists: product, meter,
// price, archive of the replaced price. What they create is recorded at the end.
struct PlanSync : std::enable_shared_from_this<PlanSync>
{
    ClaimedJob job;
    JobContext *context = nullptr;
    Done done;
    QVariantMap plan;
    QString productId, meterId, priceId, archivedPriceId;

    QString text(const char *column) const { return plan.value(QLatin1String(column)).toString(); }

    void start()
    {
        auto self = shared_from_this();
        read(
            *context,
            QStringLiteral(
                "SELECT p.id::text AS id, p.name, p.amount, p.currency, p.interval, "
                "p.interval_count, p.usage_type, p.metric, p.stripe_price_id, p.stripe_meter_id, "
                "pr.id::text AS product_id, pr.name AS product_name, pr.stripe_product_id, "
                "old.stripe_price_id AS old_price_id, old.archived_at IS NOT NULL AS old_archived, "
                "(SELECT m.stripe_meter_id FROM plans m WHERE m.metric = p.metric AND "
                "m.stripe_meter_id IS NOT NULL LIMIT 1) AS shared_meter_id "
                "FROM plans p JOIN products pr ON pr.id = p.product_id "
                "LEFT JOIN plans old ON old.id = p.replaces_plan_id WHERE p.id = ?::uuid"),
            {payloadText(job, "plan_id")}, done, [self](const Rows &rows) {
                if (rows.isEmpty())
                    return self->done(JobOutcome::fail(tr("The plan no longer exists.")));
                self->plan = rows.first();
                self->productId = self->text("stripe_product_id");
                self->meterId = self->text("stripe_meter_id");
                if (self->meterId.isEmpty())
                    self->meterId = self->text("shared_meter_id");
                self->priceId = self->text("stripe_price_id");
                self->product();
            });
    }

    // Posts and hands the new object's id (checked against `prefix`) to `next`.
    void create(const QString &path, const QVariantMap &params, const QString &key,
                const char *prefix, const QString &what, std::function<void(QString)> next)
    {
        auto self = shared_from_this();
        context->stripe().post(
            path, params, key, [self, prefix, what, next = std::move(next)](const StripeReply &r) {
                if (!r.ok)
                    return self->done(JobOutcome::fromStripe(r.error));
                const QString id = r.object.value(QLatin1String("id")).toString();
                if (!id.startsWith(QLatin1String(prefix)))
                    return self->done(JobOutcome::fail(unexpected(what)));
                next(id);
            });
    }

    void product()
    {
        if (!productId.isEmpty())
            return meter();
        auto self = shared_from_this();
        const QVariantMap params{
            {QStringLiteral("name"), text("product_name")},
            {QStringLiteral("metadata"),
             QVariantMap{{QStringLiteral("nobill_product_id"), text("product_id")}}}};
        create(QStringLiteral("/v1/products"), params, sharedKey(QStringLiteral("product"), params),
               "prod_", tr("the product has no id"), [self](const QString &id) {
                   self->productId = id;
                   self->meter();
               });
    }

    void meter()
    {
        if (text("usage_type") != QLatin1String("metered") || !meterId.isEmpty())
            return price();
        auto self = shared_from_this();
        const QVariantMap params{{QStringLiteral("display_name"), text("metric")},
                                 {QStringLiteral("event_name"), text("metric")},
                                 {QStringLiteral("default_aggregation"),
                                  QVariantMap{{QStringLiteral("formula"), QStringLiteral("sum")}}}};
        create(QStringLiteral("/v1/billing/meters"), params,
               sharedKey(QStringLiteral("meter"), params), "mtr_", tr("the meter has no id"),
               [self](const QString &id) {
                   self->meterId = id;
                   self->price();
               });
    }

    void price()
    {
        if (!priceId.isEmpty())
            return archive();
        auto self = shared_from_this();
        QVariantMap recurring{{QStringLiteral("interval"), text("interval")},
                              {QStringLiteral("interval_count"),
                               plan.value(QStringLiteral("interval_count")).toInt()},
                              {QStringLiteral("usage_type"), text("usage_type")}};
        if (text("usage_type") == QLatin1String("metered"))
            recurring.insert(QStringLiteral("meter"), meterId);
        const QVariantMap params{
            {QStringLiteral("product"), productId},
            {QStringLiteral("unit_amount"), plan.value(QStringLiteral("amount")).toLongLong()},
            {QStringLiteral("currency"), text("currency").toLower()},
            {QStringLiteral("nickname"), text("name")},
            {QStringLiteral("recurring"), recurring},
            {QStringLiteral("metadata"),
             QVariantMap{{QStringLiteral("nobill_plan_id"), text("id")}}}};
        create(QStringLiteral("/v1/prices"), params, sharedKey(QStringLiteral("price"), params),
               "price_", tr("the price has no id"), [self](const QString &id) {
                   self->priceId = id;
                   self->archive();
               });
    }

    void archive()
    {
        const QString old = text("old_price_id");
        if (old.isEmpty() || !plan.value(QStringLiteral("old_archived")).toBool() ||
            !matches(old, "^price_[A-Za-z0-9_]+$"))
            return finish();
        auto self = shared_from_this();
        context->stripe().post(QStringLiteral("/v1/prices/") + old,
                               {{QStringLiteral("active"), false}},
                               JobContext::stripeKey(job, QStringLiteral("archive")),
                               [self, old](const StripeReply &reply) {
                                   if (!reply.ok)
                                       return self->done(JobOutcome::fromStripe(reply.error));
                                   self->archivedPriceId = old;
                                   self->finish();
                               });
    }

    void finish()
    {
        const QVariant meter = meterId.isEmpty() ? nullText() : QVariant(meterId);
        const QList<SqlWrite> writes{
            {QStringLiteral("UPDATE products SET stripe_product_id = ? WHERE id = ?::uuid AND "
                            "stripe_product_id IS NULL"),
             {productId, text("product_id")}},
            {QStringLiteral("UPDATE plans SET stripe_price_id = coalesce(stripe_price_id, ?), "
                            "stripe_meter_id = coalesce(stripe_meter_id, ?) WHERE id = ?::uuid"),
             {priceId, meter, text("id")}}};
        done(JobOutcome::succeeded(
            {{QStringLiteral("stripe_product_id"), productId},
             {QStringLiteral("stripe_price_id"), priceId},
             {QStringLiteral("stripe_meter_id"),
              meterId.isEmpty() ? QJsonValue(QJsonValue::Null) : QJsonValue(meterId)},
             {QStringLiteral("archived_price_id"), archivedPriceId.isEmpty()
                                                       ? QJsonValue(QJsonValue::Null)
                                                       : QJsonValue(archivedPriceId)}},
            writes));
    }
};

// ---- invoices ---------------------------------------------------------------------------

void invoiceAction(const ClaimedJob &job, JobContext &context, const Done &done)
{
    const QString invoiceId = payloadText(job, "invoice_id");
    const QString stripeId = payloadText(job, "stripe_invoice_id");
    if (QUuid::fromString(invoiceId).isNull() || !matches(stripeId, "^in_[A-Za-z0-9_]+$"))
        return done(JobOutcome::fail(badPayload(tr("no Stripe invoice"))));
    const QString action = job.kind.section(QLatin1Char('.'), 1);
    const JobVersion version = JobVersion::of(job);
    context.stripe().post(
        QStringLiteral("/v1/invoices/%1/%2").arg(stripeId, action), {}, JobContext::stripeKey(job),
        [done, invoiceId, stripeId, version](const StripeReply &reply) {
            if (!reply.ok)
                return done(JobOutcome::fromStripe(reply.error));
            const QString status = reply.object.value(QLatin1String("status")).toString();
            static const QStringList known = {QStringLiteral("draft"), QStringLiteral("open"),
                                              QStringLiteral("paid"), QStringLiteral("void"),
                                              QStringLiteral("uncollectible")};
            if (!known.contains(status))
                return done(JobOutcome::fail(
                    unexpected(tr("the invoice status \"%1\" is unknown").arg(status))));
            auto amount = [&reply](const char *field) {
                const QJsonValue v = reply.object.value(QLatin1String(field));
                return v.isDouble() && v.toDouble() >= 0 ? QVariant(qlonglong(v.toDouble()))
                                                         : nullNumber();
            };
            const SqlWrite write{
                QStringLiteral("UPDATE invoices SET status = ?, amount_due = coalesce(?, "
                               "amount_due), amount_paid = coalesce(?, amount_paid), "
                               "amount_remaining = coalesce(?, amount_remaining) "
                               "WHERE id = ?::uuid AND ") +
                    AdvanceCondition,
                {status, amount("amount_due"), amount("amount_paid"), amount("amount_remaining"),
                 invoiceId, stripeId, version.sentMs, invoiceStatusRank(status), version.eventId}};
            done(JobOutcome::succeeded({{QStringLiteral("status"), status}}, {write}));
        });
}

// ---- usage ------------------------------------------------------------------------------

struct UsageReport : std::enable_shared_from_this<UsageReport>
{
    ClaimedJob job;
    JobContext *context = nullptr;
    Done done;
    Rows groups;
    int next = 0;
    int records = 0;
    QStringList identifiers;

    void start()
    {
        auto self = shared_from_this();
        const QString subscription = payloadText(job, "subscription_id");
        const QVariant only =
            QUuid::fromString(subscription).isNull() ? nullText() : QVariant(subscription);
        // Each group of unreported records gets its identifier once, from its record ids;
        // an attempt after a crash finds the same groups and sends the same events.
        read(*context,
             QStringLiteral(
                 "WITH pending AS ("
                 " SELECT u.id, u.subscription_id, u.metric FROM usage_records u"
                 " WHERE u.organization_id = ?::uuid AND u.reported_state = 'unreported'"
                 " AND u.stripe_meter_event_id IS NULL AND u.subscription_id IS NOT NULL"
                 " AND (?::uuid IS NULL OR u.subscription_id = ?::uuid)"
                 " ORDER BY u.occurred_at, u.id LIMIT 10000 FOR UPDATE SKIP LOCKED),"
                 " groups AS (SELECT 'nobill-usage-' || md5(string_agg(id::text, ',' ORDER BY id))"
                 " AS ident, array_agg(id) AS ids FROM pending GROUP BY subscription_id, metric)"
                 " UPDATE usage_records u SET stripe_meter_event_id = g.ident FROM groups g"
                 " WHERE u.id = ANY (g.ids) RETURNING u.id"),
             {job.organizationId, only, only}, done, [self, only](const Rows &) {
                 read(*self->context,
                      QStringLiteral(
                          "SELECT u.stripe_meter_event_id AS ident, u.metric, "
                          "sum(u.quantity)::bigint AS value, count(*) AS records, "
                          "extract(epoch FROM max(u.occurred_at))::bigint AS ts, "
                          "o.stripe_customer_id, p.stripe_meter_id FROM usage_records u "
                          "JOIN organizations o ON o.id = u.organization_id "
                          "JOIN subscriptions s ON s.id = u.subscription_id "
                          "JOIN plans p ON p.id = s.plan_id "
                          "WHERE u.organization_id = ?::uuid AND u.reported_state = 'unreported' "
                          "AND u.stripe_meter_event_id LIKE 'nobill-usage-%' "
                          "AND (?::uuid IS NULL OR u.subscription_id = ?::uuid) "
                          "GROUP BY u.stripe_meter_event_id, u.metric, o.stripe_customer_id, "
                          "p.stripe_meter_id "
                          "ORDER BY 1"),
                      {self->job.organizationId, only, only}, self->done, [self](const Rows &rows) {
                          self->groups = rows;
                          self->send();
                      });
             });
    }

    void send()
    {
        if (next >= groups.size())
            return finish();
        const QVariantMap group = groups.at(next);
        const QString customer = group.value(QStringLiteral("stripe_customer_id")).toString();
        if (customer.isEmpty())
            return done(JobOutcome::retry(
                tr("The tenant is not a Stripe customer yet, so its usage cannot be reported. "
                   "Sync the tenant with Stripe; this job is tried again meanwhile.")));
        if (group.value(QStringLiteral("stripe_meter_id")).toString().isEmpty())
            return done(JobOutcome::retry(
                tr("The plan of this usage has no Stripe meter yet. Sync the plan with Stripe; "
                   "this job is tried again meanwhile.")));
        const QString ident = group.value(QStringLiteral("ident")).toString();
        const QVariantMap params{
            {QStringLiteral("event_name"), group.value(QStringLiteral("metric")).toString()},
            {QStringLiteral("identifier"), ident},
            {QStringLiteral("timestamp"), group.value(QStringLiteral("ts")).toLongLong()},
            {QStringLiteral("payload"),
             QVariantMap{{QStringLiteral("stripe_customer_id"), customer},
                         {QStringLiteral("value"),
                          QString::number(group.value(QStringLiteral("value")).toLongLong())}}}};
        auto self = shared_from_this();
        context->stripe().post(QStringLiteral("/v1/billing/meter_events"), params,
                               QStringLiteral("nobill:") + ident,
                               [self, ident, group](const StripeReply &reply) {
                                   if (!reply.ok)
                                       return self->done(JobOutcome::fromStripe(reply.error));
                                   self->identifiers.append(ident);
                                   self->records += group.value(QStringLiteral("records")).toInt();
                                   ++self->next;
                                   self->send();
                               });
    }

    void finish()
    {
        QList<SqlWrite> writes;
        if (!identifiers.isEmpty())
            writes.append(
                SqlWrite{QStringLiteral("UPDATE usage_records SET reported_state = 'reported', "
                                        "reported_at = now() WHERE organization_id = ?::uuid AND "
                                        "stripe_meter_event_id = ANY (string_to_array(?, ',')) "
                                        "AND reported_state = 'unreported'"),
                         {job.organizationId, identifiers.join(QLatin1Char(','))}});
        done(JobOutcome::succeeded({{QStringLiteral("events"), int(identifiers.size())},
                                    {QStringLiteral("records"), records}},
                                   writes));
    }
};

} // namespace

JobVersion JobVersion::of(const ClaimedJob &job)
{
    // Event ids are letters, digits and underscores (stripe_object_versions_event_id_format):
    // the job's UUID without its hyphens.
    QString id = job.id;
    id.remove(QLatin1Char('-'));
    return {QStringLiteral("evt_job_") + id, QDateTime::currentMSecsSinceEpoch()};
}

Result<SqlWrite> subscriptionStateWrite(const QString &subscriptionId, const QJsonObject &object,
                                        const JobVersion &version)
{
    const QString id = object.value(QLatin1String("id")).toString();
    const QString status = object.value(QLatin1String("status")).toString();
    if (!matches(id, "^sub_[A-Za-z0-9_]+$"))
        return makeError(ErrorKind::Internal, unexpected(tr("the subscription has no id")));
    if (!SubscriptionStatuses.contains(status))
        return makeError(ErrorKind::Internal,
                         unexpected(tr("the subscription status \"%1\" is unknown").arg(status)));
    // Since API version 2025-03-31 the period lives on each item; older objects carry it on
    // the subscription.
    const QJsonObject item = firstItem(object);
    auto period = [&](const char *field) {
        const QJsonValue v = item.value(QLatin1String(field));
        return unixTime(v.isDouble() ? v : object.value(QLatin1String(field)));
    };
    const QJsonValue quantity = item.value(QLatin1String("quantity"));
    return SqlWrite{
        QStringLiteral(
            "UPDATE subscriptions SET status = ?, "
            "cancel_at_period_end = ?, canceled_at = to_timestamp(?::double precision), "
            "current_period_start = coalesce(to_timestamp(?::double precision), "
            "current_period_start), "
            "current_period_end = coalesce(to_timestamp(?::double precision), current_period_end), "
            "trial_end = to_timestamp(?::double precision), quantity = coalesce(?::integer, "
            "quantity), version = version + 1 WHERE id = ?::uuid AND ") +
            AdvanceCondition,
        {status, object.value(QLatin1String("cancel_at_period_end")).toBool(),
         unixTime(object.value(QLatin1String("canceled_at"))), period("current_period_start"),
         period("current_period_end"), unixTime(object.value(QLatin1String("trial_end"))),
         quantity.isDouble() && quantity.toDouble() >= 0 ? QVariant(int(quantity.toDouble()))
                                                         : nullNumber(),
         subscriptionId, id, version.sentMs, subscriptionStatusRank(status), version.eventId}};
}

QList<std::shared_ptr<JobHandler>> billingJobHandlers()
{
    using namespace jobkinds;
    return {
        handler({CancelAtPeriodEnd},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    postToSubscription(job, context, QString(),
                                       {{QStringLiteral("cancel_at_period_end"), true}}, done);
                }),
        handler({CancelNow},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    auto sid = stripeSubscriptionId(job);
                    if (!sid)
                        return done(JobOutcome::fail(sid.error().message));
                    context.stripe().remove(QStringLiteral("/v1/subscriptions/") + sid.value(),
                                            JobContext::stripeKey(job),
                                            subscriptionReply(job, done));
                }),
        handler({Resume},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    if (payloadText(job, "mode") == QLatin1String("resume_paused"))
                        postToSubscription(job, context, QStringLiteral("/resume"), {}, done);
                    else
                        postToSubscription(job, context, QString(),
                                           {{QStringLiteral("cancel_at_period_end"), false}}, done);
                }),
        handler({UpdateQuantity}, updateQuantity),
        handler({PauseCollection},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    QString behavior = payloadText(job, "behavior");
                    if (behavior != QLatin1String("keep_as_draft") &&
                        behavior != QLatin1String("mark_uncollectible"))
                        behavior = QStringLiteral("void");
                    postToSubscription(job, context, QString(),
                                       {{QStringLiteral("pause_collection"),
                                         QVariantMap{{QStringLiteral("behavior"), behavior}}}},
                                       done);
                }),
        handler({ResumeCollection},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    // An empty value unsets the field in Stripe's form encoding.
                    postToSubscription(job, context, QString(),
                                       {{QStringLiteral("pause_collection"), QString()}}, done);
                }),
        handler({CreateSubscription}, createSubscription),
        handler({ChangePlan}, changePlan),
        handler({PreviewChange}, previewChange),
        handler({SyncCustomer}, syncCustomer),
        handler({SyncPlan},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    auto sync = std::make_shared<PlanSync>();
                    sync->job = job;
                    sync->context = &context;
                    sync->done = std::move(done);
                    sync->start();
                }),
        handler({SendInvoice, VoidInvoice, MarkInvoiceUncollectible}, invoiceAction),
        handler({ReportUsage},
                [](const ClaimedJob &job, JobContext &context, Done done) {
                    if (QUuid::fromString(job.organizationId).isNull())
                        return done(JobOutcome::fail(badPayload(tr("no tenant"))));
                    auto report = std::make_shared<UsageReport>();
                    report->job = job;
                    report->context = &context;
                    report->done = std::move(done);
                    report->start();
                }),
        reconcileJobHandler(),
    };
}

} // namespace nobill
