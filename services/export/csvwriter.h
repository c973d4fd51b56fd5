#pragma once

#include "core/result.h"

#include <QFile>
#include <QStringList>

namespace nobill {

// Writes RFC 4180 CSV (UTF-8, CRLF, fields quoted when they need it) to a file, row by row,
// so an export never holds the whole list in memory. Writes to "<path>.part" and renames on
// finish(), so a cancelled or failed export never leaves a truncated file under the name the
// operator chose.
class CsvWriter
{
public:
    explicit CsvWriter(QString path);
    ~CsvWriter(); // discards the partial file unless finish() succeeded

    Status open();
    Status writeRow(const QStringList &fields);
    Status finish();
    void discard();

    static QString escape(const QString &field);

private:
    QString m_path;
    QFile m_file;
    bool m_finished = false;
};

} // namespace nobill
