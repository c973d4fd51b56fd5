#pragma once

#include "core/result.h"

#include <QList>
#include <QString>

namespace nobill {

// One hit of the console-wide search (Ctrl+K).
struct SearchHit
{
    enum class Kind { Tenant, User, Subscription };
    Kind kind = Kind::Tenant;
    QString id;
    QString title;          // "Acme Ltd", "Ann Whitfield", "sub_1Q… (Acme Ltd)"
    QString detail;         // slug and email, email, plan and status
    QString organizationId; // the tenant the hit belongs to (for users: their first one)
};

// Finds tenants (name, slug, billing email, Stripe customer id), people (name, email) and
// subscriptions (Stripe id, tenant name) matching `text`, best matches first: exact ids and
// prefixes before substrings. Row-level security limits it to what the operator may see.
// Run on the thread owning the connection.
Result<QList<SearchHit>> searchEverything(const QString &connectionName, const QString &text,
                                          int limit = 25);

} // namespace nobill
