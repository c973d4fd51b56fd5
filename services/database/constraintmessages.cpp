#include "database/sqlerror.h"

namespace nobill {
QString constraintMessage(const QString &)
{
    return {};
}
} // namespace nobill
