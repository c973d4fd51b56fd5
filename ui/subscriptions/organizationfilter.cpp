#include "subscriptions/organizationfilter.h"

#include "database/databaseworker.h"
#include "tenants/tenantservice.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>

namespace nobill {

OrganizationFilter::OrganizationFilter(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
    , m_combo(new QComboBox(this))
{
    setObjectName(QStringLiteral("organizationFilter"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *label = new QLabel(tr("&Organization:"), this);
    label->setBuddy(m_combo);
    m_combo->setObjectName(QStringLiteral("organizationCombo"));
    m_combo->setAccessibleName(tr("Organization"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToMinimumContentsLengthWithIcon);
    m_combo->setMinimumContentsLength(20);
    m_combo->setMaxVisibleItems(20);
    m_combo->addItem(tr("All organizations"), QString());
    layout->addWidget(label);
    layout->addWidget(m_combo, 1);
    connect(m_combo, &QComboBox::currentIndexChanged, this, [this]() {
        m_wanted = currentOrganizationId();
        emit organizationChanged(m_wanted);
    });
}

QString OrganizationFilter::currentOrganizationId() const
{
    return m_combo->currentData().toString();
}

void OrganizationFilter::reload()
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
            if (!result) {
                emit loadFailed(result.error().message);
                return;
            }
            const QString wanted = m_wanted;
            {
                const QSignalBlocker blocker(m_combo);
                while (m_combo->count() > 1)
                    m_combo->removeItem(1);
                for (const Tenant &t : result.value().rows)
                    m_combo->addItem(t.name, t.id);
                const int index = m_combo->findData(wanted);
                m_combo->setCurrentIndex(index >= 0 ? index : 0);
            }
            if (currentOrganizationId() != wanted) {
                m_wanted = currentOrganizationId();
                emit organizationChanged(m_wanted);
            }
        });
}

void OrganizationFilter::setCurrentOrganization(const QString &organizationId)
{
    m_wanted = organizationId;
    const int index = m_combo->findData(organizationId);
    if (index >= 0)
        m_combo->setCurrentIndex(index);
}

} // namespace nobill
