#pragma once

#include "invoices/invoice.h"

#include <QWidget>

#include <optional>

class QLabel;
class QPushButton;

namespace nobill {

class DatabaseWorker;

// The right-hand panel of the Invoices screen: amounts, status, period and dates, the tenant
// and subscription, and a button that opens Stripe's hosted invoice page in the browser.
class InvoiceDetailPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit InvoiceDetailPanel(DatabaseWorker *worker, QWidget *parent = nullptr);

    void showInvoice(const Invoice &invoice); // what the row knows at once, then the rest
    void clear();
    // A row of actions under the fields (the page's Stripe work on the shown item).
    void addActions(QWidget *actions);
    bool isLoading() const { return m_loading; }
    const std::optional<Invoice> &invoice() const { return m_invoice; }
    QPushButton *openButton() const { return m_open; }

signals:
    // The hosted invoice page was asked for; the URL is https (checked before).
    void openRequested(const QString &url);

private:
    void setValue(QLabel *label, const QString &text, bool placeholder = false);
    void showFields(const Invoice &invoice);

    DatabaseWorker *m_worker;
    quint64 m_request = 0;
    bool m_loading = false;
    std::optional<Invoice> m_invoice;
    QLabel *m_title;
    QLabel *m_empty;
    QWidget *m_content;
    QLabel *m_tenant;
    QLabel *m_status;
    QLabel *m_subtotal;
    QLabel *m_tax;
    QLabel *m_total;
    QLabel *m_amountDue;
    QLabel *m_amountPaid;
    QLabel *m_amountRemaining;
    QLabel *m_period;
    QLabel *m_created;
    QLabel *m_finalized;
    QLabel *m_due;
    QLabel *m_paid;
    QLabel *m_subscription;
    QLabel *m_subscriptionStatus;
    QLabel *m_billingEmail;
    QLabel *m_stripe;
    QLabel *m_customer;
    QPushButton *m_open;
};

} // namespace nobill
