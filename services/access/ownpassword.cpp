#include "access/ownpassword.h"

#include "access/passwordpolicy.h"
#include "database/sql.h"

#include <QStringList>

namespace nobill {

Status changeOwnPassword(const QString &connectionName, const QString &login, const QString &email,
                         const QString &newPassword)
{
    const QList<QString> problems = PasswordPolicy::problems(newPassword, login, email);
    if (!problems.isEmpty())
        return makeError(ErrorKind::InvalidInput, QStringList(problems).join(QLatin1Char(' ')));
    auto verifier = scramVerifier(connectionName, login, newPassword);
    if (!verifier)
        return verifier.error();
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    auto changed =
        execSql(db, QStringLiteral("SELECT nobill_set_own_password(?)"), {verifier.value()});
    if (!changed)
        return changed.error();
    return {};
}

} // namespace nobill
