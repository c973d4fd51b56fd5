// nobill-bench-usageimport: the usage CSV importer against psql's \copy of the same file.
//
// Builds a throwaway cluster with 20 organizations and a metered subscription each, writes a
// CSV file of N usage records (default 1,000,000; first argument) naming organizations and
// subscriptions by uuid, so that psql can load the very same file straight into usage_records.
// Then, each into a fresh database of the same cluster:
//   - psql -c "\copy usage_records (...) FROM FILE CSV HEADER" as the owner: the raw load,
//     no checks beyond the table's own constraints, no line numbers, no duplicates skipped;
//   - UsageImporter as a signed-in platform administrator (row-level security on): reading,
//     checking every line, COPY into staging, set-based checks, INSERT ... ON CONFLICT,
//     audit row, commit.
// Prints rows/s for both and the ratio. Not a test: it asserts nothing and ctest skips it.

#include "testcluster.h"
#include "testoperators.h"

#include "core/translations.h"
#include "database/connection.h"
#include "usage/usageimporter.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTextStream>

using namespace nobill;

namespace {
constexpr int Organizations = 20;

bool seed(const test::TestDatabase &db, QStringList &orgs, QStringList &subs)
{
    QSqlQuery q(QSqlDatabase::database(db.connectionName()));
    if (!q.exec(
            QStringLiteral(
                "INSERT INTO organizations (id, name, slug, billing_email, currency) "
                "SELECT ('00000000-0000-0000-0000-' || lpad(g::text, 12, '0'))::uuid, 'Org ' || g, "
                "'org-' || g, 'b' || g || '@example.com', 'EUR' FROM generate_series(1, %1) g")
                .arg(Organizations)) ||
        !q.exec(QStringLiteral("INSERT INTO products (name) VALUES ('API')")) ||
        !q.exec(QStringLiteral("INSERT INTO plans (product_id, name, amount, currency, "
                               "usage_type, metric) SELECT id, 'Metered', 1, 'EUR', 'metered', "
                               "'api_calls' FROM products")) ||
        !q.exec(QStringLiteral(
            "INSERT INTO subscriptions (id, organization_id, plan_id, status, "
            "stripe_subscription_id) SELECT ('00000000-0000-0000-0001-' || "
            "substr(o.id::text, 25))::uuid, o.id, p.id, 'active', 'sub_' || replace(o.slug, "
            "'-', '') FROM organizations o, plans p")) ||
        !q.exec(QStringLiteral("SELECT organization_id::text, id::text FROM subscriptions "
                               "ORDER BY organization_id")))
        return false;
    while (q.next()) {
        orgs << q.value(0).toString();
        subs << q.value(1).toString();
    }
    return orgs.size() == Organizations;
}

bool writeFile(const QString &path, qint64 rows, const QStringList &orgs, const QStringList &subs)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly))
        return false;
    QByteArray chunk = "organization,subscription,metric,quantity,occurred_at,idempotency_key\n";
    const QDateTime now = QDateTime::currentDateTimeUtc();
    QList<QByteArray> o, s;
    for (int i = 0; i < orgs.size(); ++i) {
        o << orgs.at(i).toUtf8();
        s << subs.at(i).toUtf8();
    }
    for (qint64 g = 0; g < rows; ++g) {
        const int k = int(g % Organizations);
        // Spread over the last 30 days, second by second.
        const QByteArray at =
            now.addSecs(-60 - (g * 7) % (30 * 86400)).toString(Qt::ISODate).toUtf8();
        chunk += o.at(k) + ',' + s.at(k) + ",api_calls," + QByteArray::number(g % 1000) + ',' + at +
                 ",evt-" + QByteArray::number(g) + '\n';
        if (chunk.size() > (1 << 20)) {
            f.write(chunk);
            chunk.clear();
        }
    }
    f.write(chunk);
    return f.error() == QFileDevice::NoError;
}

QString psqlPath(const test::TestCluster &)
{
    QString found = QStandardPaths::findExecutable(QStringLiteral("psql"));
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(QStringLiteral("psql"),
                                               {QStringLiteral("/usr/lib/postgresql/15/bin")});
    return found;
}
} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    installTranslations(QLocale(QLocale::English, QLocale::UnitedStates));
    QTextStream out(stdout);
    const qint64 rows = argc > 1 ? QByteArray(argv[1]).toLongLong() : 1000000;

    test::TestDatabase ours;
    test::TestDatabase theirs;
    if (!ours.isValid() || !theirs.isValid()) {
        out << "cannot create the benchmark databases: " << ours.error() << theirs.error() << "\n";
        return 1;
    }
    QStringList orgs, subs, orgs2, subs2;
    if (!seed(ours, orgs, subs) || !seed(theirs, orgs2, subs2) || orgs != orgs2 || subs != subs2) {
        out << "cannot seed the databases\n";
        return 1;
    }
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("usage.csv"));
    if (!writeFile(path, rows, orgs, subs)) {
        out << "cannot write " << path << "\n";
        return 1;
    }
    const qint64 bytes = QFile(path).size();
    out << QStringLiteral("nobill-bench-usageimport: %1 rows, %2 MB, %3 organizations\n")
               .arg(rows)
               .arg(double(bytes) / 1e6, 0, 'f', 1)
               .arg(Organizations);
    out.flush();

    // psql's \copy, as the owner, into the real table.
    const QString psql = psqlPath(test::TestCluster::instance());
    if (psql.isEmpty()) {
        out << "psql not found\n";
        return 1;
    }
    const ConnectionSettings owner = theirs.settings();
    QProcess process;
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("PGPASSWORD"), owner.password);
    process.setProcessEnvironment(env);
    QElapsedTimer timer;
    timer.start();
    process.start(psql, {QStringLiteral("-X"), QStringLiteral("-q"), QStringLiteral("-v"),
                         QStringLiteral("ON_ERROR_STOP=1"), QStringLiteral("-h"), owner.host,
                         QStringLiteral("-p"), QString::number(owner.port), QStringLiteral("-U"),
                         owner.user, QStringLiteral("-d"), owner.database, QStringLiteral("-c"),
                         QStringLiteral("\\copy usage_records (organization_id, subscription_id, "
                                        "metric, quantity, occurred_at, idempotency_key) FROM "
                                        "'%1' CSV HEADER")
                             .arg(path)});
    if (!process.waitForFinished(-1) || process.exitCode() != 0) {
        out << "psql failed: " << process.readAllStandardError() << "\n";
        return 1;
    }
    const double psqlSeconds = double(timer.nsecsElapsed()) / 1e9;

    // Ours, as a signed-in platform administrator.
    auto admin = test::createOperator(ours, QStringLiteral("bench_admin"), true, {});
    if (!admin) {
        out << "cannot create the operator: " << admin.error().message << "\n";
        return 1;
    }
    const QString connection = uniqueConnectionName(QStringLiteral("bench-import"));
    if (!openConnection(admin->settings, connection)) {
        out << "cannot connect as the operator\n";
        return 1;
    }
    timer.restart();
    auto imported = UsageImporter(connection).importFile(path);
    const double ourSeconds = double(timer.nsecsElapsed()) / 1e9;
    if (!imported) {
        out << "import failed: " << imported.error().message << "\n";
        return 1;
    }
    timer.restart();
    auto again = UsageImporter(connection).importFile(path);
    const double againSeconds = double(timer.nsecsElapsed()) / 1e9;
    closeConnection(connection);

    out << QStringLiteral("psql \\copy (owner, no checks)      %1 s  %2 rows/s\n")
               .arg(psqlSeconds, 6, 'f', 2)
               .arg(double(rows) / psqlSeconds, 10, 'f', 0);
    out << QStringLiteral("UsageImporter (platform admin)   %1 s  %2 rows/s  (%3)\n")
               .arg(ourSeconds, 6, 'f', 2)
               .arg(double(rows) / ourSeconds, 10, 'f', 0)
               .arg(UsageImporter::describe(imported.value()));
    out << QStringLiteral("ratio ours / psql                %1x\n")
               .arg(ourSeconds / psqlSeconds, 0, 'f', 2);
    out << QStringLiteral("re-import, all duplicates        %1 s  %2 rows/s  (%3)\n")
               .arg(againSeconds, 6, 'f', 2)
               .arg(double(rows) / againSeconds, 10, 'f', 0)
               .arg(again ? UsageImporter::describe(again.value()) : again.error().message);
    return 0;
}
