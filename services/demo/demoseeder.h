#pragma once

#include "core/result.h"

#include <QString>

namespace nobill {

// Fills a freshly migrated, empty database with the demo platform (resources/sql/demo/
// seed.sql): a dozen tenants, their people and roles, a small catalog, subscriptions in
// every status, six months of metered usage and a year of invoices. One transaction: on
// failure nothing is left behind. Refuses a database that already holds tenants or users.
//
// Dates are relative to the hour of seeding; a session that sets nobill.demo_anchor (a
// timestamptz, e.g. with set_config) gets exactly the same data every time.
//
// Blocking (a few seconds): call it on the thread that owns `connectionName`, never on the
// GUI thread.
Status seedDemoData(const QString &connectionName);

} // namespace nobill
