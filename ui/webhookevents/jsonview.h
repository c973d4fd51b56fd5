#pragma once

#include <QPlainTextEdit>

namespace nobill {

// Read-only, monospaced, pretty-printed JSON (a Stripe event's payload, a job's payload or
// result). Text that is not JSON is shown as it is.
class JsonView final : public QPlainTextEdit
{
    Q_OBJECT
public:
    explicit JsonView(QWidget *parent = nullptr);

    void setJson(const QByteArray &json);
    static QString prettyPrinted(const QByteArray &json);
};

} // namespace nobill
