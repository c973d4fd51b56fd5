#include "audit/auditdiffview.h"

#include <QHeaderView>

namespace nobill {

namespace {
const QColor ChangedRow(0xff, 0xf4, 0xcc);
const QColor BeforeChanged(0xfb, 0xe3, 0xe0);
const QColor AfterChanged(0xe2, 0xf3, 0xe2);
} // namespace

AuditDiffView::AuditDiffView(QWidget *parent)
    : QTableWidget(0, ColumnCount, parent)
{
    setObjectName(QStringLiteral("auditDiff"));
    setAccessibleName(tr("Before and after"));
    setHorizontalHeaderLabels({tr("Field"), tr("Before"), tr("After")});
    setEditTriggers(QAbstractItemView::NoEditTriggers);
    setSelectionBehavior(QAbstractItemView::SelectRows);
    setWordWrap(false);
    setTextElideMode(Qt::ElideRight);
    verticalHeader()->hide();
    verticalHeader()->setDefaultSectionSize(fontMetrics().height() + 8);
    horizontalHeader()->setHighlightSections(false);
    horizontalHeader()->setSectionResizeMode(Field, QHeaderView::Interactive);
    horizontalHeader()->setSectionResizeMode(Before, QHeaderView::Stretch);
    horizontalHeader()->setSectionResizeMode(After, QHeaderView::Stretch);
    setColumnWidth(Field, 170);
}

void AuditDiffView::showEntry(const AuditEntry &entry)
{
    m_changes = auditDiff(entry);
    m_isUpdate = entry.action == QLatin1String("update");
    rebuild();
}

void AuditDiffView::clearEntry()
{
    m_changes.clear();
    m_isUpdate = false;
    rebuild();
}

void AuditDiffView::setOnlyChanged(bool only)
{
    if (only == m_onlyChanged)
        return;
    m_onlyChanged = only;
    rebuild();
}

void AuditDiffView::rebuild()
{
    m_shown.clear();
    for (const AuditFieldChange &c : std::as_const(m_changes)) {
        if (!m_isUpdate || !m_onlyChanged || c.changed)
            m_shown.append(c);
    }
    setRowCount(int(m_shown.size()));
    // Highlighting marks what an update changed; for a creation or deletion every field is
    // "changed", so nothing would stand out.
    const bool highlight = m_isUpdate;
    for (int row = 0; row < m_shown.size(); ++row) {
        const AuditFieldChange &c = m_shown.at(row);
        auto *field = new QTableWidgetItem(c.field);
        auto *before = new QTableWidgetItem(c.inBefore ? c.before : tr("—"));
        auto *after = new QTableWidgetItem(c.inAfter ? c.after : tr("—"));
        before->setToolTip(c.before);
        after->setToolTip(c.after);
        if (!c.inBefore)
            before->setForeground(QColor(Qt::gray));
        if (!c.inAfter)
            after->setForeground(QColor(Qt::gray));
        if (highlight && c.changed) {
            QFont bold = field->font();
            bold.setBold(true);
            field->setFont(bold);
            field->setBackground(ChangedRow);
            before->setBackground(BeforeChanged);
            after->setBackground(AfterChanged);
            field->setToolTip(tr("Changed"));
        }
        setItem(row, Field, field);
        setItem(row, Before, before);
        setItem(row, After, after);
    }
    // A creation has no "before", a deletion no "after": no empty half-screen column.
    setColumnHidden(Before, !m_changes.isEmpty() &&
                                std::none_of(m_changes.cbegin(), m_changes.cend(),
                                             [](const AuditFieldChange &c) { return c.inBefore; }));
    setColumnHidden(After, !m_changes.isEmpty() &&
                               std::none_of(m_changes.cbegin(), m_changes.cend(),
                                            [](const AuditFieldChange &c) { return c.inAfter; }));
}

} // namespace nobill
