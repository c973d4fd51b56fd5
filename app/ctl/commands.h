#pragma once

namespace nobill::ctl {
// Parses the command line and runs one nobillctl command; returns the process exit code:
// 0 success, 1 the command failed (reason on stderr), 2 bad usage, 3 `demo status` found the
// demo database not running.
int run(int argc, char **argv);
} // namespace nobill::ctl
