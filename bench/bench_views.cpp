// nobill-bench-views: every list screen over a large database, through the real models.
//
// Builds a throwaway cluster (by default 50,000 organizations, 10 million usage records,
// 2 million audit rows, and subscriptions, invoices, webhook events and jobs to match), then
// drives the console's list models on an event loop, as a platform administrator and as an
// administrator of three organizations:
//   - first page after navigation (a new worker and its connection, as a page opening does),
//   - filter change to first page, over ~20 changes (median and 95th percentile),
//   - jump to the last row: what Ctrl+End does on a list page (the order reversed, so the
//     last rows come first),
//   - the event loop's longest stall during all of that (a 1 ms timer on this thread, the
//     one the models live on, as in the console),
//   - resident memory (VmRSS, VmHWM) after each screen.
// Then the naive way for comparison: a QSqlTableModel with default fetching over the same
// tables (select(), then fetchMore() to the end). Not a test: it asserts nothing and is not
// run by ctest. Options scale it down (--help).

#include "testcluster.h"
#include "testoperators.h"

#include "audit/auditlistmodel.h"
#include "common/asynctablemodel.h"
#include "database/databaseworker.h"
#include "invoices/invoicelistmodel.h"
#include "jobs/joblistmodel.h"
#include "members/memberlistmodel.h"
#include "plans/planlistmodel.h"
#include "subscriptions/subscriptionlistmodel.h"
#include "tenants/tenantlistmodel.h"
#include "usage/usagelistmodel.h"
#include "webhookevents/webhookeventlistmodel.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QSqlTableModel>
#include <QTextStream>
#include <QTimer>

#include <algorithm>
#include <functional>
#include <memory>

using namespace nobill;

namespace {

QTextStream &out()
{
    static QTextStream stream(stdout);
    return stream;
}

void say(const QString &line)
{
    out() << line << "\n";
    out().flush();
}

// The event loop's longest gap: a 1 ms timer notes the time between its ticks.
class StallMeter final : public QObject
{
public:
    StallMeter()
    {
        m_timer.setInterval(1);
        m_timer.setTimerType(Qt::PreciseTimer);
        QObject::connect(&m_timer, &QTimer::timeout, this, [this]() {
            const qint64 now = m_clock.nsecsElapsed();
            if (m_last > 0)
                m_longest = std::max(m_longest, now - m_last);
            m_last = now;
        });
    }
    void start()
    {
        m_clock.start();
        m_last = 0;
        m_timer.start();
    }
    void stop() { m_timer.stop(); }
    double longestMs() const { return double(m_longest) / 1e6; }
    void reset() { m_longest = 0; }

private:
    QTimer m_timer;
    QElapsedTimer m_clock;
    qint64 m_last = 0;
    qint64 m_longest = 0;
};

QString statusField(const char *name)
{
    QFile file(QStringLiteral("/proc/self/status"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QByteArray key = QByteArray(name) + ':';
    for (const QByteArray &line : file.readAll().split('\n')) {
        if (line.startsWith(key))
            return QString::fromLatin1(line.mid(key.size()).simplified());
    }
    return {};
}

// Runs the event loop until the model's first page after a reload arrives (or it fails).
// Returns milliseconds, or -1 on failure or after 120 s.
double untilFirstPage(AsyncTableModel *model, const std::function<void()> &action)
{
    QEventLoop loop;
    bool failed = false;
    const auto loaded =
        QObject::connect(model, &AsyncTableModel::pageLoaded, &loop, [&loop](bool first) {
            if (first)
                loop.quit();
        });
    const auto failure =
        QObject::connect(model, &AsyncTableModel::loadFailed, &loop, [&](const QString &m) {
            say(QStringLiteral("  load failed: ") + m);
            failed = true;
            loop.quit();
        });
    QTimer::singleShot(120000, &loop, [&]() {
        failed = true;
        loop.quit();
    });
    QElapsedTimer timer;
    timer.start();
    action();
    loop.exec();
    const double ms = double(timer.nsecsElapsed()) / 1e6;
    QObject::disconnect(loaded);
    QObject::disconnect(failure);
    return failed ? -1 : ms;
}

struct Stats
{
    double median = 0;
    double p95 = 0;
    double max = 0;
};

Stats stats(QList<double> samples)
{
    if (samples.isEmpty())
        return {};
    std::sort(samples.begin(), samples.end());
    const auto at = [&samples](double q) {
        return samples.at(std::min(samples.size() - 1, qsizetype(q * double(samples.size()))));
    };
    return {at(0.5), at(0.95), samples.last()};
}

// A list screen as the bench drives it: its model, a filter to change (the i-th change
// sets some filter value, alternating so every change is a real one), and the column and
// order the page sorts by (Ctrl+End reverses it; -1: the list has one fixed order).
struct Screen
{
    QString name;
    std::function<AsyncTableModel *(DatabaseWorker *)> make;
    std::function<void(AsyncTableModel *, int)> changeFilter;
    int sortColumn = -1;
    Qt::SortOrder order = Qt::AscendingOrder;
};

struct ScreenFigures
{
    QString who;
    QString screen;
    double firstPage = 0;
    Stats filter;
    double jump = -1;
    double stall = 0;
    int total = -1;
    QString rss;
};

ScreenFigures drive(const QString &who, const ConnectionSettings &settings, const Screen &screen,
                    int changes, StallMeter &stalls)
{
    ScreenFigures f;
    f.who = who;
    f.screen = screen.name;
    stalls.reset();
    // Navigation: the page creates its worker (a new connection) and model, then reloads.
    auto worker = std::make_unique<DatabaseWorker>(settings, QStringLiteral("bench"));
    std::unique_ptr<AsyncTableModel> model(screen.make(worker.get()));
    if (screen.sortColumn >= 0)
        model->sort(screen.sortColumn, screen.order);
    f.firstPage = untilFirstPage(model.get(), [&]() { model->reload(); });

    QList<double> samples;
    for (int i = 1; i <= changes; ++i)
        samples << untilFirstPage(model.get(), [&]() { screen.changeFilter(model.get(), i); });
    // Back to no filter for the jump, as the screen opened.
    untilFirstPage(model.get(), [&]() { screen.changeFilter(model.get(), 0); });
    f.filter = stats(samples);
    if (screen.sortColumn >= 0) {
        const Qt::SortOrder reversed =
            screen.order == Qt::AscendingOrder ? Qt::DescendingOrder : Qt::AscendingOrder;
        f.jump = untilFirstPage(model.get(), [&]() { model->sort(screen.sortColumn, reversed); });
    }
    // Let the count arrive (it is asked for beside the first page).
    QElapsedTimer wait;
    wait.start();
    while (model->totalCount() < 0 && wait.elapsed() < 60000)
        QCoreApplication::processEvents(QEventLoop::WaitForMoreEvents, 50);
    f.total = model->totalCount();
    // The console keeps its pages (and their connections) once opened: closing this one's
    // connections below is not part of what the operator waits for.
    f.stall = stalls.longestMs();
    model.reset();
    worker.reset();
    f.rss = statusField("VmRSS");
    return f;
}

QString ms(double value)
{
    return value < 0 ? QStringLiteral("n/a") : QString::number(value, 'f', 1);
}

bool exec(QSqlQuery &q, const QString &sql)
{
    if (q.exec(sql))
        return true;
    say(QStringLiteral("SQL failed: %1\n%2").arg(sql, q.lastError().text()));
    return false;
}

QString scalar(QSqlQuery &q, const QString &sql)
{
    if (!exec(q, sql) || !q.next())
        return {};
    return q.value(0).toString();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral("Every list screen over a large database."));
    parser.addHelpOption();
    const QCommandLineOption usageOption(QStringLiteral("usage-rows"),
                                         QStringLiteral("Usage "
                                                        "records."),
                                         QStringLiteral("N"), QStringLiteral("10000000"));
    const QCommandLineOption auditOption(QStringLiteral("audit-rows"),
                                         QStringLiteral("Audit rows."), QStringLiteral("N"),
                                         QStringLiteral("2000000"));
    const QCommandLineOption orgOption(QStringLiteral("organizations"),
                                       QStringLiteral("Organizations (2 subscriptions, 6 "
                                                      "invoices, 4 webhook events and 2 jobs "
                                                      "each)."),
                                       QStringLiteral("N"), QStringLiteral("50000"));
    const QCommandLineOption changesOption(QStringLiteral("changes"),
                                           QStringLiteral("Filter changes per screen."),
                                           QStringLiteral("N"), QStringLiteral("20"));
    const QCommandLineOption noNaiveOption(QStringLiteral("no-naive"),
                                           QStringLiteral("Skip the QSqlTableModel comparison."));
    parser.addOptions({usageOption, auditOption, orgOption, changesOption, noNaiveOption});
    parser.process(app);
    const qint64 usageRows = parser.value(usageOption).toLongLong();
    const qint64 auditRows = parser.value(auditOption).toLongLong();
    const qint64 orgs = std::max<qint64>(10, parser.value(orgOption).toLongLong());
    const int changes = std::max(1, parser.value(changesOption).toInt());

    test::TestDatabase db;
    if (!db.isValid()) {
        say(QStringLiteral("cannot create the benchmark database: ") + db.error());
        return 1;
    }
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QElapsedTimer load;
    load.start();
    // Loading as the owner with triggers off (audit, change feed, totals, foreign keys): this
    // measures reading. The data is consistent by construction.
    const QStringList loading{
        QStringLiteral("SET session_replication_role = replica"),
        QStringLiteral("SET synchronous_commit = off"),
        QStringLiteral("SET maintenance_work_mem = '512MB'"),
        QStringLiteral("SET work_mem = '256MB'"),
        QStringLiteral(
            "INSERT INTO organizations (name, slug, billing_email, currency, status, "
            "stripe_customer_id, created_at) SELECT 'Tenant ' || lpad(g::text, 7, '0'), "
            "'tenant-' || g, 'billing' || g || '@example.com', (ARRAY['EUR','USD','GBP'])[1 + g "
            "% 3], CASE WHEN g % 17 = 0 THEN 'suspended' ELSE 'active' END, 'cus_b' || g, "
            "now() - (g % 1000) * interval '1 hour' FROM generate_series(1, %1) g")
            .arg(orgs),
        QStringLiteral("CREATE TEMP TABLE o AS SELECT row_number() OVER (ORDER BY slug) AS n, id, "
                       "currency FROM organizations"),
        QStringLiteral("CREATE UNIQUE INDEX ON o (n)"),
        QStringLiteral("INSERT INTO products (name) VALUES ('Platform'), ('Usage')"),
        QStringLiteral(
            "INSERT INTO plans (product_id, name, amount, currency, usage_type, metric) "
            "SELECT p.id, p.name || ' ' || c, CASE WHEN p.name = 'Usage' THEN 2 ELSE 4900 END, "
            "c, CASE WHEN p.name = 'Usage' THEN 'metered' ELSE 'licensed' END, CASE WHEN "
            "p.name = 'Usage' THEN 'api_calls' END FROM products p, unnest(ARRAY['EUR','USD',"
            "'GBP']) c"),
        QStringLiteral(
            "INSERT INTO subscriptions (organization_id, plan_id, status, quantity, "
            "current_period_start, current_period_end, stripe_subscription_id, created_at) "
            "SELECT o.id, p.id, (ARRAY['active','active','active','trialing','past_due',"
            "'canceled','paused','unpaid'])[1 + (o.n * 2 + k) % 8], 1 + o.n % 20, "
            "now() - (o.n % 30) * interval '1 day', now() + (30 - o.n % 30) * interval '1 day', "
            "'sub_b' || o.n || '_' || k, now() - (o.n % 700) * interval '1 day' "
            "FROM o CROSS JOIN generate_series(0, 1) k JOIN plans p ON p.currency = o.currency "
            "AND p.usage_type = CASE WHEN k = 0 THEN 'licensed' ELSE 'metered' END"),
        QStringLiteral("CREATE TEMP TABLE ms AS SELECT row_number() OVER (ORDER BY s.id) AS n, "
                       "s.id, s.organization_id FROM subscriptions s JOIN plans p ON p.id = "
                       "s.plan_id WHERE p.usage_type = 'metered'"),
        QStringLiteral("CREATE UNIQUE INDEX ON ms (n)"),
        QStringLiteral(
            "INSERT INTO invoices (organization_id, subscription_id, number, status, currency, "
            "subtotal, total, amount_due, amount_paid, amount_remaining, period_start, "
            "period_end, due_date, stripe_invoice_id, created_at, finalized_at) "
            "SELECT s.organization_id, s.id, 'INV-' || g || '-' || k, (ARRAY['paid','paid',"
            "'paid','open','void','uncollectible'])[1 + (g + k) % 6], p.currency, p.amount * "
            "s.quantity, p.amount * s.quantity, p.amount * s.quantity, 0, p.amount * "
            "s.quantity, now() - (k + 1) * interval '1 month', now() - k * interval '1 month', "
            "now() - k * interval '1 month' + interval '14 days', 'in_b' || g || '_' || k, "
            "now() - k * interval '1 month' - (g % 1000) * interval '1 minute', "
            "now() - k * interval '1 month' FROM (SELECT row_number() OVER () g, * FROM "
            "subscriptions) s JOIN plans p ON p.id = s.plan_id CROSS JOIN generate_series(0, 2) "
            "k"),
        // Bulk loading: the plain indexes are built once afterwards rather than row by row.
        QStringLiteral("CREATE TEMP TABLE usage_indexes AS SELECT indexdef FROM pg_indexes i "
                       "WHERE tablename = 'usage_records' AND NOT EXISTS (SELECT 1 FROM "
                       "pg_constraint c WHERE c.conname = i.indexname)"),
        QStringLiteral("DO $$ DECLARE r record; BEGIN FOR r IN SELECT indexname FROM pg_indexes i "
                       "WHERE tablename = 'usage_records' AND NOT EXISTS (SELECT 1 FROM "
                       "pg_constraint c WHERE c.conname = i.indexname) LOOP EXECUTE 'DROP INDEX ' "
                       "|| quote_ident(r.indexname); END LOOP; END $$"),
        QStringLiteral(
            "INSERT INTO usage_records (organization_id, subscription_id, metric, quantity, "
            "occurred_at, idempotency_key, reported_state, reported_at) "
            "SELECT ms.organization_id, ms.id, CASE WHEN g % 5 = 0 THEN 'storage_gb' ELSE "
            "'api_calls' END, g % 1000, now() - (g % 15552000) * interval '1 second', 'k' || g, "
            "CASE WHEN g % 4 = 0 THEN 'unreported' ELSE 'reported' END, CASE WHEN g % 4 = 0 "
            "THEN NULL ELSE now() END FROM generate_series(1, %1) g JOIN ms ON ms.n = 1 + g % "
            "(SELECT count(*) FROM ms)")
            .arg(usageRows),
        QStringLiteral("DO $$ DECLARE r record; BEGIN FOR r IN SELECT indexdef FROM "
                       "usage_indexes LOOP EXECUTE r.indexdef; END LOOP; END $$"),
        QStringLiteral(
            "INSERT INTO audit_log (id, occurred_at, login, organization_id, source, action, "
            "entity, entity_id, after) SELECT (SELECT coalesce(max(id), 0) FROM audit_log) + g, "
            "now() - (%1 - g) * interval '1 second', "
            "(ARRAY['ann','bob','worker','cli'])[1 + g % 4], CASE WHEN g % 10 = 0 THEN NULL "
            "ELSE o.id END, (ARRAY['console','worker','webhook','cli'])[1 + g % 4], "
            "(ARRAY['insert','update','update','delete'])[1 + g % 4], (ARRAY['organizations',"
            "'subscriptions','invoices','usage_records','plans'])[1 + g % 5], g::text, "
            "jsonb_build_object('n', g) FROM generate_series(1, %1) g JOIN o ON o.n = 1 + g % "
            "%2")
            .arg(auditRows)
            .arg(orgs),
        QStringLiteral(
            "INSERT INTO stripe_events (id, type, stripe_created, object_id, payload, status, "
            "attempts, received_at, organization_id) SELECT 'evt_b' || g, (ARRAY["
            "'invoice.paid','invoice.payment_failed','customer.subscription.updated',"
            "'customer.updated'])[1 + g % 4], now() - g * interval '1 second', 'in_b' || g, "
            "'{}', (ARRAY['processed','processed','ignored','failed','received'])[1 + g % 5], "
            "1, now() - g * interval '1 second', o.id FROM generate_series(1, %1 * 4) g JOIN o "
            "ON o.n = 1 + g % %1")
            .arg(orgs),
        QStringLiteral(
            "INSERT INTO jobs (organization_id, kind, idempotency_key, status, attempts, "
            "created_at, updated_at) SELECT o.id, (ARRAY['stripe.subscription.update',"
            "'stripe.subscription.cancel','stripe.customer.update'])[1 + g % 3], 'bench-' || g, "
            "(ARRAY['succeeded','succeeded','failed','queued','cancelled'])[1 + g % 5], 1, "
            "now() - g * interval '1 second', now() FROM generate_series(1, %1 * 2) g JOIN o ON "
            "o.n = 1 + g % %1")
            .arg(orgs),
        QStringLiteral(
            "INSERT INTO users (email, display_name) SELECT 'member' || g || '@example.com', "
            "'Member ' || lpad(g::text, 4, '0') FROM generate_series(1, 600) g"),
        QStringLiteral(
            "INSERT INTO memberships (organization_id, user_id, role_id) SELECT (SELECT id FROM "
            "o WHERE n = 1), u.id, r.id FROM users u, roles r WHERE u.email LIKE "
            "'member%@example.com' AND r.is_builtin AND r.key = 'viewer'"),
        QStringLiteral("RESET session_replication_role"),
        // Settle before measuring: without this, autovacuum (the insert threshold) and the
        // checkpoint after gigabytes of new rows run during the measurements.
        QStringLiteral("VACUUM ANALYZE"),
        QStringLiteral("CHECKPOINT"),
    };
    for (const QString &sql : loading) {
        QElapsedTimer step;
        step.start();
        if (!exec(q, sql))
            return 1;
        if (step.elapsed() > 2000)
            say(QStringLiteral("  %1 s: %2")
                    .arg(double(step.elapsed()) / 1000.0, 0, 'f', 1)
                    .arg(sql.simplified().left(60)));
    }
    const double loadSeconds = double(load.elapsed()) / 1000.0;
    const QString org1 = scalar(q, QStringLiteral("SELECT id FROM o WHERE n = 1"));
    const QString org2 = scalar(q, QStringLiteral("SELECT id FROM o WHERE n = 2"));
    const QString org3 = scalar(q, QStringLiteral("SELECT id FROM o WHERE n = %1").arg(orgs / 2));
    const QString planMetered =
        scalar(q, QStringLiteral("SELECT id FROM plans WHERE usage_type = 'metered' AND currency "
                                 "= 'EUR'"));
    auto admin = test::createOperator(db, QStringLiteral("bench_admin"), true, {});
    auto orgAdmin = test::createOperator(db, QStringLiteral("bench_orgadmin"), false,
                                         {{org1, QStringLiteral("admin")},
                                          {org2, QStringLiteral("admin")},
                                          {org3, QStringLiteral("admin")}});
    if (!admin || !orgAdmin) {
        say(QStringLiteral("cannot create the operators"));
        return 1;
    }
    say(QStringLiteral("nobill-bench-views: %1 organizations, %2 usage records, %3 audit rows, "
                       "loaded in %4 s (generate_series as the owner, triggers off, then "
                       "VACUUM ANALYZE)")
            .arg(orgs)
            .arg(usageRows)
            .arg(auditRows)
            .arg(loadSeconds, 0, 'f', 1));
    say(QStringLiteral("times in ms, through the real models on this thread's event loop; "
                       "filter changes without the pages' 250 ms typing debounce\n"));

    const QStringList statuses{QStringLiteral("active"), QStringLiteral("canceled"),
                               QStringLiteral("past_due")};
    const QList<Screen> screens{
        {QStringLiteral("Tenants"), [](DatabaseWorker *w) { return new TenantListModel(w); },
         [](AsyncTableModel *m, int i) {
             // Typing: "tenant-1", "tenant-12", ... as the debounce would send them.
             static_cast<TenantListModel *>(m)->setFilterText(
                 i == 0 ? QString() : QStringLiteral("tenant-%1").arg(i * 37));
         },
         TenantListModel::Name, Qt::AscendingOrder},
        {QStringLiteral("Members"),
         [org1](DatabaseWorker *w) {
             auto *m = new MemberListModel(w);
             m->setOrganization(org1);
             return m;
         },
         [](AsyncTableModel *m, int i) {
             static_cast<MemberListModel *>(m)->setFilterText(
                 i == 0 ? QString() : QStringLiteral("member%1").arg(i * 7));
         },
         MemberListModel::Name, Qt::AscendingOrder},
        {QStringLiteral("Plans"), [](DatabaseWorker *w) { return new PlanListModel(w); },
         [](AsyncTableModel *m, int i) {
             static_cast<PlanListModel *>(m)->setCurrencyFilter(
                 i == 0 ? QString()
                        : QStringList{QStringLiteral("EUR"), QStringLiteral("USD")}.at(i % 2));
         },
         PlanListModel::Product, Qt::AscendingOrder},
        {QStringLiteral("Subscriptions"),
         [](DatabaseWorker *w) { return new SubscriptionListModel(w); },
         [statuses](AsyncTableModel *m, int i) {
             static_cast<SubscriptionListModel *>(m)->setStatusFilter(
                 i == 0 ? QString() : statuses.at(i % statuses.size()));
         },
         SubscriptionListModel::Renews, Qt::AscendingOrder},
        {QStringLiteral("Usage"), [](DatabaseWorker *w) { return new UsageListModel(w); },
         [](AsyncTableModel *m, int i) {
             auto *model = static_cast<UsageListModel *>(m);
             UsageQuery query = model->query();
             query.metric =
                 i == 0 ? QString()
                        : (i % 2 ? QStringLiteral("storage_gb") : QStringLiteral("api_calls"));
             query.from =
                 i == 0 ? QDateTime() : QDateTime::currentDateTimeUtc().addDays(-(i % 7 + 1) * 10);
             model->setQuery(query);
         },
         UsageListModel::Occurred, Qt::DescendingOrder},
        {QStringLiteral("Invoices"), [](DatabaseWorker *w) { return new InvoiceListModel(w); },
         [](AsyncTableModel *m, int i) {
             static_cast<InvoiceListModel *>(m)->setStatusFilter(
                 i == 0 ? QString()
                        : QStringList{QStringLiteral("open"), QStringLiteral("paid"),
                                      QStringLiteral("void")}
                              .at(i % 3));
         },
         InvoiceListModel::Created, Qt::DescendingOrder},
        {QStringLiteral("Audit log"), [](DatabaseWorker *w) { return new AuditListModel(w); },
         [](AsyncTableModel *m, int i) {
             static_cast<AuditListModel *>(m)->setEntityFilter(
                 i == 0 ? QString()
                        : QStringList{QStringLiteral("subscriptions"), QStringLiteral("plans"),
                                      QStringLiteral("invoices")}
                              .at(i % 3));
         },
         AuditListModel::Id, Qt::DescendingOrder},
        {QStringLiteral("Webhook events"),
         [](DatabaseWorker *w) { return new WebhookEventListModel(w); },
         [](AsyncTableModel *m, int i) {
             static_cast<WebhookEventListModel *>(m)->setStatusFilter(
                 i == 0 ? QString()
                        : QStringList{QStringLiteral("failed"), QStringLiteral("processed"),
                                      QStringLiteral("received")}
                              .at(i % 3));
         },
         -1, Qt::DescendingOrder},
        {QStringLiteral("Jobs"), [](DatabaseWorker *w) { return new JobListModel(w); },
         [](AsyncTableModel *m, int i) {
             static_cast<JobListModel *>(m)->setStatusFilter(
                 i == 0 ? QString()
                        : QStringList{QStringLiteral("failed"), QStringLiteral("queued"),
                                      QStringLiteral("succeeded")}
                              .at(i % 3));
         },
         -1, Qt::DescendingOrder},
    };

    StallMeter stalls;
    stalls.start();
    {
        // The floor: the longest gap of an idle event loop on this machine as it is now
        // (other processes compete for the two cores too).
        QEventLoop idle;
        QTimer::singleShot(3000, &idle, &QEventLoop::quit);
        idle.exec();
        say(QStringLiteral("idle event loop over 3 s: longest gap %1 ms (the machine's noise "
                           "floor)\n")
                .arg(stalls.longestMs(), 0, 'f', 1));
    }
    double worstStall = 0;
    say(QStringLiteral("who            | screen          |    rows | first page | filter "
                       "median | filter p95 | last row | longest stall | RSS after"));
    const QList<QPair<QString, ConnectionSettings>> actors{
        {QStringLiteral("platform admin"), admin->settings},
        {QStringLiteral("admin of 3 orgs"), orgAdmin->settings}};
    for (const auto &actor : actors) {
        for (const Screen &screen : screens) {
            const ScreenFigures f = drive(actor.first, actor.second, screen, changes, stalls);
            worstStall = std::max(worstStall, f.stall);
            say(QStringLiteral("%1 | %2 | %3 | %4 | %5 | %6 | %7 | %8 | %9")
                    .arg(f.who.leftJustified(14), f.screen.leftJustified(15))
                    .arg(f.total, 7)
                    .arg(ms(f.firstPage), 10)
                    .arg(ms(f.filter.median), 13)
                    .arg(ms(f.filter.p95), 10)
                    .arg(ms(f.jump), 8)
                    .arg(ms(f.stall), 13)
                    .arg(f.rss));
        }
    }
    stalls.stop();
    say(QStringLiteral("\nlongest event-loop stall over all screens: %1 ms; RSS now %2, peak "
                       "%3")
            .arg(worstStall, 0, 'f', 1)
            .arg(statusField("VmRSS"), statusField("VmHWM")));

    if (parser.isSet(noNaiveOption))
        return 0;
    // The naive way: QSqlTableModel with default fetching, as the platform admin. select()
    // runs the whole query (the PostgreSQL driver buffers the complete result), then the
    // view would call fetchMore() 256 rows at a time.
    say(QStringLiteral("\nnaive QSqlTableModel (platform admin), for the ratio:"));
    say(QStringLiteral("table          |     rows | select() ms | fetch to end ms | RSS after"));
    const QString naiveConnection = QStringLiteral("bench-naive");
    {
        QSqlDatabase naive = QSqlDatabase::addDatabase(QStringLiteral("QPSQL"), naiveConnection);
        naive.setHostName(admin->settings.host);
        naive.setPort(admin->settings.port);
        naive.setDatabaseName(admin->settings.database);
        naive.setUserName(admin->settings.user);
        naive.setPassword(admin->settings.password);
        if (!naive.open()) {
            say(QStringLiteral("cannot connect: ") + naive.lastError().text());
            return 1;
        }
        for (const QString &table :
             {QStringLiteral("organizations"), QStringLiteral("invoices"),
              QStringLiteral("audit_log"), QStringLiteral("usage_records")}) {
            QSqlTableModel model(nullptr, naive);
            model.setTable(table);
            QElapsedTimer timer;
            timer.start();
            model.select();
            const double selectMs = double(timer.nsecsElapsed()) / 1e6;
            while (model.canFetchMore())
                model.fetchMore();
            const double endMs = double(timer.nsecsElapsed()) / 1e6;
            say(QStringLiteral("%1 | %2 | %3 | %4 | %5")
                    .arg(table.leftJustified(14))
                    .arg(model.rowCount(), 8)
                    .arg(selectMs, 11, 'f', 1)
                    .arg(endMs, 15, 'f', 1)
                    .arg(statusField("VmRSS")));
        }
    }
    QSqlDatabase::removeDatabase(naiveConnection);
    say(QStringLiteral("peak RSS %1").arg(statusField("VmHWM")));
    return 0;
}
