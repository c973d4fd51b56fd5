#include "webhookevents/jsonview.h"

#include <QFontDatabase>
#include <QJsonDocument>
#include <QJsonParseError>

namespace nobill {

JsonView::JsonView(QWidget *parent)
    : QPlainTextEdit(parent)
{
    setReadOnly(true);
    setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    setLineWrapMode(QPlainTextEdit::NoWrap);
    setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
}

QString JsonView::prettyPrinted(const QByteArray &json)
{
    if (json.trimmed().isEmpty())
        return {};
    QJsonParseError error;
    const QJsonDocument doc = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || doc.isNull())
        return QString::fromUtf8(json);
    // Two spaces per level, as Stripe's own dashboard shows events.
    QString text = QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
    text.replace(QStringLiteral("    "), QStringLiteral("  "));
    return text.trimmed();
}

void JsonView::setJson(const QByteArray &json)
{
    setPlainText(prettyPrinted(json));
}

} // namespace nobill
