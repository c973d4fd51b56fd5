#include "access/signin.h"

namespace nobill {

Result<SignIn> completeSignIn(const QString &connectionName)
{
    auto info = inspectServer(connectionName);
    if (!info)
        return info.error();
    SignIn result;
    result.server = info.value();
    const Error problem = schemaProblem(info.value().schema);
    if (problem.kind == ErrorKind::SchemaTooNew)
        result.readOnlyReason = problem.message;
    else if (!problem.message.isEmpty())
        return problem;
    auto access = loadSessionAccess(connectionName);
    if (!access)
        return access.error();
    result.access = access.value();
    return result;
}

} // namespace nobill
