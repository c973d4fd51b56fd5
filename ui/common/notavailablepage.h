#pragma once

#include "common/page.h"

namespace nobill {

// Stands in for an area that is not built yet: says so plainly, shows no fake rows.
class NotAvailablePage final : public Page
{
    Q_OBJECT
public:
    NotAvailablePage(const QString &title, const QString &purpose, QWidget *parent = nullptr);
    bool isAvailable() const override { return false; }
};

} // namespace nobill
