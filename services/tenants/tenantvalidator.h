#pragma once

#include "tenants/tenant.h"

#include <QList>

namespace nobill {

// The rules a tenant must satisfy, checked before anything reaches the database (which
// enforces the same rules with constraints). Shared by the dialog, nobillctl and tests.
class TenantValidator
{
public:
    static QList<FieldProblem> validate(const TenantDraft &draft);
    // "Acme Ltd." -> "acme-ltd"; empty if nothing usable is left.
    static QString suggestSlug(const QString &name);
    static bool isKnownCurrency(const QString &code);
    // The ISO 4217 codes offered in the currency picker, most used first.
    static QStringList commonCurrencies();
};

} // namespace nobill
