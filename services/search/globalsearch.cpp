#include "search/globalsearch.h"

#include "database/sql.h"

namespace nobill {

Result<QList<SearchHit>> searchEverything(const QString &connectionName, const QString &text,
                                          int limit)
{
    const QString term = text.simplified();
    if (term.size() < 2)
        return QList<SearchHit>();
    const QSqlDatabase db = QSqlDatabase::database(connectionName, false);
    // rank: 0 = the whole field matches, 1 = it starts with the text, 2 = it contains it.
    auto q = execSql(
        db,
        QStringLiteral(
            "WITH t(term, pattern, prefix) AS (SELECT ?::text, ?::text, ?::text) "
            "SELECT * FROM ("
            " SELECT 0 AS kind, o.id::text, o.name, o.slug || ' · ' || o.billing_email, "
            "        o.id::text AS organization,"
            "        CASE WHEN lower(o.name) = t.term OR o.slug = t.term "
            "               OR lower(o.stripe_customer_id) = t.term THEN 0 "
            "             WHEN lower(o.name) LIKE t.prefix OR o.slug LIKE t.prefix THEN 1 "
            "             ELSE 2 END AS rank"
            " FROM organizations o, t"
            " WHERE (o.name || ' ' || o.slug || ' ' || o.billing_email || ' ' || "
            "        coalesce(o.stripe_customer_id, '')) ILIKE t.pattern"
            " UNION ALL"
            " SELECT 1, u.id::text, u.display_name, u.email,"
            "        (SELECT m.organization_id::text FROM memberships m WHERE m.user_id = u.id "
            "         ORDER BY m.created_at LIMIT 1),"
            "        CASE WHEN lower(u.email) = t.term THEN 0 "
            "             WHEN lower(u.display_name) LIKE t.prefix OR lower(u.email) LIKE "
            "t.prefix THEN 1 ELSE 2 END"
            " FROM users u, t"
            " WHERE (u.display_name || ' ' || u.email) ILIKE t.pattern"
            " UNION ALL"
            " SELECT 2, s.id::text, coalesce(s.stripe_subscription_id, p.name) || ' · ' || o.name,"
            "        p.name || ' · ' || s.status, o.id::text,"
            "        CASE WHEN lower(s.stripe_subscription_id) = t.term THEN 0 "
            "             WHEN lower(o.name) LIKE t.prefix THEN 1 ELSE 2 END"
            " FROM subscriptions s JOIN organizations o ON o.id = s.organization_id"
            " JOIN plans p ON p.id = s.plan_id, t"
            " WHERE (coalesce(s.stripe_subscription_id, '') || ' ' || o.name) ILIKE t.pattern"
            ") hits ORDER BY rank, kind, 3 LIMIT ?"),
        // The prefix pattern is the contains pattern without its leading '%': the operator's
        // own % and _ stay literal in both.
        {term.toLower(), containsPattern(term), containsPattern(term.toLower()).mid(1),
         qBound(1, limit, 100)});
    if (!q)
        return q.error();
    QList<SearchHit> hits;
    while (q.value().next()) {
        SearchHit hit;
        hit.kind = SearchHit::Kind(q.value().value(0).toInt());
        hit.id = q.value().value(1).toString();
        hit.title = q.value().value(2).toString();
        hit.detail = q.value().value(3).toString();
        hit.organizationId = q.value().value(4).toString();
        hits.append(hit);
    }
    return hits;
}

} // namespace nobill
