#include "reconcile.h"

#include "serve.h"

#include "database/connection.h"
#include "database/connectionsettings.h"
#include "reconciliation/reconciler.h"
#include "stripe/stripeclient.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>

#include <cstdio>
#include <optional>

namespace nobill::ctl {

namespace {

enum ExitCode { Success = 0, Failure = 1, BadUsage = 2, DriftFound = 4 };

QString tr(const char *text)
{
    return QCoreApplication::translate("nobillctl", text);
}

void printLine(FILE *stream, const QString &text)
{
    const QByteArray bytes = text.toLocal8Bit();
    std::fwrite(bytes.constData(), 1, static_cast<size_t>(bytes.size()), stream);
    std::fputc('\n', stream);
    std::fflush(stream);
}

int complain(const QString &text, int code = Failure)
{
    printLine(stderr, QStringLiteral("nobillctl: ") + text);
    return code;
}

// Long values are cut so that a row stays on one line of a wide terminal.
QString cell(const QString &text, int width)
{
    QString flat = text.simplified();
    if (flat.size() > width)
        flat = flat.left(width - 1) + QChar(0x2026);
    return flat;
}

void printReport(const DriftReport &report)
{
    if (report.isEmpty()) {
        printLine(stdout, tr("No drift: %1 customers, %2 prices, %3 subscriptions and %4 invoices "
                             "in Stripe agree with NOBill.")
                              .arg(report.customers)
                              .arg(report.prices)
                              .arg(report.subscriptions)
                              .arg(report.invoices));
        return;
    }
    const QStringList headers = {tr("OBJECT"), tr("DRIFT"), tr("NOBILL"),   tr("STRIPE ID"),
                                 tr("FIELD"),  tr("OURS"),  tr("STRIPE'S"), tr("REPAIR")};
    const QList<int> limits = {12, 14, 36, 30, 20, 28, 28, 6};
    QList<QStringList> rows;
    for (const DriftItem &item : report.items)
        rows << QStringList{driftObjectText(item.object),
                            driftKindText(item.kind),
                            item.ourName.isEmpty() ? item.ourId : item.ourName,
                            item.stripeId,
                            item.field,
                            item.ours,
                            item.stripe,
                            item.repairable ? tr("yes") : tr("no")};
    QList<int> widths;
    for (int c = 0; c < headers.size(); ++c) {
        int width = int(headers.at(c).size());
        for (const QStringList &row : rows)
            width = qMax(width, int(cell(row.at(c), limits.at(c)).size()));
        widths << width;
    }
    auto line = [&](const QStringList &values) {
        QStringList cells;
        for (int c = 0; c < values.size(); ++c)
            cells << cell(values.at(c), limits.at(c)).leftJustified(widths.at(c));
        printLine(stdout, cells.join(QStringLiteral("  ")).trimmed());
    };
    line(headers);
    for (const QStringList &row : rows)
        line(row);
    printLine(stdout, QString());
    // What a repair does, or why ours stays, once per sentence.
    QStringList notes;
    for (const DriftItem &item : report.items) {
        if (!item.repairable && !item.note.isEmpty() && !notes.contains(item.note))
            notes << item.note;
    }
    for (const QString &note : notes)
        printLine(stdout, QStringLiteral("- ") + note);
    printLine(stdout, tr("%1 differences; %2 can be repaired from Stripe's state.")
                          .arg(report.items.size())
                          .arg(report.repairableCount()));
}

} // namespace

int reconcileCommand(QCommandLineParser &parser, const QStringList &words)
{
    if (words.size() != 2)
        return complain(tr("\"stripe reconcile\" takes no further words. Run \"nobillctl help\" "
                           "for the usage."),
                        BadUsage);
    const QString uri = parser.value(QStringLiteral("db"));
    if (uri.isEmpty())
        return complain(tr("\"stripe reconcile\" needs the database: --db URI (the service "
                           "login). Run \"nobillctl help\" for the usage."),
                        BadUsage);
    Result<ConnectionSettings> parsed = ConnectionSettings::fromUri(uri);
    if (!parsed)
        return complain(parsed.error().message, BadUsage);
    ConnectionSettings settings = parsed.value();
    settings.source = QStringLiteral("cli");
    if (settings.password.isEmpty())
        settings.password = credential(QStringLiteral("db-password"));

    StripeClientOptions stripe;
    Result<QUrl> baseUrl = stripeBaseUrl(parser);
    if (!baseUrl)
        return complain(baseUrl.error().message, BadUsage);
    stripe.baseUrl = baseUrl.value();
    Result<QString> key = loadStripeKey();
    if (!key)
        return complain(key.error().message);
    stripe.secretKey = key.value();

    const QString connection = uniqueConnectionName(QStringLiteral("reconcile"));
    if (Status opened = openConnection(settings, connection); !opened)
        return complain(opened.error().message);
    struct Closer
    {
        QString name;
        ~Closer() { closeConnection(name); }
    } closer{connection};

    Result<OurState> ours = Reconciler::readOurs(connection);
    if (!ours)
        return complain(ours.error().message);

    std::optional<Result<StripeState>> fetched;
    {
        StripeClient client(stripe);
        stripe.secretKey.clear(); // the client holds the only copy from here on
        QEventLoop loop;
        Reconciler::fetchStripe(client, [&](Result<StripeState> state) {
            fetched = std::move(state);
            loop.quit();
        });
        if (!fetched)
            loop.exec();
    }
    if (!fetched->isOk())
        return complain(fetched->error().message);
    const StripeState &theirs = fetched->value();

    DriftReport report = Reconciler::compare(theirs, ours.value());
    printReport(report);
    if (report.isEmpty())
        return Success;
    if (!parser.isSet(QStringLiteral("repair"))) {
        if (report.repairableCount() > 0)
            printLine(stdout, tr("Run again with --repair to make NOBill's side equal to "
                                 "Stripe's for those."));
        return DriftFound;
    }

    QStringList repaired;
    const QList<SqlWrite> writes = Reconciler::repairWrites(report, {}, &repaired);
    if (!writes.isEmpty()) {
        if (Status applied = Reconciler::applyWrites(connection, writes); !applied)
            return complain(tr("Nothing was repaired: %1").arg(applied.error().message));
    }
    printLine(stdout, tr("Repaired %1 differences in NOBill (one transaction, in the audit "
                         "trail as source \"cli\").")
                          .arg(repaired.size()));
    // What is left, against the same Stripe state.
    Result<OurState> after = Reconciler::readOurs(connection);
    if (!after)
        return complain(after.error().message);
    const DriftReport left = Reconciler::compare(theirs, after.value());
    if (left.isEmpty()) {
        printLine(stdout, tr("No drift is left."));
        return Success;
    }
    printLine(stdout, tr("Left after the repair:"));
    printReport(left);
    return DriftFound;
}

} // namespace nobill::ctl
