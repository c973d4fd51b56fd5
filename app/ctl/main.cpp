#include "commands.h"
#include "serve.h"

int main(int argc, char **argv)
{
    // The office service runs an event loop of its own (serve.cpp); everything else is a
    // one-shot command.
    if (nobill::ctl::isServeCommand(argc, argv))
        return nobill::ctl::serveCommand(argc, argv);
    return nobill::ctl::run(argc, argv);
}
