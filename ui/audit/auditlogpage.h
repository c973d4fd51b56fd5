#pragma once

#include "access/sessionaccess.h"
#include "common/page.h"
#include "database/connectionsettings.h"

#include <memory>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QLabel;
class QLineEdit;
class QPushButton;
class QStackedWidget;
class QTableView;
class QTimer;

namespace nobill {

class ChangeFeed;
class ExportButton;
class AuditDiffView;
class AuditListModel;
class DatabaseWorker;
class MessageBanner;
class OrganizationScopeFilter;
struct AuditEntry;

// The Audit log screen: who changed what and when, filtered by time, organization, person,
// table and action; the before and after of the selected change; and "Verify chain", which
// checks the trail's hash chain on a worker and offers to show the first broken row.
class AuditLogPage final : public Page
{
    Q_OBJECT
public:
    explicit AuditLogPage(const ConnectionSettings &settings, QWidget *parent = nullptr);
    ~AuditLogPage() override;

    void activate() override;
    bool isBusy() const override;

    // Verifying the chain is for platform administrators; so are the platform's own rows.
    void setAccess(const SessionAccess &access);
    // Follows the trail as it grows: rows written by any session appear (at the top, newest
    // first; at the end when everything is loaded, oldest first), the selection and the
    // scroll position stay.
    void setChangeFeed(ChangeFeed *feed);

    AuditListModel *model() const { return m_model; }
    QTableView *view() const { return m_view; }
    AuditDiffView *diffView() const { return m_diff; }
    MessageBanner *banner() const { return m_banner; }
    ExportButton *exportButton() const { return m_exportButton; }
    QString verifyResultText() const;

public slots:
    void verifyChain();
    // Shows the trail from row `id` on, filters cleared, with the row selected.
    void showRow(qint64 id);

signals:
    void statusMessage(const QString &message);

private:
    enum class BannerAction { None, Retry, ShowBrokenRow, ShowNewest };

    void selectionChanged();
    void loadDetail(qint64 id);
    void showDetail(const AuditEntry &entry);
    void clearDetail();
    void restoreSelection();
    void updateCount();
    void timeRangeChanged();
    void applyTimeRange();
    void resetFilterWidgets();
    void updateVerifyButton();
    void onChange(const QString &table, const QString &operation);

    std::unique_ptr<DatabaseWorker> m_listWorker;
    std::unique_ptr<DatabaseWorker> m_actionWorker;
    AuditListModel *m_model = nullptr;
    QTableView *m_view = nullptr;
    QStackedWidget *m_listStack = nullptr;
    QLabel *m_empty = nullptr;
    AuditDiffView *m_diff = nullptr;
    MessageBanner *m_banner = nullptr;
    ExportButton *m_exportButton = nullptr;
    QComboBox *m_timeRange = nullptr;
    QDateTimeEdit *m_from = nullptr;
    QDateTimeEdit *m_to = nullptr;
    OrganizationScopeFilter *m_organization = nullptr;
    QLineEdit *m_actor = nullptr;
    QComboBox *m_entity = nullptr;
    QComboBox *m_action = nullptr;
    QPushButton *m_verifyButton = nullptr;
    QLabel *m_verifyResult = nullptr;
    QLabel *m_count = nullptr;
    QLabel *m_detailTitle = nullptr;
    QLabel *m_detailMeta = nullptr;
    QCheckBox *m_onlyChanged = nullptr;
    QTimer *m_actorDebounce = nullptr;
    QTimer *m_rangeDebounce = nullptr;
    QTimer *m_newRowsSoon = nullptr; // a burst of changes: one look for new rows
    qint64 m_selectedId = 0;
    quint64 m_detailRequest = 0;
    bool m_detailLoading = false;
    bool m_verifying = false;
    bool m_activated = false;
    qint64 m_brokenId = 0;
    BannerAction m_bannerAction = BannerAction::None;
    SessionAccess m_access;
    bool m_accessKnown = false;
};

} // namespace nobill
