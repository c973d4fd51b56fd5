// "Compare with Stripe…" offscreen: a platform administrator's comparison is queued, a job
// worker running in-process executes it against the in-process fake Stripe, and the dialog
// shows the drift report of the finished job as a table; the ticked differences are repaired
// after a confirmation (a second job), and the comparison that follows shows what is left.
// The Jobs screen offers the button to platform administrators only, with a tooltip saying
// why to everyone else.

#include "fakestripeserver.h"
#include "testcluster.h"
#include "testoperators.h"

#include "access/sessionaccess.h"
#include "core/translations.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/billinghandlers.h"
#include "jobs/jobkinds.h"
#include "jobs/jobspage.h"
#include "jobs/jobworker.h"
#include "jobs/reconciledialog.h"
#include "stripe/stripeclient.h"

#include <QApplication>
#include <QJsonDocument>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableWidget>
#include <QTest>

#include <optional>

using namespace nobill;
using nobill::test::FakeStripeServer;
using nobill::test::ScopedConnection;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");
const QString Product = QStringLiteral("00000000-0000-0000-0000-00000000e001");
const QString PlanPro = QStringLiteral("00000000-0000-0000-0000-00000000e101");
const QString PlanTeam = QStringLiteral("00000000-0000-0000-0000-00000000e102");
const QString TestKey = QStringLiteral("sk_test_reconcilegui0123456789");

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

QString enqueue(const TestDatabase &db, const QString &organization, const QString &kind,
                const QJsonObject &payload)
{
    static int counter = 0;
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    q.prepare(QStringLiteral("SELECT nobill_enqueue_job(?::uuid, ?, ?::jsonb, ?)::text"));
    q.addBindValue(organization.isEmpty() ? QVariant(QMetaType::fromType<QString>())
                                          : QVariant(organization));
    q.addBindValue(kind);
    q.addBindValue(QString::fromUtf8(QJsonDocument(payload).toJson(QJsonDocument::Compact)));
    q.addBindValue(QStringLiteral("seed-%1-%2").arg(kind).arg(++counter));
    if (!q.exec() || !q.next()) {
        qWarning().noquote() << q.lastError().text();
        return {};
    }
    return q.value(0).toString();
}

QString statusOf(const TestDatabase &db, const QString &job)
{
    return scalar(db, QStringLiteral("SELECT status FROM jobs WHERE id = '%1'").arg(job))
        .toString();
}

SessionAccess accessOf(const ConnectionSettings &settings)
{
    ScopedConnection connection(settings);
    auto access = loadSessionAccess(connection.name());
    return access ? access.value() : SessionAccess();
}

// The row of the report whose `column` shows `text`, or -1.
int rowOf(const QTableWidget *table, const QString &text, int column)
{
    for (int row = 0; row < table->rowCount(); ++row) {
        if (table->item(row, column) && table->item(row, column)->text() == text)
            return row;
    }
    return -1;
}
} // namespace

class ReconcileGuiTest : public QObject
{
    Q_OBJECT

    std::unique_ptr<JobWorker> makeWorker(const TestDatabase &db, FakeStripeServer &fake)
    {
        auto service = test::createServiceLogin(db, QStringLiteral("office"));
        if (!service)
            return nullptr;
        StripeClientOptions stripe;
        stripe.baseUrl = fake.baseUrl();
        stripe.secretKey = TestKey;
        stripe.timeoutMs = 5000;
        JobWorkerOptions options;
        options.workerName = QStringLiteral("office");
        options.pollIntervalMs = 300;
        options.stopTimeoutMs = 500;
        auto worker = std::make_unique<JobWorker>(service.value(), stripe, options);
        for (const auto &handler : billingJobHandlers())
            worker->addHandler(handler);
        return worker;
    }

    // The tenant a Stripe customer and both plans Stripe prices, by the worker's own jobs.
    bool intoStripe(const TestDatabase &db)
    {
        const QStringList jobs{
            enqueue(db, Acme, jobkinds::SyncCustomer, {}),
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), PlanPro}}),
            enqueue(db, QString(), jobkinds::SyncPlan, {{QStringLiteral("plan_id"), PlanTeam}})};
        for (const QString &job : jobs)
            if (!QTest::qWaitFor([&]() { return statusOf(db, job) == QLatin1String("succeeded"); },
                                 20000))
                return false;
        return true;
    }

    // A change made in the Stripe dashboard, through the fake's API.
    bool stripePost(FakeStripeServer &fake, const QString &path, const QVariantMap &params)
    {
        StripeClientOptions options;
        options.baseUrl = fake.baseUrl();
        options.secretKey = TestKey;
        StripeClient client(options);
        std::optional<bool> ok;
        client.post(path, params, QStringLiteral("dashboard-change"),
                    [&](const StripeReply &reply) { ok = reply.ok; });
        return QTest::qWaitFor([&] { return ok.has_value(); }, 10000) && *ok;
    }

private slots:
    void initTestCase()
    {
        QLocale::setDefault(QLocale(QLocale::English, QLocale::UnitedKingdom));
        installTranslations(QLocale(QLocale::English, QLocale::UnitedKingdom));
    }

    void driftShownAndTickedOnesRepaired()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(
            db, QStringLiteral(
                    "INSERT INTO organizations (id, name, slug, billing_email, currency) VALUES "
                    "('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR');"
                    "INSERT INTO products (id, name) VALUES ('%2', 'Platform');"
                    "INSERT INTO plans (id, product_id, name, amount, currency) VALUES"
                    " ('%3', '%2', 'Pro', 4900, 'EUR'), ('%4', '%2', 'Team', 9900, 'EUR');")
                    .arg(Acme, Product, PlanPro, PlanTeam)));
        FakeStripeServer fake;
        QVERIFY(fake.start());
        auto worker = makeWorker(db, fake);
        QVERIFY(worker);
        worker->start();
        QVERIFY(intoStripe(db));
        // Drift on both sides: Pro archived in NOBill only, Team's price archived in Stripe only.
        QVERIFY(exec(
            db,
            QStringLiteral("UPDATE plans SET archived_at = now() WHERE id = '%1'").arg(PlanPro)));
        const QString teamPrice =
            scalar(
                db,
                QStringLiteral("SELECT stripe_price_id FROM plans WHERE id = '%1'").arg(PlanTeam))
                .toString();
        QVERIFY(stripePost(fake, QStringLiteral("/v1/prices/") + teamPrice,
                           {{QStringLiteral("active"), false}}));

        auto admin = test::createOperator(db, QStringLiteral("pia"), true, {});
        QVERIFY(admin);
        DatabaseWorker dbWorker(admin->settings, QStringLiteral("reconcile-gui"));
        ChangeFeed feed(admin->settings);
        ReconcileDialog dialog(&dbWorker, &feed);
        dialog.show();
        dialog.compare();
        QVERIFY(dialog.isBusy());
        QVERIFY(!dialog.repairButton()->isEnabled());
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 30000);
        QTableWidget *table = dialog.table();
        QCOMPARE(table->rowCount(), 2);
        const int pro = rowOf(table, QStringLiteral("Pro"), ReconcileDialog::OursColumn);
        const int team = rowOf(table, QStringLiteral("Team"), ReconcileDialog::OursColumn);
        QVERIFY(pro >= 0 && team >= 0);
        QCOMPARE(table->item(pro, ReconcileDialog::ObjectColumn)->text(), QStringLiteral("Price"));
        QCOMPARE(table->item(pro, ReconcileDialog::DriftColumn)->text(), QStringLiteral("Differs"));
        QCOMPARE(table->item(pro, ReconcileDialog::FieldColumn)->text(), QStringLiteral("active"));
        QCOMPARE(table->item(pro, ReconcileDialog::OurValueColumn)->text(), QStringLiteral("no"));
        QCOMPARE(table->item(pro, ReconcileDialog::StripeValueColumn)->text(),
                 QStringLiteral("yes"));
        QCOMPARE(table->item(team, ReconcileDialog::StripeIdColumn)->text(), teamPrice);
        QCOMPARE(table->item(team, ReconcileDialog::StripeValueColumn)->text(),
                 QStringLiteral("no"));
        QVERIFY2(dialog.statusLabel()->text().startsWith(QLatin1String("2 differences")),
                 qPrintable(dialog.statusLabel()->text()));
        table->selectRow(team);
        QVERIFY(dialog.noteLabel()->text().contains(QLatin1String("archived")));

        // Only Pro is repaired: Team is unticked.
        QCOMPARE(dialog.checkedIds().size(), 2);
        table->item(team, ReconcileDialog::ObjectColumn)->setCheckState(Qt::Unchecked);
        QCOMPARE(dialog.checkedIds().size(), 1);
        QVERIFY(dialog.repairButton()->isEnabled());
        QSignalSpy repaired(&dialog, &ReconcileDialog::repaired);
        dialog.repairButton()->click();
        QMessageBox *confirm = nullptr;
        QTRY_VERIFY((confirm = dialog.findChild<QMessageBox *>(
                         QStringLiteral("repairConfirmation"))) != nullptr &&
                    confirm->isVisible());
        QPushButton *yes = nullptr;
        for (QAbstractButton *button : confirm->buttons()) {
            if (confirm->buttonRole(button) == QMessageBox::AcceptRole)
                yes = qobject_cast<QPushButton *>(button);
        }
        QVERIFY(yes);
        yes->click();
        QTRY_COMPARE_WITH_TIMEOUT(repaired.size(), 1, 30000);
        QCOMPARE(repaired.first().first().toInt(), 1);
        QVERIFY(scalar(db, QStringLiteral("SELECT archived_at IS NULL FROM plans WHERE id = '%1'")
                               .arg(PlanPro))
                    .toBool());
        QVERIFY(scalar(db, QStringLiteral("SELECT archived_at IS NULL FROM plans WHERE id = '%1'")
                               .arg(PlanTeam))
                    .toBool());
        // The comparison that follows shows what is left.
        QTRY_VERIFY_WITH_TIMEOUT(!dialog.isBusy(), 30000);
        QCOMPARE(table->rowCount(), 1);
        QCOMPARE(table->item(0, ReconcileDialog::OursColumn)->text(), QStringLiteral("Team"));
        QVERIFY2(dialog.statusLabel()->text().startsWith(
                     QLatin1String("Repaired 1 difference in NOBill.")),
                 qPrintable(dialog.statusLabel()->text()));

        // The report of a finished job, opened again: the first comparison.
        const QString first =
            scalar(db, QStringLiteral("SELECT id::text FROM jobs WHERE kind = 'stripe.reconcile' "
                                      "ORDER BY created_at LIMIT 1"))
                .toString();
        ReconcileDialog again(&dbWorker, &feed);
        again.showJob(first);
        QTRY_VERIFY_WITH_TIMEOUT(!again.isBusy(), 10000);
        QCOMPARE(again.table()->rowCount(), 2);
        worker->stop();
        QTRY_COMPARE_WITH_TIMEOUT(worker->runningCount(), 0, 5000);
    }

    void jobsScreenOffersItToPlatformAdministrators()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        QVERIFY(exec(db, QStringLiteral("INSERT INTO organizations (id, name, slug, "
                                        "billing_email, currency) VALUES ('%1', 'Acme Ltd', "
                                        "'acme', 'ap@acme.example', 'EUR')")
                             .arg(Acme)));
        auto viewer = test::createOperator(db, QStringLiteral("vic"), false,
                                           {{Acme, QStringLiteral("admin")}});
        QVERIFY(viewer);
        {
            JobsPage page(viewer->settings);
            page.setAccess(accessOf(viewer->settings));
            QVERIFY(!page.compareButton()->isEnabled());
            QVERIFY(page.compareButton()->toolTip().contains(QLatin1String("platform")));
        }
        auto admin = test::createOperator(db, QStringLiteral("ada"), true, {});
        QVERIFY(admin);
        JobsPage page(admin->settings);
        page.setAccess(accessOf(admin->settings));
        page.show();
        QVERIFY(page.compareButton()->isEnabled());
        page.compareButton()->click();
        ReconcileDialog *dialog = nullptr;
        QTRY_VERIFY((dialog = page.findChild<ReconcileDialog *>(
                         QStringLiteral("reconcileDialog"))) != nullptr &&
                    dialog->isVisible());
        // No office server runs here: the job waits in the queue, as the dialog says.
        QTRY_VERIFY_WITH_TIMEOUT(
            scalar(db, QStringLiteral("SELECT count(*) FROM jobs WHERE kind = 'stripe.reconcile' "
                                      "AND status = 'queued'"))
                    .toInt() == 1,
            10000);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->statusLabel()->text().startsWith(
                                     QLatin1String("Waiting for the office server")),
                                 10000);
        dialog->close();
    }
};

QTEST_MAIN(ReconcileGuiTest)
#include "tst_reconcilegui.moc"
