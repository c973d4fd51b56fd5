// nobill-test-eventserver: the webhook listener and the event processor in a process of
// their own, as `nobillctl serve` will run them, for tests that kill it (SIGKILL) and start
// it again. Test-only: it takes the database URI on the command line.
//
//     nobill-test-eventserver --uri postgresql://login:password@127.0.0.1:5432/db
//         --secret whsec_... --port N
//
// Prints "port=<n>" on its first line once listening, then serves until killed.

#include "stripeevents/eventprocessor.h"
#include "webhooks/webhooklistener.h"

#include <QCommandLineParser>
#include <QCoreApplication>

#include <cstdio>

using namespace nobill;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOption(
        {QStringLiteral("uri"), QStringLiteral("Service login."), QStringLiteral("uri")});
    parser.addOption(
        {QStringLiteral("secret"), QStringLiteral("whsec_ secret."), QStringLiteral("s")});
    parser.addOption({QStringLiteral("port"), QStringLiteral("Port."), QStringLiteral("n"),
                      QStringLiteral("0")});
    parser.process(app);

    auto settings = ConnectionSettings::fromUri(parser.value(QStringLiteral("uri")));
    if (!settings) {
        std::fprintf(stderr, "%s\n", qPrintable(settings.error().message));
        return 2;
    }
    WebhookListenerOptions options;
    options.port = static_cast<quint16>(parser.value(QStringLiteral("port")).toUInt());
    options.secrets = {parser.value(QStringLiteral("secret")).toUtf8()};
    options.database = settings.value();
    WebhookListener listener(options);
    if (Status started = listener.start(); !started) {
        std::fprintf(stderr, "%s\n", qPrintable(started.error().message));
        return 1;
    }
    EventProcessorOptions processorOptions;
    processorOptions.pollIntervalMs = 500;
    processorOptions.applier.backoffBaseSeconds = 1;
    processorOptions.applier.backoffMaxSeconds = 2;
    processorOptions.applier.maxAttempts = 1000;
    EventProcessor processor(settings.value(), processorOptions);
    processor.start();
    std::printf("port=%u\n", static_cast<unsigned>(listener.port()));
    std::fflush(stdout);
    return app.exec();
}
