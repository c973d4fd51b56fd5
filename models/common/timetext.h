#pragma once

#include <QDateTime>
#include <QLocale>
#include <QString>

namespace nobill {

// Times as lists and detail panels show them, in the operator's time zone: to the minute in
// a list row (seconds go in the tooltip and the detail), to the second in a detail panel.
// Empty for a time that is not set.
enum class TimePrecision { Minutes, Seconds };

inline QString timeText(const QDateTime &time, TimePrecision precision = TimePrecision::Minutes)
{
    if (!time.isValid())
        return {};
    return QLocale().toString(time.toLocalTime(), precision == TimePrecision::Minutes
                                                      ? QStringLiteral("yyyy-MM-dd HH:mm")
                                                      : QStringLiteral("yyyy-MM-dd HH:mm:ss"));
}

} // namespace nobill
