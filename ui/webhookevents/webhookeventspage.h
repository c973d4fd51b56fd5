#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"

#include <memory>

class QComboBox;
class QFormLayout;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTableView;
class QTimer;

namespace nobill {

class ChangeFeed;
class ExportButton;
class DatabaseWorker;
class JsonView;
class MessageBanner;
class OrganizationScopeFilter;
class WebhookEventListModel;
struct WebhookEvent;

// The Webhook events screen: Stripe's events in the inbox with how each was handled,
// filtered by status, type and organization, and the selected event's payload. Events are
// written by the office server's listener or poller and applied by its event processor;
// platform administrators (webhooks.manage) can send one back to be applied again.
class WebhookEventsPage final : public Page
{
    Q_OBJECT
public:
    explicit WebhookEventsPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~WebhookEventsPage() override;

    void activate() override;
    bool isBusy() const override;
    void setAccess(const SessionAccess &access);
    // Follows other sessions' changes: new events appear at the top, handled ones change in
    // place, the selection and scroll position stay.
    void setChangeFeed(ChangeFeed *feed);

    WebhookEventListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    MessageBanner *banner() const { return m_banner; }
    ExportButton *exportButton() const { return m_exportButton; }
    JsonView *payloadView() const { return m_payload; }
    QPushButton *reprocessButton() const { return m_reprocessButton; }
    QString emptyText() const;

private:
    void selectionChanged();
    void loadDetail(const QString &id);
    void showDetail(const WebhookEvent &event);
    void clearDetail();
    void restoreSelection();
    void updateCount();
    void loadStatusCounts();
    void updateActions();
    void reprocessSelected();
    void onChange(const QString &table, const QString &operation, const QString &id);

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    WebhookEventListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QStackedWidget *m_listStack = nullptr;
    QLabel *m_empty = nullptr;
    MessageBanner *m_banner = nullptr;
    ExportButton *m_exportButton = nullptr;
    QComboBox *m_status = nullptr;
    QComboBox *m_type = nullptr;
    OrganizationScopeFilter *m_organization = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_detailTitle = nullptr;
    QFormLayout *m_form = nullptr;
    QLabel *m_fieldStatus = nullptr;
    QLabel *m_fieldObject = nullptr;
    QLabel *m_fieldOrganization = nullptr;
    QLabel *m_fieldAttempts = nullptr;
    QLabel *m_fieldTimes = nullptr;
    QLabel *m_fieldSource = nullptr;
    QLabel *m_fieldError = nullptr;
    JsonView *m_payload = nullptr;
    QPushButton *m_reprocessButton = nullptr;
    SessionAccess m_access;
    QString m_shownStatus; // status of the event in the detail panel
    bool m_accessKnown = false;
    bool m_busyAction = false;
    QTimer *m_typeDebounce = nullptr;
    QTimer *m_newRowsSoon = nullptr; // a burst of new events: one look for them
    QString m_selectedId;
    quint64 m_detailRequest = 0;
    quint64 m_countsRequest = 0;
    bool m_detailLoading = false;
    bool m_countsLoading = false;
    bool m_activated = false;
};

} // namespace nobill
