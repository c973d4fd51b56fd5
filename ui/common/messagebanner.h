#pragma once

#include <QFrame>

class QLabel;
class QPushButton;

namespace nobill {

// A strip above a page's content for errors and notices, with an optional action
// ("Retry", "Change connection…"). Hidden when there is nothing to say.
class MessageBanner final : public QFrame
{
    Q_OBJECT
public:
    enum class Kind { Information, Warning, Error };

    explicit MessageBanner(QWidget *parent = nullptr);

    void showMessage(Kind kind, const QString &text, const QString &actionText = {});
    void clear();
    QString text() const;

signals:
    void actionTriggered();

private:
    QLabel *m_label;
    QPushButton *m_action;
};

} // namespace nobill
