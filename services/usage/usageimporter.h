#pragma once

#include "core/result.h"
#include "usage/usage.h"

#include <atomic>
#include <functional>
#include <memory>

namespace nobill {

// Imports a usage CSV file, all or nothing, on a thread that owns the named connection (a
// DatabaseWorker, nobillctl, a test).
//
// The file:
//     organization,subscription,metric,quantity,occurred_at,idempotency_key
//     acme,sub_1Nx...,api_calls,120,2026-03-01T14:30:00+01:00,acme-2026-03-01-0001
// - organization: the slug or the uuid of an organization the operator may import usage
//   into (permission usage.import);
// - subscription: the Stripe id (sub_...) or the uuid of one of that organization's
//   subscriptions, or empty for usage not tied to a subscription;
// - metric: lower case letters, digits and underscores, starting with a letter;
// - quantity: a whole number, 0 or more;
// - occurred_at: ISO 8601 date and time with a UTC offset (Z, +01:00, +0100), within the last
//   35 days and at most 5 minutes ahead of the database server's clock: the window in which
//   Stripe accepts meter events, so every imported record can still be billed;
// - idempotency_key: up to 255 characters; a key already recorded for the organization is
//   skipped and counted, the same key twice in one file is an error.
// UTF-8, comma separated, fields may be quoted ("...", "" for a quote) but not span lines;
// empty lines are ignored; a line may be at most 64 KiB.
//
// How: the file is streamed in chunks (never held whole) and each line is checked as it is
// read, then sent with its line number through COPY into a temporary staging table; what
// needs the database (organizations, subscriptions, permissions, duplicates) is checked
// set-based in SQL; then INSERT ... SELECT ... ON CONFLICT DO NOTHING, one audit row per
// organization, all in one transaction. Any problem names the first bad line and nothing
// is written.
class UsageImporter
{
public:
    static constexpr qint64 MaxLineBytes = 64 * 1024;
    static constexpr int MaxAgeDays = 35;
    static constexpr int MaxAheadMinutes = 5;

    // Bytes of the file read so far, and its size.
    using Progress = std::function<void(qint64 done, qint64 total)>;

    explicit UsageImporter(QString connectionName);

    void setProgress(Progress progress) { m_progress = std::move(progress); }
    // Set from any thread to stop: the upload ends, the transaction is rolled back, and
    // importFile() returns a Cancelled error.
    void setCancelFlag(std::shared_ptr<const std::atomic_bool> cancel)
    {
        m_cancel = std::move(cancel);
    }

    Result<UsageImportSummary> importFile(const QString &path);

    // "Imported 10,000 records; 12 duplicates skipped."
    static QString describe(const UsageImportSummary &summary);
    // "Nothing was imported: line 17: quantity "abc" is not a whole number."
    static QString describeFailure(const Error &error);

private:
    bool cancelled() const { return m_cancel && m_cancel->load(std::memory_order_relaxed); }

    QString m_connectionName;
    Progress m_progress;
    std::shared_ptr<const std::atomic_bool> m_cancel;
};

} // namespace nobill
