// Signed in as a Viewer: the Tenants screen shows only the viewer's organizations, offers no
// editing, and an edit forced through the service layer gets a plain refusal.

#include "testcluster.h"
#include "testoperators.h"

#include "access/signin.h"
#include "database/databaseworker.h"
#include "tenants/tenantlistmodel.h"
#include "tenants/tenantservice.h"
#include "tenants/tenantspage.h"

#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString AcmeId = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString GlobexId = QStringLiteral("00000000-0000-0000-0000-0000000000a2");

void exec(const TestDatabase &db, const QString &sql)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
}

template <typename T>
Result<T> runAs(const ConnectionSettings &settings,
                std::function<Result<T>(const QString &connection)> task)
{
    DatabaseWorker worker(settings, QStringLiteral("test-as-operator"));
    std::optional<Result<T>> outcome;
    QObject context;
    worker.run<T>(&context, std::move(task), [&outcome](Result<T> r) { outcome = std::move(r); });
    if (!QTest::qWaitFor([&outcome]() { return outcome.has_value(); }, 10000))
        return makeError(ErrorKind::Internal, QStringLiteral("timed out"));
    return *outcome;
}
} // namespace

class AccessGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void viewerSeesButCannotChange()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                     "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                     "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                     .arg(AcmeId, GlobexId));
        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{AcmeId, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : viewer.error().message));

        auto signIn = runAs<SignIn>(
            viewer->settings, [](const QString &connection) { return completeSignIn(connection); });
        QVERIFY2(signIn, qPrintable(signIn ? QString() : signIn.error().message));
        QVERIFY(!signIn->access.platformAdmin);
        QVERIFY(signIn->access.can(AcmeId, QStringLiteral("tenants.read")));
        QVERIFY(!signIn->access.can(AcmeId, QStringLiteral("tenants.manage")));

        TenantsPage page(viewer->settings);
        page.setAccess(signIn->access);
        page.show();
        page.activate();
        QTRY_VERIFY_WITH_TIMEOUT(!page.model()->isLoading() && page.model()->totalCount() >= 0,
                                 10000);
        // Globex is not the viewer's: invisible, not merely read-only.
        QCOMPARE(page.model()->rowCount(), 1);
        QCOMPARE(page.model()->tenantAt(0).name, QStringLiteral("Acme Ltd"));
        page.view()->selectRow(0);
        for (const char *name :
             {"newTenantButton", "editTenantButton", "suspendTenantButton", "deleteTenantButton"}) {
            auto *button = page.findChild<QPushButton *>(QLatin1String(name));
            QVERIFY2(!button->isEnabled(), name);
            QVERIFY2(!button->toolTip().isEmpty(), name); // says why
        }
        QVERIFY(page.findChild<QPushButton *>(QStringLiteral("editTenantButton"))
                    ->toolTip()
                    .contains(QLatin1String("tenants.manage")));

        // Forced through the service layer anyway: refused in plain words, nothing changed.
        const Tenant acme = page.model()->tenantAt(0);
        auto forced = runAs<Tenant>(viewer->settings, [acme](const QString &connection) {
            return TenantService(connection).suspend(acme.id, acme.version);
        });
        QVERIFY(!forced);
        QCOMPARE(forced.error().kind, ErrorKind::PermissionDenied);
        QVERIFY2(forced.error().message.contains(QLatin1String("You don't have permission to "
                                                               "change Acme Ltd")),
                 qPrintable(forced.error().message));
        auto created = runAs<Tenant>(viewer->settings, [](const QString &connection) {
            TenantDraft d;
            d.name = QStringLiteral("Sneaky Co");
            d.slug = QStringLiteral("sneaky");
            d.billingEmail = QStringLiteral("a@sneaky.example");
            d.currency = QStringLiteral("EUR");
            return TenantService(connection).create(d);
        });
        QVERIFY(!created);
        QCOMPARE(created.error().kind, ErrorKind::PermissionDenied);

        QSqlQuery check(QSqlDatabase::database(db.connectionName()));
        QVERIFY(check.exec(QStringLiteral("SELECT status, (SELECT count(*) FROM organizations) "
                                          "FROM organizations WHERE id = '%1'")
                               .arg(AcmeId)));
        QVERIFY(check.next());
        QCOMPARE(check.value(0).toString(), QStringLiteral("active"));
        QCOMPARE(check.value(1).toInt(), 2);
    }

    void adminOfOneOrganizationManagesOnlyIt()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        exec(db, QStringLiteral(
                     "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                     "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                     "('%2', 'Globex Corp', 'globex', 'ap@globex.example', 'USD')")
                     .arg(AcmeId, GlobexId));
        auto admin = test::createOperator(db, QStringLiteral("orgadmin"), false,
                                          {{AcmeId, QStringLiteral("admin")}});
        QVERIFY2(admin, qPrintable(admin ? QString() : admin.error().message));
        auto suspended = runAs<Tenant>(admin->settings, [](const QString &connection) {
            TenantService service(connection);
            auto acme = service.get(AcmeId);
            if (!acme)
                return Result<Tenant>(acme.error());
            return service.suspend(AcmeId, acme.value().version);
        });
        QVERIFY2(suspended, qPrintable(suspended ? QString() : suspended.error().message));
        QVERIFY(suspended->isSuspended());
        auto other = runAs<Tenant>(admin->settings, [](const QString &connection) {
            return TenantService(connection).suspend(GlobexId, 1);
        });
        QVERIFY(!other);
        QCOMPARE(other.error().kind, ErrorKind::NotFound); // invisible, so not found
    }
};

QTEST_MAIN(AccessGuiTest)
#include "tst_accessgui.moc"
