#pragma once

#include <QDateTime>
#include <QList>
#include <QMetaType>
#include <QString>

#include <optional>

namespace nobill {

// One metered usage record (table usage_records).
struct UsageRecord
{
    QString id;
    QString organizationId;
    QString organizationName;
    QString subscriptionId;       // empty when the record names no subscription
    QString stripeSubscriptionId; // empty when not linked to Stripe
    QString metric;
    qint64 quantity = 0;
    QDateTime occurredAt;
    QString idempotencyKey;
    QString reportedState; // "unreported", "reported" or "failed"
    QDateTime reportedAt;
};

// The list's and the chart's filter, as typed values: widgets never build SQL.
struct UsageQuery
{
    QString organizationId; // empty: every organization the operator may read usage of
    QString subscription;   // empty, a subscription's uuid or its Stripe id (sub_...)
    QString metric;         // empty: every metric
    QDateTime from;         // inclusive; invalid: no lower bound
    QDateTime to;           // exclusive; invalid: no upper bound
    bool descending = true; // by occurred_at, newest first
};

// Keyset cursor: occurred_at (as text, exact to the microsecond) and id of the last row shown.
struct UsageCursor
{
    QString occurredAt;
    QString id;
};

struct UsageRecordPage
{
    QList<UsageRecord> rows;
    bool hasMore = false;
    std::optional<UsageCursor> next;
};

enum class UsageGranularity { Day, Week, Month };

// The sum of a period: the chart's points.
struct UsageBucket
{
    QDate start; // first day of the day, ISO week (Monday) or month, in the operator's zone
    qint64 quantity = 0;
    qint64 records = 0;
};

struct UsageAggregation
{
    UsageGranularity granularity = UsageGranularity::Day;
    QList<UsageBucket> buckets; // in order, periods without usage left out
};

// What an import did, for the sentence shown afterwards.
struct UsageImportSummary
{
    QString fileName;
    qint64 rows = 0;     // data lines in the file
    qint64 imported = 0; // new records
    qint64 skipped = 0;  // already recorded (same organization and idempotency key)
    double seconds = 0;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::UsageRecord)
