#pragma once

#include "audit/auditentry.h"

#include <QTableWidget>

namespace nobill {

// The before/after comparison of one audit row: field, before, after; the fields an update
// changed are highlighted. Only the changed fields by default for updates.
class AuditDiffView final : public QTableWidget
{
    Q_OBJECT
public:
    enum Column { Field, Before, After, ColumnCount };

    explicit AuditDiffView(QWidget *parent = nullptr);

    void showEntry(const AuditEntry &entry);
    void clearEntry();
    void setOnlyChanged(bool only);
    bool onlyChanged() const { return m_onlyChanged; }

    // The fields shown, in order (tests read them).
    QList<AuditFieldChange> shownChanges() const { return m_shown; }

private:
    void rebuild();

    QList<AuditFieldChange> m_changes;
    QList<AuditFieldChange> m_shown;
    bool m_onlyChanged = true;
    bool m_isUpdate = false;
};

} // namespace nobill
