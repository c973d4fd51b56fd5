#pragma once

#include "roles/role.h"

#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Creates a custom role for an organization, or renames one (name and description).
class RoleDialog final : public QDialog
{
    Q_OBJECT
public:
    // Create mode.
    RoleDialog(DatabaseWorker *worker, const QString &organizationId,
               const QString &organizationName, QWidget *parent = nullptr);
    // Rename mode.
    RoleDialog(DatabaseWorker *worker, const Role &role, QWidget *parent = nullptr);

    bool isEditing() const { return !m_role.id.isEmpty(); }
    void setDraft(const RoleDraft &draft);

signals:
    void saved(const nobill::Role &role, bool created);

public slots:
    void save();

private:
    void build(const QString &intro);
    void revalidate();

    DatabaseWorker *m_worker;
    QString m_organizationId;
    Role m_role;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLabel *m_problems = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace nobill
