// The Members model over a real database: paging as the view scrolls, sort and filter done
// by the database, switching organizations, rows updated in place. Checked by
// QAbstractItemModelTester.

#include "testcluster.h"

#include "database/databaseworker.h"
#include "members/memberlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Globex = QStringLiteral("00000000-0000-0000-0000-0000000000a2");

void seed(const TestDatabase &db, int members)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    for (const QString &sql :
         {QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                         "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                         "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
              .arg(Acme, Globex),
          QStringLiteral("INSERT INTO users (email, display_name) SELECT 'm' || g || "
                         "'@acme.example', 'Member ' || lpad(g::text, 4, '0') "
                         "FROM generate_series(1, %1) g")
              .arg(members),
          QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                         "SELECT '%1', u.id, r.id FROM users u, roles r "
                         "WHERE r.key = 'viewer' AND r.organization_id IS NULL")
              .arg(Acme),
          QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                         "SELECT '%1', u.id, r.id FROM users u, roles r "
                         "WHERE u.email IN ('m1@acme.example', 'm2@acme.example') "
                         "AND r.key = 'admin' AND r.organization_id IS NULL")
              .arg(Globex)}) {
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
    }
}

bool waitLoaded(MemberListModel &model)
{
    return QTest::qWaitFor([&model]() { return !model.isLoading() && model.totalCount() >= 0; },
                           10000);
}
} // namespace

class MemberListModelTest : public QObject
{
    Q_OBJECT
private slots:
    void pagesFilterSortAndOrganizations()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db, 260);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-members"));
        MemberListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPageSize(100);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);

        // No organization yet: no rows, and no error.
        model.reload();
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 0);
        QCOMPARE(model.totalCount(), 0);

        model.setOrganization(Acme);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 100);
        QCOMPARE(model.totalCount(), 260);
        while (model.canFetchMore({})) {
            model.fetchMore({});
            QVERIFY(waitLoaded(model));
        }
        QCOMPARE(model.rowCount(), 260);
        QCOMPARE(model.data(model.index(259, MemberListModel::Name)).toString(),
                 QStringLiteral("Member 0260"));
        const QModelIndex access = model.index(0, MemberListModel::Access);
        QCOMPARE(model.data(access, AsyncTableModel::RawValueRole).toString(),
                 QStringLiteral("none"));
        QCOMPARE(model.data(access).toString(), QStringLiteral("No console access"));
        QCOMPARE(model.data(model.index(0, MemberListModel::Role)).toString(),
                 QStringLiteral("Viewer"));
        const QString id = model.data(access, AsyncTableModel::IdRole).toString();
        QCOMPARE(model.rowOfId(id), 0);

        model.setFilterText(QStringLiteral("  member 025 "));
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.totalCount(), 10); // 0250..0259
        QCOMPARE(model.rowCount(), 10);

        model.setFilterText(QString());
        model.sort(MemberListModel::Name, Qt::DescendingOrder);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.data(model.index(0, MemberListModel::Name)).toString(),
                 QStringLiteral("Member 0260"));
        model.sort(MemberListModel::Access, Qt::AscendingOrder); // computed: keeps the order
        QVERIFY(!model.isLoading());

        model.setOrganization(Globex);
        QVERIFY(waitLoaded(model));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.data(model.index(0, MemberListModel::Role)).toString(),
                 QStringLiteral("Admin"));

        Member changed = model.memberAt(1);
        changed.roleName = QStringLiteral("Finance");
        QSignalSpy dataChanged(&model, &QAbstractItemModel::dataChanged);
        model.updateMember(changed);
        QCOMPARE(dataChanged.count(), 1);
        QCOMPARE(model.data(model.index(1, MemberListModel::Role)).toString(),
                 QStringLiteral("Finance"));
        QCOMPARE(failures.count(), 0);
    }

    void answersOfAnOldOrganizationAreDropped()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db, 50);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-members-race"));
        MemberListModel model(&worker);
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setOrganization(Acme);
        model.setOrganization(Globex); // before Acme's page arrives
        QVERIFY(waitLoaded(model));
        QTest::qWait(100);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.totalCount(), 2);
    }

    void aBadOrganizationIsAPlainError()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        DatabaseWorker worker(db.settings(), QStringLiteral("test-members-bad"));
        MemberListModel model(&worker);
        QSignalSpy failures(&model, &AsyncTableModel::loadFailed);
        model.setOrganization(QStringLiteral("not-a-uuid"));
        QVERIFY(failures.wait(10000));
        QVERIFY(failures.first().first().toString().contains(QLatin1String("organization")));
        QVERIFY(!model.canFetchMore({}));
    }
};

QTEST_MAIN(MemberListModelTest)
#include "tst_memberlistmodel.moc"
