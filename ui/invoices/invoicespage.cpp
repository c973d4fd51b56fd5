#include "invoices/invoicespage.h"

#include "common/exportbutton.h"
#include "common/jumptoend.h"
#include "common/messagebanner.h"
#include "common/stripeactions.h"
#include "core/money.h"
#include "database/changefeed.h"
#include "database/databaseworker.h"
#include "invoices/invoicedetailpanel.h"
#include "invoices/invoicelistmodel.h"
#include "invoices/invoiceservice.h"
#include "jobs/jobkinds.h"
#include "subscriptions/organizationfilter.h"

#include <QComboBox>
#include <QDesktopServices>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QScrollArea>
#include <QShortcut>
#include <QSplitter>
#include <QTableView>
#include <QTimer>
#include <QUrl>
#include <QVBoxLayout>

namespace nobill {

InvoicesPage::InvoicesPage(const ConnectionSettings &settings, QWidget *parent)
    : Page(parent)
    , m_listWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("invoices-list")))
    , m_detailWorker(std::make_unique<DatabaseWorker>(settings, QStringLiteral("invoices-detail")))
{
    setObjectName(QStringLiteral("invoicesPage"));
    m_model = new InvoiceListModel(m_listWorker.get(), this);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(8, 8, 8, 8);
    auto *toolbar = new QHBoxLayout;
    m_organizations = new OrganizationFilter(m_detailWorker.get(), this);
    m_statusFilter = new QComboBox(this);
    m_statusFilter->setObjectName(QStringLiteral("invoiceStatusFilter"));
    m_statusFilter->setAccessibleName(tr("Status filter"));
    m_statusFilter->addItem(tr("All statuses"), QString());
    for (const char *status : {"draft", "open", "paid", "uncollectible", "void"}) {
        const QString key = QLatin1String(status);
        m_statusFilter->addItem(InvoiceListModel::statusText(key), key);
    }
    toolbar->addWidget(m_organizations, 3);
    toolbar->addWidget(m_statusFilter, 1);
    toolbar->addStretch(2);
    m_exportButton = new ExportButton(QStringLiteral("invoices.csv"), tr("Export invoices"), this);
    m_exportButton->setObjectName(QStringLiteral("exportButton"));
    toolbar->addWidget(m_exportButton);
    layout->addLayout(toolbar);

    m_banner = new MessageBanner(this);
    m_exportButton->setSource(settings, m_model, m_banner);
    layout->addWidget(m_banner);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    auto *listBox = new QWidget(splitter);
    auto *listLayout = new QVBoxLayout(listBox);
    listLayout->setContentsMargins(0, 0, 0, 0);
    m_view = new QTableView(listBox);
    m_view->setObjectName(QStringLiteral("invoiceTable"));
    m_view->setModel(m_model);
    m_view->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_view->setSelectionMode(QAbstractItemView::SingleSelection);
    m_view->setSortingEnabled(true);
    m_view->sortByColumn(InvoiceListModel::Created, Qt::DescendingOrder);
    installJumpToEnd(m_view, m_model);
    m_view->setAlternatingRowColors(true);
    m_view->verticalHeader()->hide();
    m_view->horizontalHeader()->setStretchLastSection(true);
    m_view->horizontalHeader()->setHighlightSections(false);
    m_view->setWordWrap(false);
    m_view->verticalHeader()->setDefaultSectionSize(m_view->fontMetrics().height() + 10);
    m_view->setColumnWidth(InvoiceListModel::Number, 82);
    m_view->setColumnWidth(InvoiceListModel::Tenant, 145);
    m_view->setColumnWidth(InvoiceListModel::Status, 92);
    m_view->setColumnWidth(InvoiceListModel::Total, 95);
    m_view->setColumnWidth(InvoiceListModel::Remaining, 95);
    m_view->setColumnWidth(InvoiceListModel::Period, 182);
    m_view->setColumnWidth(InvoiceListModel::Due, 85);
    m_view->setAccessibleName(tr("Invoices"));
    listLayout->addWidget(m_view, 1);
    m_count = new QLabel(listBox);
    m_count->setObjectName(QStringLiteral("invoiceCount"));
    listLayout->addWidget(m_count);
    m_details = new InvoiceDetailPanel(m_detailWorker.get());
    m_stripeActions = new StripeActions(settings, m_banner, m_details);
    m_stripeActions->setObjectName(QStringLiteral("invoiceStripeActions"));
    {
        auto openOnly = [](const StripeActions::Target &t) {
            if (t.text("stripe_invoice_id").isEmpty())
                return tr("This invoice is not in Stripe.");
            if (t.text("status") != QLatin1String("open"))
                return tr("Only an open invoice can be sent, voided or marked uncollectible.");
            return QString();
        };
        auto payload = [](const StripeActions::Target &t) {
            return QJsonObject{{QStringLiteral("invoice_id"), t.text("id")},
                               {QStringLiteral("stripe_invoice_id"), t.text("stripe_invoice_id")}};
        };
        StripeActions::Action send;
        send.id = QStringLiteral("sendInvoice");
        send.text = tr("Send…");
        send.kind = jobkinds::SendInvoice;
        send.permission = QStringLiteral("invoices.manage");
        send.unavailable = openOnly;
        send.payload = payload;
        send.what = [](const StripeActions::Target &t) {
            return tr("sending of invoice %1 to %2").arg(t.text("label"), t.organizationName);
        };
        send.question = [](const StripeActions::Target &t) {
            return tr("Send invoice %1 (%2) to %3?")
                .arg(t.text("label"), t.text("amount"), t.organizationName);
        };
        send.detail = [](const StripeActions::Target &) {
            return tr("Stripe e-mails the invoice with its payment link to the tenant's billing "
                      "address.");
        };
        send.confirmText = tr("Send invoice");
        m_stripeActions->addAction(send);

        StripeActions::Action voidIt;
        voidIt.id = QStringLiteral("voidInvoice");
        voidIt.text = tr("Void…");
        voidIt.kind = jobkinds::VoidInvoice;
        voidIt.permission = QStringLiteral("invoices.manage");
        voidIt.unavailable = openOnly;
        voidIt.payload = payload;
        voidIt.destructive = true;
        voidIt.what = [](const StripeActions::Target &t) {
            return tr("voiding of invoice %1").arg(t.text("label"));
        };
        voidIt.question = [](const StripeActions::Target &t) {
            return tr("Void invoice %1 of %2 (%3)?")
                .arg(t.text("label"), t.organizationName, t.text("amount"));
        };
        voidIt.detail = [](const StripeActions::Target &) {
            return tr("The tenant no longer owes it. This cannot be undone: a voided invoice "
                      "stays void.");
        };
        voidIt.confirmText = tr("Void invoice");
        m_stripeActions->addAction(voidIt);

        StripeActions::Action uncollectible;
        uncollectible.id = QStringLiteral("markUncollectible");
        uncollectible.text = tr("Mark uncollectible…");
        uncollectible.kind = jobkinds::MarkInvoiceUncollectible;
        uncollectible.permission = QStringLiteral("invoices.manage");
        uncollectible.unavailable = openOnly;
        uncollectible.payload = payload;
        uncollectible.destructive = true;
        uncollectible.what = [](const StripeActions::Target &t) {
            return tr("marking of invoice %1 as uncollectible").arg(t.text("label"));
        };
        uncollectible.question = [](const StripeActions::Target &t) {
            return tr("Mark invoice %1 of %2 (%3) as uncollectible?")
                .arg(t.text("label"), t.organizationName, t.text("amount"));
        };
        uncollectible.detail = [](const StripeActions::Target &) {
            return tr("It stays owed but is no longer chased: Stripe stops reminding and "
                      "retrying. It can still be paid later.");
        };
        uncollectible.confirmText = tr("Mark uncollectible");
        m_stripeActions->addAction(uncollectible);
    }
    m_details->addActions(m_stripeActions);
    auto *detailScroll = new QScrollArea(splitter);
    detailScroll->setWidget(m_details);
    detailScroll->setWidgetResizable(true);
    detailScroll->setFrameShape(QFrame::NoFrame);
    detailScroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    detailScroll->setMinimumWidth(m_details->minimumWidth());
    splitter->addWidget(listBox);
    splitter->addWidget(detailScroll);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({810, 300});
    layout->addWidget(splitter, 1);

    connect(m_organizations, &OrganizationFilter::organizationChanged, m_model,
            &InvoiceListModel::setOrganizationFilter);
    connect(m_organizations, &OrganizationFilter::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The organizations could not be loaded. %1").arg(message));
    });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this,
            [this]() { m_model->setStatusFilter(m_statusFilter->currentData().toString()); });

    m_announceTimer = new QTimer(this);
    m_announceTimer->setSingleShot(true);
    m_announceTimer->setInterval(8000);
    connect(m_announceTimer, &QTimer::timeout, m_banner, &MessageBanner::clear);

    m_reloadSoon = new QTimer(this);
    m_reloadSoon->setSingleShot(true);
    m_reloadSoon->setInterval(300);
    connect(m_reloadSoon, &QTimer::timeout, m_model, &AsyncTableModel::reload);

    connect(m_view->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &InvoicesPage::selectionChanged);
    connect(m_view, &QTableView::doubleClicked, this, &InvoicesPage::openSelectedInBrowser);
    connect(m_model, &AsyncTableModel::pageLoaded, this, [this]() {
        restoreSelection();
        updateCount();
    });
    connect(m_model, &AsyncTableModel::totalCountChanged, this, &InvoicesPage::updateCount);
    connect(m_model, &AsyncTableModel::loadingChanged, this, &InvoicesPage::updateCount);
    connect(m_model, &AsyncTableModel::loadFailed, this, [this](const QString &message) {
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("The invoices could not be loaded. %1").arg(message), tr("Retry"));
    });
    connect(m_banner, &MessageBanner::actionTriggered, this, [this]() {
        m_banner->clear();
        m_model->reload();
    });
    connect(m_details, &InvoiceDetailPanel::openRequested, this, &InvoicesPage::openUrl);
    auto *refresh = new QShortcut(QKeySequence::Refresh, this);
    connect(refresh, &QShortcut::activated, m_model, &AsyncTableModel::reload);
}

InvoicesPage::~InvoicesPage()
{
    // Views and the model go first, so no completion reaches a half-destroyed page.
    delete m_view;
    delete m_model;
}

void InvoicesPage::activate()
{
    if (m_activated)
        return;
    m_activated = true;
    m_organizations->reload();
    m_model->reload();
}

bool InvoicesPage::isBusy() const
{
    return m_model->isLoading() || m_details->isLoading() || m_organizations->isLoading();
}

void InvoicesPage::setReadOnly(bool readOnly, const QString &reason)
{
    m_stripeActions->setReadOnly(readOnly, reason);
}

void InvoicesPage::setAccess(const SessionAccess &access)
{
    m_access = access;
    m_accessKnown = true;
    m_stripeActions->setAccess(access);
}

void InvoicesPage::setChangeFeed(ChangeFeed *feed)
{
    m_stripeActions->setChangeFeed(feed);
    connect(feed, &ChangeFeed::changed, this, &InvoicesPage::onChange);
}

void InvoicesPage::onChange(const QString &table, const QString &operation, const QString &id)
{
    if (!m_activated || table != QLatin1String("invoices"))
        return;
    if (operation != QLatin1String("update") || m_model->rowOfId(id) < 0) {
        if (operation != QLatin1String("update"))
            m_reloadSoon->start();
        return;
    }
    m_detailWorker->run<Invoice>(
        this, [id](const QString &connection) { return InvoiceService(connection).get(id); },
        [this, id](Result<Invoice> result) {
            if (!result) {
                if (result.error().kind == ErrorKind::NotFound)
                    m_reloadSoon->start();
                return;
            }
            m_model->updateInvoice(result.value());
            if (const Invoice *selected = selectedInvoice(); selected && selected->id == id) {
                m_details->showInvoice(*selected);
                updateStripeTarget();
            }
        });
}

const Invoice *InvoicesPage::selectedInvoice() const
{
    const QModelIndexList rows = m_view->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return nullptr;
    return &m_model->invoiceAt(rows.first().row());
}

void InvoicesPage::selectionChanged()
{
    const Invoice *invoice = selectedInvoice();
    updateStripeTarget();
    if (invoice) {
        m_selectedId = invoice->id;
        m_details->showInvoice(*invoice);
    } else if (m_model->rowCount() > 0 || !m_model->isLoading()) {
        m_details->clear();
    }
}

void InvoicesPage::updateStripeTarget()
{
    const Invoice *invoice = selectedInvoice();
    if (!invoice) {
        m_stripeActions->setTarget(std::nullopt);
        return;
    }
    const QString label = invoice->number.isEmpty() ? tr("(draft)") : invoice->number;
    m_stripeActions->setTarget(StripeActions::Target{
        invoice->organizationId,
        invoice->organizationName.isEmpty() ? tr("the tenant") : invoice->organizationName,
        QJsonObject{
            {QStringLiteral("id"), invoice->id},
            {QStringLiteral("stripe_invoice_id"), invoice->stripeInvoiceId},
            {QStringLiteral("status"), invoice->status},
            {QStringLiteral("label"), label},
            {QStringLiteral("amount"), formatMoney(invoice->amountRemaining, invoice->currency)}}});
}

void InvoicesPage::restoreSelection()
{
    if (selectedInvoice())
        return;
    if (!m_selectedId.isEmpty()) {
        const int row = m_model->rowOfId(m_selectedId);
        if (row >= 0) {
            m_view->selectRow(row);
            m_view->scrollTo(m_model->index(row, 0));
            return;
        }
    }
    if (m_model->rowCount() > 0)
        m_view->selectRow(0);
    else
        m_details->clear();
}

void InvoicesPage::updateCount()
{
    const QLocale locale;
    const int total = m_model->totalCount();
    const int loaded = m_model->rowCount();
    if (total < 0) {
        m_count->setText(m_model->isLoading() ? tr("Loading…") : QString());
        return;
    }
    if (total == 0) {
        m_count->setText(m_model->query().organizationId.isEmpty() &&
                                 m_model->query().status.isEmpty()
                             ? tr("No invoices yet. They appear here once Stripe makes them.")
                             : tr("No invoice matches these filters."));
        return;
    }
    if (loaded < total)
        m_count->setText(tr("%1 invoices, %2 shown (scroll for more)")
                             .arg(locale.toString(total), locale.toString(loaded)));
    else
        m_count->setText(tr("%n invoice(s)", nullptr, total));
}

void InvoicesPage::openSelectedInBrowser()
{
    const Invoice *invoice = selectedInvoice();
    if (invoice && InvoiceService::isOpenableUrl(invoice->hostedInvoiceUrl))
        openUrl(invoice->hostedInvoiceUrl);
}

void InvoicesPage::openUrl(const QString &url)
{
    // Only https: the address comes from Stripe through the database, and a file: or
    // javascript: link must never be handed to the desktop.
    if (!InvoiceService::isOpenableUrl(url))
        return;
    if (QDesktopServices::openUrl(QUrl(url, QUrl::StrictMode))) {
        m_banner->showMessage(MessageBanner::Kind::Information,
                              tr("The invoice opens in your web browser."));
        m_announceTimer->start();
        emit statusMessage(tr("The invoice opens in your web browser."));
    } else {
        m_announceTimer->stop();
        m_banner->showMessage(MessageBanner::Kind::Error,
                              tr("No web browser could be started for the invoice. Its address "
                                 "is %1")
                                  .arg(url));
    }
}

} // namespace nobill
