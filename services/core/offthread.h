#pragma once

#include <QCoreApplication>
#include <QMetaObject>
#include <QObject>
#include <QPointer>
#include <QThread>

#include <functional>
#include <memory>

namespace nobill {

// Runs one blocking call (a keychain lookup, starting a cluster) on a short-lived thread
// and hands its result to `done` on the main thread, unless `context` is gone by then.
// For work that has no database connection of its own; database work uses DatabaseWorker.
template <typename T>
void runOffThread(QObject *context, std::function<T()> work, std::function<void(T)> done)
{
    QPointer<QObject> guard(context);
    QThread *thread = QThread::create([guard, work = std::move(work), done = std::move(done)]() {
        auto result = std::make_shared<T>(work());
        // The guard is only read on the main thread, where the context lives and dies.
        QMetaObject::invokeMethod(
            QCoreApplication::instance(),
            [guard, result, done]() {
                if (guard)
                    done(std::move(*result));
            },
            Qt::QueuedConnection);
    });
    QObject::connect(thread, &QThread::finished, thread, &QObject::deleteLater);
    thread->start();
}

} // namespace nobill
