#pragma once

#include "tenants/tenant.h"

#include <QDialog>
#include <QMap>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QTimer;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Create or edit a tenant. Checks every field as the operator types, asks the database
// whether the slug is free, and stays open with a plain message if saving fails.
class TenantDialog final : public QDialog
{
    Q_OBJECT
public:
    // Create mode.
    TenantDialog(DatabaseWorker *worker, QWidget *parent = nullptr);
    // Edit mode: saves against the version the tenant had when the dialog opened.
    TenantDialog(DatabaseWorker *worker, const Tenant &tenant, QWidget *parent = nullptr);

    TenantDraft draft() const;
    bool isEditing() const { return !m_tenant.id.isEmpty(); }
    bool isSaving() const { return m_saving; }

    // Fills the form (tests and scripted screenshots use it too).
    void setDraft(const TenantDraft &draft);

signals:
    void saved(const nobill::Tenant &tenant);

public slots:
    void save();

private:
    void buildForm();
    void revalidate();
    void checkSlugSoon();
    void setSaving(bool saving);
    void showProblems(const QList<FieldProblem> &problems);

    DatabaseWorker *m_worker;
    Tenant m_tenant;
    bool m_saving = false;
    bool m_slugEdited = false;
    bool m_slugTaken = false;
    MessageBanner *m_banner = nullptr;
    QLineEdit *m_name = nullptr;
    QLineEdit *m_slug = nullptr;
    QLineEdit *m_email = nullptr;
    QComboBox *m_currency = nullptr;
    QLineEdit *m_taxId = nullptr;
    QLineEdit *m_address1 = nullptr;
    QLineEdit *m_address2 = nullptr;
    QLineEdit *m_postalCode = nullptr;
    QLineEdit *m_city = nullptr;
    QLineEdit *m_country = nullptr;
    QLabel *m_slugStatus = nullptr;
    QMap<QString, QLabel *> m_problemLabels;
    QDialogButtonBox *m_buttons = nullptr;
    QTimer *m_slugTimer = nullptr;
    quint64 m_slugCheck = 0;
};

} // namespace nobill
