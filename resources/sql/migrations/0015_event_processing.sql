-- NOBill schema, version 15: applying Stripe's events to our tables.
--
-- The event processor (services/stripeevents, run by `nobillctl serve` on a nobill_service
-- login) takes events out of the inbox (stripe_events), each in a transaction of its own
-- with the change it makes and the audit rows the triggers write (source 'webhook').
-- Stripe delivers at least once and in any order, so:
--   * an event about an object is applied only if it is newer than the last event applied
--     to that object (stripe_object_versions, below); an older one is ignored with a reason
--     and changes nothing;
--   * an event about an object whose dependencies we do not have yet (a subscription whose
--     customer or price is not linked here) waits: status 'waiting' with a retry time, and
--     the name of what it waits for, so that the event that brings it wakes it at once;
--   * the Events API poller (pull mode) keeps its place in stripe_event_cursor and inserts
--     with ON CONFLICT DO NOTHING, so push and pull together never store an event twice.
--
-- Messages raised here (SQLSTATE P0001) are shown to people verbatim: they are sentences.

SELECT set_config('nobill.source', 'migration', true);

-------------------------------------------------------------------------------------------
-- The inbox: retry time and what a waiting event waits for
-------------------------------------------------------------------------------------------

-- retry_at: when a waiting event is tried again (backoff); NULL means "as soon as possible".
-- waiting_for: the Stripe id (cus_..., price_..., sub_...) the event needs; when an event
-- about that id is applied, the processor sets retry_at of its dependants to now.
ALTER TABLE stripe_events
    ADD COLUMN retry_at timestamptz NULL,
    ADD COLUMN waiting_for text NULL
        CONSTRAINT stripe_events_waiting_for_check CHECK (length(waiting_for) <= 255);

-- The processor's queue, in the order it applies events: by Stripe's creation time (so one
-- object's events come in order, and a customer's before its subscription's), then id.
CREATE INDEX stripe_events_pending_idx ON stripe_events (stripe_created, id)
    WHERE status IN ('received', 'waiting');
CREATE INDEX stripe_events_waiting_for_idx ON stripe_events (waiting_for)
    WHERE status = 'waiting';

-------------------------------------------------------------------------------------------
-- Per object: the newest event applied
-------------------------------------------------------------------------------------------

-- Stripe objects carry no version we could compare, so each object remembers the newest
-- event applied to it, as (event_created, event_rank, event_id), compared as a tuple:
--   * event_created: the event's `created` (whole seconds);
--   * event_rank: breaks ties within one second by how far the object's state has
--     progressed (a subscription that is canceled outranks one that is active, a paid
--     invoice one that is open; services/stripeevents/eventmapping.cpp), because Stripe
--     often sends several events about one object in the same second and the later state
--     is almost always the further one;
--   * event_id: the last resort, so that the outcome never depends on delivery order.
-- The newest tuple wins whatever order events arrive in: the final state is the same.
-- Not tenant-scoped and read by nobody but the processor (through the function below).
CREATE TABLE stripe_object_versions (
    object_id     text        NOT NULL,
    event_created timestamptz NOT NULL,
    event_rank    integer     NOT NULL DEFAULT 0,
    event_id      text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_object_versions_pkey PRIMARY KEY (object_id),
    CONSTRAINT stripe_object_versions_object_id_check
        CHECK (btrim(object_id) <> '' AND length(object_id) <= 255),
    CONSTRAINT stripe_object_versions_event_id_format CHECK (event_id ~ '^evt_[A-Za-z0-9_]+$')
);
ALTER TABLE stripe_object_versions ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_object_versions FORCE ROW LEVEL SECURITY;
CREATE POLICY stripe_object_versions_owner ON stripe_object_versions AS PERMISSIVE FOR ALL
    TO CURRENT_USER USING (true) WITH CHECK (true);

-- Records that event p_event (created p_created, rank p_rank) is applied to p_object, if it
-- is newer than what was applied before; returns whether it is. Called in the event's own
-- transaction just before its change is written: the upsert locks the object's row, so two
-- processors never both apply events about one object at once, and a rollback forgets the
-- record with the change. An event applied before (the same id) is not newer.
CREATE FUNCTION nobill_stripe_object_advance(p_object text, p_created timestamptz,
                                             p_rank integer, p_event text)
RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    advanced boolean;
BEGIN
    IF NOT (pg_has_role(session_user, 'nobill_service', 'MEMBER') OR nobill_session_is_owner()) THEN
        RAISE EXCEPTION 'permission denied: only the NOBill service applies Stripe events'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO stripe_object_versions AS v (object_id, event_created, event_rank, event_id)
    VALUES (p_object, p_created, coalesce(p_rank, 0), p_event)
    ON CONFLICT (object_id) DO UPDATE
        SET event_created = EXCLUDED.event_created,
            event_rank = EXCLUDED.event_rank,
            event_id = EXCLUDED.event_id,
            updated_at = now()
        WHERE (v.event_created, v.event_rank, v.event_id)
              < (EXCLUDED.event_created, EXCLUDED.event_rank, EXCLUDED.event_id)
    RETURNING true INTO advanced;
    RETURN coalesce(advanced, false);
END;
$$;

-------------------------------------------------------------------------------------------
-- Pull mode: where the Events API poller stands
-------------------------------------------------------------------------------------------

-- One row: the creation time of the newest event the poller has stored. The poller asks
-- for created[gte] this time (Stripe's filter is in whole seconds, so events of that second
-- come again and are dropped by the primary key of stripe_events).
CREATE TABLE stripe_event_cursor (
    id            boolean     NOT NULL DEFAULT true,
    last_created  timestamptz NULL,
    last_event_id text        NULL,
    polled_at     timestamptz NULL,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT stripe_event_cursor_pkey PRIMARY KEY (id),
    CONSTRAINT stripe_event_cursor_single_check CHECK (id)
);
INSERT INTO stripe_event_cursor (id) VALUES (true);
ALTER TABLE stripe_event_cursor ENABLE ROW LEVEL SECURITY;
ALTER TABLE stripe_event_cursor FORCE ROW LEVEL SECURITY;
CREATE POLICY stripe_event_cursor_owner ON stripe_event_cursor AS PERMISSIVE FOR ALL
    TO CURRENT_USER USING (true) WITH CHECK (true);
CREATE POLICY stripe_event_cursor_service ON stripe_event_cursor AS PERMISSIVE FOR ALL
    TO nobill_service USING (true) WITH CHECK (true);
GRANT SELECT, UPDATE ON stripe_event_cursor TO nobill_service;

-------------------------------------------------------------------------------------------
-- What the processor may change
-------------------------------------------------------------------------------------------

-- The catalog mirrors Stripe's names and archived state (terms never change: the plans_guard
-- trigger refuses that to everyone).
GRANT UPDATE (name, description, archived_at) ON products TO nobill_service;
GRANT UPDATE (name, archived_at) ON plans TO nobill_service;

REVOKE ALL ON FUNCTION nobill_stripe_object_advance(text, timestamptz, integer, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_stripe_object_advance(text, timestamptz, integer, text)
    TO nobill_service;

-------------------------------------------------------------------------------------------
-- Reprocessing from the console
-------------------------------------------------------------------------------------------

-- An event goes back to the processor's queue, to be applied as if it had just arrived:
-- one that failed (after its cause was fixed), one that was ignored, or even one that was
-- processed. It is still subject to the per-object order, so an older event never
-- overwrites a newer state. webhooks.manage is platform-scoped: platform administrators
-- only (nobill_orgs_with, migration 2). Written to the audit trail (stripe_events has no
-- audit trigger: its rows change with every delivery).
CREATE FUNCTION nobill_reprocess_stripe_event(p_event text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    e stripe_events%ROWTYPE;
BEGIN
    IF NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied: only platform administrators (permission "webhooks.manage") reprocess Stripe events'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO e FROM stripe_events WHERE id = p_event FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This event is not in the inbox any more. Refresh the list.';
    END IF;
    IF e.status = 'received' THEN
        RAISE EXCEPTION 'This event is already waiting for the processor: it is applied as soon as the office server picks it up.';
    END IF;
    UPDATE stripe_events
       SET status = 'received', retry_at = NULL, waiting_for = NULL, last_error = NULL,
           processed_at = NULL
     WHERE id = p_event;
    INSERT INTO audit_log (login, app_user_id, organization_id, source, action, entity,
                           entity_id, before, after, changed)
    VALUES (session_user::text, nobill_current_user_id(), e.organization_id,
            coalesce(nullif(current_setting('nobill.source', true), ''), 'cli'), 'update',
            'stripe_events', p_event,
            jsonb_build_object('status', e.status, 'attempts', e.attempts,
                               'last_error', e.last_error),
            jsonb_build_object('status', 'received', 'attempts', e.attempts),
            jsonb_build_object('status', 'received', 'reprocess', true));
END;
$$;

REVOKE ALL ON FUNCTION nobill_reprocess_stripe_event(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_reprocess_stripe_event(text) TO nobill_operator;
