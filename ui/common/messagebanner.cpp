#include "common/messagebanner.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QStyle>

namespace nobill {

MessageBanner::MessageBanner(QWidget *parent)
    : QFrame(parent)
    , m_label(new QLabel(this))
    , m_action(new QPushButton(this))
{
    setObjectName(QStringLiteral("messageBanner"));
    setFrameShape(QFrame::StyledPanel);
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(10, 6, 10, 6);
    m_label->setWordWrap(true);
    m_label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_label->setAccessibleName(tr("Message"));
    layout->addWidget(m_label, 1);
    layout->addWidget(m_action);
    connect(m_action, &QPushButton::clicked, this, &MessageBanner::actionTriggered);
    hide();
}

void MessageBanner::showMessage(Kind kind, const QString &text, const QString &actionText)
{
    // Colours that read on light and dark palettes alike: tinted, not saturated.
    QString background;
    switch (kind) {
    case Kind::Information:
        background = QStringLiteral("rgba(52, 120, 246, 40)");
        break;
    case Kind::Warning:
        background = QStringLiteral("rgba(240, 170, 30, 60)");
        break;
    case Kind::Error:
        background = QStringLiteral("rgba(220, 50, 47, 50)");
        break;
    }
    setStyleSheet(
        QStringLiteral("#messageBanner { background: %1; border-radius: 4px; }").arg(background));
    m_label->setText(text);
    m_action->setText(actionText);
    m_action->setVisible(!actionText.isEmpty());
    show();
}

void MessageBanner::clear()
{
    m_label->clear();
    hide();
}

QString MessageBanner::text() const
{
    return isVisible() || !m_label->text().isEmpty() ? m_label->text() : QString();
}

} // namespace nobill
