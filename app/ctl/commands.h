#pragma once

namespace nobill::ctl {
// Parses the command line and runs one nobillctl command; returns the process exit code.
int run(int argc, char **argv);
} // namespace nobill::ctl
