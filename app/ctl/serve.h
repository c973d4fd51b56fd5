#pragma once

namespace nobill::ctl {
// `nobillctl serve ...` and `nobillctl stripe set-key`: the office service and its Stripe
// key. Returns the process exit code (0 success, 1 failure, 2 bad usage).
int serveCommand(int argc, char **argv);
// True when argv names one of the commands above.
bool isServeCommand(int argc, char **argv);
} // namespace nobill::ctl
