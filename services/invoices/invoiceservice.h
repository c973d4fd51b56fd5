#pragma once

#include "core/result.h"
#include "invoices/invoice.h"

#include <optional>

namespace nobill {

// Invoices in the database, as the login may see them (invoices.read). Synchronous: call it
// on a thread that owns the named connection (a DatabaseWorker, nobillctl, a test).
class InvoiceService
{
public:
    explicit InvoiceService(QString connectionName);

    static constexpr int DefaultPageSize = 200;

    // One page in the query's order, after `after` (keyset pagination: no OFFSET).
    Result<InvoicePage> page(const InvoiceQuery &query, const std::optional<InvoiceCursor> &after,
                             int limit = DefaultPageSize) const;
    Result<int> count(const InvoiceQuery &query) const;
    Result<Invoice> get(const QString &id) const;
    Result<InvoiceDetails> details(const QString &id) const;

    // Only https addresses are ever opened from the console: the link comes from Stripe
    // through the database, and anything else (file:, javascript:, http:) is refused.
    static bool isOpenableUrl(const QString &url);

private:
    QString m_connectionName;
};

} // namespace nobill
