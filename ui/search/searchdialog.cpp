#include "search/searchdialog.h"

#include "database/databaseworker.h"

#include <QCoreApplication>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace nobill {

namespace {
QString kindText(SearchHit::Kind kind)
{
    switch (kind) {
    case SearchHit::Kind::Tenant:
        return QCoreApplication::translate("nobill::SearchDialog", "Tenant");
    case SearchHit::Kind::User:
        return QCoreApplication::translate("nobill::SearchDialog", "Person");
    case SearchHit::Kind::Subscription:
        return QCoreApplication::translate("nobill::SearchDialog", "Subscription");
    }
    return {};
}
} // namespace

SearchDialog::SearchDialog(DatabaseWorker *worker, QWidget *parent)
    : QDialog(parent)
    , m_worker(worker)
    , m_input(new QLineEdit(this))
    , m_list(new QListWidget(this))
    , m_status(new QLabel(this))
    , m_debounce(new QTimer(this))
{
    setObjectName(QStringLiteral("searchDialog"));
    setWindowTitle(tr("Search"));
    resize(560, 420);
    auto *layout = new QVBoxLayout(this);
    m_input->setObjectName(QStringLiteral("searchInput"));
    m_input->setPlaceholderText(tr("Tenant, person or subscription: name, email or Stripe id"));
    m_input->setClearButtonEnabled(true);
    m_input->setAccessibleName(tr("Search"));
    m_list->setObjectName(QStringLiteral("searchHits"));
    m_list->setAccessibleName(tr("Search results"));
    m_status->setObjectName(QStringLiteral("searchStatus"));
    m_status->setForegroundRole(QPalette::PlaceholderText);
    layout->addWidget(m_input);
    layout->addWidget(m_list, 1);
    layout->addWidget(m_status);
    m_debounce->setSingleShot(true);
    m_debounce->setInterval(200);
    connect(m_input, &QLineEdit::textChanged, m_debounce, qOverload<>(&QTimer::start));
    connect(m_debounce, &QTimer::timeout, this, &SearchDialog::search);
    connect(m_input, &QLineEdit::returnPressed, this, &SearchDialog::choose);
    connect(m_list, &QListWidget::itemActivated, this, &SearchDialog::choose);
    // Arrow keys move through the hits while the typing stays in the box.
    m_input->installEventFilter(this);
    m_status->setText(tr("Type at least two characters."));
}

void SearchDialog::setText(const QString &text)
{
    m_input->setText(text);
}

int SearchDialog::hitCount() const
{
    return int(m_hits.size());
}

void SearchDialog::search()
{
    const QString text = m_input->text();
    const quint64 request = ++m_request;
    if (text.simplified().size() < 2) {
        m_hits.clear();
        m_list->clear();
        m_status->setText(tr("Type at least two characters."));
        return;
    }
    m_searching = true;
    m_status->setText(tr("Searching…"));
    m_worker->run<QList<SearchHit>>(
        this, [text](const QString &connection) { return searchEverything(connection, text); },
        [this, request](Result<QList<SearchHit>> hits) {
            if (request != m_request)
                return; // the operator typed on
            m_searching = false;
            m_list->clear();
            if (!hits) {
                m_hits.clear();
                m_status->setText(hits.error().message);
                return;
            }
            m_hits = hits.value();
            for (const SearchHit &hit : std::as_const(m_hits)) {
                auto *item = new QListWidgetItem(
                    QStringLiteral("%1 — %2\n%3").arg(kindText(hit.kind), hit.title, hit.detail),
                    m_list);
                item->setToolTip(hit.detail);
            }
            if (!m_hits.isEmpty())
                m_list->setCurrentRow(0);
            m_status->setText(m_hits.isEmpty() ? tr("Nothing found.")
                                               : tr("Enter opens the highlighted one."));
        });
}

bool SearchDialog::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_input && event->type() == QEvent::KeyPress) {
        const int key = static_cast<QKeyEvent *>(event)->key();
        if ((key == Qt::Key_Down || key == Qt::Key_Up) && m_list->count() > 0) {
            const int step = key == Qt::Key_Down ? 1 : -1;
            m_list->setCurrentRow(qBound(0, m_list->currentRow() + step, m_list->count() - 1));
            return true;
        }
    }
    return QDialog::eventFilter(watched, event);
}

void SearchDialog::choose()
{
    const int row = m_list->currentRow();
    if (row < 0 || row >= m_hits.size())
        return;
    emit hitChosen(m_hits.at(row));
    accept();
}

} // namespace nobill
