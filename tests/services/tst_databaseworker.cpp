// The worker thread behind every screen: work runs off the calling thread, answers come
// back on it, late answers to a closed window are dropped, a lost server is reported.

#include "testcluster.h"

#include "database/databaseworker.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>
#include <QThread>

#include <atomic>

using namespace nobill;
using nobill::test::TestDatabase;

class DatabaseWorkerTest : public QObject
{
    Q_OBJECT
private slots:
    void runsOnItsOwnThreadAndAnswersOnOurs()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-worker"));
        QThread *taskThread = nullptr;
        QThread *doneThread = nullptr;
        int answer = 0;
        QObject context;
        worker.run<int>(
            &context,
            [&taskThread](const QString &connection) -> Result<int> {
                taskThread = QThread::currentThread();
                QSqlQuery q(QSqlDatabase::database(connection, false));
                if (!q.exec(QStringLiteral("SELECT 6 * 7")) || !q.next())
                    return makeError(ErrorKind::Internal, QStringLiteral("query failed"));
                return q.value(0).toInt();
            },
            [&](Result<int> result) {
                doneThread = QThread::currentThread();
                answer = result ? result.value() : -1;
            });
        QTRY_COMPARE_WITH_TIMEOUT(answer, 42, 10000);
        QVERIFY(taskThread != QThread::currentThread());
        QCOMPARE(doneThread, QThread::currentThread());
        QTRY_VERIFY(!worker.isBusy());
    }

    void lateAnswersToAGoneContextAreDropped()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-worker"));
        bool delivered = false;
        std::atomic<bool> ran{false}; // set on the worker thread
        auto *context = new QObject;
        worker.run<int>(
            context,
            [&ran](const QString &connection) -> Result<int> {
                QSqlQuery(QSqlDatabase::database(connection, false))
                    .exec(QStringLiteral("SELECT pg_sleep(0.2)"));
                ran = true;
                return 1;
            },
            [&delivered](Result<int>) { delivered = true; });
        delete context; // the dialog closed while its query ran
        QTRY_VERIFY_WITH_TIMEOUT(ran, 10000);
        QTest::qWait(100);
        QVERIFY(!delivered);
    }

    void unreachableServerIsAPlainError()
    {
        ConnectionSettings nowhere;
        nowhere.port = 1;
        nowhere.user = QStringLiteral("nobody");
        DatabaseWorker worker(nowhere, QStringLiteral("test-worker-down"));
        QString message;
        bool taskRan = false;
        QObject context;
        worker.run<int>(
            &context,
            [&taskRan](const QString &) -> Result<int> {
                taskRan = true;
                return 1;
            },
            [&message](Result<int> result) {
                message = result ? QStringLiteral("ok") : result.error().message;
            });
        QTRY_VERIFY_WITH_TIMEOUT(!message.isEmpty(), 10000);
        QVERIFY(!taskRan);
        QVERIFY2(message.contains(QLatin1String("cannot be reached")), qPrintable(message));
    }
};

QTEST_GUILESS_MAIN(DatabaseWorkerTest)
#include "tst_databaseworker.moc"
