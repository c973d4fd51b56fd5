#include "roles/roledialog.h"

#include "common/messagebanner.h"
#include "database/databaseworker.h"
#include "roles/roleservice.h"

#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLayout>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
// A banner shown in an open dialog wraps onto more lines: let the dialog grow to show them.
void growToFit(QDialog *dialog)
{
    QTimer::singleShot(0, dialog, [dialog]() {
        QLayout *layout = dialog->layout();
        layout->activate();
        const int wanted = layout->hasHeightForWidth()
                               ? layout->totalHeightForWidth(dialog->width())
                               : layout->totalSizeHint().height();
        if (wanted > dialog->height())
            dialog->resize(dialog->width(), wanted);
    });
}
} // namespace

RoleDialog::RoleDialog(DatabaseWorker *worker, const QString &organizationId,
                       const QString &organizationName, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_organizationId(organizationId)
{
    setWindowTitle(tr("New role for %1").arg(organizationName));
    build(tr("A custom role belongs to %1 only. It starts with no permissions: tick them in "
             "the permission table and save.")
              .arg(organizationName));
}

RoleDialog::RoleDialog(DatabaseWorker *worker, const Role &role, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_organizationId(role.organizationId)
    , m_role(role)
{
    setWindowTitle(tr("Rename %1").arg(role.name));
    build(tr("Members who hold this role keep it under its new name."));
    setDraft(RoleDraft{role.name, role.description});
}

void RoleDialog::build(const QString &intro)
{
    setObjectName(QStringLiteral("roleDialog"));
    setMinimumWidth(460);
    auto *layout = new QVBoxLayout(this);
    m_banner = new MessageBanner(this);
    layout->addWidget(m_banner);
    auto *introLabel = new QLabel(intro, this);
    introLabel->setWordWrap(true);
    layout->addWidget(introLabel);
    auto *form = new QFormLayout;
    form->setFieldGrowthPolicy(QFormLayout::ExpandingFieldsGrow);
    m_name = new QLineEdit(this);
    m_name->setObjectName(QStringLiteral("roleName"));
    m_name->setMaxLength(RoleService::MaxNameLength);
    m_name->setPlaceholderText(tr("Billing clerk"));
    auto *nameCaption = new QLabel(tr("&Name:"), this);
    nameCaption->setBuddy(m_name);
    form->addRow(nameCaption, m_name);
    m_description = new QPlainTextEdit(this);
    m_description->setObjectName(QStringLiteral("roleDescription"));
    m_description->setPlaceholderText(tr("What people with this role do (optional)"));
    m_description->setTabChangesFocus(true);
    m_description->setFixedHeight(m_description->fontMetrics().lineSpacing() * 4 + 12);
    auto *descriptionCaption = new QLabel(tr("&Description:"), this);
    descriptionCaption->setBuddy(m_description);
    form->addRow(descriptionCaption, m_description);
    layout->addLayout(form);
    m_problems = new QLabel(this);
    m_problems->setObjectName(QStringLiteral("problems"));
    m_problems->setWordWrap(true);
    m_problems->setStyleSheet(QStringLiteral("color: #c0392b;"));
    m_problems->hide();
    layout->addWidget(m_problems);
    m_buttons = new QDialogButtonBox(QDialogButtonBox::Save | QDialogButtonBox::Cancel, this);
    m_buttons->button(QDialogButtonBox::Save)
        ->setText(isEditing() ? tr("&Save changes") : tr("&Create role"));
    layout->addWidget(m_buttons);
    connect(m_buttons, &QDialogButtonBox::accepted, this, &RoleDialog::save);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_name, &QLineEdit::textChanged, this, &RoleDialog::revalidate);
    connect(m_description, &QPlainTextEdit::textChanged, this, &RoleDialog::revalidate);
    revalidate();
}

void RoleDialog::setDraft(const RoleDraft &draft)
{
    m_name->setText(draft.name);
    m_description->setPlainText(draft.description);
    revalidate();
}

void RoleDialog::revalidate()
{
    const RoleDraft draft{m_name->text(), m_description->toPlainText()};
    const QList<QString> problems = RoleService::draftProblems(draft);
    QList<QString> shown;
    if (!m_name->text().isEmpty() || !m_description->toPlainText().isEmpty())
        shown = problems;
    m_problems->setText(QStringList(shown).join(QLatin1Char('\n')));
    m_problems->setVisible(!shown.isEmpty());
    m_buttons->button(QDialogButtonBox::Save)->setEnabled(!m_saving && problems.isEmpty());
}

void RoleDialog::save()
{
    if (m_saving)
        return;
    const RoleDraft draft{m_name->text(), m_description->toPlainText()};
    const QString organizationId = m_organizationId;
    const QString roleId = m_role.id;
    m_banner->clear();
    m_saving = true;
    revalidate();
    m_worker->run<Role>(
        this,
        [organizationId, roleId, draft](const QString &connection) {
            RoleService service(connection);
            return roleId.isEmpty() ? service.create(organizationId, draft)
                                    : service.update(roleId, draft);
        },
        [this, roleId](Result<Role> result) {
            m_saving = false;
            revalidate();
            if (!result) {
                m_banner->showMessage(MessageBanner::Kind::Error, result.error().message);
                growToFit(this);
                return;
            }
            emit saved(result.value(), roleId.isEmpty());
            accept();
        });
}

} // namespace nobill
