// The change feed: a change committed on one connection reaches a listener on another
// promptly, with the table, the operation and the row id; nothing before commit.

#include "testcluster.h"

#include "database/changefeed.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

class ChangeFeedTest : public QObject
{
    Q_OBJECT
private slots:
    void committedChangesArrive()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        ChangeFeed feed(db.settings());
        QSignalSpy listening(&feed, &ChangeFeed::listeningChanged);
        QVERIFY(listening.wait(10000));
        QCOMPARE(listening.first().first().toBool(), true);
        QSignalSpy changes(&feed, &ChangeFeed::changed);

        QSqlDatabase connection = QSqlDatabase::database(db.connectionName());
        QSqlQuery q(connection);
        QVERIFY(connection.transaction());
        QVERIFY(q.exec(
            QStringLiteral("INSERT INTO organizations (name, slug, billing_email, currency) VALUES "
                           "('Acme Ltd', 'acme', 'ap@acme.example', 'EUR') RETURNING id::text")));
        QVERIFY(q.next());
        const QString id = q.value(0).toString();
        QTest::qWait(300);
        QCOMPARE(changes.count(), 0); // not before commit
        QElapsedTimer sinceCommit;
        QVERIFY(connection.commit());
        sinceCommit.start();
        QVERIFY(changes.wait(5000));
        // Latency is a figure, not a pass/fail condition here (bench and closing notes).
        qInfo("change seen %lld ms after the commit", qint64(sinceCommit.elapsed()));
        QCOMPARE(changes.first().at(0).toString(), QStringLiteral("organizations"));
        QCOMPARE(changes.first().at(1).toString(), QStringLiteral("insert"));
        QCOMPARE(changes.first().at(2).toString(), id);

        changes.clear();
        QVERIFY(q.exec(QStringLiteral("UPDATE organizations SET name = 'Acme Holdings' WHERE "
                                      "id = '%1'")
                           .arg(id)));
        QVERIFY(changes.wait(5000));
        QCOMPARE(changes.first().at(1).toString(), QStringLiteral("update"));
        QCOMPARE(changes.first().at(2).toString(), id);
    }
};

QTEST_GUILESS_MAIN(ChangeFeedTest)
#include "tst_changefeed.moc"
