#include "jobs/reconciledialog.h"

#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "jobs/jobtracker.h"

#include <QDialogButtonBox>
#include <QHeaderView>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableWidget>
#include <QVBoxLayout>

namespace nobill {

namespace {
// The drift item's id on the first cell of its row.
constexpr int IdRole = Qt::UserRole + 1;
} // namespace

ReconcileDialog::ReconcileDialog(DatabaseWorker *worker, ChangeFeed *feed, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_feed(feed)
{
    setObjectName(QStringLiteral("reconcileDialog"));
    setWindowTitle(tr("Compare with Stripe"));
    resize(1000, 520);
    auto *layout = new QVBoxLayout(this);
    auto *intro = new QLabel(
        tr("The office server lists Stripe's customers, prices, subscriptions and invoices and "
           "compares them with NOBill's. Ticked differences can be repaired: NOBill's side then "
           "takes Stripe's state. Stripe itself is never changed from here."),
        this);
    intro->setWordWrap(true);
    layout->addWidget(intro);
    m_status = new QLabel(this);
    m_status->setObjectName(QStringLiteral("reconcileStatus"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    layout->addWidget(m_status);

    m_table = new QTableWidget(0, ColumnCount, this);
    m_table->setObjectName(QStringLiteral("driftTable"));
    m_table->setAccessibleName(tr("Differences between NOBill and Stripe"));
    m_table->setHorizontalHeaderLabels({tr("Object"), tr("Difference"), tr("In NOBill"),
                                        tr("Stripe id"), tr("Field"), tr("NOBill's value"),
                                        tr("Stripe's value")});
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->setWordWrap(false);
    layout->addWidget(m_table, 1);

    m_note = new QLabel(this);
    m_note->setObjectName(QStringLiteral("driftNote"));
    m_note->setWordWrap(true);
    layout->addWidget(m_note);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    m_compareButton = buttons->addButton(tr("Compare &again"), QDialogButtonBox::ActionRole);
    m_compareButton->setObjectName(QStringLiteral("compareAgainButton"));
    m_repairButton =
        buttons->addButton(tr("&Repair ours from Stripe…"), QDialogButtonBox::ActionRole);
    m_repairButton->setObjectName(QStringLiteral("repairButton"));
    m_repairButton->setToolTip(tr("NOBill's side takes Stripe's state for the ticked "
                                  "differences, in one transaction, written to the audit trail."));
    layout->addWidget(buttons);

    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_compareButton, &QPushButton::clicked, this, &ReconcileDialog::compare);
    connect(m_repairButton, &QPushButton::clicked, this, &ReconcileDialog::confirmRepair);
    connect(m_table, &QTableWidget::itemChanged, this, &ReconcileDialog::updateButtons);
    connect(m_table, &QTableWidget::itemSelectionChanged, this, &ReconcileDialog::showNote);
    updateButtons();
}

ReconcileDialog::~ReconcileDialog() = default;

JobTracker *ReconcileDialog::newTracker(bool repair)
{
    if (m_tracker)
        m_tracker->deleteLater();
    auto *tracker = new JobTracker(m_worker, this);
    if (m_feed)
        tracker->setChangeFeed(m_feed);
    m_tracker = tracker;
    m_busy = true;
    updateButtons();
    auto show = [this, tracker, repair]() {
        if (tracker != m_tracker)
            return;
        switch (tracker->state()) {
        case JobTracker::State::Running:
            m_status->setText(repair ? tr("The office server is repairing NOBill's side…")
                                     : tr("The office server is comparing with Stripe…"));
            break;
        case JobTracker::State::Queueing:
        case JobTracker::State::Queued:
        case JobTracker::State::Retrying:
            m_status->setText(tracker->describe());
            break;
        default:
            break;
        }
    };
    connect(tracker, &JobTracker::stateChanged, this, show);
    connect(tracker, &JobTracker::waitingLong, this, show);
    connect(tracker, &JobTracker::finished, this, [this, tracker, repair](bool succeeded) {
        if (tracker == m_tracker)
            finished(tracker, repair, succeeded);
    });
    return tracker;
}

void ReconcileDialog::compare()
{
    if (!m_worker)
        return;
    newTracker(false)->enqueueWith(
        [](const QString &connection) { return Reconciler::enqueue(connection); });
}

void ReconcileDialog::showJob(const QString &jobId)
{
    if (!m_worker)
        return;
    newTracker(false)->track(jobId);
}

void ReconcileDialog::finished(JobTracker *tracker, bool repair, bool succeeded)
{
    m_busy = false;
    if (!succeeded) {
        m_status->setText(repair
                              ? tr("The repair did not finish: %1").arg(tracker->describe())
                              : tr("The comparison did not finish: %1").arg(tracker->describe()));
        updateButtons();
        return;
    }
    const QJsonObject result = tracker->result();
    const DriftReport report = DriftReport::fromJson(result);
    if (repair || result.value(QLatin1String("repair")).toBool()) {
        m_repairMessage = tr("Repaired %n difference(s) in NOBill.", nullptr, report.repaired);
        emit repaired(report.repaired);
        // What is left is what the next comparison shows.
        compare();
        return;
    }
    showReport(report);
}

void ReconcileDialog::showReport(const DriftReport &report)
{
    m_report = report;
    const QSignalBlocker blocker(m_table);
    m_table->setRowCount(0);
    m_table->setRowCount(int(report.items.size()));
    for (int row = 0; row < report.items.size(); ++row) {
        const DriftItem &item = report.items.at(row);
        const QStringList cells = {driftObjectText(item.object),
                                   driftKindText(item.kind),
                                   item.ourName.isEmpty() ? item.ourId : item.ourName,
                                   item.stripeId,
                                   item.field,
                                   item.ours,
                                   item.stripe};
        for (int column = 0; column < ColumnCount; ++column) {
            auto *cell = new QTableWidgetItem(cells.at(column));
            cell->setToolTip(item.note.isEmpty() ? cells.at(column) : item.note);
            if (column == ObjectColumn) {
                cell->setData(IdRole, item.id);
                // Only what a repair can change has a tick; it starts ticked.
                if (item.repairable)
                    cell->setCheckState(Qt::Checked);
            }
            m_table->setItem(row, column, cell);
        }
    }
    m_table->resizeColumnsToContents();
    if (report.isEmpty())
        m_status->setText(tr("No drift: %1 customers, %2 prices, %3 subscriptions and %4 "
                             "invoices in Stripe agree with NOBill.")
                              .arg(report.customers)
                              .arg(report.prices)
                              .arg(report.subscriptions)
                              .arg(report.invoices));
    else
        m_status->setText(
            tr("%n difference(s) with Stripe", nullptr, int(report.items.size())) +
            QStringLiteral("; ") +
            tr("%n can be repaired from Stripe's state.", nullptr, report.repairableCount()));
    if (!m_repairMessage.isEmpty())
        m_status->setText(m_repairMessage + QLatin1Char(' ') + m_status->text());
    m_repairMessage.clear();
    m_note->clear();
    updateButtons();
}

QStringList ReconcileDialog::checkedIds() const
{
    QStringList ids;
    for (int row = 0; row < m_table->rowCount(); ++row) {
        const QTableWidgetItem *cell = m_table->item(row, ObjectColumn);
        if (cell && (cell->flags() & Qt::ItemIsUserCheckable) && cell->checkState() == Qt::Checked)
            ids << cell->data(IdRole).toString();
    }
    return ids;
}

void ReconcileDialog::updateButtons()
{
    const int checked = int(checkedIds().size());
    m_compareButton->setEnabled(!m_busy && m_worker);
    m_repairButton->setEnabled(!m_busy && m_worker && checked > 0);
    m_repairButton->setText(checked > 0 ? tr("&Repair %n in NOBill from Stripe…", nullptr, checked)
                                        : tr("&Repair ours from Stripe…"));
}

void ReconcileDialog::showNote()
{
    const QList<QTableWidgetItem *> selected = m_table->selectedItems();
    if (selected.isEmpty()) {
        m_note->clear();
        return;
    }
    const int row = selected.first()->row();
    if (row >= 0 && row < m_report.items.size())
        m_note->setText(m_report.items.at(row).note);
}

void ReconcileDialog::confirmRepair()
{
    const QStringList ids = checkedIds();
    if (ids.isEmpty() || m_busy)
        return;
    auto *box = new QMessageBox(
        QMessageBox::Question, tr("Repair ours from Stripe"),
        tr("Make NOBill's side equal to Stripe's for %n difference(s)?", nullptr, int(ids.size())),
        QMessageBox::NoButton, this);
    box->setObjectName(QStringLiteral("repairConfirmation"));
    box->setInformativeText(
        tr("The office server compares once more and changes NOBill's rows to Stripe's state "
           "where they still differ, in one transaction. Each change is written to the audit "
           "trail. Stripe is not changed."));
    QPushButton *confirm = box->addButton(tr("Repair"), QMessageBox::AcceptRole);
    QPushButton *back = box->addButton(tr("Don't repair"), QMessageBox::RejectRole);
    box->setDefaultButton(back);
    box->setEscapeButton(back);
    box->setAttribute(Qt::WA_DeleteOnClose);
    connect(box, &QMessageBox::finished, this, [this, box, confirm, ids]() {
        if (box->clickedButton() != confirm || m_busy || !m_worker)
            return;
        m_status->setText(tr("Queueing the repair…"));
        newTracker(true)->enqueueWith(
            [ids](const QString &connection) { return Reconciler::enqueue(connection, ids); });
    });
    box->open();
}

} // namespace nobill
