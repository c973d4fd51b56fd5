// The job worker under failure, end to end: `nobillctl serve` as a process of its own against
// nobill-fake-stripe (another process) that fails 30 % of the API calls; the worker is
// SIGKILLed midway and a second one takes over. A batch of 200 mixed operations (each
// intended Stripe object asked for twice) must end with every object created exactly once
// in the fake, every job succeeded or failed with a reason, none left running. The secret
// key must appear nowhere but in its credential file: not in the service's output, its
// command line or environment, the audit trail, the jobs, or any settings file.

#include "testcluster.h"
#include "testoperators.h"

#include "jobs/jobkinds.h"

#include <QDirIterator>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTemporaryDir>
#include <QTest>
#include <QUuid>

#include <algorithm>
#include <csignal>
#include <random>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
constexpr int Organizations = 40;
constexpr int LicensedPlans = 8;
constexpr int MeteredPlans = 2;
constexpr int MeteredSubscriptions = 10;

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

bool exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql)) {
        qWarning().noquote() << q.lastError().text();
        return false;
    }
    return true;
}

QString uuid(int group, int n)
{
    return QStringLiteral("00000000-0000-0000-%1-%2")
        .arg(group, 4, 10, QLatin1Char('0'))
        .arg(n, 12, 10, QLatin1Char('0'));
}

// Processes this test starts; every one is killed when the test ends, however it ends.
struct Processes
{
    QList<QProcess *> all;
    ~Processes()
    {
        for (QProcess *p : all) {
            if (p->state() != QProcess::NotRunning) {
                p->kill();
                p->waitForFinished(5000);
            }
            delete p;
        }
    }
    QProcess *make()
    {
        auto *p = new QProcess;
        p->setProcessChannelMode(QProcess::MergedChannels);
        all.append(p);
        return p;
    }
};

QJsonObject httpJson(QNetworkAccessManager &network, const QByteArray &method, const QUrl &url,
                     const QByteArray &body = {})
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    QNetworkReply *reply = network.sendCustomRequest(request, method, body);
    QSignalSpy finished(reply, &QNetworkReply::finished);
    if (!reply->isFinished())
        finished.wait(10000);
    const QJsonObject object = QJsonDocument::fromJson(reply->readAll()).object();
    reply->deleteLater();
    return object;
}

bool contains(const QByteArray &haystack, const QString &needle)
{
    return haystack.contains(needle.toUtf8());
}
} // namespace

class TestJobReliability : public QObject
{
    Q_OBJECT

private slots:
    void twoHundredOperationsWithFaultsAndAKilledWorker()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        Processes processes;
        QNetworkAccessManager network;
        const QString key = QStringLiteral("sk_test_reliability") +
                            QString::number(QRandomGenerator::global()->generate64(), 36);

        // ---- the data: tenants, two products with ten plans, a subscription per tenant
        QString sql = QStringLiteral("INSERT INTO products (id, name) VALUES ('%1', 'Seats'), "
                                     "('%2', 'API');")
                          .arg(uuid(1, 1), uuid(1, 2));
        for (int p = 1; p <= LicensedPlans + MeteredPlans; ++p) {
            const bool metered = p > LicensedPlans;
            sql += QStringLiteral("INSERT INTO plans (id, product_id, name, amount, currency, "
                                  "usage_type, metric) VALUES ('%1', '%2', 'Plan %3', %4, 'EUR', "
                                  "'%5', %6);")
                       .arg(uuid(2, p), metered ? uuid(1, 2) : uuid(1, 1))
                       .arg(p)
                       .arg(p * 100)
                       .arg(metered ? QStringLiteral("metered") : QStringLiteral("licensed"),
                            metered ? QStringLiteral("'api_calls'") : QStringLiteral("NULL"));
        }
        for (int o = 1; o <= Organizations; ++o) {
            const bool metered = o <= MeteredSubscriptions;
            const int plan =
                metered ? LicensedPlans + 1 + (o % MeteredPlans) : 1 + (o % LicensedPlans);
            sql += QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, "
                                  "currency) VALUES ('%1', 'Tenant %2', 'tenant-%2', "
                                  "'billing@t%2.example', 'EUR');"
                                  "INSERT INTO subscriptions (id, organization_id, plan_id, "
                                  "quantity) VALUES ('%3', '%1', '%4', %5);")
                       .arg(uuid(3, o))
                       .arg(o)
                       .arg(uuid(4, o), uuid(2, plan))
                       .arg(1 + o % 5);
            if (metered)
                sql += QStringLiteral("INSERT INTO usage_records (organization_id, "
                                      "subscription_id, metric, quantity, occurred_at, "
                                      "idempotency_key) SELECT '%1', '%2', 'api_calls', g * 10, "
                                      "now() - interval '2 hours', 'u%3-' || g FROM "
                                      "generate_series(1, 5) g;")
                           .arg(uuid(3, o), uuid(4, o))
                           .arg(o);
        }
        QVERIFY(exec(db, sql));

        // ---- 200 jobs: every intended object is asked for twice, in a shuffled order
        struct Planned
        {
            QString organization, kind;
            QJsonObject payload;
        };
        QList<Planned> planned;
        for (int round = 0; round < 2; ++round) {
            for (int o = 1; o <= Organizations; ++o) {
                planned.append({uuid(3, o), jobkinds::SyncCustomer, {}});
                planned.append(
                    {uuid(3, o),
                     jobkinds::CreateSubscription,
                     {{QStringLiteral("subscription_id"), uuid(4, o)},
                      {QStringLiteral("collection"),
                       o % 3 == 0 ? QStringLiteral("send_invoice") : QStringLiteral("automatic")},
                      {QStringLiteral("days_until_due"), 30}}});
            }
            for (int p = 1; p <= LicensedPlans + MeteredPlans; ++p)
                planned.append(
                    {QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), uuid(2, p)}}});
            for (int o = 1; o <= MeteredSubscriptions; ++o)
                planned.append({uuid(3, o), jobkinds::ReportUsage, {}});
        }
        QCOMPARE(planned.size(), 200);
        std::mt19937 shuffle(20261123);
        std::shuffle(planned.begin(), planned.end(), shuffle);

        // ---- the fake Stripe, failing 30 % of the API calls
        QProcess *fake = processes.make();
        fake->start(QStringLiteral(NOBILL_FAKE_STRIPE_EXE), {QStringLiteral("--secret-key"), key});
        QVERIFY(fake->waitForStarted(10000));
        QVERIFY(fake->waitForReadyRead(10000));
        const QString first = QString::fromUtf8(fake->readLine()).trimmed();
        QVERIFY2(first.startsWith(QLatin1String("port=")), qPrintable(first));
        const QString base = QStringLiteral("http://127.0.0.1:") + first.mid(5);
        const QJsonObject faults =
            httpJson(network, "POST", QUrl(base + QStringLiteral("/_fake/faults")),
                     QJsonDocument(QJsonObject{{QStringLiteral("rate"), QStringLiteral("0.3")},
                                               {QStringLiteral("seed"), QStringLiteral("11")}})
                         .toJson(QJsonDocument::Compact));
        QVERIFY2(!faults.isEmpty(), "the fake did not take the faults");

        // ---- credentials as systemd hands them over; a home of its own for settings files
        QTemporaryDir credentials, home;
        QVERIFY(credentials.isValid() && home.isValid());
        auto service = test::createServiceLogin(db, QStringLiteral("serve"));
        QVERIFY(service);
        {
            QFile keyFile(credentials.filePath(QStringLiteral("stripe-secret-key")));
            QVERIFY(keyFile.open(QIODevice::WriteOnly));
            keyFile.write(key.toUtf8() + '\n');
            QFile password(credentials.filePath(QStringLiteral("db-password")));
            QVERIFY(password.open(QIODevice::WriteOnly));
            password.write(service.value().password.toUtf8());
        }
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), credentials.path());
        env.insert(QStringLiteral("HOME"), home.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral(".config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral(".local")));
        env.insert(QStringLiteral("ASAN_OPTIONS"), QStringLiteral("detect_leaks=0"));
        env.remove(QStringLiteral("PGPASSWORD"));
        const QString uri = service.value().toUri(false);
        QVERIFY(!uri.contains(service.value().password) || service.value().password.isEmpty());
        auto serve = [&](const QString &name) {
            QProcess *p = processes.make();
            p->setProcessEnvironment(env);
            p->start(QStringLiteral(NOBILLCTL),
                     {QStringLiteral("serve"), QStringLiteral("--db"), uri,
                      QStringLiteral("--worker-name"), name, QStringLiteral("--concurrency"),
                      QStringLiteral("8"), QStringLiteral("--stripe-base-url"), base,
                      QStringLiteral("--lease-seconds"), QStringLiteral("3"),
                      QStringLiteral("--backoff-seconds"), QStringLiteral("1"),
                      QStringLiteral("--poll-ms"), QStringLiteral("500"),
                      // the jobs only: no webhook listener (several serve at once here)
                      QStringLiteral("--no-listen")});
            return p;
        };

        // A key on the command line is refused, and not repeated in the refusal.
        {
            QProcess refused;
            refused.setProcessChannelMode(QProcess::MergedChannels);
            refused.setProcessEnvironment(env);
            refused.start(QStringLiteral(NOBILLCTL),
                          {QStringLiteral("serve"), QStringLiteral("--db"), uri,
                           QStringLiteral("--stripe-key=") + key});
            QVERIFY(refused.waitForFinished(20000));
            QCOMPARE(refused.exitCode(), 2);
            QVERIFY(!contains(refused.readAll(), key));
        }

        // ---- enqueue, run, kill midway, run again
        QElapsedTimer clock;
        clock.start();
        int n = 0;
        for (const Planned &job : planned) {
            QSqlQuery q(QSqlDatabase::database(db.connectionName()));
            q.prepare(QStringLiteral("SELECT nobill_enqueue_job(?::uuid, ?, ?::jsonb, ?)"));
            q.addBindValue(job.organization.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                                      : QVariant(job.organization));
            q.addBindValue(job.kind);
            q.addBindValue(
                QString::fromUtf8(QJsonDocument(job.payload).toJson(QJsonDocument::Compact)));
            q.addBindValue(QStringLiteral("reliability-%1").arg(++n));
            QVERIFY2(q.exec(), qPrintable(q.lastError().text()));
        }
        auto finished = [&]() {
            return scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status IN "
                                             "('succeeded', 'failed')"))
                .toInt();
        };
        QByteArray output;
        QProcess *a = serve(QStringLiteral("worker-a"));
        QVERIFY(a->waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(finished() >= 70, 60000);
        const int beforeKill = finished();
        const QByteArray cmdline = [&] {
            QFile f(QStringLiteral("/proc/%1/cmdline").arg(a->processId()));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        const QByteArray environment = [&] {
            QFile f(QStringLiteral("/proc/%1/environ").arg(a->processId()));
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        QVERIFY(cmdline.contains("serve"));
        ::kill(pid_t(a->processId()), SIGKILL);
        QVERIFY(a->waitForFinished(10000));
        output += a->readAll();
        qInfo("worker A killed after %d of 200 jobs had finished", beforeKill);

        QProcess *b = serve(QStringLiteral("worker-b"));
        QVERIFY(b->waitForStarted(10000));
        QTRY_VERIFY_WITH_TIMEOUT(
            scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status IN ('queued', "
                                      "'running')"))
                    .toInt() == 0,
            80000);
        const qint64 elapsed = clock.elapsed();
        ::kill(pid_t(b->processId()), SIGTERM);
        QVERIFY(b->waitForFinished(20000));
        QCOMPARE(b->exitStatus(), QProcess::NormalExit);
        QCOMPARE(b->exitCode(), 0);
        output += b->readAll();

        // ---- every job ended, with a reason where it failed
        const int succeeded =
            scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'succeeded'"))
                .toInt();
        const int failed =
            scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'failed'")).toInt();
        QCOMPARE(succeeded + failed, 200);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE status = 'failed' AND "
                                           "coalesce(btrim(last_error), '') = ''"))
                     .toInt(),
                 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE locked_by IS NOT NULL "
                                           "OR lease_until IS NOT NULL"))
                     .toInt(),
                 0);
        const int taken =
            scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE attempts > 1")).toInt();
        qInfo("200 jobs in %lld ms: %d succeeded, %d failed, %d needed more than one attempt",
              elapsed, succeeded, failed, taken);
        if (failed > 0)
            qInfo("%s", qPrintable(scalar(db, QStringLiteral("SELECT string_agg(DISTINCT "
                                                             "last_error, ' | ') FROM jobs WHERE "
                                                             "status = 'failed'"))
                                       .toString()));

        // ---- exactly once in Stripe, and our records point at those objects
        const QJsonObject stats =
            httpJson(network, "GET", QUrl(base + QStringLiteral("/_fake/stats")));
        const QJsonObject created = stats.value(QLatin1String("objects_created")).toObject();
        qInfo("fake Stripe: %d requests, %d faults, %d replays",
              stats.value(QLatin1String("requests_total")).toInt(),
              stats.value(QLatin1String("faults_total")).toInt(),
              stats.value(QLatin1String("replays")).toInt());
        QVERIFY(stats.value(QLatin1String("faults_total")).toInt() > 0);
        QCOMPARE(created.value(QLatin1String("customer")).toInt(), Organizations);
        QCOMPARE(created.value(QLatin1String("product")).toInt(), 2);
        QCOMPARE(created.value(QLatin1String("price")).toInt(), LicensedPlans + MeteredPlans);
        QCOMPARE(created.value(QLatin1String("billing.meter")).toInt(), 1);
        QCOMPARE(created.value(QLatin1String("subscription")).toInt(), Organizations);
        QCOMPARE(created.value(QLatin1String("billing.meter_event")).toInt(), MeteredSubscriptions);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(DISTINCT stripe_customer_id) FROM "
                                           "organizations"))
                     .toInt(),
                 failed == 0 ? Organizations
                             : scalar(db, QStringLiteral("SELECT count(stripe_customer_id) FROM "
                                                         "organizations"))
                                   .toInt());
        if (failed == 0) {
            QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM subscriptions WHERE "
                                               "stripe_subscription_id IS NOT NULL"))
                         .toInt(),
                     Organizations);
            QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM usage_records WHERE "
                                               "reported_state = 'reported'"))
                         .toInt(),
                     MeteredSubscriptions * 5);
        }

        // ---- the key is nowhere but in its credential file
        QVERIFY(!contains(output, key));
        QVERIFY(!contains(cmdline, key));
        QVERIFY(!contains(environment, key));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log a WHERE "
                                           "strpos(a::text, '%1') > 0")
                                .arg(key))
                     .toInt(),
                 0);
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM jobs j WHERE strpos(j::text, "
                                           "'%1') > 0")
                                .arg(key))
                     .toInt(),
                 0);
        QDirIterator files(home.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        int searched = 0;
        while (files.hasNext()) {
            QFile f(files.next());
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY2(!contains(f.readAll(), key), qPrintable(f.fileName()));
            ++searched;
        }
        qInfo("searched %d settings files and %lld bytes of service output", searched,
              qlonglong(output.size()));
        QVERIFY(output.contains("worker-b"));

        fake->terminate();
        QVERIFY(fake->waitForFinished(10000));
    }
};

QTEST_GUILESS_MAIN(TestJobReliability)
#include "tst_jobreliability.moc"
