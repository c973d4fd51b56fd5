#pragma once

#include "tenants/tenant.h"

#include <QWidget>

class QFormLayout;
class QLabel;

namespace nobill {

class DatabaseWorker;

// The right-hand panel of the Tenants screen: everything about the selected tenant and the
// figures finance asks for first (subscriptions, open invoices, members).
class TenantDetailPanel final : public QWidget
{
    Q_OBJECT
public:
    explicit TenantDetailPanel(DatabaseWorker *worker, QWidget *parent = nullptr);

    void showTenant(const Tenant &tenant); // shows what is known at once, then the figures
    void clear();
    // A row of actions under the fields (the page's Stripe work on the shown item).
    void addActions(QWidget *actions);
    bool isLoading() const { return m_loading; }

private:
    void setValue(QLabel *label, const QString &text, bool placeholder = false);

    DatabaseWorker *m_worker;
    quint64 m_request = 0;
    bool m_loading = false;
    QLabel *m_title;
    QLabel *m_empty;
    QWidget *m_content;
    QLabel *m_status;
    QLabel *m_slug;
    QLabel *m_email;
    QLabel *m_currency;
    QLabel *m_stripe;
    QLabel *m_taxId;
    QLabel *m_address;
    QLabel *m_created;
    QLabel *m_updated;
    QLabel *m_members;
    QLabel *m_subscriptions;
    QLabel *m_invoices;
    QLabel *m_usage;
};

} // namespace nobill
