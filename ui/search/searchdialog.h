#pragma once

#include "search/globalsearch.h"

#include <QDialog>

class QLabel;
class QLineEdit;
class QListWidget;
class QTimer;

namespace nobill {

class DatabaseWorker;

// Ctrl+K: one box to find a tenant, a person or a subscription by name, email or Stripe id.
// Typing searches after a short pause; Enter opens the highlighted hit.
class SearchDialog final : public QDialog
{
    Q_OBJECT
public:
    SearchDialog(DatabaseWorker *worker, QWidget *parent = nullptr);

    void setText(const QString &text);
    int hitCount() const;
    bool isSearching() const { return m_searching; }

signals:
    void hitChosen(const nobill::SearchHit &hit);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void search();
    void choose();

    DatabaseWorker *m_worker;
    QLineEdit *m_input;
    QListWidget *m_list;
    QLabel *m_status;
    QTimer *m_debounce;
    QList<SearchHit> m_hits;
    quint64 m_request = 0;
    bool m_searching = false;
};

} // namespace nobill

Q_DECLARE_METATYPE(nobill::SearchHit)
