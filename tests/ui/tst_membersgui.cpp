// The Members screen offscreen, driven as an operator would: invite someone through the
// dialog and find them in the list; give console access and see the one-time password once;
// revoke it after a confirmation; and what a Viewer sees when the database refuses.

#include "testcluster.h"
#include "testoperators.h"

#include "common/messagebanner.h"
#include "members/memberdialogs.h"
#include "members/memberlistmodel.h"
#include "members/memberspage.h"
#include "members/organizationpicker.h"

#include <QApplication>
#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTableView>
#include <QTest>

using namespace nobill;
using nobill::test::TestDatabase;

namespace {
const QString Acme = QStringLiteral("00000000-0000-0000-0000-0000000000a1");

void seed(const TestDatabase &db)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    for (const QString &sql :
         {QStringLiteral("INSERT INTO organizations (id, name, slug, billing_email, currency) "
                         "VALUES ('%1', 'Acme Ltd', 'acme', 'ap@acme.example', 'EUR'), "
                         "('00000000-0000-0000-0000-0000000000a2', 'Globex Corp', 'globex', "
                         "'ap@globex.example', 'USD')")
              .arg(Acme),
          QStringLiteral("INSERT INTO users (email, display_name) VALUES "
                         "('greta.chen@acme.example', 'Greta Chen')"),
          QStringLiteral("INSERT INTO memberships (organization_id, user_id, role_id) "
                         "SELECT '%1', u.id, r.id FROM users u, roles r "
                         "WHERE r.key = 'viewer' AND r.organization_id IS NULL")
              .arg(Acme)}) {
        QVERIFY2(q.exec(sql), qPrintable(q.lastError().text()));
    }
}

int rowNamed(MemberListModel *model, const QString &name)
{
    for (int row = 0; row < model->rowCount(); ++row) {
        if (model->memberAt(row).displayName == name)
            return row;
    }
    return -1;
}

QPushButton *button(QWidget *parent, const char *name)
{
    return parent->findChild<QPushButton *>(QLatin1String(name));
}

QPushButton *saveButton(QDialog *dialog)
{
    return dialog->findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Save);
}

QAbstractButton *destructiveButton(QMessageBox *box)
{
    for (QAbstractButton *b : box->buttons()) {
        if (box->buttonRole(b) == QMessageBox::DestructiveRole)
            return b;
    }
    return nullptr;
}

// The page opened on Acme with its members and roles loaded.
bool openOnAcme(MembersPage &page, int members)
{
    page.resize(1150, 700);
    page.show();
    page.activate();
    page.setCurrentOrganization(Acme);
    return QTest::qWaitFor(
        [&page, members]() {
            return !page.isBusy() && page.currentOrganizationId() == Acme &&
                   page.model()->rowCount() == members && !page.roles().isEmpty();
        },
        10000);
}
} // namespace

// Read once: QPointer's two reads (isNull, then ->) look like a possible null dereference to
// GCC's -Wnull-dereference in optimised builds.
static bool isClosed(const QWidget *dialog)
{
    return dialog == nullptr || !dialog->isVisible();
}

class MembersGuiTest : public QObject
{
    Q_OBJECT
private slots:
    void inviteThroughTheDialog()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        MembersPage page(db.settings());
        QVERIFY(openOnAcme(page, 1));
        QCOMPARE(page.organizationPicker()->currentOrganizationName(), QStringLiteral("Acme Ltd"));

        button(&page, "inviteMemberButton")->click();
        auto *dialog = qobject_cast<MemberDialog *>(page.openDialog());
        QVERIFY(dialog);
        QCOMPARE(dialog->mode(), MemberDialog::Mode::Invite);
        QVERIFY(!saveButton(dialog)->isEnabled()); // nothing typed yet

        auto *email = dialog->findChild<QLineEdit *>(QStringLiteral("email"));
        auto *name = dialog->findChild<QLineEdit *>(QStringLiteral("displayName"));
        auto *role = dialog->findChild<QComboBox *>(QStringLiteral("role"));
        QCOMPARE(role->currentText(), QStringLiteral("Viewer")); // the safe default
        QTest::keyClicks(email, QStringLiteral("nora.holm@acme"));
        auto *problems = dialog->findChild<QLabel *>(QStringLiteral("problems"));
        QVERIFY(problems->isVisibleTo(dialog));
        QTest::keyClicks(email, QStringLiteral(".example"));
        QVERIFY(!problems->isVisibleTo(dialog));
        QVERIFY(!saveButton(dialog)->isEnabled()); // no name yet
        QTest::keyClicks(name, QStringLiteral("Nora Holm"));
        role->setCurrentIndex(role->findText(QStringLiteral("Finance")));
        QVERIFY(saveButton(dialog)->isEnabled());

        QPointer<QDialog> guard(dialog);
        saveButton(dialog)->click();
        QTRY_VERIFY_WITH_TIMEOUT(isClosed(guard.data()), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 2, 10000);
        const int row = rowNamed(page.model(), QStringLiteral("Nora Holm"));
        QVERIFY(row >= 0);
        QCOMPARE(page.model()->data(page.model()->index(row, MemberListModel::Role)).toString(),
                 QStringLiteral("Finance"));
        QVERIFY2(page.banner()->text().contains(QLatin1String("was invited to Acme Ltd")),
                 qPrintable(page.banner()->text()));
        QTRY_COMPARE_WITH_TIMEOUT(page.findChild<QLabel *>(QStringLiteral("detailTitle"))->text(),
                                  QStringLiteral("Nora Holm"), 5000);

        // Adding someone unknown by email offers the invitation instead.
        button(&page, "addMemberButton")->click();
        auto *add = qobject_cast<MemberDialog *>(page.openDialog());
        QVERIFY(add);
        QCOMPARE(add->mode(), MemberDialog::Mode::AddExisting);
        add->setValues(QStringLiteral("nobody@acme.example"), QString());
        saveButton(add)->click();
        auto *banner = add->findChild<MessageBanner *>();
        QTRY_VERIFY_WITH_TIMEOUT(banner->text().contains(QLatin1String("Invite them")), 10000);
        QVERIFY(add->isVisible());
        add->reject();
    }

    void consoleAccessIsGrantedWithAPasswordShownOnceAndRevoked()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        MembersPage page(db.settings());
        QVERIFY(openOnAcme(page, 1));
        page.view()->selectRow(0);
        auto *grant = button(&page, "grantAccessButton");
        auto *revoke = button(&page, "revokeAccessButton");
        QVERIFY(grant->isEnabled());
        QVERIFY(!revoke->isEnabled());

        grant->click();
        auto *dialog = qobject_cast<ConsoleAccessDialog *>(page.openDialog());
        QVERIFY(dialog);
        auto *login = dialog->findChild<QLineEdit *>(QStringLiteral("login"));
        QCOMPARE(login->text(), QStringLiteral("greta_chen")); // from the email address
        login->setText(db.name() + QStringLiteral("_greta"));
        auto *password = dialog->findChild<QLineEdit *>(QStringLiteral("password"));
        QTest::keyClicks(password, QStringLiteral("short"));
        QVERIFY(dialog->findChild<QLabel *>(QStringLiteral("problems"))->isVisibleTo(dialog));
        QVERIFY(!saveButton(dialog)->isEnabled());
        button(dialog, "generatePasswordButton")->click();
        const QString generated = password->text();
        QVERIFY(generated.size() >= 16);
        QVERIFY(saveButton(dialog)->isEnabled());
        saveButton(dialog)->click();

        OneTimePasswordDialog *shown = nullptr;
        QTRY_VERIFY_WITH_TIMEOUT(
            (shown = page.findChild<OneTimePasswordDialog *>()) && shown->isVisible(), 10000);
        QCOMPARE(shown->password(), generated);
        button(shown, "copyPasswordButton")->click();
        QCOMPARE(QApplication::clipboard()->text(), generated);
        QPointer<OneTimePasswordDialog> shownGuard(shown);
        shown->accept();
        QTRY_VERIFY(shownGuard.isNull());

        QTRY_COMPARE_WITH_TIMEOUT(page.model()->memberAt(0).access,
                                  ConsoleAccess::MustChangePassword, 5000);
        QVERIFY(page.banner()->text().contains(QLatin1String("must choose a new password")));
        QVERIFY(!grant->isEnabled());
        QVERIFY(revoke->isEnabled());

        revoke->click();
        auto *confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QVERIFY(confirm->informativeText().contains(QLatin1String("sessions")));
        destructiveButton(confirm)->click();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->memberAt(0).access, ConsoleAccess::Disabled, 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("no longer sign in")));
        QCOMPARE(grant->text(), QStringLiteral("&Restore console access…"));
    }

    void removeAsksFirst()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        MembersPage page(db.settings());
        QVERIFY(openOnAcme(page, 1));
        page.view()->selectRow(0);
        button(&page, "removeMemberButton")->click();
        auto *confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        QVERIFY(confirm->text().contains(QLatin1String("Greta Chen")));
        confirm->button(QMessageBox::Cancel)->click();
        QTest::qWait(200);
        QCOMPARE(page.model()->rowCount(), 1);

        button(&page, "removeMemberButton")->click();
        confirm = page.findChild<QMessageBox *>();
        QVERIFY(confirm);
        destructiveButton(confirm)->click();
        QTRY_COMPARE_WITH_TIMEOUT(page.model()->rowCount(), 0, 10000);
        QVERIFY(page.banner()->text().contains(QLatin1String("no longer a member of Acme Ltd")));
    }

    void gatingAndTheDatabasesRefusal()
    {
        TestDatabase db;
        NOBILL_REQUIRE_DB(db);
        seed(db);
        auto viewer = test::createOperator(db, QStringLiteral("viewer"), false,
                                           {{Acme, QStringLiteral("viewer")}});
        QVERIFY2(viewer, qPrintable(viewer ? QString() : viewer.error().message));
        MembersPage page(viewer.value().settings);
        QVERIFY(openOnAcme(page, 2));                    // Greta and the viewer
        QCOMPARE(page.organizationPicker()->count(), 1); // Globex is not theirs to see

        // The lead's permission wiring turns the actions off, saying why.
        page.setAllowedActions(false);
        auto *invite = button(&page, "inviteMemberButton");
        QVERIFY(!invite->isEnabled());
        QVERIFY(invite->toolTip().contains(QLatin1String("members.manage")));
        QVERIFY(invite->toolTip().contains(QLatin1String("Acme Ltd")));
        page.setAllowedActions(true);
        QVERIFY(invite->isEnabled());

        // Without the wiring the database still refuses, in a sentence.
        invite->click();
        auto *dialog = qobject_cast<MemberDialog *>(page.openDialog());
        QVERIFY(dialog);
        dialog->setValues(QStringLiteral("new@acme.example"), QStringLiteral("New Person"));
        saveButton(dialog)->click();
        auto *banner = dialog->findChild<MessageBanner *>();
        QTRY_COMPARE_WITH_TIMEOUT(banner->text(),
                                  QStringLiteral("You don't have permission to change members "
                                                 "of Acme Ltd."),
                                  10000);
        dialog->reject();
        QCOMPARE(page.model()->rowCount(), 2);
    }
};

QTEST_MAIN(MembersGuiTest)
#include "tst_membersgui.moc"
