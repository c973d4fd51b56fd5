#pragma once

// Internal to services: small helpers that keep query code short and every error translated.

#include "core/result.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <QVariantList>

#include <type_traits>

namespace nobill {

// Prepares, binds positional values (in order of the `?` or `$n` placeholders) and runs a
// statement. Forward-only: we never scroll back over a result.
Result<QSqlQuery> execSql(const QSqlDatabase &db, const QString &sql,
                          const QVariantList &values = {});

// "%text%" for ILIKE with the user's own % and _ taken literally ("50%" finds "50%").
QString containsPattern(const QString &text);
// Ids arrive from the UI as text; a malformed one is "not found", never an SQL error.
bool isUuid(const QString &id);
// NULL for an empty optional text field, the text otherwise.
QVariant nullIfEmpty(const QString &value);

// " WHERE a AND b", or nothing for no conditions.
QString whereClause(const QStringList &conditions);

// The last error of a connection (begin, commit), translated.
Error translateSqlErrorForTransaction(const QSqlDatabase &db);

// Runs `work` inside one transaction: committed if it returns a success, rolled back
// otherwise (and on a failed commit). `work` returns a Result<T>.
template <typename Work> auto inTransaction(QSqlDatabase db, Work &&work) -> decltype(work())
{
    using R = decltype(work());
    if (!db.transaction())
        return R(translateSqlErrorForTransaction(db));
    R result = work();
    if (!result.isOk()) {
        db.rollback();
        return result;
    }
    if (!db.commit()) {
        Error error = translateSqlErrorForTransaction(db);
        db.rollback();
        return R(std::move(error));
    }
    return result;
}

} // namespace nobill
