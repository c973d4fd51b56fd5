#pragma once

#include <QIcon>

namespace nobill {

// The application icon: the installed theme's (org.nobill.Console) when there is one, else
// the PNGs compiled in, in every size the package installs, so it is sharp at any scale.
QIcon applicationIcon();

} // namespace nobill
