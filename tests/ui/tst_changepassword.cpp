// First sign-in with a one-time password: the operator must choose a password that meets
// the policy; the new one is set through the database and the flag is cleared.

#include "testcluster.h"
#include "testoperators.h"

#include "common/messagebanner.h"
#include "connection/changepassworddialog.h"

#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSqlQuery>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

class ChangePasswordTest : public QObject
{
    Q_OBJECT
private slots:
    void oneTimePasswordMustBeReplaced()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        auto op = test::createOperator(db, QStringLiteral("newcomer"), false, {});
        QVERIFY2(op, qPrintable(op ? QString() : op.error().message));
        auto mustChange = [&db, &op]() {
            QSqlQuery q(QSqlDatabase::database(db.connectionName()));
            q.exec(QStringLiteral("SELECT must_change_password FROM users WHERE id = '%1'")
                       .arg(op->userId));
            return q.next() && q.value(0).toBool();
        };
        QVERIFY(mustChange()); // a granted login starts with a one-time password

        ChangePasswordDialog dialog(op->settings, op->login + QStringLiteral("@operators.example"),
                                    true);
        dialog.show();
        auto *password = dialog.findChild<QLineEdit *>(QStringLiteral("newPassword"));
        auto *repeat = dialog.findChild<QLineEdit *>(QStringLiteral("repeatPassword"));
        auto *problems = dialog.findChild<QLabel *>(QStringLiteral("passwordProblems"));
        QPushButton *ok = dialog.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok);
        QVERIFY(ok);

        QTest::keyClicks(password, QStringLiteral("short"));
        QVERIFY(problems->text().contains(QLatin1String("at least 12")));
        QVERIFY(!ok->isEnabled());
        password->clear();
        QTest::keyClicks(password, op->login + QStringLiteral("-Plus-2026"));
        QVERIFY2(problems->text().contains(QLatin1String("login")), qPrintable(problems->text()));
        password->clear();
        QTest::keyClicks(password, QStringLiteral("Harbour-Lights-77"));
        QTest::keyClicks(repeat, QStringLiteral("Harbour-Lights-78"));
        QVERIFY(problems->text().contains(QLatin1String("differ")));
        QVERIFY(!ok->isEnabled());
        repeat->clear();
        QTest::keyClicks(repeat, QStringLiteral("Harbour-Lights-77"));
        QVERIFY(problems->text().isEmpty());
        QVERIFY(ok->isEnabled());
        ok->click();
        QTRY_COMPARE_WITH_TIMEOUT(dialog.result(), int(QDialog::Accepted), 10000);
        QCOMPARE(dialog.settings().password, QStringLiteral("Harbour-Lights-77"));
        QVERIFY(!mustChange());

        // The server stores a SCRAM verifier, never the password itself.
        QSqlQuery q(QSqlDatabase::database(db.connectionName()));
        QVERIFY(q.exec(QStringLiteral("SELECT rolpassword FROM pg_authid WHERE rolname = '%1'")
                           .arg(op->login)));
        QVERIFY(q.next());
        QVERIFY(q.value(0).toString().startsWith(QLatin1String("SCRAM-SHA-256$")));
        QVERIFY(!q.value(0).toString().contains(QLatin1String("Harbour")));
    }
};

QTEST_MAIN(ChangePasswordTest)
#include "tst_changepassword.moc"
