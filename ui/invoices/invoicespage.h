#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"

#include <memory>

class QComboBox;
class QLabel;
class QTableView;
class QTimer;

namespace nobill {

class StripeActions;

class ExportButton;
class ChangeFeed;
class DatabaseWorker;
class InvoiceDetailPanel;
class InvoiceListModel;
class MessageBanner;
class OrganizationFilter;
struct Invoice;

// The Invoices screen: every invoice the operator may see, filtered by organization and
// status, sorted by the database, with a detail panel that opens Stripe's hosted invoice.
class InvoicesPage final : public Page
{
    Q_OBJECT
public:
    explicit InvoicesPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~InvoicesPage() override;

    void activate() override;
    bool isBusy() const override;

    void setReadOnly(bool readOnly, const QString &reason);
    // Nothing here changes data yet; kept for the invoice actions of a later issue.
    void setAccess(const SessionAccess &access);
    // Invoices changed elsewhere (Stripe's webhooks, other operators) refresh in place.
    void setChangeFeed(ChangeFeed *feed);

    InvoiceListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    InvoiceDetailPanel *details() const { return m_details; }
    MessageBanner *banner() const { return m_banner; }
    StripeActions *stripeActions() const { return m_stripeActions; }
    ExportButton *exportButton() const { return m_exportButton; }
    OrganizationFilter *organizationFilter() const { return m_organizations; }
    QComboBox *statusFilter() const { return m_statusFilter; }

public slots:
    void openSelectedInBrowser();

signals:
    void statusMessage(const QString &message);

private:
    const Invoice *selectedInvoice() const;
    void selectionChanged();
    void restoreSelection();
    void updateStripeTarget();
    void updateCount();
    void openUrl(const QString &url);
    void onChange(const QString &table, const QString &operation, const QString &id);

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_detailWorker;
    InvoiceListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    InvoiceDetailPanel *m_details = nullptr;
    MessageBanner *m_banner = nullptr;
    StripeActions *m_stripeActions = nullptr;
    ExportButton *m_exportButton = nullptr;
    OrganizationFilter *m_organizations = nullptr;
    QComboBox *m_statusFilter = nullptr;
    QLabel *m_count = nullptr;
    QTimer *m_announceTimer = nullptr;
    QTimer *m_reloadSoon = nullptr;
    QString m_selectedId;
    bool m_activated = false;
    SessionAccess m_access;
    bool m_accessKnown = false;
};

} // namespace nobill
