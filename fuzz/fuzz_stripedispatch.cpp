// libFuzzer target: the event dispatcher (services/stripeevents/eventmapping.cpp) maps any
// bytes to an event kind or an error, as the worker would before touching the database.

#include "stripeevents/eventmapping.h"

#include <cstdint>
#include <cstdlib>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray json(reinterpret_cast<const char *>(data), qsizetype(size));
    const int kind = nobill::applyEventForFuzzing(json);
    if (kind < -1 || kind > int(nobill::EventKind::MeterErrorReport))
        std::abort();
    return 0;
}
