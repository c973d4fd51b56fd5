#include "common/notavailablepage.h"

#include <QLabel>
#include <QVBoxLayout>

namespace nobill {

NotAvailablePage::NotAvailablePage(const QString &title, const QString &purpose, QWidget *parent)
    : Page(parent)
{
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(24, 24, 24, 24);
    auto *heading = new QLabel(title, this);
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.5);
    headingFont.setBold(true);
    heading->setFont(headingFont);
    auto *notice = new QLabel(tr("This area is not available yet in this version of NOBill "
                                 "Console."),
                              this);
    notice->setObjectName(QStringLiteral("notAvailableNotice"));
    auto *what = new QLabel(tr("When it is, it will show: %1").arg(purpose), this);
    what->setWordWrap(true);
    what->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(heading);
    layout->addSpacing(8);
    layout->addWidget(notice);
    layout->addWidget(what);
    layout->addStretch(1);
    setAccessibleName(tr("%1 (not available yet)").arg(title));
}

} // namespace nobill
