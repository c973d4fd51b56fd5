#pragma once

#include <QWidget>

namespace nobill {

// A page of the main window. Pages load their data lazily when first shown.
class Page : public QWidget
{
    Q_OBJECT
public:
    using QWidget::QWidget;

    // Called each time the page becomes the visible one.
    virtual void activate() {}
    // True while the page waits for the database (screenshots wait for quiet).
    virtual bool isBusy() const { return false; }
    // Whether the area has real content, or still says it is not available.
    virtual bool isAvailable() const { return true; }
};

} // namespace nobill
