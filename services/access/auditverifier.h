#pragma once

#include "core/result.h"

#include <QString>

namespace nobill {

// The outcome of checking the audit trail's hash chain (nobill_audit_verify()).
struct AuditVerification
{
    bool intact = false;
    qint64 rowsChecked = 0;
    // The first row found broken (0 when intact): for a changed row, that row; for deleted
    // rows, the row after the gap; for deleted newest rows, the id the next row would have.
    qint64 firstBrokenId = 0;
    // What is wrong there, in words (empty when intact), e.g. "the row was changed after it
    // was written".
    QString problem;
};

// Checks the whole audit trail over the named connection (owner or platform admin only).
Result<AuditVerification> verifyAuditTrail(const QString &connectionName);

} // namespace nobill
