#include "commands.h"

int main(int argc, char **argv)
{
    return nobill::ctl::run(argc, argv);
}
