#include "usage/usageimporter.h"

#include "database/sql.h"
#include "database/sqlerror.h"

#include <QCoreApplication>
#include <QDate>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLocale>
#include <QLoggingCategory>
#include <QSqlDriver>

#include <libpq-fe.h>

#include <cstring>
#include <string>

namespace nobill {

Q_LOGGING_CATEGORY(lcUsageImport, "nobill.usage.import")

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::UsageImporter", text);
}

constexpr qint64 ChunkBytes = 1024 * 1024;
constexpr int FieldCount = 6;
const char *const HeaderNames[FieldCount] = {"organization", "subscription", "metric",
                                             "quantity",     "occurred_at",  "idempotency_key"};

// A problem of one line of the file: the import stops at the first.
struct LineProblem
{
    qint64 line = 0;
    QString message;
    ErrorKind kind = ErrorKind::InvalidInput;

    bool isSet() const { return line > 0; }
    void offer(qint64 atLine, const QString &text, ErrorKind errorKind = ErrorKind::InvalidInput)
    {
        if (!isSet() || atLine < line) {
            line = atLine;
            message = text;
            kind = errorKind;
        }
    }
    Error toError() const
    {
        return makeError(kind, tr("line %1: %2").arg(QLocale().toString(line), message));
    }
};

QString quoted(QByteArrayView value)
{
    QString text = QString::fromUtf8(value);
    if (text.size() > 40)
        text = text.left(39) + QChar(0x2026);
    return QLatin1Char('"') + text + QLatin1Char('"');
}

// Valid UTF-8 without NUL (COPY refuses NUL); -1, or the offset of the first bad byte.
qsizetype firstInvalidUtf8(const unsigned char *s, qsizetype n)
{
    qsizetype i = 0;
    while (i < n) {
        // Plain ASCII eight bytes at a time: the common case.
        if (i + 8 <= n) {
            quint64 word;
            std::memcpy(&word, s + i, 8);
            const bool ascii = (word & 0x8080808080808080ULL) == 0;
            const bool noNul =
                ((word - 0x0101010101010101ULL) & ~word & 0x8080808080808080ULL) == 0;
            if (ascii && noNul) {
                i += 8;
                continue;
            }
        }
        const unsigned char c = s[i];
        if (c == 0)
            return i;
        if (c < 0x80) {
            ++i;
            continue;
        }
        int extra = 0;
        unsigned int cp = 0;
        if (c >= 0xC2 && c <= 0xDF) {
            extra = 1;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            extra = 2;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            extra = 3;
            cp = c & 0x07;
        } else {
            return i;
        }
        if (i + extra >= n)
            return i;
        for (int k = 1; k <= extra; ++k) {
            const unsigned char cc = s[i + k];
            if ((cc & 0xC0) != 0x80)
                return i;
            cp = (cp << 6) | (cc & 0x3F);
        }
        if ((extra == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return i;
        i += extra + 1;
    }
    return -1;
}

bool isDigit(char c)
{
    return c >= '0' && c <= '9';
}

int digits(const char *p, int n)
{
    int v = 0;
    for (int i = 0; i < n; ++i) {
        if (!isDigit(p[i]))
            return -1;
        v = v * 10 + (p[i] - '0');
    }
    return v;
}

// ISO 8601 date and time with a UTC offset: YYYY-MM-DD(T| )HH:MM[:SS[.ffffff]](Z|±HH[[:]MM]).
bool parseTimestamp(QByteArrayView text, qint64 &epochSeconds)
{
    const char *p = text.data();
    const qsizetype n = text.size();
    if (n < 17 || p[4] != '-' || p[7] != '-' || (p[10] != 'T' && p[10] != 't' && p[10] != ' ') ||
        p[13] != ':')
        return false;
    const int year = digits(p, 4), month = digits(p + 5, 2), day = digits(p + 8, 2);
    const int hour = digits(p + 11, 2), minute = digits(p + 14, 2);
    if (year < 1 || month < 0 || day < 0 || hour < 0 || minute < 0 ||
        !QDate::isValid(year, month, day) || hour > 23 || minute > 59)
        return false;
    qsizetype i = 16;
    int second = 0;
    if (i < n && p[i] == ':') {
        if (i + 3 > n || (second = digits(p + i + 1, 2)) < 0 || second > 59)
            return false;
        i += 3;
        if (i < n && p[i] == '.') {
            qsizetype f = i + 1;
            while (f < n && isDigit(p[f]))
                ++f;
            if (f == i + 1 || f - i - 1 > 6)
                return false;
            i = f;
        }
    }
    if (i >= n)
        return false; // no offset: the time would mean different instants in different places
    int offset = 0;
    if (p[i] == 'Z' || p[i] == 'z') {
        ++i;
    } else if (p[i] == '+' || p[i] == '-') {
        const int sign = p[i] == '-' ? -1 : 1;
        int oh = -1, om = 0;
        if (n - i == 3) {
            oh = digits(p + i + 1, 2);
        } else if (n - i == 5) {
            oh = digits(p + i + 1, 2);
            om = digits(p + i + 3, 2);
        } else if (n - i == 6 && p[i + 3] == ':') {
            oh = digits(p + i + 1, 2);
            om = digits(p + i + 4, 2);
        }
        if (oh < 0 || oh > 15 || om < 0 || om > 59)
            return false;
        offset = sign * (oh * 3600 + om * 60);
        i = n;
    } else {
        return false;
    }
    if (i != n)
        return false;
    const qint64 days = QDate(year, month, day).toJulianDay() - 2440588; // 1970-01-01
    epochSeconds = days * 86400 + hour * 3600 + minute * 60 + second - offset;
    return true;
}

bool isMetric(QByteArrayView m)
{
    if (m.isEmpty() || m.size() > 100 || m[0] < 'a' || m[0] > 'z')
        return false;
    for (char c : m) {
        if (!((c >= 'a' && c <= 'z') || isDigit(c) || c == '_'))
            return false;
    }
    return true;
}

bool isUuidText(QByteArrayView v)
{
    if (v.size() != 36)
        return false;
    for (qsizetype i = 0; i < 36; ++i) {
        const char c = v[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!(isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
            return false;
        }
    }
    return true;
}

bool isSubscriptionReference(QByteArrayView v)
{
    if (isUuidText(v))
        return true;
    if (v.size() < 5 || v.size() > 255 || !v.startsWith("sub_"))
        return false;
    for (qsizetype i = 4; i < v.size(); ++i) {
        const char c = v[i];
        if (!(isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'))
            return false;
    }
    return true;
}

qsizetype utf8Length(QByteArrayView v)
{
    qsizetype count = 0;
    for (char c : v) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80)
            ++count;
    }
    return count;
}

// COPY's text format: backslash, tab and carriage return escaped (lines never hold a newline).
void appendCopyText(std::string &out, QByteArrayView v)
{
    const char *p = v.data();
    const qsizetype n = v.size();
    qsizetype start = 0;
    for (qsizetype i = 0; i < n; ++i) {
        const char c = p[i];
        if (c != '\\' && c != '\t' && c != '\r')
            continue;
        out.append(p + start, static_cast<size_t>(i - start));
        out.append(c == '\\' ? "\\\\" : c == '\t' ? "\\t" : "\\r");
        start = i + 1;
    }
    out.append(p + start, static_cast<size_t>(n - start));
}

// Splits one CSV line into its fields. Quoted fields with "" inside are unescaped into
// `scratch`; other fields are views into the line. Returns the number of fields found (up to
// FieldCount + 1), or -1 with `problem` set.
int splitFields(QByteArrayView line, QByteArrayView *fields, std::string *scratch, QString &problem)
{
    const char *p = line.data();
    const qsizetype n = line.size();
    qsizetype i = 0;
    int count = 0;
    while (true) {
        if (count > FieldCount)
            return count;
        if (i < n && p[i] == '"') {
            std::string &s = scratch[qMin(count, FieldCount)];
            s.clear();
            qsizetype j = i + 1;
            qsizetype start = j;
            bool closed = false;
            bool escaped = false;
            while (j < n) {
                if (p[j] == '"') {
                    if (j + 1 < n && p[j + 1] == '"') {
                        s.append(p + start, static_cast<size_t>(j + 1 - start));
                        j += 2;
                        start = j;
                        escaped = true;
                        continue;
                    }
                    closed = true;
                    break;
                }
                ++j;
            }
            if (!closed) {
                problem = tr("a quoted field is not closed on this line (fields may not span "
                             "lines).");
                return -1;
            }
            if (escaped) {
                s.append(p + start, static_cast<size_t>(j - start));
                if (count < FieldCount)
                    fields[count] = QByteArrayView(s.data(), qsizetype(s.size()));
            } else if (count < FieldCount) {
                fields[count] = QByteArrayView(p + i + 1, j - i - 1);
            }
            ++count;
            i = j + 1;
            if (i == n)
                return count;
            if (p[i] != ',') {
                problem = tr("a quoted field is followed by something other than a comma.");
                return -1;
            }
            ++i;
            continue;
        }
        const char *comma = static_cast<const char *>(std::memchr(p + i, ',', size_t(n - i)));
        const qsizetype end = comma ? comma - p : n;
        if (count < FieldCount)
            fields[count] = QByteArrayView(p + i, end - i);
        ++count;
        if (!comma)
            return count;
        i = end + 1;
    }
}

struct SubscriptionStat
{
    qint64 firstLine = 0;
};

struct OrganizationStat
{
    qint64 firstLine = 0;
    qint64 rows = 0;
    QHash<QByteArray, SubscriptionStat> subscriptions;
    // Filled in by the checks.
    QString id;
    QString name;
};

// Reads the file line by line and turns it into COPY rows: every check that needs no
// database happens here, with the line number at hand.
class LineReader
{
public:
    LineReader(qint64 earliest, qint64 latest)
        : m_earliest(earliest)
        , m_latest(latest)
    {}

    // Returns false at the first problem (in `problem`).
    bool line(qint64 number, QByteArrayView text, std::string &out, LineProblem &problem);
    bool sawHeader() const { return m_sawHeader; }
    qint64 rows() const { return m_rows; }
    QHash<QByteArray, OrganizationStat> &organizations() { return m_organizations; }

private:
    bool header(qint64 number, QByteArrayView text, LineProblem &problem);

    qint64 m_earliest;
    qint64 m_latest;
    bool m_sawHeader = false;
    qint64 m_rows = 0;
    QHash<QByteArray, OrganizationStat> m_organizations;
    std::string m_scratch[FieldCount + 1];
};

bool LineReader::header(qint64 number, QByteArrayView text, LineProblem &problem)
{
    QByteArrayView fields[FieldCount];
    QString why;
    const int count = splitFields(text, fields, m_scratch, why);
    bool ok = count == FieldCount;
    for (int i = 0; ok && i < FieldCount; ++i)
        ok = fields[i].trimmed().compare(QByteArrayView(HeaderNames[i]), Qt::CaseInsensitive) == 0;
    if (!ok) {
        problem.offer(number, tr("the first line must be the header "
                                 "\"organization,subscription,metric,quantity,occurred_at,"
                                 "idempotency_key\", not %1.")
                                  .arg(quoted(text)));
        return false;
    }
    m_sawHeader = true;
    return true;
}

bool LineReader::line(qint64 number, QByteArrayView text, std::string &out, LineProblem &problem)
{
    if (const qsizetype bad =
            firstInvalidUtf8(reinterpret_cast<const unsigned char *>(text.data()), text.size());
        bad >= 0) {
        problem.offer(number, tr("the text is not valid UTF-8 (at byte %1 of the line); save the "
                                 "file as UTF-8.")
                                  .arg(bad + 1));
        return false;
    }
    if (!m_sawHeader)
        return header(number, text, problem);
    if (text.trimmed().isEmpty())
        return true;

    QByteArrayView f[FieldCount];
    QString why;
    const int count = splitFields(text, f, m_scratch, why);
    if (count < 0) {
        problem.offer(number, why);
        return false;
    }
    if (count != FieldCount) {
        problem.offer(number,
                      count > FieldCount
                          ? tr("more than 6 fields; a usage record has organization, "
                               "subscription, metric, quantity, occurred_at and "
                               "idempotency_key.")
                          : QCoreApplication::translate(
                                "nobill::UsageImporter",
                                "%n field(s) where a usage record has 6: organization, "
                                "subscription, metric, quantity, occurred_at, idempotency_key.",
                                nullptr, count));
        return false;
    }
    const QByteArrayView organization = f[0], subscription = f[1], metric = f[2], quantity = f[3],
                         occurredAt = f[4], key = f[5];
    if (organization.trimmed().isEmpty()) {
        problem.offer(number, tr("the organization is missing."));
        return false;
    }
    if (organization.size() > 200) {
        problem.offer(number, tr("organization %1 is too long.").arg(quoted(organization)));
        return false;
    }
    if (!subscription.isEmpty() && !isSubscriptionReference(subscription)) {
        problem.offer(number, tr("subscription %1 is neither a Stripe subscription id (sub_...) "
                                 "nor a uuid.")
                                  .arg(quoted(subscription)));
        return false;
    }
    if (!isMetric(metric)) {
        problem.offer(number, tr("metric %1 must be lower case letters, digits and underscores, "
                                 "starting with a letter (at most 100).")
                                  .arg(quoted(metric)));
        return false;
    }
    bool wholeNumber = !quantity.isEmpty() && quantity.size() <= 18;
    for (char c : quantity)
        wholeNumber = wholeNumber && isDigit(c);
    if (!wholeNumber) {
        QString message;
        if (quantity.size() > 1 && quantity[0] == '-' && isDigit(quantity[1]))
            message = tr("quantity %1 is negative; usage is 0 or more.").arg(quoted(quantity));
        else if (quantity.size() > 18 && isDigit(quantity[0]))
            message = tr("quantity %1 is too large.").arg(quoted(quantity));
        else
            message = tr("quantity %1 is not a whole number.").arg(quoted(quantity));
        problem.offer(number, message);
        return false;
    }
    qint64 at = 0;
    if (!parseTimestamp(occurredAt, at)) {
        problem.offer(number, tr("occurred_at %1 is not a date and time with a UTC offset "
                                 "(ISO 8601, for example 2026-03-01T14:30:00Z).")
                                  .arg(quoted(occurredAt)));
        return false;
    }
    if (at < m_earliest) {
        problem.offer(number, tr("occurred_at %1 is more than %2 days ago; Stripe no longer "
                                 "accepts usage that old.")
                                  .arg(quoted(occurredAt))
                                  .arg(UsageImporter::MaxAgeDays));
        return false;
    }
    if (at > m_latest) {
        problem.offer(number, tr("occurred_at %1 is in the future.").arg(quoted(occurredAt)));
        return false;
    }
    if (key.trimmed().isEmpty()) {
        problem.offer(number, tr("the idempotency key is missing."));
        return false;
    }
    if (key.size() > 255 && utf8Length(key) > 255) {
        problem.offer(number, tr("the idempotency key is longer than 255 characters."));
        return false;
    }

    ++m_rows;
    // No allocation to look up a value seen before.
    auto org =
        m_organizations.find(QByteArray::fromRawData(organization.data(), organization.size()));
    if (org == m_organizations.end()) {
        org = m_organizations.insert(organization.toByteArray(), OrganizationStat());
        org->firstLine = number;
    }
    ++org->rows;
    if (!subscription.isEmpty() && !org->subscriptions.contains(QByteArray::fromRawData(
                                       subscription.data(), subscription.size())))
        org->subscriptions.insert(subscription.toByteArray(), SubscriptionStat{number});

    char lineNumber[24];
    const int written =
        std::snprintf(lineNumber, sizeof lineNumber, "%lld\t", static_cast<long long>(number));
    out.append(lineNumber, static_cast<size_t>(written));
    appendCopyText(out, organization);
    out.push_back('\t');
    if (subscription.isEmpty())
        out.append("\\N");
    else
        out.append(subscription.data(), static_cast<size_t>(subscription.size()));
    out.push_back('\t');
    out.append(metric.data(), static_cast<size_t>(metric.size()));
    out.push_back('\t');
    out.append(quantity.data(), static_cast<size_t>(quantity.size()));
    out.push_back('\t');
    out.append(occurredAt.data(), static_cast<size_t>(occurredAt.size()));
    out.push_back('\t');
    appendCopyText(out, key);
    out.push_back('\n');
    return true;
}

PGconn *pgConnection(const QSqlDatabase &db)
{
    if (!db.isOpen() || !db.driver())
        return nullptr;
    const QVariant handle = db.driver()->handle();
    if (qstrcmp(handle.typeName(), "PGconn*") != 0 && qstrcmp(handle.typeName(), "pg_conn*") != 0)
        return nullptr;
    return *static_cast<PGconn *const *>(handle.constData());
}

Error copyFailed(PGconn *conn)
{
    const QString detail = QString::fromUtf8(PQerrorMessage(conn)).trimmed();
    return makeError(ErrorKind::Unavailable,
                     tr("The file could not be sent to the database: %1").arg(detail), detail);
}

// Ends the COPY and collects its outcome; `abortMessage` non-null aborts it.
Status finishCopy(PGconn *conn, const char *abortMessage)
{
    if (PQputCopyEnd(conn, abortMessage) != 1)
        return copyFailed(conn);
    Status status;
    while (PGresult *result = PQgetResult(conn)) {
        if (PQresultStatus(result) != PGRES_COMMAND_OK && status.isOk() && !abortMessage) {
            const QString detail = QString::fromUtf8(PQresultErrorMessage(result)).trimmed();
            status =
                makeError(ErrorKind::Internal,
                          tr("The database refused the file's records: %1").arg(detail), detail);
        }
        PQclear(result);
    }
    return status;
}

QString jsonText(const QJsonArray &array)
{
    return QString::fromUtf8(QJsonDocument(array).toJson(QJsonDocument::Compact));
}

// Organizations by slug or uuid, among those the login can see, and whether it may import
// into each; then subscriptions by Stripe id or uuid, which must belong to the organization of
// their line. Works on the distinct values the reader collected, so it is a handful of rows
// whatever the size of the file.
Status resolveReferences(const QSqlDatabase &db, QHash<QByteArray, OrganizationStat> &orgs,
                         LineProblem &problem)
{
    QJsonArray values;
    for (auto it = orgs.cbegin(); it != orgs.cend(); ++it)
        values.append(QJsonObject{{QStringLiteral("value"), QString::fromUtf8(it.key())},
                                  {QStringLiteral("line"), double(it->firstLine)}});
    auto q =
        execSql(db,
                QStringLiteral("SELECT v.value, o.id::text, o.name, "
                               "coalesce(nobill_has_permission(o.id, 'usage.import'), false) "
                               "FROM jsonb_to_recordset(?::jsonb) AS v(value text, line bigint) "
                               "LEFT JOIN LATERAL (SELECT o.id, o.name FROM organizations o "
                               "  WHERE o.slug = lower(v.value) OR o.id = CASE WHEN v.value ~* "
                               "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
                               "THEN v.value::uuid END LIMIT 1) o ON true"),
                {jsonText(values)});
    if (!q)
        return q.error();
    while (q.value().next()) {
        const QByteArray value = q.value().value(0).toString().toUtf8();
        auto it = orgs.find(value);
        if (it == orgs.end())
            continue;
        if (q.value().isNull(1)) {
            problem.offer(it->firstLine,
                          tr("organization %1 does not exist, or you cannot see it (give its "
                             "slug or uuid).")
                              .arg(quoted(value)));
            continue;
        }
        it->id = q.value().value(1).toString();
        it->name = q.value().value(2).toString();
        if (!q.value().value(3).toBool())
            problem.offer(it->firstLine,
                          tr("you don't have permission to import usage into %1. Ask an "
                             "administrator of the organization for a role with "
                             "\"usage.import\".")
                              .arg(it->name),
                          ErrorKind::PermissionDenied);
    }

    QJsonArray pairs;
    for (auto it = orgs.cbegin(); it != orgs.cend(); ++it) {
        if (it->id.isEmpty())
            continue;
        for (auto s = it->subscriptions.cbegin(); s != it->subscriptions.cend(); ++s)
            pairs.append(QJsonObject{{QStringLiteral("org"), QString::fromUtf8(it.key())},
                                     {QStringLiteral("value"), QString::fromUtf8(s.key())}});
    }
    if (pairs.isEmpty())
        return {};
    auto subs = execSql(
        db,
        QStringLiteral("SELECT v.org, v.value, s.id::text, s.organization_id::text, so.name "
                       "FROM jsonb_to_recordset(?::jsonb) AS v(org text, value text) "
                       "LEFT JOIN LATERAL (SELECT s.id, s.organization_id FROM subscriptions s "
                       "  WHERE s.stripe_subscription_id = v.value OR s.id = CASE WHEN v.value ~* "
                       "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
                       "THEN v.value::uuid END LIMIT 1) s ON true "
                       "LEFT JOIN organizations so ON so.id = s.organization_id"),
        {jsonText(pairs)});
    if (!subs)
        return subs.error();
    while (subs.value().next()) {
        const QByteArray org = subs.value().value(0).toString().toUtf8();
        const QByteArray value = subs.value().value(1).toString().toUtf8();
        const OrganizationStat &stat = orgs[org];
        const qint64 line = stat.subscriptions.value(value).firstLine;
        if (subs.value().isNull(2)) {
            problem.offer(
                line,
                tr("subscription %1 does not exist, or you cannot see it.").arg(quoted(value)));
        } else if (subs.value().value(3).toString() != stat.id) {
            problem.offer(line, tr("subscription %1 belongs to %2, not to %3.")
                                    .arg(quoted(value),
                                         subs.value().isNull(4) ? tr("another organization")
                                                                : subs.value().value(4).toString(),
                                         stat.name));
        }
    }
    return {};
}

// The same idempotency key twice for one organization in one file: the first repeat.
Status findRepeatedKey(const QSqlDatabase &db, LineProblem &problem)
{
    auto q = execSql(
        db, QStringLiteral("SELECT d.line, d.idempotency_key, d.first_line FROM ("
                           " SELECT st.line, st.idempotency_key, min(st.line) OVER"
                           "  (PARTITION BY o.id, st.idempotency_key) AS first_line"
                           " FROM nobill_usage_staging st"
                           " JOIN nobill_usage_organizations o ON o.value = st.organization) d "
                           "WHERE d.line > d.first_line ORDER BY d.line LIMIT 1"));
    if (!q)
        return q.error();
    if (q.value().next())
        problem.offer(q.value().value(0).toLongLong(),
                      tr("idempotency key %1 is already used on line %2 of this file.")
                          .arg(quoted(q.value().value(1).toString().toUtf8()),
                               QLocale().toString(q.value().value(2).toLongLong())));
    return {};
}

} // namespace

UsageImporter::UsageImporter(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

QString UsageImporter::describe(const UsageImportSummary &summary)
{
    const QString imported =
        QCoreApplication::translate("nobill::UsageImporter", "Imported %Ln record(s)", nullptr,
                                    int(qMin<qint64>(summary.imported, INT_MAX)));
    const QString skipped =
        QCoreApplication::translate("nobill::UsageImporter", "%Ln duplicate(s) skipped", nullptr,
                                    int(qMin<qint64>(summary.skipped, INT_MAX)));
    if (summary.skipped == 0)
        return imported + QLatin1Char('.');
    return imported + QLatin1String("; ") + skipped + QLatin1Char('.');
}

QString UsageImporter::describeFailure(const Error &error)
{
    if (error.kind == ErrorKind::Cancelled)
        return error.message;
    return tr("Nothing was imported: %1").arg(error.message);
}

Result<UsageImportSummary> UsageImporter::importFile(const QString &path)
{
    QElapsedTimer timer;
    timer.start();
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return makeError(
            ErrorKind::InvalidInput,
            tr("%1 cannot be read: %2").arg(QFileInfo(path).fileName(), file.errorString()));
    const qint64 total = file.size();
    UsageImportSummary summary;
    summary.fileName = QFileInfo(path).fileName();

    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    PGconn *conn = pgConnection(db);
    if (!conn)
        return makeError(ErrorKind::Unavailable,
                         tr("There is no open PostgreSQL connection to import with."));

    return inTransaction(db, [&]() -> Result<UsageImportSummary> {
        auto clock = execSql(db, QStringLiteral("SELECT extract(epoch FROM now())::bigint"));
        if (!clock)
            return clock.error();
        clock.value().next();
        const qint64 now = clock.value().value(0).toLongLong();
        LineReader reader(now - qint64(MaxAgeDays) * 86400, now + MaxAheadMinutes * 60);

        // Types are checked by the reader, so COPY never fails on a value.
        auto staged = execSql(
            db, QStringLiteral("CREATE TEMPORARY TABLE nobill_usage_staging ("
                               " line bigint, organization text, subscription text, metric text,"
                               " quantity bigint, occurred_at timestamptz, idempotency_key text)"
                               " ON COMMIT DROP"));
        if (!staged)
            return staged.error();

        PGresult *started = PQexec(conn, "COPY nobill_usage_staging FROM STDIN");
        const bool copying = PQresultStatus(started) == PGRES_COPY_IN;
        PQclear(started);
        if (!copying)
            return copyFailed(conn);

        LineProblem problem;
        std::string out;
        out.reserve(size_t(ChunkBytes) + size_t(MaxLineBytes) * 2);
        QByteArray buffer;
        buffer.reserve(ChunkBytes + MaxLineBytes);
        qint64 lineNumber = 0;
        qint64 read = 0;
        bool atStart = true;
        bool failed = false;
        auto handleLine = [&](const char *begin, const char *end) {
            ++lineNumber;
            if (end > begin && end[-1] == '\r')
                --end;
            if (atStart) {
                atStart = false;
                if (end - begin >= 3 && std::memcmp(begin, "\xEF\xBB\xBF", 3) == 0)
                    begin += 3; // a byte order mark some spreadsheets write
            }
            return reader.line(lineNumber, QByteArrayView(begin, end - begin), out, problem);
        };
        auto send = [&]() {
            if (out.empty())
                return true;
            if (PQputCopyData(conn, out.data(), int(out.size())) != 1)
                return false;
            out.clear();
            return true;
        };

        while (!failed) {
            if (cancelled()) {
                (void)finishCopy(conn, "cancelled by the operator");
                return makeError(ErrorKind::Cancelled,
                                 tr("Import cancelled; nothing was imported."));
            }
            const qsizetype kept = buffer.size();
            buffer.resize(kept + ChunkBytes);
            const qint64 got = file.read(buffer.data() + kept, ChunkBytes);
            if (got < 0) {
                (void)finishCopy(conn, "the file could not be read");
                return makeError(ErrorKind::InvalidInput,
                                 tr("%1 could not be read to the end: %2")
                                     .arg(summary.fileName, file.errorString()));
            }
            buffer.resize(kept + got);
            read += got;
            const bool atEnd = got == 0;
            const char *p = buffer.constData();
            const char *end = p + buffer.size();
            while (p < end) {
                const char *nl = static_cast<const char *>(std::memchr(p, '\n', size_t(end - p)));
                if (!nl)
                    break;
                if (nl - p > MaxLineBytes) {
                    problem.offer(lineNumber + 1,
                                  tr("the line is longer than %1 KiB; this is not a usage file, "
                                     "or a field is broken.")
                                      .arg(MaxLineBytes / 1024));
                    failed = true;
                    break;
                }
                if (!handleLine(p, nl)) {
                    failed = true;
                    break;
                }
                p = nl + 1;
            }
            if (failed)
                break;
            buffer.remove(0, p - buffer.constData());
            if (buffer.size() > MaxLineBytes) {
                // Stop reading a line that never ends rather than holding all of it.
                problem.offer(lineNumber + 1, tr("the line is longer than %1 KiB; this is not a "
                                                 "usage file, or a field is broken.")
                                                  .arg(MaxLineBytes / 1024));
                failed = true;
                break;
            }
            if (atEnd) {
                if (!buffer.isEmpty() &&
                    !handleLine(buffer.constData(), buffer.constData() + buffer.size()))
                    failed = true;
                break;
            }
            if (out.size() >= size_t(ChunkBytes) && !send())
                return copyFailed(conn);
            if (m_progress)
                m_progress(read, total);
        }
        // Also after a bad line: the lines before it are checked against the database too, so
        // that the first bad line is reported whichever check finds it.
        if (!send())
            return copyFailed(conn);
        if (Status finished = finishCopy(conn, nullptr); !finished)
            return finished.error();
        if (m_progress)
            m_progress(failed ? read : total, total);

        if (!failed && !reader.sawHeader())
            problem.offer(1, tr("the file is empty; it needs the header "
                                "\"organization,subscription,metric,quantity,occurred_at,"
                                "idempotency_key\" and one record per line."));
        else if (!failed && reader.rows() == 0)
            problem.offer(lineNumber + 1, tr("the file has a header but no records."));
        if (problem.isSet() && reader.rows() == 0)
            return problem.toError();

        // What needs the database, for the lines read (all of them, or those before a bad
        // one: the first bad line is reported, whichever check finds it).
        QHash<QByteArray, OrganizationStat> &orgs = reader.organizations();
        if (Status resolved = resolveReferences(db, orgs, problem); !resolved)
            return resolved.error();
        bool allResolved = true;
        for (const OrganizationStat &stat : std::as_const(orgs))
            allResolved = allResolved && !stat.id.isEmpty();
        if (!allResolved)
            return problem.toError();

        QJsonArray organizations;
        QJsonArray subscriptions;
        for (auto it = orgs.cbegin(); it != orgs.cend(); ++it) {
            organizations.append(QJsonObject{{QStringLiteral("value"), QString::fromUtf8(it.key())},
                                             {QStringLiteral("id"), it->id}});
            for (auto s = it->subscriptions.cbegin(); s != it->subscriptions.cend(); ++s)
                subscriptions.append(
                    QJsonObject{{QStringLiteral("value"), QString::fromUtf8(s.key())}});
        }
        // Parameters cannot be prepared into CREATE TABLE AS: create, then fill.
        auto mapped = execSql(
            db, QStringLiteral("CREATE TEMPORARY TABLE nobill_usage_organizations "
                               "(value text PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP"));
        if (mapped)
            mapped =
                execSql(db,
                        QStringLiteral("INSERT INTO nobill_usage_organizations "
                                       "SELECT v.value, v.id FROM jsonb_to_recordset(?::jsonb) "
                                       "AS v(value text, id uuid)"),
                        {jsonText(organizations)});
        if (!mapped)
            return mapped.error();
        if (problem.isSet()) {
            // A repeated key on an earlier line than the problem found is the first problem.
            if (Status repeated = findRepeatedKey(db, problem); !repeated)
                return repeated.error();
            return problem.toError();
        }
        // Every subscription was checked against its line's organization above.
        auto mappedSubscriptions = execSql(
            db, QStringLiteral("CREATE TEMPORARY TABLE nobill_usage_subscriptions "
                               "(value text PRIMARY KEY, id uuid NOT NULL) ON COMMIT DROP"));
        if (mappedSubscriptions)
            mappedSubscriptions =
                execSql(db,
                        QStringLiteral(
                            "INSERT INTO nobill_usage_subscriptions "
                            "SELECT v.value, min(s.id::text)::uuid "
                            "FROM (SELECT DISTINCT x.value FROM jsonb_to_recordset(?::jsonb) AS "
                            "x(value text)) v "
                            "JOIN subscriptions s ON s.stripe_subscription_id = v.value OR s.id = "
                            "CASE WHEN v.value ~* "
                            "'^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "
                            "THEN v.value::uuid END GROUP BY v.value"),
                        {jsonText(subscriptions)});
        if (!mappedSubscriptions)
            return mappedSubscriptions.error();

        const QString select = QStringLiteral(
            "SELECT o.id, s.id, st.metric, st.quantity, st.occurred_at, st.idempotency_key "
            "FROM nobill_usage_staging st "
            "JOIN nobill_usage_organizations o ON o.value = st.organization "
            "LEFT JOIN nobill_usage_subscriptions s ON s.value = st.subscription");
        const QString insert = QStringLiteral(
            "INSERT INTO usage_records (organization_id, subscription_id, metric, quantity, "
            "occurred_at, idempotency_key) ");
        QHash<QString, qint64> importedByOrg;
        if (orgs.size() == 1) {
            auto inserted = execSql(db, insert + select +
                                            QStringLiteral(" ON CONFLICT (organization_id, "
                                                           "idempotency_key) DO NOTHING"));
            if (!inserted)
                return inserted.error();
            importedByOrg.insert(orgs.cbegin()->id, inserted.value().numRowsAffected());
        } else {
            auto inserted =
                execSql(db, QStringLiteral("WITH ins AS (") + insert + select +
                                QStringLiteral(" ON CONFLICT (organization_id, idempotency_key) DO "
                                               "NOTHING RETURNING organization_id) "
                                               "SELECT organization_id::text, count(*) FROM ins "
                                               "GROUP BY 1"));
            if (!inserted)
                return inserted.error();
            while (inserted.value().next())
                importedByOrg.insert(inserted.value().value(0).toString(),
                                     inserted.value().value(1).toLongLong());
        }
        qint64 imported = 0;
        for (qint64 n : std::as_const(importedByOrg))
            imported += n;
        if (imported < reader.rows()) {
            // Skipped rows: already recorded, or repeated within this file (an error).
            auto memory = execSql(db, QStringLiteral("SET LOCAL work_mem = '64MB'"));
            if (!memory)
                return memory.error();
            if (Status repeated = findRepeatedKey(db, problem); !repeated)
                return repeated.error();
            if (problem.isSet())
                return problem.toError();
        }

        // One audit row per organization (row-by-row audit would be a million rows).
        QHash<QString, qint64> rowsByOrg;
        for (auto it = orgs.cbegin(); it != orgs.cend(); ++it)
            rowsByOrg[it->id] += it->rows;
        for (auto it = rowsByOrg.cbegin(); it != rowsByOrg.cend(); ++it) {
            const qint64 done = importedByOrg.value(it.key());
            auto audited =
                execSql(db, QStringLiteral("SELECT nobill_record_usage_import(?::uuid, ?, ?, ?)"),
                        {it.key(), summary.fileName, done, it.value() - done});
            if (!audited)
                return audited.error();
        }

        summary.rows = reader.rows();
        summary.imported = imported;
        summary.skipped = reader.rows() - imported;
        summary.seconds = double(timer.nsecsElapsed()) / 1e9;
        qCInfo(lcUsageImport) << "imported" << summary.imported << "skipped" << summary.skipped
                              << "from" << summary.fileName << "in" << summary.seconds << "s";
        return summary;
    });
}

} // namespace nobill
