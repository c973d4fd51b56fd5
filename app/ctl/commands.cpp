#include "commands.h"

namespace nobill::ctl {
int run(int, char **)
{
    return 2;
}
} // namespace nobill::ctl
