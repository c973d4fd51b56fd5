#pragma once

#include "audit/auditentry.h"
#include "core/result.h"
#include "invoices/invoice.h"
#include "jobs/job.h"
#include "members/member.h"
#include "plans/plan.h"
#include "subscriptions/subscription.h"
#include "tenants/tenant.h"
#include "usage/usage.h"
#include "webhookevents/webhookevent.h"

#include <QStringList>

#include <atomic>
#include <functional>
#include <optional>

namespace nobill {

// Every list of the console as CSV, with the list's own query (filter and order): the export
// pages through the same service page() as the list does, a page at a time, so memory stays
// flat whatever the table's size. Used by each screen's Export CSV… and by
// `nobillctl export AREA`. Values are raw (ids, codes, integer minor units beside their
// currency, ISO times in UTC) so that a spreadsheet or a script can read them back.
enum class ExportArea {
    Tenants,
    Members,
    Plans,
    Subscriptions,
    Usage,
    Invoices,
    Audit,
    WebhookEvents,
    Jobs,
};

// The command line's names ("tenants", "webhook-events", ...), in the order above.
QStringList exportAreaNames();
std::optional<ExportArea> exportAreaFromName(const QString &name);
QString exportAreaName(ExportArea area);

// The CSV header of an area: column names are a file format, not prose, so not translated.
QStringList csvHeader(ExportArea area);

using ExportProgress = std::function<void(qint64 rowsWritten)>;

// Writes the list to `path` (through "<path>.part", renamed when complete). `progress` is
// called after each page; `cancel` is checked between pages and leaves no file. Returns the
// number of rows written.
Result<qint64> exportList(const QString &connectionName, const TenantQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const MemberQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const PlanQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const SubscriptionQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const UsageQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const InvoiceQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const AuditQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const WebhookEventQuery &query,
                          const QString &path, const ExportProgress &progress,
                          const std::atomic<bool> *cancel);
Result<qint64> exportList(const QString &connectionName, const JobQuery &query, const QString &path,
                          const ExportProgress &progress, const std::atomic<bool> *cancel);

} // namespace nobill
