#include "common/appicon.h"

namespace nobill {

QIcon applicationIcon()
{
    QIcon builtIn;
    for (int size : {16, 22, 24, 32, 48, 64, 128, 256})
        builtIn.addFile(QStringLiteral(":/appicon/%1x%1/apps/org.nobill.Console.png").arg(size),
                        QSize(size, size));
    return QIcon::fromTheme(QStringLiteral("org.nobill.Console"), builtIn);
}

} // namespace nobill
