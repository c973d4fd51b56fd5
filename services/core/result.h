#pragma once

#include <QString>

#include <optional>
#include <utility>
#include <variant>

namespace nobill {

// What went wrong, in terms a caller can branch on. The message is written for the person
// in front of the console; `detail` keeps the technical text for logs and bug reports.
enum class ErrorKind {
    Unknown,
    InvalidInput,
    NotFound,
    Conflict,
    PermissionDenied,
    Unavailable,
    AuthenticationFailed,
    SchemaMissing,
    SchemaTooNew,
    SchemaTampered,
    Cancelled,
    Internal,
};

struct Error
{
    ErrorKind kind = ErrorKind::Unknown;
    QString message;
    QString detail;
    // What the error is about, when known: a constraint name ("organizations_slug_key") so a
    // form can point at the field without parsing messages.
    QString subject;
};

inline Error makeError(ErrorKind kind, const QString &message, const QString &detail = {})
{
    return Error{kind, message, detail, QString()};
}

// A value or an Error: the only way results cross a layer or a thread boundary.
template <typename T> class [[nodiscard]] Result
{
public:
    Result(T value)
        : m_state(std::move(value))
    {}
    Result(Error error)
        : m_state(std::move(error))
    {}

    bool isOk() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return isOk(); }

    const T &value() const & { return std::get<T>(m_state); }
    T &value() & { return std::get<T>(m_state); }
    T &&value() && { return std::get<T>(std::move(m_state)); }
    const T *operator->() const { return &std::get<T>(m_state); }

    const Error &error() const { return std::get<Error>(m_state); }

private:
    std::variant<T, Error> m_state;
};

template <> class [[nodiscard]] Result<void>
{
public:
    Result() = default;
    Result(Error error)
        : m_error(std::move(error))
    {}

    bool isOk() const { return !m_error.has_value(); }
    explicit operator bool() const { return isOk(); }
    const Error &error() const { return *m_error; }

private:
    std::optional<Error> m_error;
};

using Status = Result<void>;

} // namespace nobill
