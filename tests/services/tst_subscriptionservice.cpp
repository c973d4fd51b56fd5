// The subscriptions service against a real PostgreSQL: filters, keyset paging that visits
// every row once in every order, the detail's figures, and Stripe work queued as jobs by
// nobill_enqueue_job (migration 4) with the permissions and idempotency it promises.

#include "testcluster.h"
#include "testoperators.h"

#include "core/money.h"
#include "subscriptions/subscriptionservice.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>
#include <QUuid>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000b1");
const QString ProPlan = QStringLiteral("00000000-0000-0000-0000-00000000c001");
const QString ApiPlan = QStringLiteral("00000000-0000-0000-0000-00000000c002");
const QString TeamPlan = QStringLiteral("00000000-0000-0000-0000-00000000c003");
const QString AcmeActive = QStringLiteral("00000000-0000-0000-0000-00000000d001");
const QString AcmeMetered = QStringLiteral("00000000-0000-0000-0000-00000000d002");
const QString AcmeCanceled = QStringLiteral("00000000-0000-0000-0000-00000000d003");
const QString AcmeTrial = QStringLiteral("00000000-0000-0000-0000-00000000d004");
const QString AcmeIncomplete = QStringLiteral("00000000-0000-0000-0000-00000000d005");
const QString GlobexPastDue = QStringLiteral("00000000-0000-0000-0000-00000000d011");
const QString GlobexEnding = QStringLiteral("00000000-0000-0000-0000-00000000d012");

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning() << q.lastError().text() << sql;
        return false;
    }
    return true;
}

QVariant scalar(const QString &connection, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(connection));
    if (!q.exec(sql) || !q.next())
        return QVariant();
    return q.value(0);
}

QString message(const Error &e)
{
    return e.message + QStringLiteral(" / ") + e.detail;
}

// Two tenants, three plans, seven subscriptions in telling states, and invoices for some.
bool seed(const TestDatabase &db)
{
    return exec(
        db,
        QStringLiteral(
            "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES"
            " ('%1', 'Acme Ltd', 'acme', 'billing@acme.example', 'EUR'),"
            " ('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD');"
            "INSERT INTO products (id, name) VALUES ('00000000-0000-0000-0000-00000000e001', "
            "'Platform');"
            "INSERT INTO plans (id, product_id, name, amount, currency, interval, usage_type, "
            "metric) VALUES"
            " ('%3', '00000000-0000-0000-0000-00000000e001', 'Pro', 4900, 'EUR', 'month', "
            "'licensed', NULL),"
            " ('%4', '00000000-0000-0000-0000-00000000e001', 'API', 2, 'EUR', 'month', 'metered', "
            "'api_calls'),"
            " ('%5', '00000000-0000-0000-0000-00000000e001', 'Team', 9900, 'USD', 'year', "
            "'licensed', NULL);"
            "INSERT INTO subscriptions (id, organization_id, plan_id, status, quantity,"
            "  current_period_start, current_period_end, cancel_at_period_end, canceled_at, "
            "trial_end,"
            "  stripe_subscription_id, created_at) VALUES"
            " ('%6', '%1', '%3', 'active', 5, now() - interval '25 days', now() + interval '5 "
            "days',"
            "  false, NULL, NULL, 'sub_a1', now() - interval '90 days'),"
            " ('%7', '%1', '%4', 'active', 1, now() - interval '10 days', now() + interval '20 "
            "days',"
            "  false, NULL, NULL, 'sub_a2', now() - interval '80 days'),"
            " ('%8', '%1', '%3', 'canceled', 2, now() - interval '70 days', now() - interval '40 "
            "days',"
            "  false, now() - interval '40 days', NULL, 'sub_a3', now() - interval '200 days'),"
            " ('%9', '%1', '%3', 'trialing', 1, now() - interval '4 days', now() + interval '10 "
            "days',"
            "  false, NULL, now() + interval '10 days', 'sub_a4', now() - interval '4 days'),"
            " ('%10', '%1', '%3', 'incomplete', 1, NULL, NULL, false, NULL, NULL, NULL,"
            "  now() - interval '1 day'),"
            " ('%11', '%2', '%5', 'past_due', 3, now() - interval '362 days', now() + interval '3 "
            "days',"
            "  false, NULL, NULL, 'sub_b1', now() - interval '400 days'),"
            " ('%12', '%2', '%5', 'active', 1, now() - interval '300 days', now() + interval '65 "
            "days',"
            "  true, NULL, NULL, 'sub_b2', now() - interval '300 days');"
            "INSERT INTO invoices (organization_id, subscription_id, number, status, currency, "
            "subtotal,"
            "  tax, total, amount_due, amount_paid, amount_remaining, period_start, period_end,"
            "  due_date, created_at) VALUES"
            " ('%1', '%6', 'ACME-0001', 'paid', 'EUR', 24500, 4655, 29155, 29155, 29155, 0,"
            "  now() - interval '85 days', now() - interval '55 days', NULL, now() - interval '85 "
            "days'),"
            " ('%1', '%6', 'ACME-0002', 'paid', 'EUR', 24500, 4655, 29155, 29155, 29155, 0,"
            "  now() - interval '55 days', now() - interval '25 days', NULL, now() - interval '55 "
            "days'),"
            " ('%1', '%6', 'ACME-0003', 'open', 'EUR', 24500, 4655, 29155, 29155, 0, 29155,"
            "  now() - interval '25 days', now() + interval '5 days', now() + interval '5 days',"
            "  now() - interval '25 days'),"
            " ('%2', '%11', 'GLOB-0001', 'open', 'USD', 29700, 0, 29700, 29700, 0, 29700,"
            "  now() - interval '362 days', now() + interval '3 days', now() - interval '2 days',"
            "  now() - interval '30 days');")
            .arg(Acme, Globex, ProPlan, ApiPlan, TeamPlan, AcmeActive, AcmeMetered, AcmeCanceled,
                 AcmeTrial)
            .arg(AcmeIncomplete, GlobexPastDue, GlobexEnding));
}

QStringList ids(const QList<Subscription> &rows)
{
    QStringList out;
    for (const Subscription &s : rows)
        out << s.id;
    return out;
}

SubscriptionActionRequest request(const QString &id, SubscriptionAction action,
                                  const QString &token = QUuid::createUuid().toString())
{
    SubscriptionActionRequest r;
    r.subscriptionId = id;
    r.action = action;
    r.requestToken = token;
    return r;
}
} // namespace

class SubscriptionServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void filtersByOrganizationStatusPlanAndRenewal()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        SubscriptionService service(db.connectionName());

        SubscriptionQuery all;
        QCOMPARE(service.count(all).value(), 7);
        auto first = service.page(all, std::nullopt);
        QVERIFY2(first, qPrintable(first ? QString() : message(first.error())));
        // By renewal: the soonest first; those that will not renew (ended, never started)
        // last.
        QCOMPARE(ids(first->rows), (QStringList{GlobexPastDue, AcmeActive, AcmeTrial, AcmeMetered,
                                                GlobexEnding, AcmeCanceled, AcmeIncomplete}));
        QCOMPARE(first->rows.first().organizationName, QStringLiteral("Globex Corp"));
        QCOMPARE(first->rows.first().planName, QStringLiteral("Team"));

        SubscriptionQuery acme;
        acme.organizationId = Acme;
        QCOMPARE(service.count(acme).value(), 5);
        acme.status = QStringLiteral("active");
        QCOMPARE(service.count(acme).value(), 2);
        acme.planId = ProPlan;
        QCOMPARE(ids(service.page(acme, std::nullopt)->rows), QStringList{AcmeActive});

        SubscriptionQuery soon;
        soon.renewalWithinDays = 7; // 3 and 5 days away; not the one that ended
        QCOMPARE(ids(service.page(soon, std::nullopt)->rows),
                 (QStringList{GlobexPastDue, AcmeActive}));
        soon.renewalWithinDays = 30;
        QCOMPARE(service.count(soon).value(), 4);
        soon.planId = TeamPlan;
        QCOMPARE(service.count(soon).value(), 1);

        SubscriptionQuery byTenant;
        byTenant.sort = SubscriptionSort::TenantName;
        byTenant.descending = true;
        QCOMPARE(service.page(byTenant, std::nullopt)->rows.first().organizationName,
                 QStringLiteral("Globex Corp"));

        SubscriptionQuery badPlan;
        badPlan.planId = QStringLiteral("not-a-plan");
        QCOMPARE(service.count(badPlan).error().kind, ErrorKind::NotFound);

        auto plans = service.planChoices();
        QVERIFY(plans);
        QCOMPARE(plans->size(), 3);
        QVERIFY(plans->first().label.contains(QStringLiteral("API")));
    }

    void pagingVisitsEveryRowOnce_data()
    {
        QTest::addColumn<int>("sort");
        QTest::addColumn<bool>("descending");
        for (int sort = 0; sort < 4; ++sort) {
            for (bool descending : {false, true}) {
                const QByteArray name = QByteArray::number(sort) + (descending ? " desc" : " asc");
                QTest::newRow(name.constData()) << sort << descending;
            }
        }
    }

    void pagingVisitsEveryRowOnce()
    {
        QFETCH(int, sort);
        QFETCH(bool, descending);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        // Many ties on every sort key (same period end, same created time, same status,
        // same tenant), some without a period at all, and times with microseconds.
        QVERIFY(exec(
            db,
            QStringLiteral(
                "INSERT INTO subscriptions (organization_id, plan_id, status, current_period_start,"
                " current_period_end, created_at)"
                " SELECT CASE WHEN g % 3 = 0 THEN '%1'::uuid ELSE '%2'::uuid END, '%3',"
                "  (ARRAY['active','trialing','past_due','canceled'])[1 + g % 4],"
                "  CASE WHEN g % 7 = 0 THEN NULL ELSE timestamptz '2026-01-01 00:00:00.123456+00' "
                "END,"
                "  CASE WHEN g % 7 = 0 THEN NULL"
                "       ELSE timestamptz '2026-02-01 00:00:00.123456+00' + (g % 5) * interval "
                "'1.000001 days' END,"
                "  timestamptz '2025-06-01 10:00:00.654321+00' + (g % 9) * interval '1 microsecond'"
                " FROM generate_series(1, 230) g")
                .arg(Globex, Acme, ProPlan)));
        SubscriptionService service(db.connectionName());
        SubscriptionQuery query;
        query.sort = SubscriptionSort(sort);
        query.descending = descending;
        const int total = service.count(query).value();
        QCOMPARE(total, 237);
        QSet<QString> seen;
        std::optional<SubscriptionCursor> after;
        int pages = 0;
        do {
            auto page = service.page(query, after, 17);
            QVERIFY2(page, qPrintable(page ? QString() : message(page.error())));
            for (const Subscription &s : page->rows) {
                QVERIFY2(!seen.contains(s.id), "a row came twice");
                seen.insert(s.id);
            }
            QCOMPARE(page->hasMore, page->next.has_value());
            after = page->next;
            ++pages;
        } while (after && pages < 100);
        QCOMPARE(seen.size(), total);
    }

    void detailsHavePlanTenantInvoicesAndFigures()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        SubscriptionService service(db.connectionName());
        auto details = service.details(AcmeActive);
        QVERIFY2(details, qPrintable(details ? QString() : message(details.error())));
        const Subscription &s = details->subscription;
        QCOMPARE(s.organizationName, QStringLiteral("Acme Ltd"));
        QCOMPARE(s.planName, QStringLiteral("Pro"));
        QCOMPARE(s.productName, QStringLiteral("Platform"));
        QCOMPARE(s.quantity, 5);
        QCOMPARE(s.periodAmount(), qint64(24500));
        QCOMPARE(formatMoney(s.periodAmount(), s.currency, QLocale(QLocale::English)),
                 QStringLiteral("245.00 EUR"));
        QVERIFY(s.currentPeriodStart.isValid() && s.currentPeriodEnd > s.currentPeriodStart);
        QVERIFY(!s.cancelAtPeriodEnd);
        QCOMPARE(details->tenantBillingEmail, QStringLiteral("billing@acme.example"));
        QCOMPARE(details->invoiceCount, 3);
        QCOMPARE(details->invoices.size(), 3);
        QCOMPARE(details->invoices.first().number, QStringLiteral("ACME-0003")); // newest first
        QCOMPARE(details->invoices.first().amountRemaining, qint64(29155));
        QVERIFY(details->pendingJobs.isEmpty());

        auto trial = service.details(AcmeTrial);
        QVERIFY(trial);
        QVERIFY(trial->subscription.trialEnd.isValid());
        QCOMPARE(trial->invoiceCount, 0);
        auto ending = service.get(GlobexEnding);
        QVERIFY(ending && ending->cancelAtPeriodEnd);
        auto incomplete = service.get(AcmeIncomplete);
        QVERIFY(incomplete && !incomplete->currentPeriodEnd.isValid());
        QCOMPARE(service.get(QStringLiteral("nope")).error().kind, ErrorKind::NotFound);
    }

    void financeQueuesWorkThatShowsAsPending()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                            {{Acme, QStringLiteral("finance")}});
        QVERIFY2(finance, qPrintable(finance ? QString() : message(finance.error())));
        ScopedConnection connection(finance.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        SubscriptionService service(connection.name());

        auto job =
            service.requestAction(request(AcmeActive, SubscriptionAction::CancelAtPeriodEnd));
        QVERIFY2(job, qPrintable(job ? QString() : message(job.error())));
        QCOMPARE(job->kind, QStringLiteral("subscription.cancel_at_period_end"));
        QCOMPARE(job->status, QStringLiteral("queued"));
        QCOMPARE(job->requestedBy, finance.value().login);
        QCOMPARE(job->payload.value(QStringLiteral("subscription_id")).toString(), AcmeActive);
        QCOMPARE(job->payload.value(QStringLiteral("stripe_subscription_id")).toString(),
                 QStringLiteral("sub_a1"));

        // The subscription itself waits for Stripe.
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT cancel_at_period_end FROM subscriptions "
                                       "WHERE id = '%1'")
                            .arg(AcmeActive))
                     .toBool(),
                 false);
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM jobs WHERE requested_by = '%1' "
                                       "AND organization_id = '%2' AND status = 'queued'")
                            .arg(finance.value().login, Acme))
                     .toInt(),
                 1);
        auto details = service.details(AcmeActive);
        QVERIFY(details);
        QCOMPARE(details->pendingJobs.size(), 1);
        QCOMPARE(details->pendingJobs.first().id, job->id);
        QVERIFY(!details->pendingJobs.first().requestedByName.isEmpty());

        auto quantity = request(AcmeActive, SubscriptionAction::ChangeQuantity);
        quantity.quantity = 8;
        auto changed = service.requestAction(quantity);
        QVERIFY2(changed, qPrintable(changed ? QString() : message(changed.error())));
        QCOMPARE(changed->payload.value(QStringLiteral("quantity")).toInt(), 8);
        QCOMPARE(changed->payload.value(QStringLiteral("previous_quantity")).toInt(), 5);
        QCOMPARE(service.details(AcmeActive)->pendingJobs.size(), 2);

        // The same audit trail as every change: who queued what.
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'jobs' "
                                       "AND action = 'insert' AND login = '%1'")
                            .arg(finance.value().login))
                     .toInt(),
                 2);
    }

    void theSameRequestQueuesOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                            {{Acme, QStringLiteral("finance")}});
        QVERIFY(finance);
        ScopedConnection connection(finance.value().settings);
        QVERIFY(connection.isOpen());
        SubscriptionService service(connection.name());
        const QString token = QUuid::createUuid().toString(QUuid::WithoutBraces);
        auto first =
            service.requestAction(request(AcmeActive, SubscriptionAction::CancelNow, token));
        auto again =
            service.requestAction(request(AcmeActive, SubscriptionAction::CancelNow, token));
        QVERIFY2(first && again, qPrintable(first ? QString() : message(first.error())));
        QCOMPARE(again->id, first->id);
        QCOMPARE(scalar(connection.name(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 1);

        // Straight through the function: same key, same job; same key for other work: refused.
        const QString key = QStringLiteral("subscription:%1:cancel:%2").arg(AcmeActive, token);
        const QString call = QStringLiteral(
            "SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
            "'{\"subscription_id\": \"%2\", \"stripe_subscription_id\": \"sub_a1\"}', '%3')::text");
        QCOMPARE(scalar(connection.name(), call.arg(Acme, AcmeActive, key)).toString(), first->id);
        QSqlQuery q(connection.database());
        QVERIFY(!q.exec(QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.resume', "
                                       "'{\"subscription_id\": \"%2\"}', '%3')")
                            .arg(Acme, AcmeActive, key)));
        QVERIFY(q.lastError().databaseText().contains(QStringLiteral("already used")));
        QCOMPARE(scalar(connection.name(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(), 1);
    }

    void newSubscriptionNeedsStripeFirstAndIsQueuedOnce()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                            {{Acme, QStringLiteral("finance")}});
        QVERIFY(finance);
        ScopedConnection connection(finance.value().settings);
        QVERIFY(connection.isOpen());
        SubscriptionService service(connection.name());
        const int before =
            scalar(connection.name(), QStringLiteral("SELECT count(*) FROM subscriptions")).toInt();

        auto tenants = service.tenantChoices();
        QVERIFY(tenants);
        QCOMPARE(tenants->size(), 1); // subscriptions.manage in Acme only
        QCOMPARE(tenants->first().isCustomer, false);

        NewSubscriptionRequest request;
        request.organizationId = Acme;
        request.planId = ProPlan;
        request.quantity = 3;
        request.collection = QStringLiteral("send_invoice");
        request.daysUntilDue = 14;
        request.requestToken = QUuid::createUuid().toString(QUuid::WithoutBraces);
        auto refused = service.create(request);
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::Conflict);
        QCOMPARE(refused.error().message,
                 QStringLiteral("Acme Ltd is not a Stripe customer yet. Sync the tenant to Stripe "
                                "first (Tenants, Sync to Stripe), then start the subscription."));
        QVERIFY(exec(db, QStringLiteral("UPDATE organizations SET stripe_customer_id = 'cus_acme' "
                                        "WHERE id = '%1'")
                             .arg(Acme)));
        refused = service.create(request);
        QVERIFY(!refused);
        QVERIFY(refused.error().message.startsWith(
            QStringLiteral("The plan Pro has no Stripe price yet. Publish it to Stripe first")));
        QVERIFY(exec(db, QStringLiteral("UPDATE plans SET stripe_price_id = 'price_pro' WHERE id "
                                        "= '%1'")
                             .arg(ProPlan)));

        // Not Fiona's organization: refused with the permission named.
        NewSubscriptionRequest other = request;
        other.organizationId = Globex;
        auto denied = service.create(other);
        QVERIFY(!denied);
        QVERIFY2(denied.error().kind == ErrorKind::NotFound ||
                     denied.error().message.contains(QStringLiteral("subscriptions.manage")),
                 qPrintable(denied.error().message));

        auto first = service.create(request);
        QVERIFY2(first, qPrintable(first ? QString() : message(first.error())));
        auto again = service.create(request);
        QVERIFY2(again, qPrintable(again ? QString() : message(again.error())));
        QCOMPARE(again->subscriptionId, first->subscriptionId);
        QCOMPARE(again->jobId, first->jobId);
        QCOMPARE(
            scalar(connection.name(), QStringLiteral("SELECT count(*) FROM subscriptions")).toInt(),
            before + 1);
        QCOMPARE(scalar(connection.name(),
                        QStringLiteral("SELECT status || ' ' || quantity || ' ' || "
                                       "collection_method || ' ' || days_until_due FROM "
                                       "subscriptions WHERE id = '%1'")
                            .arg(first->subscriptionId))
                     .toString(),
                 QStringLiteral("incomplete 3 send_invoice 14"));
        QCOMPARE(scalar(connection.name(),
                        QStringLiteral("SELECT kind || ' ' || (payload ->> 'collection') FROM jobs "
                                       "WHERE id = '%1'")
                            .arg(first->jobId))
                     .toString(),
                 QStringLiteral("subscription.create send_invoice"));

        // A Checkout link needs an https return address.
        NewSubscriptionRequest checkout = request;
        checkout.requestToken = QUuid::createUuid().toString(QUuid::WithoutBraces);
        checkout.collection = QStringLiteral("checkout");
        checkout.successUrl = QStringLiteral("http://acme.example/thanks");
        auto insecure = service.create(checkout);
        QVERIFY(!insecure);
        QCOMPARE(insecure.error().kind, ErrorKind::InvalidInput);
    }

    void viewerIsRefusedPlainlyAndNothingIsQueued()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto viewer = test::createOperator(db, QStringLiteral("vera"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY(viewer);
        ScopedConnection connection(viewer.value().settings);
        QVERIFY(connection.isOpen());
        SubscriptionService service(connection.name());
        QVERIFY(service.get(AcmeActive)); // may see it
        auto refused =
            service.requestAction(request(AcmeActive, SubscriptionAction::CancelAtPeriodEnd));
        QVERIFY(!refused);
        QCOMPARE(refused.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(refused.error().message.contains(QStringLiteral("Acme Ltd")) &&
                     refused.error().message.contains(QStringLiteral("subscriptions.manage")),
                 qPrintable(refused.error().message));

        // The database refuses the same when asked directly.
        QSqlQuery q(connection.database());
        QVERIFY(!q.exec(QStringLiteral("SELECT nobill_enqueue_job('%1', "
                                       "'subscription.cancel_at_period_end', "
                                       "'{\"subscription_id\": \"%2\"}', 'viewer-key-1')")
                            .arg(Acme, AcmeActive)));
        QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("42501"));
        QVERIFY(!q.exec(QStringLiteral("INSERT INTO jobs (organization_id, kind, idempotency_key) "
                                       "VALUES ('%1', 'subscription.cancel', 'viewer-key-2')")
                            .arg(Acme)));
        QCOMPARE(scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(),
                 0);
    }

    void otherOrganizationsAreInvisible()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto finance = test::createOperator(db, QStringLiteral("fiona"), false,
                                            {{Acme, QStringLiteral("finance")}});
        QVERIFY(finance);
        ScopedConnection connection(finance.value().settings);
        QVERIFY(connection.isOpen());
        SubscriptionService service(connection.name());
        SubscriptionQuery all;
        QCOMPARE(service.count(all).value(), 5);
        // Kept in a variable: a range-for over a member of a temporary would dangle.
        const auto page = service.page(all, std::nullopt);
        QVERIFY(page);
        for (const Subscription &s : page->rows)
            QCOMPARE(s.organizationId, Acme);
        SubscriptionQuery globex;
        globex.organizationId = Globex;
        QCOMPARE(service.count(globex).value(), 0);
        QCOMPARE(service.get(GlobexPastDue).error().kind, ErrorKind::NotFound);
        QCOMPARE(service.requestAction(request(GlobexPastDue, SubscriptionAction::CancelNow))
                     .error()
                     .kind,
                 ErrorKind::NotFound);

        // A permission in Acme never reaches Globex's subscription through a payload.
        QSqlQuery q(connection.database());
        QVERIFY(!q.exec(QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
                                       "'{\"subscription_id\": \"%2\"}', 'cross-org-1')")
                            .arg(Acme, GlobexPastDue)));
        QVERIFY(q.lastError().databaseText().contains(QStringLiteral("does not belong")));
        QVERIFY(!q.exec(QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
                                       "'{\"subscription_id\": \"%2\"}', 'cross-org-2')")
                            .arg(Globex, GlobexPastDue)));
        QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("42501"));
        QCOMPARE(scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(),
                 0);
    }

    void theFunctionRefusesWhatItDoesNotKnow()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto admin = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY(admin);
        ScopedConnection connection(admin.value().settings);
        QVERIFY(connection.isOpen());
        const QString payload = QStringLiteral("'{\"subscription_id\": \"%1\"}'").arg(AcmeActive);
        QSqlQuery q(connection.database());
        for (const QString &call :
             {QStringLiteral("SELECT nobill_enqueue_job('ORG', 'stripe.anything', PAYLOAD, 'k1')"),
              QStringLiteral("SELECT nobill_enqueue_job('ORG', 'subscription', PAYLOAD, 'k2')"),
              QStringLiteral(
                  "SELECT nobill_enqueue_job('ORG', 'subscription.cancel', PAYLOAD, '')"),
              QStringLiteral(
                  "SELECT nobill_enqueue_job('ORG', 'subscription.cancel', PAYLOAD, '   ')"),
              QStringLiteral("SELECT nobill_enqueue_job('ORG', 'subscription.cancel', PAYLOAD, "
                             "repeat('k', 256))"),
              QStringLiteral("SELECT nobill_enqueue_job('ORG', 'subscription.cancel', "
                             "'[1]', 'k3')"),
              QStringLiteral("SELECT nobill_enqueue_job('ORG', 'subscription.cancel', "
                             "'{}', 'k4')"),
              QStringLiteral(
                  "SELECT nobill_enqueue_job(NULL, 'subscription.cancel', PAYLOAD, 'k5')")}) {
            QString sql = call;
            sql.replace(QStringLiteral("ORG"), Acme).replace(QStringLiteral("PAYLOAD"), payload);
            QVERIFY2(!q.exec(sql), qPrintable(sql));
            QVERIFY2(q.lastError().nativeErrorCode() == QStringLiteral("P0001") ||
                         q.lastError().nativeErrorCode() == QStringLiteral("42501"),
                     qPrintable(q.lastError().text()));
        }
        // 255 characters are fine; platform work (the catalog: no organization, an existing
        // plan, migration 10) needs a platform admin, who this is.
        QVERIFY2(q.exec(QStringLiteral("SELECT nobill_enqueue_job('%1', 'subscription.cancel', "
                                       "%2, repeat('k', 255))")
                            .arg(Acme, payload)),
                 qPrintable(q.lastError().text()));
        QVERIFY(!q.exec(
            QStringLiteral("SELECT nobill_enqueue_job('%1', 'plan.sync', '{}', 'p0')").arg(Acme)));
        QVERIFY2(q.exec(QStringLiteral("SELECT nobill_enqueue_job(NULL, 'plan.sync', "
                                       "'{\"plan_id\": \"%1\"}', 'p1')")
                            .arg(ProPlan)),
                 qPrintable(q.lastError().text()));
        QCOMPARE(scalar(db.connectionName(), QStringLiteral("SELECT count(*) FROM jobs")).toInt(),
                 2);
        // Nobody but operators may call it; the service login has its own way in.
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT has_function_privilege('nobill_service', "
                                       "'nobill_enqueue_job(uuid, text, jsonb, text)', 'EXECUTE')"))
                     .toBool(),
                 false);
        QCOMPARE(scalar(db.connectionName(),
                        QStringLiteral("SELECT prosecdef AND proconfig::text LIKE "
                                       "'%pg_catalog, public, pg_temp%' FROM pg_proc WHERE "
                                       "proname = 'nobill_enqueue_job'"))
                     .toBool(),
                 true);
    }

    void actionsFollowTheSubscriptionsState()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        SubscriptionService service(db.connectionName());
        auto refusedFor = [&](const QString &id, SubscriptionAction action) {
            auto r = service.requestAction(request(id, action));
            return !r ? r.error().kind : ErrorKind::Unknown;
        };
        QCOMPARE(refusedFor(AcmeCanceled, SubscriptionAction::CancelAtPeriodEnd),
                 ErrorKind::Conflict);
        QCOMPARE(refusedFor(AcmeCanceled, SubscriptionAction::CancelNow), ErrorKind::Conflict);
        QCOMPARE(refusedFor(AcmeActive, SubscriptionAction::Resume), ErrorKind::Conflict);
        QCOMPARE(refusedFor(AcmeMetered, SubscriptionAction::ChangeQuantity), ErrorKind::Conflict);
        QCOMPARE(refusedFor(AcmeIncomplete, SubscriptionAction::CancelNow), ErrorKind::Conflict);
        QCOMPARE(refusedFor(GlobexEnding, SubscriptionAction::CancelAtPeriodEnd),
                 ErrorKind::Conflict);
        auto resume = service.requestAction(request(GlobexEnding, SubscriptionAction::Resume));
        QVERIFY2(resume, qPrintable(resume ? QString() : message(resume.error())));
        QCOMPARE(resume->payload.value(QStringLiteral("mode")).toString(),
                 QStringLiteral("keep_renewing"));
        auto same = request(AcmeActive, SubscriptionAction::ChangeQuantity);
        same.quantity = 5;
        QCOMPARE(service.requestAction(same).error().kind, ErrorKind::InvalidInput);
        auto noKey = request(AcmeActive, SubscriptionAction::CancelNow, QString());
        QCOMPARE(service.requestAction(noKey).error().kind, ErrorKind::InvalidInput);
    }
};

QTEST_GUILESS_MAIN(SubscriptionServiceTest)
#include "tst_subscriptionservice.moc"
