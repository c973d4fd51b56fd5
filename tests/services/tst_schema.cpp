// The schema's own rules, against a real PostgreSQL: what the database refuses, with which
// SQLSTATE and named constraint, and the sentence the operator then reads; what it
// cascades; and what the audit trigger records.

#include "testcluster.h"

#include "database/sqlerror.h"

#include <QSet>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

Q_DECLARE_METATYPE(nobill::ErrorKind)

namespace {

// Fixed ids keep the statements below readable.
//   Alpha (EUR): subscription on the Pro plan, an invoice, a usage record, two members (one
//                with Alpha's own "Accountant" role).
//   Beta (USD):  members only.
//   Gamma (EUR): a member and a subscription on the Legacy plan (no Stripe price), nothing
//                else.
const char *const Fixture[] = {
    "INSERT INTO organizations (id, name, slug, billing_email, currency, stripe_customer_id) "
    "VALUES ('00000000-0000-0000-0000-0000000000a1', 'Alpha', 'alpha', 'billing@alpha.example', "
    "'EUR', 'cus_alpha'), "
    "('00000000-0000-0000-0000-0000000000b1', 'Beta', 'beta', 'billing@beta.example', 'USD', "
    "'cus_beta'), "
    "('00000000-0000-0000-0000-0000000000c1', 'Gamma', 'gamma', 'billing@gamma.example', 'EUR', "
    "NULL)",
    "INSERT INTO users (id, email, display_name) VALUES "
    "('00000000-0000-0000-0000-0000000000e1', 'anna@alpha.example', 'Anna'), "
    "('00000000-0000-0000-0000-0000000000e2', 'ben@alpha.example', 'Ben')",
    "INSERT INTO roles (id, organization_id, name) VALUES "
    "('00000000-0000-0000-0000-0000000000f1', '00000000-0000-0000-0000-0000000000a1', "
    "'Accountant')",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT '00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000e1', id "
    "FROM roles WHERE key = 'owner'",
    "INSERT INTO memberships (organization_id, user_id, role_id) VALUES "
    "('00000000-0000-0000-0000-0000000000a1', '00000000-0000-0000-0000-0000000000e2', "
    "'00000000-0000-0000-0000-0000000000f1')",
    "INSERT INTO memberships (organization_id, user_id, role_id) "
    "SELECT o, '00000000-0000-0000-0000-0000000000e1', r.id FROM roles r, (VALUES "
    "('00000000-0000-0000-0000-0000000000b1'::uuid), ('00000000-0000-0000-0000-0000000000c1')) "
    "AS x(o) WHERE r.key = 'viewer'",
    "INSERT INTO products (id, name, stripe_product_id) VALUES "
    "('00000000-0000-0000-0000-000000000d01', 'Cloud', 'prod_cloud')",
    "INSERT INTO plans (id, product_id, name, amount, currency, stripe_price_id) VALUES "
    "('00000000-0000-0000-0000-000000000d11', '00000000-0000-0000-0000-000000000d01', 'Pro', "
    "4900, 'EUR', 'price_pro'), "
    "('00000000-0000-0000-0000-000000000d12', '00000000-0000-0000-0000-000000000d01', 'Legacy', "
    "2900, 'EUR', NULL)",
    "INSERT INTO plans (id, product_id, name, amount, currency, usage_type, metric, "
    "stripe_price_id) VALUES ('00000000-0000-0000-0000-000000000d13', "
    "'00000000-0000-0000-0000-000000000d01', 'API', 1, 'EUR', 'metered', 'api_calls', "
    "'price_api')",
    "INSERT INTO subscriptions (id, organization_id, plan_id, status, stripe_subscription_id) "
    "VALUES ('00000000-0000-0000-0000-000000000501', '00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000d11', 'active', 'sub_alpha'), "
    "('00000000-0000-0000-0000-000000000503', '00000000-0000-0000-0000-0000000000c1', "
    "'00000000-0000-0000-0000-000000000d12', 'active', NULL)",
    "INSERT INTO invoices (organization_id, subscription_id, number, status, currency, subtotal, "
    "total, amount_due, stripe_invoice_id) VALUES ('00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000501', 'ALPHA-0001', 'open', 'EUR', 4900, 4900, 4900, "
    "'in_alpha')",
    "INSERT INTO usage_records (organization_id, subscription_id, metric, quantity, occurred_at, "
    "idempotency_key) VALUES ('00000000-0000-0000-0000-0000000000a1', "
    "'00000000-0000-0000-0000-000000000501', 'api_calls', 10, now(), 'import-1/row-1')",
};

const QString Alpha = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Beta = QStringLiteral("00000000-0000-0000-0000-0000000000b1");

bool exec(const TestDatabase &db, const QString &sql, QSqlError *error = nullptr)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
    const bool ok = q.exec(sql);
    if (error)
        *error = q.lastError();
    return ok;
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text() << "in" << sql;
        return {};
    }
    return q.value(0);
}

bool loadFixture(const TestDatabase &db)
{
    for (const char *statement : Fixture) {
        QSqlError error;
        if (!exec(db, QString::fromUtf8(statement), &error)) {
            qWarning().noquote() << error.text() << "in" << statement;
            return false;
        }
    }
    return true;
}

} // namespace

class SchemaTest : public QObject
{
    Q_OBJECT
private slots:
    void rejects_data()
    {
        QTest::addColumn<QString>("statement");
        QTest::addColumn<QString>("state");
        QTest::addColumn<QString>("constraint");
        QTest::addColumn<ErrorKind>("kind");

        const QString check = QStringLiteral("23514");
        const QString unique = QStringLiteral("23505");
        const QString foreignKey = QStringLiteral("23503");
        const ErrorKind invalid = ErrorKind::InvalidInput;
        const ErrorKind conflict = ErrorKind::Conflict;

        QTest::newRow("subscription status unknown to Stripe")
            << QStringLiteral("UPDATE subscriptions SET status = 'expired'") << check
            << QStringLiteral("subscriptions_status_check") << invalid;
        QTest::newRow("negative plan amount")
            << QStringLiteral("INSERT INTO plans (product_id, name, amount, currency) VALUES "
                              "('00000000-0000-0000-0000-000000000d01', 'Refund', -100, 'EUR')")
            << check << QStringLiteral("plans_amount_check") << invalid;
        QTest::newRow("negative invoice total")
            << QStringLiteral("UPDATE invoices SET total = -4900") << check
            << QStringLiteral("invoices_amounts_check") << invalid;
        QTest::newRow("negative usage quantity")
            << QStringLiteral("INSERT INTO usage_records (organization_id, metric, quantity, "
                              "occurred_at, idempotency_key) VALUES ('%1', 'api_calls', -5, "
                              "now(), 'import-1/row-2')")
                   .arg(Alpha)
            << check << QStringLiteral("usage_records_quantity_check") << invalid;
        QTest::newRow("negative seats")
            << QStringLiteral("UPDATE subscriptions SET quantity = -1") << check
            << QStringLiteral("subscriptions_quantity_check") << invalid;
        QTest::newRow("duplicate Stripe customer")
            << QStringLiteral("UPDATE organizations SET stripe_customer_id = 'cus_alpha' WHERE "
                              "id = '%1'")
                   .arg(Beta)
            << unique << QStringLiteral("organizations_stripe_customer_id_key") << conflict;
        QTest::newRow("duplicate Stripe price")
            << QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                              "stripe_price_id) VALUES ('00000000-0000-0000-0000-000000000d01', "
                              "'Pro again', 4900, 'EUR', 'price_pro')")
            << unique << QStringLiteral("plans_stripe_price_id_key") << conflict;
        QTest::newRow("duplicate Stripe subscription")
            << QStringLiteral("INSERT INTO subscriptions (organization_id, plan_id, "
                              "stripe_subscription_id) VALUES ('%1', "
                              "'00000000-0000-0000-0000-000000000d11', 'sub_alpha')")
                   .arg(Beta)
            << unique << QStringLiteral("subscriptions_stripe_subscription_id_key") << conflict;
        QTest::newRow("duplicate Stripe invoice")
            << QStringLiteral("INSERT INTO invoices (organization_id, currency, "
                              "stripe_invoice_id) VALUES ('%1', 'USD', 'in_alpha')")
                   .arg(Beta)
            << unique << QStringLiteral("invoices_stripe_invoice_id_key") << conflict;
        QTest::newRow("slug with capitals and a space")
            << QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                              "VALUES ('Delta', 'Delta Corp', 'billing@delta.example', 'EUR')")
            << check << QStringLiteral("organizations_slug_format") << invalid;
        QTest::newRow("slug of one letter")
            << QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) "
                              "VALUES ('D', 'd', 'billing@delta.example', 'EUR')")
            << check << QStringLiteral("organizations_slug_format") << invalid;
        QTest::newRow("slug with a trailing hyphen")
            << QStringLiteral("UPDATE organizations SET slug = 'beta-' WHERE id = '%1'").arg(Beta)
            << check << QStringLiteral("organizations_slug_format") << invalid;
        QTest::newRow("slug taken")
            << QStringLiteral("UPDATE organizations SET slug = 'alpha' WHERE id = '%1'").arg(Beta)
            << unique << QStringLiteral("organizations_slug_key") << conflict;
        QTest::newRow("lowercase currency")
            << QStringLiteral("UPDATE organizations SET currency = 'eur' WHERE id = '%1'")
                   .arg(Alpha)
            << check << QStringLiteral("organizations_currency_format") << invalid;
        QTest::newRow("plan currency of four letters")
            << QStringLiteral("INSERT INTO plans (product_id, name, amount, currency) VALUES "
                              "('00000000-0000-0000-0000-000000000d01', 'X', 1, 'EURO')")
            << check << QStringLiteral("plans_currency_format") << invalid;
        QTest::newRow("billing e-mail without domain")
            << QStringLiteral("UPDATE organizations SET billing_email = 'billing@alpha' WHERE "
                              "id = '%1'")
                   .arg(Alpha)
            << check << QStringLiteral("organizations_billing_email_format") << invalid;
        QTest::newRow("metered plan without metric")
            << QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                              "usage_type) VALUES ('00000000-0000-0000-0000-000000000d01', "
                              "'Per call', 1, 'EUR', 'metered')")
            << check << QStringLiteral("plans_metric_check") << invalid;
        QTest::newRow("per-seat plan with metric")
            << QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, metric) "
                              "VALUES ('00000000-0000-0000-0000-000000000d01', 'Seats', 1, "
                              "'EUR', 'api_calls')")
            << check << QStringLiteral("plans_metric_check") << invalid;
        QTest::newRow("usage imported twice for the same tenant")
            << QStringLiteral("INSERT INTO usage_records (organization_id, metric, quantity, "
                              "occurred_at, idempotency_key) VALUES ('%1', 'api_calls', 3, "
                              "now(), 'import-1/row-1')")
                   .arg(Alpha)
            << unique << QStringLiteral("usage_records_idempotency_key_key") << conflict;
        QTest::newRow("usage on another tenant's subscription")
            << QStringLiteral("INSERT INTO usage_records (organization_id, subscription_id, "
                              "metric, quantity, occurred_at, idempotency_key) VALUES ('%1', "
                              "'00000000-0000-0000-0000-000000000501', 'api_calls', 3, now(), "
                              "'import-9/row-1')")
                   .arg(Beta)
            << foreignKey << QStringLiteral("usage_records_subscription_id_fkey") << conflict;
        QTest::newRow("deleting a tenant with subscriptions")
            << QStringLiteral("DELETE FROM organizations WHERE slug = 'gamma'") << foreignKey
            << QStringLiteral("subscriptions_organization_id_fkey") << conflict;
        QTest::newRow("deleting a plan in use")
            << QStringLiteral("DELETE FROM plans WHERE name = 'Legacy'") << foreignKey
            << QStringLiteral("subscriptions_plan_id_fkey") << conflict;
        QTest::newRow("deleting a plan that exists in Stripe")
            << QStringLiteral("DELETE FROM plans WHERE name = 'API'") << foreignKey
            << QStringLiteral("plans_stripe_price_delete_check") << conflict;
        QTest::newRow("repricing a plan that exists in Stripe")
            << QStringLiteral("UPDATE plans SET amount = 5900 WHERE name = 'Pro'") << check
            << QStringLiteral("plans_terms_immutable_check") << invalid;
        QTest::newRow("deleting a role in use")
            << QStringLiteral("DELETE FROM roles WHERE name = 'Accountant'") << foreignKey
            << QStringLiteral("memberships_role_id_fkey") << conflict;
        QTest::newRow("role name taken whatever its case")
            << QStringLiteral("INSERT INTO roles (organization_id, name) VALUES ('%1', "
                              "'ACCOUNTANT')")
                   .arg(Alpha)
            << unique << QStringLiteral("roles_name_key") << conflict;
        QTest::newRow("member given another tenant's role")
            << QStringLiteral("UPDATE memberships SET role_id = "
                              "'00000000-0000-0000-0000-0000000000f1' WHERE organization_id = "
                              "'%1'")
                   .arg(Beta)
            << check << QStringLiteral("memberships_role_scope_check") << invalid;
        QTest::newRow("member added twice")
            << QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                              "SELECT '%1', '00000000-0000-0000-0000-0000000000e1', id FROM "
                              "roles WHERE key = 'admin'")
                   .arg(Alpha)
            << unique << QStringLiteral("memberships_pkey") << conflict;
        QTest::newRow("e-mail taken whatever its case")
            << QStringLiteral("INSERT INTO users (email, display_name) VALUES "
                              "('Anna@Alpha.Example', 'Anna Again')")
            << unique << QStringLiteral("users_email_key") << conflict;
        QTest::newRow("invoiced subscription without payment term")
            << QStringLiteral("UPDATE subscriptions SET collection_method = 'send_invoice'")
            << check << QStringLiteral("subscriptions_days_until_due_check") << invalid;
        QTest::newRow("job idempotency key reused")
            << QStringLiteral("INSERT INTO jobs (kind, idempotency_key) VALUES ('stripe.x', "
                              "'k1'), ('stripe.y', 'k1')")
            << unique << QStringLiteral("jobs_idempotency_key_key") << conflict;
    }

    void rejects()
    {
        QFETCH(QString, statement);
        QFETCH(QString, state);
        QFETCH(QString, constraint);
        QFETCH(ErrorKind, kind);

        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(loadFixture(db));

        QSqlError error;
        QVERIFY2(!exec(db, statement, &error), "the database accepted the statement");
        QCOMPARE(nobill::sqlState(error), state);
        QCOMPARE(violatedConstraint(error), constraint);

        const Error translated = translateSqlError(error);
        QCOMPARE(translated.kind, kind);
        const QString expected = constraintMessage(constraint);
        QVERIFY2(!expected.isEmpty(), qPrintable(constraint));
        QCOMPARE(translated.message, expected);
        // The operator reads a sentence, not the server's text; the log keeps that.
        QVERIFY(!translated.message.contains(constraint));
        QVERIFY(!translated.message.contains(error.databaseText()));
        QVERIFY(translated.detail.contains(constraint));
    }

    void usageKeysAreUniquePerTenantOnly()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(loadFixture(db));
        QSqlError error;
        QVERIFY2(exec(db,
                      QStringLiteral("INSERT INTO usage_records (organization_id, metric, "
                                     "quantity, occurred_at, idempotency_key) VALUES ('%1', "
                                     "'api_calls', 3, now(), 'import-1/row-1')")
                          .arg(Beta),
                      &error),
                 qPrintable(error.text()));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records WHERE "
                                           "idempotency_key = 'import-1/row-1'"))
                     .toInt(),
                 2);
    }

    void deletingTenantCascadesMemberships()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(loadFixture(db));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships WHERE "
                                           "organization_id = '%1'")
                                .arg(Beta))
                     .toInt(),
                 1);
        QSqlError error;
        QVERIFY2(
            exec(db, QStringLiteral("DELETE FROM organizations WHERE id = '%1'").arg(Beta), &error),
            qPrintable(error.text()));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships WHERE "
                                           "organization_id = '%1'")
                                .arg(Beta))
                     .toInt(),
                 0);
        // The person and their other memberships stay.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM memberships WHERE user_id = "
                                           "'00000000-0000-0000-0000-0000000000e1'"))
                     .toInt(),
                 2);
        // The audit trail outlives the tenant.
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = "
                                           "'organizations' AND action = 'delete' AND "
                                           "organization_id = '%1'")
                                .arg(Beta))
                     .toInt(),
                 1);
    }

    void auditRecordsOneRowPerChange()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(loadFixture(db));
        const QString lastId = QStringLiteral("(SELECT coalesce(max(id), 0) FROM audit_log)");
        const qlonglong before = scalar(db, lastId).toLongLong();

        QSqlError error;
        QVERIFY2(exec(db,
                      QStringLiteral("UPDATE organizations SET name = 'Alpha Two', city = "
                                     "'Berlin', version = version + 1 WHERE id = '%1'")
                          .arg(Alpha),
                      &error),
                 qPrintable(error.text()));

        QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
        QVERIFY(q.exec(
            QStringLiteral(
                "SELECT action, entity, entity_id, organization_id::text, source, login, "
                " (SELECT string_agg(k, ',' ORDER BY k) FROM jsonb_object_keys(changed) AS k), "
                " before ->> 'name', after ->> 'name', changed ->> 'city' "
                "FROM audit_log WHERE id > %1 ORDER BY id")
                .arg(before)));
        QVERIFY(q.next());
        QCOMPARE(q.value(0).toString(), QStringLiteral("update"));
        QCOMPARE(q.value(1).toString(), QStringLiteral("organizations"));
        QCOMPARE(q.value(2).toString(), Alpha);
        QCOMPARE(q.value(3).toString(), Alpha);
        QCOMPARE(q.value(4).toString(), QStringLiteral("cli")); // the test session's source
        QCOMPARE(q.value(5).toString(), db.settings().user);
        // updated_at and version change every time: they are not news.
        QCOMPARE(q.value(6).toString(), QStringLiteral("city,name"));
        QCOMPARE(q.value(7).toString(), QStringLiteral("Alpha"));
        QCOMPARE(q.value(8).toString(), QStringLiteral("Alpha Two"));
        QCOMPARE(q.value(9).toString(), QStringLiteral("Berlin"));
        QVERIFY2(!q.next(), "more than one audit row for one update");

        // An update that changes nothing but the bookkeeping writes nothing.
        const qlonglong afterUpdate = scalar(db, lastId).toLongLong();
        QVERIFY(exec(db, QStringLiteral("UPDATE organizations SET name = name, version = "
                                        "version + 1 WHERE id = '%1'")
                             .arg(Alpha)));
        QCOMPARE(scalar(db, lastId).toLongLong(), afterUpdate);

        // A membership is identified by its two keys, and belongs to its organization.
        QVERIFY(exec(db, QStringLiteral("DELETE FROM memberships WHERE organization_id = '%1' "
                                        "AND user_id = '00000000-0000-0000-0000-0000000000e2'")
                             .arg(Alpha)));
        QCOMPARE(scalar(db, QStringLiteral("SELECT action || ' ' || entity || ' ' || entity_id "
                                           "|| ' ' || organization_id || ' ' || (after IS NULL) "
                                           "FROM audit_log ORDER BY id DESC LIMIT 1"))
                     .toString(),
                 QStringLiteral("delete memberships %1/00000000-0000-0000-0000-0000000000e2 %1 "
                                "true")
                     .arg(Alpha));
    }

    void updatedAtFollowsChanges()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(loadFixture(db));
        QVERIFY(exec(db, QStringLiteral("UPDATE organizations SET updated_at = '2000-01-01' "
                                        "WHERE id = '%1'")
                             .arg(Alpha)));
        QVERIFY(scalar(db, QStringLiteral("SELECT updated_at > now() - interval '1 hour' FROM "
                                          "organizations WHERE id = '%1'")
                               .arg(Alpha))
                    .toBool());
    }

    void everyNamedConstraintHasAMessage()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
        // Checks, uniques and foreign keys; unique indexes; and the primary keys a person can
        // run into. Constraints the triggers raise are listed by hand.
        QVERIFY(q.exec(QStringLiteral(
            "SELECT conname FROM pg_constraint WHERE connamespace = 'public'::regnamespace "
            "  AND (contype IN ('c', 'u', 'f') OR conname IN ('memberships_pkey', "
            "       'role_permissions_pkey', 'stripe_events_pkey')) "
            "  AND conrelid <> 'nobill_schema_migrations'::regclass "
            "UNION ALL "
            "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE c.relnamespace = 'public'::regnamespace AND i.indisunique "
            "  AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) "
            "UNION ALL "
            "SELECT unnest(ARRAY['memberships_role_scope_check', "
            "  'plans_stripe_price_delete_check', 'plans_terms_immutable_check'])")));
        QStringList missing;
        int count = 0;
        while (q.next()) {
            ++count;
            const QString name = q.value(0).toString();
            if (constraintMessage(name).isEmpty())
                missing << name;
        }
        QVERIFY(count > 80);
        QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QLatin1String(", "))));
    }

    void unknownConstraintHasNoMessage()
    {
        QVERIFY(constraintMessage(QStringLiteral("no_such_constraint")).isEmpty());
        QVERIFY(constraintMessage(QString()).isEmpty());
    }

    void tenantFilterUsesTrigramIndex()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db, QStringLiteral("SET enable_seqscan = off")));
        QSqlQuery q(QSqlDatabase::database(db.connectionName(), false));
        QVERIFY(q.exec(QStringLiteral(
            "EXPLAIN SELECT o.id FROM organizations o WHERE (o.name || ' ' || o.slug || ' ' || "
            "o.billing_email || ' ' || coalesce(o.stripe_customer_id, '')) ILIKE '%acme%'")));
        QString plan;
        while (q.next())
            plan += q.value(0).toString() + QLatin1Char('\n');
        QVERIFY2(plan.contains(QLatin1String("organizations_search_trgm_idx")), qPrintable(plan));
    }
};

QTEST_GUILESS_MAIN(SchemaTest)
#include "tst_schema.moc"
