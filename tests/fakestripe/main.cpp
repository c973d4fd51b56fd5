// nobill-fake-stripe: the fake Stripe server in its own process, for tests and benchmarks
// that kill and restart the program talking to it. Prints "port=<n>" as its first line.
#include "fakestripeserver.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>
#include <QUrl>

#include <csignal>
#include <cstdio>

int main(int argc, char *argv[])
{
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("nobill-fake-stripe"));

    QCommandLineParser parser;
    parser.setApplicationDescription(
        QStringLiteral("A fake Stripe API on 127.0.0.1 for NOBill's tests. Control endpoints: "
                       "POST /_fake/faults, GET /_fake/stats, POST /_fake/reset, GET "
                       "/_fake/objects?type=T, POST /_fake/clock, POST "
                       "/_fake/checkout/sessions/{id}/complete."));
    parser.addHelpOption();
    const QCommandLineOption portOption(QStringLiteral("port"),
                                        QStringLiteral("Port to listen on (0: any free port)."),
                                        QStringLiteral("port"), QStringLiteral("0"));
    const QCommandLineOption keyOption(
        QStringLiteral("secret-key"),
        QStringLiteral("Accept only this API key (default: any sk_ or rk_ key)."),
        QStringLiteral("key"));
    const QCommandLineOption webhookOption(QStringLiteral("webhook-url"),
                                           QStringLiteral("POST every event here, signed."),
                                           QStringLiteral("url"));
    const QCommandLineOption webhookSecretOption(QStringLiteral("webhook-secret"),
                                                 QStringLiteral("The whsec_ secret to sign with."),
                                                 QStringLiteral("secret"));
    const QCommandLineOption stateOption(
        QStringLiteral("state-file"),
        QStringLiteral("Keep the state in this file, so a restart keeps the objects."),
        QStringLiteral("path"));
    parser.addOptions({portOption, keyOption, webhookOption, webhookSecretOption, stateOption});
    parser.process(app);

    bool ok = false;
    const uint port = parser.value(portOption).toUInt(&ok);
    if (!ok || port > 65535) {
        std::fprintf(stderr, "nobill-fake-stripe: --port must be 0..65535\n");
        return 2;
    }
    nobill::test::FakeStripeServer server;
    if (parser.isSet(keyOption))
        server.setExpectedSecretKey(parser.value(keyOption));
    if (parser.isSet(webhookOption))
        server.setWebhookEndpoint(QUrl(parser.value(webhookOption), QUrl::StrictMode),
                                  parser.value(webhookSecretOption));
    if (parser.isSet(stateOption) && !server.setStateFile(parser.value(stateOption))) {
        std::fprintf(stderr, "nobill-fake-stripe: %s\n", qPrintable(server.errorString()));
        return 1;
    }
    if (!server.start(static_cast<quint16>(port))) {
        std::fprintf(stderr, "nobill-fake-stripe: cannot listen on 127.0.0.1:%u: %s\n", port,
                     qPrintable(server.errorString()));
        return 1;
    }
    std::printf("port=%u\n", unsigned(server.port()));
    std::fflush(stdout);

    // SIGTERM and SIGINT end the event loop, so the process exits cleanly.
    std::signal(SIGTERM, [](int) { QCoreApplication::quit(); });
    std::signal(SIGINT, [](int) { QCoreApplication::quit(); });
    return app.exec();
}
