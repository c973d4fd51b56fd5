#pragma once

#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobtracker.h"
#include "reconciliation/reconciler.h"

#include <QDialog>
#include <QPointer>

class QLabel;
class QPushButton;
class QTableWidget;

namespace nobill {

// "Compare with Stripe…" (issue 5, part 5): the console holds no Stripe key, so the
// comparison is a job the office server runs (stripe.reconcile); this dialog queues it,
// follows it and shows its drift report as a table (object, our row, Stripe id, field, ours,
// Stripe's). "Repair ours from Stripe…" queues the repair of the ticked differences after a
// confirmation, then compares again. Platform administrators only.
class ReconcileDialog final : public QDialog
{
    Q_OBJECT
public:
    enum Column {
        ObjectColumn,
        DriftColumn,
        OursColumn,
        StripeIdColumn,
        FieldColumn,
        OurValueColumn,
        StripeValueColumn,
        ColumnCount
    };

    ReconcileDialog(DatabaseWorker *worker, ChangeFeed *feed, QWidget *parent = nullptr);
    ~ReconcileDialog() override;

    // Queues a comparison and follows it to its report.
    void compare();
    // Follows a stripe.reconcile job queued before (finished or not) and shows its report.
    void showJob(const QString &jobId);

    bool isBusy() const { return m_busy; }
    const DriftReport &report() const { return m_report; }
    // The ids of the ticked differences, the ones a repair would change.
    QStringList checkedIds() const;

    QTableWidget *table() const { return m_table; }
    QLabel *statusLabel() const { return m_status; }
    QLabel *noteLabel() const { return m_note; }
    QPushButton *compareButton() const { return m_compareButton; }
    QPushButton *repairButton() const { return m_repairButton; }

public slots:
    // Asks before queueing the repair of the ticked differences.
    void confirmRepair();

signals:
    // A repair finished: `count` differences were made equal to Stripe.
    void repaired(int count);

private:
    JobTracker *newTracker(bool repair);
    void finished(JobTracker *tracker, bool repair, bool succeeded);
    void showReport(const DriftReport &report);
    void updateButtons();
    void showNote();

    QPointer<DatabaseWorker> m_worker;
    QPointer<ChangeFeed> m_feed;
    QPointer<JobTracker> m_tracker;
    DriftReport m_report;
    QString m_repairMessage; // shown with the comparison that follows a repair
    bool m_busy = false;
    QLabel *m_status = nullptr;
    QTableWidget *m_table = nullptr;
    QLabel *m_note = nullptr;
    QPushButton *m_compareButton = nullptr;
    QPushButton *m_repairButton = nullptr;
};

} // namespace nobill
