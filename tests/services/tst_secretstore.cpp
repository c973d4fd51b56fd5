// Secrets go to the keychain when one answers and to a private file otherwise. Run under
// a session bus with an unlocked gnome-keyring to exercise the keychain (see
// dbus-run-session with gnome-keyring-daemon --unlock); without one, the
// same cases exercise the file fallback.

#include "secrets/secretstore.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <atomic>
#include <memory>
#include <sys/stat.h>

using namespace nobill;

namespace {

QString uniqueKey(const char *purpose)
{
    return QStringLiteral("nobill-test-%1-%2-%3")
        .arg(QLatin1String(purpose))
        .arg(QCoreApplication::applicationPid())
        .arg(QDateTime::currentMSecsSinceEpoch());
}

int fileMode(const QString &path)
{
    struct stat info
    {
    };
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return -1;
    return static_cast<int>(info.st_mode & 07777);
}

const char *backendName(SecretStore::Backend backend)
{
    switch (backend) {
    case SecretStore::Backend::Keychain:
        return "keychain";
    case SecretStore::Backend::File:
        return "file";
    case SecretStore::Backend::None:
        break;
    }
    return "none";
}

} // namespace

class tst_SecretStore : public QObject
{
    Q_OBJECT

private:
    SecretStore::Options
    options(SecretStore::Mode mode = SecretStore::Mode::KeychainWithFileFallback)
    {
        SecretStore::Options o;
        o.fallbackDirectory = m_dir.path() + QStringLiteral("/secrets");
        o.mode = mode;
        o.timeoutMs = 5000;
        o.service = QStringLiteral("NOBill Console tests");
        return o;
    }

    QTemporaryDir m_dir{QStringLiteral("/tmp/nobill-test-XXXXXX")};

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void roundTrip_data()
    {
        QTest::addColumn<SecretStore::Mode>("mode");
        QTest::newRow("automatic") << SecretStore::Mode::KeychainWithFileFallback;
        QTest::newRow("file") << SecretStore::Mode::FileOnly;
    }
    void roundTrip()
    {
        QFETCH(SecretStore::Mode, mode);
        SecretStore store(options(mode));
        const QString key = uniqueKey("roundtrip");
        const QString secret = QStringLiteral("s3cret with spaces, ünïcode and \"quotes\"");

        QVERIFY(store.write(key, secret));
        qInfo() << "stored" << backendName(store.lastBackend()) << store.keychainProblem();
        auto read = store.read(key);
        QVERIFY2(read.isOk(), qPrintable(read.isOk() ? QString() : read.error().message));
        QCOMPARE(read.value(), secret);
        QVERIFY(!store.lastBackendDescription().isEmpty());

        // Another instance (another program run) finds it too.
        SecretStore again(options(mode));
        auto readAgain = again.read(key);
        QVERIFY(readAgain.isOk());
        QCOMPARE(readAgain.value(), secret);

        QVERIFY(store.remove(key));
        if (mode == SecretStore::Mode::FileOnly)
            QCOMPARE(store.lastBackend(), SecretStore::Backend::File);
    }

    void overwrite()
    {
        SecretStore store(options());
        const QString key = uniqueKey("overwrite");
        QVERIFY(store.write(key, QStringLiteral("first")));
        QVERIFY(store.write(key, QStringLiteral("second")));
        auto read = store.read(key);
        QVERIFY(read.isOk());
        QCOMPARE(read.value(), QStringLiteral("second"));
        QVERIFY(store.remove(key));
    }

    void removeThenReadIsNotFound()
    {
        SecretStore store(options());
        const QString key = uniqueKey("remove");
        QVERIFY(store.write(key, QStringLiteral("gone soon")));
        QVERIFY(store.remove(key));
        auto read = store.read(key);
        QVERIFY(!read.isOk());
        QCOMPARE(read.error().kind, ErrorKind::NotFound);
        QVERIFY(store.remove(key)); // removing what is not there succeeds
        QVERIFY(!QFile::exists(store.fallbackFilePath(key)));
    }

    void fileFallbackIsPrivate()
    {
        SecretStore store(options(SecretStore::Mode::FileOnly));
        const QString key = uniqueKey("file");
        QVERIFY(store.write(key, QStringLiteral("only for me")));
        QCOMPARE(store.lastBackend(), SecretStore::Backend::File);
        const QString path = store.fallbackFilePath(key);
        QVERIFY(QFile::exists(path));
        QCOMPARE(fileMode(path), 0600);
        QVERIFY(store.lastBackendDescription().contains(path));
        QFile file(path);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll(), QByteArray("only for me"));
        file.close();

        QVERIFY(store.write(key, QStringLiteral("changed"))); // rewritten files stay private
        QCOMPARE(fileMode(path), 0600);
        QVERIFY(store.remove(key));
        QVERIFY(!QFile::exists(path));
    }

    void fromWorkerThread()
    {
        // The main thread keeps its event loop running (QTRY_VERIFY spins it), as the GUI
        // thread does while a worker reads a password.
        const SecretStore::Options o = options();
        const QString key = uniqueKey("worker");
        auto result = std::make_shared<QString>();
        std::atomic<bool> finished{false};
        SecretStore::Backend workerBackend = SecretStore::Backend::None;
        std::unique_ptr<QThread> thread(QThread::create([&]() {
            SecretStore store(o);
            if (!store.write(key, QStringLiteral("from a worker"))) {
                *result = QStringLiteral("write failed");
            } else if (auto read = store.read(key); !read) {
                *result = QStringLiteral("read failed: ") + read.error().message;
            } else {
                *result = read.value();
                workerBackend = store.lastBackend();
            }
            (void)store.remove(key);
            finished = true;
        }));
        thread->start();
        QTRY_VERIFY_WITH_TIMEOUT(finished, 30000);
        thread->wait();
        QCOMPARE(*result, QStringLiteral("from a worker"));

        // Same backend as on the main thread: the worker did not silently fall back.
        SecretStore mainStore(options());
        QVERIFY(mainStore.write(key, QStringLiteral("x")));
        QCOMPARE(backendName(workerBackend), backendName(mainStore.lastBackend()));
        QVERIFY(mainStore.remove(key));
    }

    void invalidKeyIsRefused()
    {
        SecretStore store(options(SecretStore::Mode::FileOnly));
        const Status written = store.write(QStringLiteral("../escape"), QStringLiteral("x"));
        QVERIFY(!written);
        QCOMPARE(written.error().kind, ErrorKind::InvalidInput);
    }
};

QTEST_GUILESS_MAIN(tst_SecretStore)
#include "tst_secretstore.moc"
