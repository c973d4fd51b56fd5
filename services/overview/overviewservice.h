#pragma once

#include "core/result.h"
#include "overview/overviewfigures.h"

#include <QDateTime>
#include <QString>

#include <optional>

namespace nobill {

struct OverviewOptions
{
    // Figures as of this moment; the database's now() when not given.
    std::optional<QDateTime> asOf;
    // IANA name of the zone whose days the usage trend counts (the operator's); UTC if empty.
    QString timeZone;
    int failedPaymentLimit = 10;
};

// The Overview figures, computed by PostgreSQL in a few set-based statements over one
// read-only snapshot. Row-level security decides which organizations count: "all
// organizations" means all the operator may see. Synchronous: call it on the thread that
// owns the named connection.
//
// Definitions (the screen states them too):
// - MRR per currency: subscriptions with status active or past_due on licensed plans;
//   amount × quantity normalised to one month (day: × 365/12, week: × 52/12, month: × 1,
//   year: × 1/12, each divided by the plan's interval_count), summed exactly per currency
//   and rounded half up once, to whole minor units. Metered plans are excluded (their MRR
//   depends on usage) and counted.
// - Churn: subscriptions with status canceled whose canceled_at lies in the last 30 days,
//   over the subscriptions live 30 days ago: created before then, not canceled before then,
//   and not incomplete or incomplete_expired (never live). Lost MRR: the canceled ones' MRR
//   as above.
// - Failed payments: invoices open or uncollectible whose payment was due before now: the
//   due date of invoices sent to the customer, the finalization of invoices charged
//   automatically (Stripe charges those when finalized, so one still open was not paid).
// - Usage trend: the sum of usage quantities per metric and day, over the last 90 days in
//   the given time zone (today included).
class OverviewService
{
public:
    explicit OverviewService(QString connectionName);

    // organizationId: one organization, or every organization the operator may see.
    Result<OverviewFigures> figures(const std::optional<QString> &organizationId,
                                    const OverviewOptions &options = {}) const;

private:
    QString m_connectionName;
};

} // namespace nobill
