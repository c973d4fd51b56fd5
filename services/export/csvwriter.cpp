#include "export/csvwriter.h"

#include <QCoreApplication>

namespace nobill {

namespace {
QString tr(const char *text)
{
    return QCoreApplication::translate("nobill::CsvWriter", text);
}
} // namespace

CsvWriter::CsvWriter(QString path)
    : m_path(std::move(path))
    , m_file(m_path + QStringLiteral(".part"))
{}

CsvWriter::~CsvWriter()
{
    if (!m_finished)
        discard();
}

Status CsvWriter::open()
{
    if (!m_file.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        return makeError(
            ErrorKind::InvalidInput,
            tr("Cannot write %1: %2. Choose another folder.").arg(m_path, m_file.errorString()));
    }
    return {};
}

QString CsvWriter::escape(const QString &field)
{
    // A leading = + - @ would make a spreadsheet run the cell as a formula: quote it and
    // prefix an apostrophe, the common defence against CSV injection.
    QString value = field;
    if (!value.isEmpty() && QStringLiteral("=+-@").contains(value.at(0)) &&
        !(value.at(0) == QLatin1Char('-') && value.size() > 1 && value.at(1).isDigit()))
        value.prepend(QLatin1Char('\''));
    const bool quote = value.contains(QLatin1Char(',')) || value.contains(QLatin1Char('"')) ||
                       value.contains(QLatin1Char('\n')) || value.contains(QLatin1Char('\r')) ||
                       value != field;
    if (!quote)
        return value;
    value.replace(QLatin1Char('"'), QLatin1String("\"\""));
    return QLatin1Char('"') + value + QLatin1Char('"');
}

Status CsvWriter::writeRow(const QStringList &fields)
{
    QString line;
    for (qsizetype i = 0; i < fields.size(); ++i) {
        if (i > 0)
            line += QLatin1Char(',');
        line += escape(fields.at(i));
    }
    line += QLatin1String("\r\n");
    const QByteArray bytes = line.toUtf8();
    if (m_file.write(bytes) != bytes.size())
        return makeError(ErrorKind::Internal,
                         tr("Writing %1 failed: %2.").arg(m_path, m_file.errorString()));
    return {};
}

Status CsvWriter::finish()
{
    if (!m_file.flush()) {
        return makeError(ErrorKind::Internal,
                         tr("Writing %1 failed: %2.").arg(m_path, m_file.errorString()));
    }
    m_file.close();
    QFile::remove(m_path);
    if (!QFile::rename(m_file.fileName(), m_path)) {
        return makeError(ErrorKind::Internal,
                         tr("The export could not be saved as %1.").arg(m_path));
    }
    m_finished = true;
    return {};
}

void CsvWriter::discard()
{
    m_file.close();
    QFile::remove(m_file.fileName());
}

} // namespace nobill
