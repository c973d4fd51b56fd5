#include "plans/planservice.h"

#include "access/permissioncheck.h"
#include "core/money.h"
#include "database/sql.h"
#include "plans/planvalidator.h"

#include <QCoreApplication>
#include <QSqlDatabase>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::PlanService", text);
}

const QString PlanColumns = QStringLiteral(
    "p.id::text, p.product_id::text, pr.name, pr.archived_at IS NOT NULL, p.name, p.description, "
    "p.amount, p.currency, p.interval, p.interval_count, p.usage_type, p.metric, p.trial_days, "
    "p.stripe_price_id, p.stripe_meter_id, p.replaces_plan_id::text, "
    "(SELECT n.id::text FROM plans n WHERE n.replaces_plan_id = p.id), p.archived_at, p.version, "
    "p.created_at, p.updated_at");
constexpr int PlanColumnCount = 21;
// Followed by the two subscriber counts (see subscriberCountColumns()).
constexpr int ColumnsWithCounts = PlanColumnCount + 2;

const QString PlanTables = QStringLiteral("plans p JOIN products pr ON pr.id = p.product_id");

// The statuses of a subscription that still bills or may bill again.
const QString LiveStatuses =
    QStringLiteral("('trialing', 'active', 'past_due', 'unpaid', 'paused')");

// What the text filter searches: a small table (a catalog, not a ledger), so no index.
const QString FilterExpression =
    QStringLiteral("(p.name || ' ' || pr.name || ' ' || coalesce(p.metric, '') || ' ' || "
                   "coalesce(p.stripe_price_id, ''))");

const QString ProductColumns = QStringLiteral(
    "pr.id::text, pr.name, pr.description, pr.stripe_product_id, pr.archived_at, pr.version, "
    "pr.created_at, pr.updated_at, "
    "(SELECT count(*) FROM plans p WHERE p.product_id = pr.id), "
    "(SELECT count(*) FROM plans p WHERE p.product_id = pr.id AND p.archived_at IS NULL)");

Plan readPlan(const QSqlQuery &q)
{
    Plan p;
    p.id = q.value(0).toString();
    p.productId = q.value(1).toString();
    p.productName = q.value(2).toString();
    p.productArchived = q.value(3).toBool();
    p.name = q.value(4).toString();
    p.description = q.value(5).toString();
    p.amount = q.value(6).toLongLong();
    p.currency = q.value(7).toString();
    p.interval = q.value(8).toString();
    p.intervalCount = q.value(9).toInt();
    p.usageType = q.value(10).toString();
    p.metric = q.value(11).toString();
    p.trialDays = q.value(12).toInt();
    p.stripePriceId = q.value(13).toString();
    p.stripeMeterId = q.value(14).toString();
    p.replacesPlanId = q.value(15).toString();
    p.replacedByPlanId = q.value(16).toString();
    p.archivedAt = q.value(17).toDateTime();
    p.version = q.value(18).toInt();
    p.createdAt = q.value(19).toDateTime();
    p.updatedAt = q.value(20).toDateTime();
    p.subscriberCount = q.value(PlanColumnCount).toInt();
    p.subscriptionCount = q.value(PlanColumnCount + 1).toInt();
    return p;
}

Product readProduct(const QSqlQuery &q)
{
    Product p;
    p.id = q.value(0).toString();
    p.name = q.value(1).toString();
    p.description = q.value(2).toString();
    p.stripeProductId = q.value(3).toString();
    p.archivedAt = q.value(4).toDateTime();
    p.version = q.value(5).toInt();
    p.createdAt = q.value(6).toDateTime();
    p.updatedAt = q.value(7).toDateTime();
    p.planCount = q.value(8).toInt();
    p.activePlanCount = q.value(9).toInt();
    return p;
}

struct SortKey
{
    QString expression;
    QString castType;
};

// Every order ends in p.id, so that a cursor names exactly one place in the list.
QList<SortKey> sortKeys(PlanSort sort)
{
    switch (sort) {
    case PlanSort::Product:
        return {{QStringLiteral("pr.name"), QStringLiteral("text")},
                {QStringLiteral("p.name"), QStringLiteral("text")}};
    case PlanSort::Name:
        return {{QStringLiteral("p.name"), QStringLiteral("text")}};
    case PlanSort::Price:
        // Amounts only compare within a currency: grouped by currency, then by amount.
        return {{QStringLiteral("p.currency"), QStringLiteral("text")},
                {QStringLiteral("p.amount"), QStringLiteral("bigint")}};
    case PlanSort::TrialDays:
        return {{QStringLiteral("p.trial_days"), QStringLiteral("integer")}};
    }
    return {{QStringLiteral("p.name"), QStringLiteral("text")}};
}

Error planNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This plan no longer exists; someone may have deleted it. Refresh the "
                        "list."));
}

Error productNotFound()
{
    return makeError(ErrorKind::NotFound,
                     tr("This product no longer exists; someone may have deleted it. Refresh "
                        "the list."));
}

Error validationFailure(const QList<FieldProblem> &problems)
{
    QStringList messages;
    for (const FieldProblem &p : problems)
        messages << p.message;
    return makeError(ErrorKind::InvalidInput, messages.join(QLatin1Char(' ')));
}

Error changedMeanwhile(const QString &name)
{
    return makeError(ErrorKind::Conflict,
                     tr("Someone else changed %1 while you were looking at it. Nothing was "
                        "saved: look at their changes and try again.")
                         .arg(name));
}

Status appendFilters(const PlanQuery &query, QStringList &conditions, QVariantList &values)
{
    const QString text = query.text.simplified();
    if (!text.isEmpty()) {
        conditions << FilterExpression + QStringLiteral(" ILIKE ?");
        values << containsPattern(text);
    }
    if (!query.productId.isEmpty()) {
        if (!isUuid(query.productId))
            return productNotFound();
        conditions << QStringLiteral("p.product_id = ?::uuid");
        values << query.productId;
    }
    if (!query.currency.isEmpty()) {
        conditions << QStringLiteral("p.currency = ?");
        values << query.currency.trimmed().toUpper();
    }
    if (!query.usageType.isEmpty()) {
        conditions << QStringLiteral("p.usage_type = ?");
        values << query.usageType;
    }
    if (query.status == QLatin1String("active"))
        conditions << QStringLiteral("p.archived_at IS NULL");
    else if (query.status == QLatin1String("archived"))
        conditions << QStringLiteral("p.archived_at IS NOT NULL");
    return {};
}

} // namespace

PlanService::PlanService(QString connectionName)
    : m_connectionName(std::move(connectionName))
{}

Status PlanService::requireManage() const
{
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    m_platformAdmin = admin.value();
    if (!admin.value())
        return makeError(ErrorKind::PermissionDenied,
                         tr("Only platform administrators can change the plan catalog, which "
                            "every tenant shares (permission \"plans.manage\"). Nothing was "
                            "changed."));
    return {};
}

QString PlanService::subscriberCountColumns() const
{
    // Row-level security already limits the count to the subscriptions this login may read;
    // naming the organizations again lets the planner start from them instead of filtering
    // every subscription of the plan. Platform admins read them all.
    const QString visible =
        m_platformAdmin.value_or(false)
            ? QString()
            : QStringLiteral(" AND s.organization_id = ANY "
                             "((SELECT nobill_orgs_with('subscriptions.read'))::uuid[])");
    return QStringLiteral("(SELECT count(*) FROM subscriptions s WHERE s.plan_id = p.id "
                          "AND s.status IN %1%2), "
                          "(SELECT count(*) FROM subscriptions s WHERE s.plan_id = p.id%2)")
        .arg(LiveStatuses, visible);
}

Result<PlanCatalog> PlanService::catalog() const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto products = execSql(db, QStringLiteral("SELECT %1 FROM products pr "
                                               "ORDER BY pr.archived_at IS NOT NULL, pr.name, "
                                               "pr.id LIMIT %2")
                                    .arg(ProductColumns)
                                    .arg(MaxProducts));
    if (!products)
        return products.error();
    PlanCatalog catalog;
    while (products.value().next())
        catalog.products.append(readProduct(products.value()));
    auto currencies =
        execSql(db, QStringLiteral("SELECT DISTINCT currency FROM plans ORDER BY currency"));
    if (!currencies)
        return currencies.error();
    while (currencies.value().next())
        catalog.currencies.append(currencies.value().value(0).toString());
    return catalog;
}

Result<Product> PlanService::product(const QString &id) const
{
    if (!isUuid(id))
        return productNotFound();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(
        db, QStringLiteral("SELECT %1 FROM products pr WHERE pr.id = ?::uuid").arg(ProductColumns),
        {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return productNotFound();
    return readProduct(q.value());
}

Result<Product> PlanService::createProduct(const ProductDraft &input)
{
    if (const auto problems = PlanValidator::validate(input); !problems.isEmpty())
        return validationFailure(problems);
    const ProductDraft d = input.normalized();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Product> {
        auto q = execSql(db,
                         QStringLiteral("INSERT INTO products (name, description) VALUES (?, ?) "
                                        "RETURNING id::text"),
                         {d.name, d.description});
        if (!q)
            return q.error();
        q.value().next();
        return product(q.value().value(0).toString());
    });
}

Result<Product> PlanService::updateProduct(const QString &id, int expectedVersion,
                                           const ProductDraft &input)
{
    if (!isUuid(id))
        return productNotFound();
    if (const auto problems = PlanValidator::validate(input); !problems.isEmpty())
        return validationFailure(problems);
    const ProductDraft d = input.normalized();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Product> {
        auto q = execSql(db,
                         QStringLiteral("UPDATE products SET name = ?, description = ?, "
                                        "version = version + 1 WHERE id = ?::uuid AND version = ? "
                                        "RETURNING id::text"),
                         {d.name, d.description, id, expectedVersion});
        if (!q)
            return q.error();
        const bool saved = q.value().next();
        auto current = product(id);
        if (!current || saved)
            return current;
        return changedMeanwhile(current.value().name);
    });
}

Result<Product> PlanService::setProductArchived(const QString &id, int expectedVersion,
                                                bool archived)
{
    if (!isUuid(id))
        return productNotFound();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Product> {
        auto locked = execSql(
            db, QStringLiteral("SELECT 1 FROM products WHERE id = ?::uuid FOR UPDATE"), {id});
        if (!locked)
            return locked.error();
        auto current = product(id);
        if (!current)
            return current;
        const Product &p = current.value();
        if (p.version != expectedVersion)
            return changedMeanwhile(p.name);
        if (p.isArchived() == archived)
            return current;
        if (archived && p.activePlanCount > 0)
            return makeError(ErrorKind::Conflict,
                             tr("%1 still has active plans (%2). Archive them first; nothing "
                                "was changed.")
                                 .arg(p.name)
                                 .arg(p.activePlanCount));
        auto q = execSql(db,
                         QStringLiteral("UPDATE products SET archived_at = %1, "
                                        "version = version + 1 WHERE id = ?::uuid")
                             .arg(archived ? QStringLiteral("now()") : QStringLiteral("NULL")),
                         {id});
        if (!q)
            return q.error();
        return product(id);
    });
}

Result<PlanPage> PlanService::page(const PlanQuery &query, const std::optional<PlanCursor> &after,
                                   int limit) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    limit = qBound(1, limit, 1000);
    auto admin = isPlatformAdmin(m_connectionName);
    if (!admin)
        return admin.error();
    m_platformAdmin = admin.value();
    const QList<SortKey> keys = sortKeys(query.sort);
    const QString direction = query.descending ? QStringLiteral("DESC") : QStringLiteral("ASC");

    QStringList conditions;
    QVariantList values;
    if (Status filtered = appendFilters(query, conditions, values); !filtered)
        return filtered.error();
    QStringList expressions;
    QStringList placeholders;
    QStringList order;
    QStringList selected;
    for (const SortKey &key : keys) {
        expressions << key.expression;
        placeholders << QStringLiteral("?::") + key.castType;
        order << key.expression + QLatin1Char(' ') + direction;
        selected << key.expression + QStringLiteral("::text");
    }
    if (after) {
        if (!isUuid(after->id) || after->sortValues.size() != keys.size())
            return makeError(ErrorKind::InvalidInput, tr("The list position is not valid."));
        conditions << QStringLiteral("(%1, p.id) %2 (%3, ?::uuid)")
                          .arg(expressions.join(QStringLiteral(", ")),
                               query.descending ? QStringLiteral("<") : QStringLiteral(">"),
                               placeholders.join(QStringLiteral(", ")));
        for (const QString &value : after->sortValues)
            values << value;
        values << after->id;
    }
    order << QStringLiteral("p.id ") + direction;
    // One row more than asked tells whether another page exists without counting.
    const QString sql =
        QStringLiteral("SELECT %1, %2, %3 FROM %4%5 ORDER BY %6 LIMIT %7")
            .arg(PlanColumns, subscriberCountColumns(), selected.join(QStringLiteral(", ")),
                 PlanTables, whereClause(conditions), order.join(QStringLiteral(", ")))
            .arg(limit + 1);
    auto q = execSql(db, sql, values);
    if (!q)
        return q.error();
    PlanPage page;
    QStringList lastSortValues;
    while (q.value().next()) {
        if (page.rows.size() == limit) {
            page.hasMore = true;
            break;
        }
        page.rows.append(readPlan(q.value()));
        lastSortValues.clear();
        for (int i = 0; i < keys.size(); ++i)
            lastSortValues << q.value().value(ColumnsWithCounts + i).toString();
    }
    if (page.hasMore)
        page.next = PlanCursor{lastSortValues, page.rows.last().id};
    return page;
}

Result<int> PlanService::count(const PlanQuery &query) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    QStringList conditions;
    QVariantList values;
    if (Status filtered = appendFilters(query, conditions, values); !filtered)
        return filtered.error();
    auto q = execSql(
        db, QStringLiteral("SELECT count(*) FROM %1%2").arg(PlanTables, whereClause(conditions)),
        values);
    if (!q)
        return q.error();
    q.value().next();
    return q.value().value(0).toInt();
}

Result<Plan> PlanService::get(const QString &id) const
{
    if (!isUuid(id))
        return planNotFound();
    if (!m_platformAdmin) {
        auto admin = isPlatformAdmin(m_connectionName);
        if (!admin)
            return admin.error();
        m_platformAdmin = admin.value();
    }
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto q = execSql(db,
                     QStringLiteral("SELECT %1, %2 FROM %3 WHERE p.id = ?::uuid")
                         .arg(PlanColumns, subscriberCountColumns(), PlanTables),
                     {id});
    if (!q)
        return q.error();
    if (!q.value().next())
        return planNotFound();
    return readPlan(q.value());
}

Result<PlanDetails> PlanService::details(const QString &id) const
{
    auto plan = get(id);
    if (!plan)
        return plan.error();
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    // Older versions by following replaces_plan_id back, newer ones forward; the depth
    // limit keeps a chain someone looped by hand from running forever.
    auto q = execSql(
        db,
        QStringLiteral(
            "WITH RECURSIVE older(id, depth) AS ("
            "  SELECT p.replaces_plan_id, 1 FROM plans p"
            "   WHERE p.id = ?::uuid AND p.replaces_plan_id IS NOT NULL"
            "  UNION ALL"
            "  SELECT p.replaces_plan_id, o.depth + 1 FROM older o JOIN plans p ON p.id = o.id"
            "   WHERE p.replaces_plan_id IS NOT NULL AND o.depth < 500),"
            " newer(id, depth) AS ("
            "  SELECT n.id, 1 FROM plans n WHERE n.replaces_plan_id = ?::uuid"
            "  UNION ALL"
            "  SELECT n.id, w.depth + 1 FROM newer w JOIN plans n ON n.replaces_plan_id = w.id"
            "   WHERE w.depth < 500),"
            " chain(id, position) AS ("
            "  SELECT id, -depth FROM older UNION ALL SELECT ?::uuid, 0"
            "  UNION ALL SELECT id, depth FROM newer)"
            " SELECT %1, %2 FROM chain c JOIN plans p ON p.id = c.id"
            " JOIN products pr ON pr.id = p.product_id ORDER BY c.position")
            .arg(PlanColumns, subscriberCountColumns()),
        {id, id, id});
    if (!q)
        return q.error();
    PlanDetails details;
    details.plan = plan.value();
    while (q.value().next())
        details.versions.append(readPlan(q.value()));
    return details;
}

Result<Plan> PlanService::create(const PlanDraft &input)
{
    if (const auto problems = PlanValidator::validate(input); !problems.isEmpty())
        return validationFailure(problems);
    const PlanDraft d = input.normalized();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Plan> {
        // Shared lock: nobody archives the product while its new plan is being added.
        auto owner = execSql(db,
                             QStringLiteral("SELECT name, archived_at IS NOT NULL FROM products "
                                            "WHERE id = ?::uuid FOR SHARE"),
                             {d.productId});
        if (!owner)
            return owner.error();
        if (!owner.value().next())
            return productNotFound();
        if (owner.value().value(1).toBool())
            return makeError(ErrorKind::Conflict,
                             tr("%1 is archived: unarchive it first, or choose another "
                                "product. Nothing was saved.")
                                 .arg(owner.value().value(0).toString()));
        auto q =
            execSql(db,
                    QStringLiteral("INSERT INTO plans (product_id, name, description, amount, "
                                   "currency, interval, interval_count, usage_type, metric, "
                                   "trial_days) VALUES (?::uuid, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                                   "RETURNING id::text"),
                    {d.productId, d.name, d.description, QVariant::fromValue(d.amount), d.currency,
                     d.interval, d.intervalCount, d.usageType, nullIfEmpty(d.metric), d.trialDays});
        if (!q)
            return q.error();
        q.value().next();
        return get(q.value().value(0).toString());
    });
}

Result<Plan> PlanService::update(const QString &id, int expectedVersion, const PlanEdit &input)
{
    if (!isUuid(id))
        return planNotFound();
    if (const auto problems = PlanValidator::validate(input); !problems.isEmpty())
        return validationFailure(problems);
    const PlanEdit e = input.normalized();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Plan> {
        auto q = execSql(db,
                         QStringLiteral("UPDATE plans SET name = ?, description = ?, "
                                        "version = version + 1 WHERE id = ?::uuid AND version = ? "
                                        "RETURNING id::text"),
                         {e.name, e.description, id, expectedVersion});
        if (!q)
            return q.error();
        const bool saved = q.value().next();
        auto current = get(id);
        if (!current || saved)
            return current;
        return changedMeanwhile(current.value().name);
    });
}

Result<Plan> PlanService::lockPlan(const QString &id, int expectedVersion) const
{
    const QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    auto locked =
        execSql(db, QStringLiteral("SELECT 1 FROM plans WHERE id = ?::uuid FOR UPDATE"), {id});
    if (!locked)
        return locked.error();
    if (!locked.value().next())
        return planNotFound();
    auto plan = get(id);
    if (plan && expectedVersion >= 0 && plan.value().version != expectedVersion)
        return changedMeanwhile(plan.value().name);
    return plan;
}

Result<AmountChange> PlanService::changeAmount(const QString &id, int expectedVersion,
                                               qint64 newAmount)
{
    if (!isUuid(id))
        return planNotFound();
    if (newAmount <= 0)
        return makeError(ErrorKind::InvalidInput, PlanValidator::amountProblem(newAmount, {}));
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<AmountChange> {
        auto locked = lockPlan(id, expectedVersion);
        if (!locked)
            return locked.error();
        const Plan old = locked.value();
        if (const QString problem = PlanValidator::amountProblem(newAmount, old.currency);
            !problem.isEmpty())
            return makeError(ErrorKind::InvalidInput, problem);
        if (!old.replacedByPlanId.isEmpty())
            return makeError(ErrorKind::Conflict,
                             tr("%1 was replaced by a newer version. Change the amount of the "
                                "newest version instead; nothing was changed.")
                                 .arg(old.name));
        if (old.isArchived())
            return makeError(ErrorKind::Conflict,
                             tr("%1 is archived. Unarchive it before changing its amount; "
                                "nothing was changed.")
                                 .arg(old.name));
        if (old.amount == newAmount)
            return makeError(
                ErrorKind::InvalidInput,
                tr("%1 already costs %2.").arg(old.name, formatMoney(old.amount, old.currency)));
        // Every subscription counts, ended ones too: their invoices and history name this
        // price. (Platform admins see all of them.)
        auto used = execSql(
            db,
            QStringLiteral("SELECT EXISTS (SELECT 1 FROM subscriptions WHERE plan_id = ?::uuid)"),
            {id});
        if (!used)
            return used.error();
        used.value().next();
        AmountChange change;
        change.previous = old;
        change.versioned = used.value().value(0).toBool() || old.isInStripe();
        if (!change.versioned) {
            auto repriced = execSql(db,
                                    QStringLiteral("UPDATE plans SET amount = ?, "
                                                   "version = version + 1 WHERE id = ?::uuid"),
                                    {QVariant::fromValue(newAmount), id});
            if (!repriced)
                return repriced.error();
            auto plan = get(id);
            if (!plan)
                return plan.error();
            change.plan = plan.value();
            return change;
        }
        auto added = execSql(
            db,
            QStringLiteral("INSERT INTO plans (product_id, name, description, amount, currency, "
                           "interval, interval_count, usage_type, metric, trial_days, "
                           "replaces_plan_id) "
                           "SELECT product_id, name, description, ?, currency, interval, "
                           "interval_count, usage_type, metric, trial_days, id FROM plans "
                           "WHERE id = ?::uuid RETURNING id::text"),
            {QVariant::fromValue(newAmount), id});
        if (!added)
            return added.error();
        added.value().next();
        const QString newId = added.value().value(0).toString();
        auto archived = execSql(db,
                                QStringLiteral("UPDATE plans SET archived_at = now(), "
                                               "version = version + 1 WHERE id = ?::uuid"),
                                {id});
        if (!archived)
            return archived.error();
        auto plan = get(newId);
        if (!plan)
            return plan.error();
        auto previous = get(id);
        if (!previous)
            return previous.error();
        change.plan = plan.value();
        change.previous = previous.value();
        return change;
    });
}

Result<Plan> PlanService::archive(const QString &id, int expectedVersion)
{
    return setArchived(id, expectedVersion, true);
}

Result<Plan> PlanService::unarchive(const QString &id, int expectedVersion)
{
    return setArchived(id, expectedVersion, false);
}

Result<Plan> PlanService::setArchived(const QString &id, int expectedVersion, bool archived)
{
    if (!isUuid(id))
        return planNotFound();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    return inTransaction(db, [&]() -> Result<Plan> {
        auto locked = lockPlan(id, expectedVersion);
        if (!locked || locked.value().isArchived() == archived)
            return locked;
        const Plan &plan = locked.value();
        if (!archived && !plan.replacedByPlanId.isEmpty())
            return makeError(ErrorKind::Conflict,
                             tr("%1 was replaced by a newer version, so it stays archived: only "
                                "the newest version of a plan can be offered.")
                                 .arg(plan.name));
        if (!archived && plan.productArchived)
            return makeError(ErrorKind::Conflict,
                             tr("%1 belongs to %2, which is archived. Unarchive the product "
                                "first; nothing was changed.")
                                 .arg(plan.name, plan.productName));
        auto q = execSql(db,
                         QStringLiteral("UPDATE plans SET archived_at = %1, "
                                        "version = version + 1 WHERE id = ?::uuid")
                             .arg(archived ? QStringLiteral("now()") : QStringLiteral("NULL")),
                         {id});
        if (!q)
            return q.error();
        return get(id);
    });
}

Status PlanService::remove(const QString &id)
{
    if (!isUuid(id))
        return planNotFound();
    if (Status allowed = requireManage(); !allowed)
        return allowed.error();
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    Result<int> removed = inTransaction(db, [&]() -> Result<int> {
        // Locked, so that no subscription starts on it between the check and the delete.
        auto locked = lockPlan(id, -1);
        if (!locked)
            return locked.error();
        const Plan &plan = locked.value();
        if (plan.subscriptionCount > 0) {
            const QString subscriptions = QCoreApplication::translate(
                "nobill::PlanService", "%n subscription(s)", nullptr, plan.subscriptionCount);
            return makeError(ErrorKind::Conflict,
                             tr("%1 cannot be deleted: it has %2 (ended ones count too: "
                                "their history needs its price). Archive it instead, so that "
                                "nobody new can choose it.")
                                 .arg(plan.name, subscriptions));
        }
        if (plan.isInStripe())
            return makeError(ErrorKind::Conflict,
                             tr("%1 cannot be deleted: it exists in Stripe, where prices cannot "
                                "be deleted. Archive it instead.")
                                 .arg(plan.name));
        if (!plan.replacedByPlanId.isEmpty())
            return makeError(ErrorKind::Conflict,
                             tr("%1 cannot be deleted: it is part of the version history of a "
                                "newer plan. It stays archived.")
                                 .arg(plan.name));
        // The foreign keys and the plans_guard trigger refuse the rest (say, a subscription
        // this login cannot see) with their own sentences.
        auto deleted = execSql(db, QStringLiteral("DELETE FROM plans WHERE id = ?::uuid"), {id});
        if (!deleted)
            return deleted.error();
        return 1;
    });
    if (!removed)
        return removed.error();
    return {};
}

} // namespace nobill
