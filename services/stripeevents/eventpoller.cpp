#include "stripeevents/eventpoller.h"

#include "database/connection.h"
#include "database/sql.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QLoggingCategory>
#include <QPointer>
#include <QSqlDatabase>
#include <QSqlError>
#include <QSqlQuery>
#include <QTimer>

Q_LOGGING_CATEGORY(lcPoller, "nobill.stripeevents.poller")

namespace nobill {

namespace {

QString objectIdOf(const QJsonObject &event)
{
    const QString id = event.value(QLatin1String("data"))
                           .toObject()
                           .value(QLatin1String("object"))
                           .toObject()
                           .value(QLatin1String("id"))
                           .toString();
    if (!id.isEmpty())
        return id;
    return event.value(QLatin1String("related_object"))
        .toObject()
        .value(QLatin1String("id"))
        .toString();
}

} // namespace

EventPoller::EventPoller(ConnectionSettings settings, StripeClientOptions stripe,
                         EventPollerOptions options, QObject *parent)
    : QObject(parent)
    , m_settings(std::move(settings))
    , m_options(options)
    , m_stripe(new StripeClient(std::move(stripe), this))
    , m_timer(new QTimer(this))
    , m_connectionName(uniqueConnectionName(QStringLiteral("stripe-poller")))
{
    m_settings.source = QStringLiteral("webhook");
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &EventPoller::pollOnce);
}

EventPoller::~EventPoller()
{
    stop();
    closeConnection(m_connectionName);
}

void EventPoller::start()
{
    m_running = true;
    pollOnce();
}

void EventPoller::stop()
{
    m_running = false;
    m_timer->stop();
}

void EventPoller::pollOnce()
{
    if (m_polling)
        return;
    m_polling = true;
    if (!isConnectionOpen(m_connectionName)) {
        if (Status opened = openConnection(m_settings, m_connectionName); !opened) {
            finish(false, 0, 0, opened.error().message);
            return;
        }
    }
    auto cursor = execSql(QSqlDatabase::database(m_connectionName, false),
                          QStringLiteral("SELECT extract(epoch FROM last_created)::bigint "
                                         "FROM stripe_event_cursor"));
    if (!cursor) {
        closeConnection(m_connectionName); // opened again at the next poll
        finish(false, 0, 0, cursor.error().message);
        return;
    }
    const qint64 now = QDateTime::currentSecsSinceEpoch();
    qint64 from = now - m_options.initialLookbackSeconds;
    if (cursor.value().next() && !cursor.value().value(0).isNull())
        from = cursor.value().value(0).toLongLong() - m_options.overlapSeconds;
    cursor.value().finish();

    QPointer<EventPoller> self(this);
    m_stripe->listAll(QStringLiteral("/v1/events"),
                      {{QStringLiteral("created"), QVariantMap{{QStringLiteral("gte"), from}}}},
                      [self](const StripeListReply &reply) {
                          if (!self)
                              return;
                          if (!reply.ok) {
                              self->finish(false, 0, 0,
                                           tr("Stripe's list of events could not be read: %1")
                                               .arg(reply.error.sentence()));
                              return;
                          }
                          self->storeEvents(reply.items);
                      });
}

void EventPoller::storeEvents(const QList<QJsonObject> &events)
{
    QSqlDatabase db = QSqlDatabase::database(m_connectionName, false);
    int stored = 0;
    auto done = inTransaction(db, [&]() -> Status {
        QSqlQuery insert(db);
        if (!insert.prepare(QStringLiteral(
                "INSERT INTO stripe_events (id, type, api_version, stripe_created, object_id, "
                "  livemode, payload, source) "
                "VALUES (?, ?, ?, to_timestamp(?), ?, ?, ?::jsonb, 'pull') "
                "ON CONFLICT (id) DO NOTHING")))
            return makeError(ErrorKind::Unavailable, insert.lastError().text());
        qint64 newest = 0;
        QString newestId;
        // Oldest first (Stripe lists newest first), so that the inbox's order of arrival
        // follows Stripe's for one poll.
        for (auto it = events.crbegin(); it != events.crend(); ++it) {
            const QJsonObject &e = *it;
            const QString id = e.value(QLatin1String("id")).toString();
            const QString type = e.value(QLatin1String("type")).toString();
            const QJsonValue createdValue = e.value(QLatin1String("created"));
            const qint64 created =
                createdValue.isDouble()
                    ? createdValue.toInteger()
                    : QDateTime::fromString(createdValue.toString(), Qt::ISODateWithMs)
                          .toSecsSinceEpoch();
            // The inbox's own constraints would refuse these; skip them with a note rather
            // than lose the whole poll.
            if (!id.startsWith(QLatin1String("evt_")) || type.isEmpty() || created <= 0) {
                qCWarning(lcPoller) << "skipped an item of the Events API that is no event";
                continue;
            }
            insert.addBindValue(id);
            insert.addBindValue(type);
            insert.addBindValue(nullIfEmpty(e.value(QLatin1String("api_version")).toString()));
            insert.addBindValue(created);
            insert.addBindValue(nullIfEmpty(objectIdOf(e).left(255)));
            insert.addBindValue(e.value(QLatin1String("livemode")).toBool());
            insert.addBindValue(QString::fromUtf8(QJsonDocument(e).toJson(QJsonDocument::Compact)));
            if (!insert.exec())
                return makeError(ErrorKind::Unavailable,
                                 tr("The events from Stripe could not be stored: %1")
                                     .arg(insert.lastError().databaseText()));
            stored += insert.numRowsAffected() > 0 ? 1 : 0;
            if (created >= newest) {
                newest = created;
                newestId = id;
            }
        }
        if (newest > 0) {
            auto moved = execSql(db,
                                 QStringLiteral("UPDATE stripe_event_cursor SET "
                                                "  last_event_id = CASE WHEN to_timestamp(?) >= "
                                                "    coalesce(last_created, '-infinity') THEN ? "
                                                "    ELSE last_event_id END, "
                                                "  last_created = greatest(coalesce(last_created, "
                                                "    '-infinity'), to_timestamp(?)), "
                                                "  polled_at = now(), updated_at = now()"),
                                 {newest, newestId, newest});
            if (!moved)
                return moved.error();
        } else {
            auto polled = execSql(db, QStringLiteral("UPDATE stripe_event_cursor SET polled_at = "
                                                     "now()"));
            if (!polled)
                return polled.error();
        }
        return {};
    });
    if (!done) {
        closeConnection(m_connectionName);
        finish(false, 0, 0, done.error().message);
        return;
    }
    finish(true, stored, static_cast<int>(events.size()) - stored, QString());
}

void EventPoller::finish(bool ok, int stored, int duplicates, const QString &message)
{
    m_polling = false;
    if (!ok)
        qCWarning(lcPoller) << message;
    if (m_running)
        m_timer->start(qMax(100, m_options.intervalMs));
    emit pollFinished(ok, stored, duplicates, message);
}

} // namespace nobill
