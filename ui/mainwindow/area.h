#pragma once

#include <QList>
#include <QString>

namespace nobill {

// The areas of the console, in the order of the navigation list.
enum class Area {
    Overview,
    Tenants,
    Members,
    Roles,
    Plans,
    Subscriptions,
    Usage,
    Invoices,
    AuditLog,
    WebhookEvents,
    Jobs,
};

QList<Area> allAreas();
// Stable, untranslated: screenshot file names and command line options use it.
QString areaKey(Area area);
QString areaTitle(Area area);
// One sentence on what the area is for (shown while it is not built yet, and as tooltip).
QString areaPurpose(Area area);

} // namespace nobill
