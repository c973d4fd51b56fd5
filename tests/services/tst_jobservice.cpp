// Retrying and cancelling jobs (migration 5) as real console logins: allowed for a platform
// administrator and audited as theirs, refused in plain words for an organization's Admin
// (also through SQL), and refused for jobs in the wrong state.

#include "testcluster.h"
#include "testoperators.h"

#include "jobs/jobservice.h"

#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

QString jobId(const char *status)
{
    const QHash<QString, QString> ids = {
        {QStringLiteral("queued"), QStringLiteral("00000000-0000-0000-0000-00000000f001")},
        {QStringLiteral("running"), QStringLiteral("00000000-0000-0000-0000-00000000f002")},
        {QStringLiteral("succeeded"), QStringLiteral("00000000-0000-0000-0000-00000000f003")},
        {QStringLiteral("failed"), QStringLiteral("00000000-0000-0000-0000-00000000f004")},
        {QStringLiteral("cancelled"), QStringLiteral("00000000-0000-0000-0000-00000000f005")},
    };
    return ids.value(QString::fromLatin1(status));
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

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0);
}

bool seed(const TestDatabase &db)
{
    QString sql =
        QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                       "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');")
            .arg(OrgA);
    for (const char *status : {"queued", "running", "succeeded", "failed", "cancelled"}) {
        sql += QStringLiteral("INSERT INTO jobs (id, organization_id, kind, idempotency_key, "
                              "status, attempts, max_attempts, run_after, last_error) VALUES "
                              "('%1', '%2', 'subscription.update', 'key-%3', '%3', %4, 3, "
                              "now() + interval '1 day', %5);")
                   .arg(jobId(status), OrgA, QString::fromLatin1(status),
                        QString::number(qstrcmp(status, "failed") == 0 ? 3 : 1),
                        qstrcmp(status, "failed") == 0
                            ? QStringLiteral("'Stripe answered 402: card declined.'")
                            : QStringLiteral("NULL"));
    }
    return exec(db, sql);
}

QString statusOf(const TestDatabase &db, const char *which)
{
    return scalar(db, QStringLiteral("SELECT status FROM jobs WHERE id = '%1'").arg(jobId(which)))
        .toString();
}
} // namespace

class JobServiceTest : public QObject
{
    Q_OBJECT
private slots:
    void aPlatformAdminRetriesAndCancels()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto ada = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY2(ada, qPrintable(ada ? QString() : ada.error().message));
        ScopedConnection connection(ada.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        JobService service(connection.name());

        // The list and its counts.
        auto page = service.page(JobQuery{}, std::nullopt);
        QVERIFY(page);
        QCOMPARE(page.value().rows.size(), 5);
        auto counts = service.statusCounts(JobQuery{});
        QVERIFY(counts);
        QCOMPARE(counts.value().value(QStringLiteral("failed")), 1);
        JobQuery failedOnly;
        failedOnly.status = QStringLiteral("failed");
        QCOMPARE(service.count(failedOnly).value(), 1);
        JobQuery byKind;
        byKind.kind = QStringLiteral("subscription.");
        QCOMPARE(service.count(byKind).value(), 5);
        byKind.kind = QStringLiteral("invoice.");
        QCOMPARE(service.count(byKind).value(), 0);

        const int auditBefore =
            scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'jobs'"))
                .toInt();
        auto retried = service.retry(jobId("failed"));
        QVERIFY2(retried, qPrintable(retried ? QString() : retried.error().message));
        QCOMPARE(retried.value().status, QStringLiteral("queued"));
        QCOMPARE(retried.value().attempts, 3);    // kept
        QCOMPARE(retried.value().maxAttempts, 4); // one more to go
        QVERIFY(scalar(db, QStringLiteral("SELECT run_after <= now() FROM jobs WHERE id = '%1'")
                               .arg(jobId("failed")))
                    .toBool());

        // The audit trail names the administrator and what changed.
        QSqlQuery audit(QSqlDatabase::database(db.connectionName()));
        QVERIFY(audit.exec(QStringLiteral("SELECT login, source, action, changed ->> 'status', "
                                          "organization_id::text FROM audit_log "
                                          "WHERE entity = 'jobs' AND entity_id = '%1' "
                                          "ORDER BY id DESC LIMIT 1")
                               .arg(jobId("failed"))));
        QVERIFY(audit.next());
        QCOMPARE(audit.value(0).toString(), ada.value().login);
        QCOMPARE(audit.value(1).toString(), QStringLiteral("console"));
        QCOMPARE(audit.value(2).toString(), QStringLiteral("update"));
        QCOMPARE(audit.value(3).toString(), QStringLiteral("queued"));
        QCOMPARE(audit.value(4).toString(), OrgA);

        auto cancelled = service.cancel(jobId("queued"));
        QVERIFY2(cancelled, qPrintable(cancelled ? QString() : cancelled.error().message));
        QCOMPARE(cancelled.value().status, QStringLiteral("cancelled"));

        auto requeued = service.retry(jobId("cancelled"));
        QVERIFY(requeued);
        QCOMPARE(requeued.value().status, QStringLiteral("queued"));
        QCOMPARE(requeued.value().attempts, 1);
        QCOMPARE(requeued.value().maxAttempts, 3);

        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'jobs'"))
                     .toInt(),
                 auditBefore + 3);

        // The detail carries the payload.
        auto detail = service.get(jobId("failed"));
        QVERIFY(detail);
        QCOMPARE(detail.value().payload, QByteArray("{}"));
        QCOMPARE(detail.value().organizationName, QStringLiteral("Acme Ltd"));
    }

    void anOrganizationAdminIsRefused()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto omar = test::createOperator(db, QStringLiteral("omar"), false,
                                         {{OrgA, QStringLiteral("admin")}});
        QVERIFY2(omar, qPrintable(omar ? QString() : omar.error().message));
        ScopedConnection connection(omar.value().settings);
        QVERIFY2(connection.isOpen(), qPrintable(connection.error()));
        JobService service(connection.name());

        // They see their organization's jobs ...
        QCOMPARE(service.count(JobQuery{}).value(), 5);
        // ... and may not retry or cancel them.
        auto retry = service.retry(jobId("failed"));
        QVERIFY(!retry);
        QCOMPARE(retry.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(retry.error().message.contains(QLatin1String("Only platform administrators")),
                 qPrintable(retry.error().message));
        QVERIFY(retry.error().message.contains(QLatin1String("jobs.manage")));
        auto cancel = service.cancel(jobId("queued"));
        QVERIFY(!cancel);
        QCOMPARE(cancel.error().kind, ErrorKind::PermissionDenied);

        // Nor through SQL: the functions check for themselves.
        for (const QString &function :
             {QStringLiteral("nobill_retry_job"), QStringLiteral("nobill_cancel_job")}) {
            QSqlQuery q(connection.database());
            QVERIFY(!q.exec(QStringLiteral("SELECT %1('%2')")
                                .arg(function, function.contains(QLatin1String("retry"))
                                                   ? jobId("failed")
                                                   : jobId("queued"))));
            QCOMPARE(q.lastError().nativeErrorCode(), QStringLiteral("42501"));
        }
        QCOMPARE(statusOf(db, "failed"), QStringLiteral("failed"));
        QCOMPARE(statusOf(db, "queued"), QStringLiteral("queued"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT count(*) FROM audit_log WHERE entity = 'jobs' "
                                           "AND action = 'update'"))
                     .toInt(),
                 0);
    }

    void wrongStatesAreRefused_data()
    {
        QTest::addColumn<bool>("retry");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QString>("says");
        QTest::newRow("retry queued")
            << true << QStringLiteral("queued") << QStringLiteral("already queued");
        QTest::newRow("retry running")
            << true << QStringLiteral("running") << QStringLiteral("running now");
        QTest::newRow("retry succeeded")
            << true << QStringLiteral("succeeded") << QStringLiteral("already succeeded");
        QTest::newRow("cancel running")
            << false << QStringLiteral("running") << QStringLiteral("cannot be cancelled");
        QTest::newRow("cancel succeeded")
            << false << QStringLiteral("succeeded") << QStringLiteral("already succeeded");
        QTest::newRow("cancel failed")
            << false << QStringLiteral("failed") << QStringLiteral("already failed");
        QTest::newRow("cancel cancelled")
            << false << QStringLiteral("cancelled") << QStringLiteral("already cancelled");
    }

    void wrongStatesAreRefused()
    {
        QFETCH(bool, retry);
        QFETCH(QString, status);
        QFETCH(QString, says);
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(seed(db));
        auto ada = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY(ada);
        ScopedConnection connection(ada.value().settings);
        QVERIFY(connection.isOpen());
        JobService service(connection.name());
        const QByteArray key = status.toLatin1();
        auto result =
            retry ? service.retry(jobId(key.constData())) : service.cancel(jobId(key.constData()));
        QVERIFY(!result);
        QCOMPARE(result.error().kind, ErrorKind::Conflict);
        QVERIFY2(result.error().message.contains(says), qPrintable(result.error().message));
        QVERIFY(result.error().message.startsWith(QLatin1String("This job"))); // a sentence
        QCOMPARE(statusOf(db, key.constData()), status);

        auto missing = service.retry(QStringLiteral("00000000-0000-0000-0000-00000000ffff"));
        QVERIFY(!missing);
        QVERIFY(missing.error().message.contains(QLatin1String("no longer exists")));
    }
};

QTEST_GUILESS_MAIN(JobServiceTest)
#include "tst_jobservice.moc"
