#include "startup/screenshotrunner.h"

#include "common/page.h"
#include "mainwindow/mainwindow.h"
#include "settings/officeworkercontrol.h"
#include "settings/settingsdialog.h"
#include "subscriptions/changeplandialog.h"
#include "subscriptions/newsubscriptiondialog.h"
#include "subscriptions/subscriptiondetailpanel.h"
#include "subscriptions/subscriptionspage.h"
#include "tenants/tenantdialog.h"
#include "tenants/tenantspage.h"

#include <QDialog>
#include <QDir>
#include <QPixmap>
#include <QTextStream>
#include <QTimer>

namespace nobill {

namespace {
constexpr int PollMs = 50;
constexpr int MaxWaitMs = 15000;
} // namespace

ScreenshotRunner::ScreenshotRunner(MainWindow *window, QString directory, QObject *parent)
    : QObject(parent)
    , m_window(window)
    , m_directory(std::move(directory))
{}

void ScreenshotRunner::start()
{
    if (!QDir().mkpath(m_directory)) {
        QTextStream(stderr) << tr("Cannot create the screenshot folder %1.").arg(m_directory)
                            << Qt::endl;
        emit finished(1);
        return;
    }
    next();
}

bool ScreenshotRunner::save(QWidget *widget, const QString &name)
{
    const QString path = QDir(m_directory).filePath(name + QStringLiteral(".png"));
    if (!widget->grab().save(path)) {
        QTextStream(stderr) << tr("Could not save %1.").arg(path) << Qt::endl;
        ++m_failures;
        return false;
    }
    QTextStream(stdout) << path << Qt::endl;
    return true;
}

void ScreenshotRunner::next()
{
    ++m_index;
    const QList<Area> areas = allAreas();
    if (m_index >= areas.size()) {
        m_window->selectArea(Area::Tenants);
        if (auto *tenants = qobject_cast<TenantsPage *>(m_window->page(Area::Tenants))) {
            tenants->newTenant();
            if (TenantDialog *dialog = tenants->openDialog()) {
                TenantDraft example;
                example.name = tr("Nordlicht Analytics GmbH");
                example.billingEmail = QStringLiteral("billing@nordlicht.example");
                example.currency = QStringLiteral("EUR");
                example.country = QStringLiteral("DE");
                example.city = QStringLiteral("Hamburg");
                dialog->setDraft(example);
                QTimer::singleShot(PollMs, this, [this]() { captureDialog(0); });
                return;
            }
        }
        emit finished(m_failures == 0 ? 0 : 1);
        return;
    }
    m_window->selectArea(areas.at(m_index));
    QTimer::singleShot(PollMs, this, [this]() { captureWhenQuiet(0); });
}

void ScreenshotRunner::captureWhenQuiet(int waitedMs)
{
    Page *page = m_window->page(m_window->currentArea());
    if (page && page->isBusy() && waitedMs < MaxWaitMs) {
        QTimer::singleShot(PollMs, this,
                           [this, waitedMs]() { captureWhenQuiet(waitedMs + PollMs); });
        return;
    }
    // Once more through the event loop so the last rows are laid out and painted.
    QTimer::singleShot(PollMs, this, [this]() {
        save(m_window, areaKey(m_window->currentArea()));
        next();
    });
}

void ScreenshotRunner::captureDialog(int waitedMs)
{
    auto *tenants = qobject_cast<TenantsPage *>(m_window->page(Area::Tenants));
    TenantDialog *dialog = tenants ? tenants->openDialog() : nullptr;
    if (!dialog) {
        emit finished(1);
        return;
    }
    if (waitedMs < 600) { // the slug check answers within a few milliseconds on the demo
        QTimer::singleShot(PollMs, this, [this, waitedMs]() { captureDialog(waitedMs + PollMs); });
        return;
    }
    save(dialog, QStringLiteral("tenants-new-dialog"));
    dialog->reject();
    captureBilling(0);
}

void ScreenshotRunner::saveWhenReady(QDialog *dialog, const QString &name,
                                     std::function<bool()> ready, std::function<void()> then,
                                     int waitedMs)
{
    if (!ready() && waitedMs < MaxWaitMs) {
        QTimer::singleShot(PollMs, this,
                           [=]() { saveWhenReady(dialog, name, ready, then, waitedMs + PollMs); });
        return;
    }
    QTimer::singleShot(PollMs, this, [=]() {
        save(dialog, name);
        dialog->reject();
        then();
    });
}

void ScreenshotRunner::captureBilling(int step)
{
    auto *page = qobject_cast<SubscriptionsPage *>(m_window->page(Area::Subscriptions));
    auto done = [this]() {
        emit finished(m_failures == 0 ? 0 : 1);
    };
    if (!page)
        return done();
    auto onward = [this, step]() {
        captureBilling(step + 1);
    };
    if (step == 0) {
        m_window->selectArea(Area::Subscriptions);
        // Wait until the first subscription's details are shown, so its actions are enabled.
        if (page->isBusy() || !page->details()->details()) {
            QTimer::singleShot(PollMs, this, [this]() { captureBilling(0); });
            return;
        }
        page->requestNewSubscription();
        if (auto *dialog = page->findChild<NewSubscriptionDialog *>())
            return saveWhenReady(
                dialog, QStringLiteral("subscriptions-new-dialog"),
                [dialog]() { return !dialog->isLoading(); }, onward);
        return onward();
    }
    if (step == 1) {
        page->requestChangePlan();
        if (auto *dialog = page->findChild<ChangePlanDialog *>())
            return saveWhenReady(
                dialog, QStringLiteral("subscriptions-change-plan-dialog"),
                [dialog]() { return !dialog->isLoading(); }, onward);
        return onward();
    }
    if (step == 2) {
        page->requestAction(SubscriptionAction::PauseCollection);
        if (auto *dialog = page->findChild<QDialog *>(QStringLiteral("pauseCollectionDialog")))
            return saveWhenReady(
                dialog, QStringLiteral("subscriptions-pause-collection-dialog"),
                []() { return true; }, onward);
        return onward();
    }
    if (step == 3) {
        auto *control = new OfficeWorkerControl(this);
        auto *dialog = new SettingsDialog(control, m_window);
        dialog->setAttribute(Qt::WA_DeleteOnClose);
        dialog->open();
        return saveWhenReady(
            dialog, QStringLiteral("settings-dialog"), []() { return true; },
            [control, done]() {
                control->deleteLater();
                done();
            });
    }
    done();
}

} // namespace nobill
