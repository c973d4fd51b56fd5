#pragma once

#include "plans/plan.h"
#include "tenants/tenant.h" // FieldProblem

#include <QDialog>
#include <QMap>

#include <optional>

class QComboBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;

namespace nobill {

class DatabaseWorker;
class MessageBanner;

// Create or edit a product (name and description). Stays open with a plain message if
// saving fails.
class ProductDialog final : public QDialog
{
    Q_OBJECT
public:
    ProductDialog(DatabaseWorker *worker, QWidget *parent = nullptr);
    ProductDialog(DatabaseWorker *worker, const Product &product, QWidget *parent = nullptr);

    bool isEditing() const { return !m_product.id.isEmpty(); }
    ProductDraft draft() const;
    void setDraft(const ProductDraft &draft);

signals:
    void saved(const nobill::Product &product);

public slots:
    void save();

private:
    void buildForm();
    void revalidate();

    DatabaseWorker *m_worker;
    Product m_product;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QMap<QString, QLabel *> m_problemLabels;
    QDialogButtonBox *m_buttons = nullptr;
};

// Create a plan (every term), or edit one (name and description only: the terms of a price
// never change in place). Checks each field as the operator types.
class PlanDialog final : public QDialog
{
    Q_OBJECT
public:
    // Create mode: the products offered are the active ones; `productId` is preselected.
    PlanDialog(DatabaseWorker *worker, const QList<Product> &products, const QString &productId,
               QWidget *parent = nullptr);
    // Edit mode: saves against the version the plan had when the dialog opened.
    PlanDialog(DatabaseWorker *worker, const Plan &plan, QWidget *parent = nullptr);

    bool isEditing() const { return !m_plan.id.isEmpty(); }
    bool isSaving() const { return m_saving; }
    PlanDraft draft() const;
    // Fills the form (tests and scripted screenshots use it too).
    void setDraft(const PlanDraft &draft);

signals:
    void saved(const nobill::Plan &plan);

public slots:
    void save();

private:
    void buildForm(const QList<Product> &products);
    QList<FieldProblem> problems() const;
    void revalidate();
    void setSaving(bool saving);

    DatabaseWorker *m_worker;
    Plan m_plan;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QComboBox *m_product = nullptr;
    QLineEdit *m_name = nullptr;
    QPlainTextEdit *m_description = nullptr;
    QLineEdit *m_amount = nullptr;
    QComboBox *m_currency = nullptr;
    QSpinBox *m_intervalCount = nullptr;
    QComboBox *m_interval = nullptr;
    QComboBox *m_usageType = nullptr;
    QLineEdit *m_metric = nullptr;
    QSpinBox *m_trialDays = nullptr;
    QMap<QString, QLabel *> m_problemLabels;
    QDialogButtonBox *m_buttons = nullptr;
};

// A new amount for a plan. Says before saving what will happen: a plan in use or in Stripe
// gets a new version (and is archived), an unused one is simply repriced.
class ChangeAmountDialog final : public QDialog
{
    Q_OBJECT
public:
    ChangeAmountDialog(DatabaseWorker *worker, const Plan &plan, QWidget *parent = nullptr);

    void setAmountText(const QString &text);

signals:
    void changed(const nobill::AmountChange &change);

public slots:
    void save();

private:
    std::optional<qint64> newAmount() const;
    void revalidate();

    DatabaseWorker *m_worker;
    Plan m_plan;
    bool m_saving = false;
    MessageBanner *m_banner = nullptr;
    QLineEdit *m_amount = nullptr;
    QLabel *m_problem = nullptr;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace nobill
