// The Jobs screen offscreen: retry a failed job through the confirmation; the list and the
// detail follow; an organization's operator sees the actions disabled, with the reason.

#include "testcluster.h"

#include "common/messagebanner.h"
#include "database/changefeed.h"
#include "jobs/joblistmodel.h"
#include "jobs/jobspage.h"

#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString OrgA = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

QVariant scalar(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(sql) || !q.next())
        return {};
    return q.value(0);
}

void seed(const TestDatabase &db)
{
    exec(db, QStringLiteral(
                 "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                 "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
                 "INSERT INTO jobs (organization_id, kind, idempotency_key, status, attempts, "
                 " max_attempts, last_error, created_at) VALUES "
                 "('%1', 'invoice.send', 'k1', 'failed', 8, 8, 'Stripe answered 402: card "
                 "declined.', now() - interval '1 hour'),"
                 "('%1', 'subscription.update', 'k2', 'succeeded', 1, 8, NULL, now() - "
                 "interval '2 hours')")
                 .arg(OrgA));
}

int rowWithStatus(JobListModel *model, const QString &status)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->jobAt(row).status == status)
            return row;
    }
    return -1;
}
} // namespace

class JobsGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void retryAFailedJobThroughTheConfirmation()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        JobsPage page(db.settings());
        page.resize(1200, 800);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 2, 10000);
        auto *retry = page.findChild<QPushButton *>(QStringLiteral("retryJobButton"));
        auto *cancel = page.findChild<QPushButton *>(QStringLiteral("cancelJobButton"));

        // The succeeded job can be neither retried nor cancelled.
        page.view()->selectRow(rowWithStatus(page.model(), QStringLiteral("succeeded")));
        QVERIFY(!retry->isEnabled());
        QVERIFY(!cancel->isEnabled());
        QVERIFY(retry->toolTip().contains(QLatin1String("succeeded")));

        const int failed = rowWithStatus(page.model(), QStringLiteral("failed"));
        page.view()->selectRow(failed);
        QVERIFY(retry->isEnabled());
        QVERIFY(!cancel->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("jobDetailError"))
                                     ->text()
                                     .contains(QLatin1String("card declined")),
                                 5000);

        // First the confirmation is declined: nothing changes.
        retry->click();
        auto *box = page.findChild<QMessageBox *>();
        QVERIFY(box);
        QVERIFY(box->text().contains(QLatin1String("invoice.send")));
        QVERIFY(box->informativeText().contains(QLatin1String("attempts made so far (8)")));
        box->reject();
        QTRY_VERIFY(page.findChild<QMessageBox *>() == nullptr);
        QCOMPARE(scalar(db, QStringLiteral("SELECT status FROM jobs WHERE idempotency_key = 'k1'"))
                     .toString(),
                 QStringLiteral("failed"));

        // Then confirmed.
        retry->click();
        box = page.findChild<QMessageBox *>();
        QVERIFY(box);
        QAbstractButton *confirm = nullptr;
        for (QAbstractButton *b : box->buttons()) {
            if (box->buttonRole(b) == QMessageBox::AcceptRole)
                confirm = b;
        }
        QVERIFY(confirm);
        confirm->click();
        QTRY_VERIFY_WITH_TIMEOUT(page.banner()->text().contains(QLatin1String("queued again")),
                                 10000);
        QCOMPARE(page.model()->jobAt(failed).status, QStringLiteral("queued"));
        QCOMPARE(page.model()->data(page.model()->index(failed, JobListModel::Attempts)).toString(),
                 QStringLiteral("8 of 9"));
        QCOMPARE(scalar(db, QStringLiteral("SELECT status FROM jobs WHERE idempotency_key = 'k1'"))
                     .toString(),
                 QStringLiteral("queued"));
        // Now queued: it can be cancelled, not retried.
        QTRY_VERIFY(!page.isBusy());
        QVERIFY(!retry->isEnabled());
        QVERIFY(cancel->isEnabled());
    }

    void actionsNeedJobsManage()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        JobsPage page(db.settings());
        SessionAccess admin;
        admin.login = QStringLiteral("omar");
        admin.permissionsByOrganization.insert(OrgA, {QStringLiteral("subscriptions.read")});
        page.setAccess(admin);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 2, 10000);
        page.view()->selectRow(rowWithStatus(page.model(), QStringLiteral("failed")));
        auto *retry = page.findChild<QPushButton *>(QStringLiteral("retryJobButton"));
        QVERIFY(!retry->isEnabled());
        QVERIFY(retry->toolTip().contains(QLatin1String("jobs.manage")));
    }

    void progressIsShownLive()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        JobsPage page(db.settings());
        page.setChangeFeed(&feed);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->rowCount() == 2, 10000);
        QTRY_VERIFY_WITH_TIMEOUT(!listening.isEmpty() && listening.last().first().toBool(), 10000);
        const int failed = rowWithStatus(page.model(), QStringLiteral("failed"));
        page.view()->selectRow(failed);

        // The worker (here: the owner) picks the job up: the row follows in place.
        exec(db, QStringLiteral("UPDATE jobs SET status = 'running', attempts = 9, "
                                "max_attempts = 9 WHERE idempotency_key = 'k1'"));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->jobAt(failed).status, QStringLiteral("running"),
                                  5000);
        QCOMPARE(page.view()->selectionModel()->selectedRows().value(0).row(), failed);
        // A new job appears.
        exec(db, QStringLiteral("INSERT INTO jobs (organization_id, kind, idempotency_key) "
                                "VALUES ('%1', 'invoice.void', 'k3')")
                     .arg(OrgA));
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 3, 5000);
    }

    void anEmptyQueueSaysWhy()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        JobsPage page(db.settings());
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.isBusy() && page.model()->totalCount() == 0, 10000);
        QTRY_VERIFY(page.emptyText().contains(QLatin1String("No jobs yet")));
    }
};

QTEST_MAIN(JobsGuiTest)
#include "tst_jobsgui.moc"
