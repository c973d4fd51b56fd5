#include "audit/organizationscopefilter.h"

#include "database/databaseworker.h"
#include "tenants/tenantservice.h"

namespace nobill {

OrganizationScopeFilter::OrganizationScopeFilter(DatabaseWorker *worker, QString platformKey,
                                                 QWidget *parent)
    : QComboBox(parent)
    , m_worker(worker)
    , m_platformKey(std::move(platformKey))
{
    setAccessibleName(tr("Organization filter"));
    setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    setMinimumContentsLength(16);
    setMaxVisibleItems(20);
    rebuild();
    connect(this, &QComboBox::currentIndexChanged, this,
            [this]() { emit keyChanged(currentKey()); });
}

void OrganizationScopeFilter::setShowPlatform(bool show)
{
    if (show == m_showPlatform)
        return;
    m_showPlatform = show;
    rebuild();
}

void OrganizationScopeFilter::reload()
{
    const quint64 request = ++m_request;
    m_loading = true;
    TenantQuery query; // by name
    m_worker->run<TenantPage>(
        this,
        [query](const QString &connection) {
            return TenantService(connection).page(query, std::nullopt, MaxOrganizations);
        },
        [this, request](Result<TenantPage> result) {
            if (request != m_request)
                return;
            m_loading = false;
            if (!result)
                return; // the list still works for "All organizations"
            m_organizations.clear();
            for (const Tenant &t : result.value().rows)
                m_organizations.append({t.id, t.name});
            rebuild();
        });
}

void OrganizationScopeFilter::rebuild()
{
    const QString wanted = currentKey();
    {
        const QSignalBlocker blocker(this);
        clear();
        addItem(tr("All organizations"), QString());
        if (m_showPlatform) {
            addItem(tr("Platform (no organization)"), m_platformKey);
            setItemData(count() - 1,
                        tr("Rows that belong to no organization: the plan catalog, people, "
                           "platform work"),
                        Qt::ToolTipRole);
        }
        for (const auto &org : std::as_const(m_organizations))
            addItem(org.second, org.first);
        const int index = findData(wanted);
        setCurrentIndex(index >= 0 ? index : 0);
    }
    if (currentKey() != wanted)
        emit keyChanged(currentKey());
}

} // namespace nobill
