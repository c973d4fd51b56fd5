#include "members/organizationpicker.h"

#include "database/databaseworker.h"
#include "tenants/tenantservice.h"

#include <QComboBox>
#include <QHBoxLayout>
#include <QLabel>

namespace nobill {

OrganizationPicker::OrganizationPicker(DatabaseWorker *worker, QWidget *parent)
    : QWidget(parent)
    , m_worker(worker)
    , m_combo(new QComboBox(this))
{
    setObjectName(QStringLiteral("organizationPicker"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    auto *label = new QLabel(tr("&Organization:"), this);
    label->setBuddy(m_combo);
    m_combo->setObjectName(QStringLiteral("organizationCombo"));
    m_combo->setAccessibleName(tr("Organization"));
    m_combo->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_combo->setMinimumContentsLength(18);
    m_combo->setMaxVisibleItems(20);
    m_combo->setPlaceholderText(tr("Loading organizations…"));
    layout->addWidget(label);
    layout->addWidget(m_combo, 1);
    connect(m_combo, &QComboBox::currentIndexChanged, this, &OrganizationPicker::emitCurrent);
}

QString OrganizationPicker::currentOrganizationId() const
{
    return m_combo->currentData().toString();
}

QString OrganizationPicker::currentOrganizationName() const
{
    return m_combo->currentIndex() >= 0 ? m_combo->currentText() : QString();
}

int OrganizationPicker::count() const
{
    return m_combo->count();
}

void OrganizationPicker::reload()
{
    const quint64 request = ++m_request;
    if (!currentOrganizationId().isEmpty())
        m_wanted = currentOrganizationId();
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
                m_combo->setPlaceholderText(tr("No organizations"));
                emit loadFailed(result.error().message);
                emitCurrent();
                return;
            }
            {
                const QSignalBlocker blocker(m_combo);
                m_combo->clear();
                for (const Tenant &t : result.value().rows)
                    m_combo->addItem(t.name, t.id);
                m_combo->setPlaceholderText(result.value().rows.isEmpty()
                                                ? tr("No organizations you can see")
                                                : tr("Choose an organization"));
                const int wanted = m_combo->findData(m_wanted);
                m_combo->setCurrentIndex(wanted >= 0 ? wanted : (m_combo->count() > 0 ? 0 : -1));
            }
            emitCurrent();
        });
}

void OrganizationPicker::setCurrentOrganization(const QString &organizationId)
{
    m_wanted = organizationId;
    const int index = m_combo->findData(organizationId);
    if (index >= 0)
        m_combo->setCurrentIndex(index);
}

void OrganizationPicker::emitCurrent()
{
    const QString id = currentOrganizationId();
    if (!id.isEmpty())
        m_wanted = id;
    // After a reload the same organization is not news, unless nothing was announced yet.
    if (id == m_emitted && !id.isEmpty())
        return;
    m_emitted = id;
    emit organizationChanged(id, currentOrganizationName());
}

} // namespace nobill
