-- NOBill schema, version 10: the job worker's side of the durable queue.
--
-- The worker (`nobillctl serve`, or a console that runs it in-process) signs in with a login
-- that is a member of nobill_service. It claims due jobs with FOR UPDATE SKIP LOCKED under a
-- lease, heartbeats the lease while it works, and records the outcome. The functions below
-- are the whole protocol, so that every worker follows the same state machine:
--
--   queued --claim--> running --finish--> succeeded
--                        |----fail(retryable, attempts left)--> queued (run_after = backoff)
--                        |----fail(permanent, or no attempts left)--> failed (last_error)
--                        |----release (graceful stop)--> queued (the attempt is given back)
--   running with an expired lease (its worker died) is claimable again, with the same
--   idempotency key, so the Stripe calls it repeats are replayed, not repeated.
--
-- finish, fail and release name the worker and refuse when the job is no longer locked by
-- it: a worker whose lease expired (paused, cut off from the database) must not overwrite
-- the outcome of the worker that took the job over.
--
-- SECURITY INVOKER on purpose: the service login already holds exactly the rights this
-- needs (UPDATE on jobs, the jobs_service policy of migration 2), so running as the caller
-- means a mistake here can never give the worker more than its grants. EXECUTE goes to
-- nobill_service only; operators change jobs through nobill_retry_job / nobill_cancel_job.
-- Each function sets nobill.source to 'worker' for its own duration, so the audit rows of
-- the state changes say where they came from whatever the connection set.
--
-- Also here: nobill_enqueue_job learns platform work (plan.* jobs belong to no organization
-- and need a platform administrator), and an index for finding expired leases.
--
-- Runs in one transaction as the owner (the Migrator opens it).

SELECT set_config('nobill.source', 'migration', true);

-- A running job whose lease has run out is found by this index, as a queued one by
-- jobs_claim_idx (migration 1).
CREATE INDEX jobs_lease_idx ON jobs (lease_until) WHERE status = 'running';

-------------------------------------------------------------------------------------------
-- Claiming
-------------------------------------------------------------------------------------------

-- Up to p_limit due jobs, oldest due first: queued ones whose run_after has come, and
-- running ones whose lease expired. Each becomes running, locked by p_worker until
-- now() + p_lease_seconds, with one more attempt counted. Rows another worker is claiming
-- at this moment are skipped, never waited for. A job whose worker died on its last allowed
-- attempt is failed here rather than run once more than allowed.
CREATE FUNCTION nobill_claim_jobs(p_worker text, p_limit integer, p_lease_seconds integer)
RETURNS SETOF jobs
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp SET nobill.source = 'worker' AS $$
BEGIN
    IF p_worker IS NULL OR btrim(p_worker) = '' OR length(p_worker) > 200 THEN
        RAISE EXCEPTION 'A worker needs a name of 1 to 200 characters to claim jobs.';
    END IF;
    IF p_limit IS NULL OR p_limit < 1 OR p_limit > 1000 THEN
        RAISE EXCEPTION 'A worker claims 1 to 1000 jobs at a time.';
    END IF;
    IF p_lease_seconds IS NULL OR p_lease_seconds < 1 OR p_lease_seconds > 3600 THEN
        RAISE EXCEPTION 'A job lease lasts 1 to 3600 seconds.';
    END IF;

    WITH dead AS (
        SELECT j.id FROM jobs j
        WHERE j.status = 'running' AND j.lease_until < now() AND j.attempts >= j.max_attempts
        FOR UPDATE SKIP LOCKED)
    UPDATE jobs j
       SET status = 'failed',
           lease_until = NULL,
           locked_by = NULL,
           last_error = format('The worker %s stopped while running this job (attempt %s of %s), '
                               'and no attempts are left. %s',
                               j.locked_by, j.attempts, j.max_attempts,
                               coalesce('Last error: ' || j.last_error, ''))
      FROM dead WHERE j.id = dead.id;

    RETURN QUERY
    WITH due AS (
        SELECT j.id FROM jobs j
        WHERE (j.status = 'queued' AND j.run_after <= now())
           OR (j.status = 'running' AND j.lease_until < now())
        ORDER BY coalesce(j.lease_until, j.run_after), j.created_at
        LIMIT p_limit
        FOR UPDATE SKIP LOCKED)
    UPDATE jobs j
       SET status = 'running',
           attempts = j.attempts + 1,
           lease_until = now() + make_interval(secs => p_lease_seconds),
           locked_by = p_worker
      FROM due WHERE j.id = due.id
    RETURNING j.*;
END;
$$;

-- Renews the leases of the jobs p_worker still holds; returns those, so the worker learns
-- which ones it has lost (their lease expired and another worker took them).
CREATE FUNCTION nobill_extend_job_leases(p_worker text, p_jobs uuid[], p_lease_seconds integer)
RETURNS SETOF uuid
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp SET nobill.source = 'worker' AS $$
BEGIN
    IF p_lease_seconds IS NULL OR p_lease_seconds < 1 OR p_lease_seconds > 3600 THEN
        RAISE EXCEPTION 'A job lease lasts 1 to 3600 seconds.';
    END IF;
    RETURN QUERY
    UPDATE jobs j
       SET lease_until = now() + make_interval(secs => p_lease_seconds)
     WHERE j.id = ANY (p_jobs) AND j.status = 'running' AND j.locked_by = p_worker
    RETURNING j.id;
END;
$$;

-- The refusal of a worker that no longer holds the job. SQLSTATE 55000
-- (object_not_in_prerequisite_state) so that the worker can tell it from other errors.
CREATE FUNCTION nobill_lock_own_job(p_job uuid, p_worker text) RETURNS jobs
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    j jobs%ROWTYPE;
BEGIN
    SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This job no longer exists; its outcome was not recorded.'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    IF j.status <> 'running' OR j.locked_by IS DISTINCT FROM p_worker THEN
        RAISE EXCEPTION 'The worker % no longer holds this job (it is % by %): its lease expired '
                        'and the outcome of this attempt was not recorded.',
                        p_worker, j.status, coalesce(j.locked_by, 'nobody')
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    RETURN j;
END;
$$;

-------------------------------------------------------------------------------------------
-- Outcomes
-------------------------------------------------------------------------------------------

-- The job succeeded; p_result (a JSON object) is what the console shows or waits for.
-- Called in the same transaction as the writes that record Stripe's answer, so either both
-- are kept or neither.
CREATE FUNCTION nobill_finish_job(p_job uuid, p_worker text, p_result jsonb) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp SET nobill.source = 'worker' AS $$
BEGIN
    PERFORM nobill_lock_own_job(p_job, p_worker);
    UPDATE jobs
       SET status = 'succeeded',
           result = coalesce(p_result, '{}'::jsonb),
           last_error = NULL,
           lease_until = NULL,
           locked_by = NULL
     WHERE id = p_job;
END;
$$;

-- The attempt failed with p_error (a sentence for the Jobs screen). Retryable and attempts
-- left: queued again after an exponential backoff, base * 2^(attempts - 1), capped, with
-- jitter (a random 50 to 100 % of it) so that jobs failed together by one outage do not all
-- come back at the same moment. Otherwise failed for good. Returns the job's new status.
CREATE FUNCTION nobill_fail_job(p_job uuid, p_worker text, p_error text, p_retryable boolean,
                                p_backoff_base interval DEFAULT interval '10 seconds',
                                p_backoff_cap interval DEFAULT interval '1 hour')
RETURNS text
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp SET nobill.source = 'worker' AS $$
DECLARE
    j     jobs%ROWTYPE;
    delay interval;
    msg   text := left(coalesce(nullif(btrim(p_error), ''), 'The job failed without a reason.'),
                       2000);
BEGIN
    j := nobill_lock_own_job(p_job, p_worker);
    IF p_retryable AND j.attempts < j.max_attempts THEN
        delay := least(p_backoff_base * power(2, least(j.attempts - 1, 30)), p_backoff_cap)
                 * (0.5 + random() / 2);
        UPDATE jobs
           SET status = 'queued',
               run_after = now() + delay,
               last_error = msg,
               lease_until = NULL,
               locked_by = NULL
         WHERE id = p_job;
        RETURN 'queued';
    END IF;
    UPDATE jobs
       SET status = 'failed',
           last_error = CASE WHEN p_retryable
                             THEN format('Gave up after %s attempts. %s', j.attempts, msg)
                             ELSE msg END,
           lease_until = NULL,
           locked_by = NULL
     WHERE id = p_job;
    RETURN 'failed';
END;
$$;

-- A worker stopping gracefully hands back a job it has not finished: queued again at
-- once, the attempt given back (it was cut short, not failed). Its idempotency key stays,
-- so whatever reached Stripe is replayed by the next attempt.
CREATE FUNCTION nobill_release_job(p_job uuid, p_worker text) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp SET nobill.source = 'worker' AS $$
BEGIN
    PERFORM nobill_lock_own_job(p_job, p_worker);
    UPDATE jobs
       SET status = 'queued',
           run_after = now(),
           attempts = greatest(attempts - 1, 0),
           lease_until = NULL,
           locked_by = NULL
     WHERE id = p_job;
END;
$$;

REVOKE ALL ON FUNCTION nobill_claim_jobs(text, integer, integer),
    nobill_extend_job_leases(text, uuid[], integer),
    nobill_lock_own_job(uuid, text),
    nobill_finish_job(uuid, text, jsonb),
    nobill_fail_job(uuid, text, text, boolean, interval, interval),
    nobill_release_job(uuid, text)
    FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_claim_jobs(text, integer, integer),
    nobill_extend_job_leases(text, uuid[], integer),
    nobill_lock_own_job(uuid, text),
    nobill_finish_job(uuid, text, jsonb),
    nobill_fail_job(uuid, text, text, boolean, interval, interval),
    nobill_release_job(uuid, text)
    TO nobill_service;

-------------------------------------------------------------------------------------------
-- Queueing platform work
-------------------------------------------------------------------------------------------

-- As in migration 4, and: plan.* work (a plan becomes a Stripe product and price) is the
-- catalog's, which belongs to no organization: it is queued with a NULL organization, by a
-- platform administrator only (plans.manage is a platform permission), and must name an
-- existing plan. Every other kind still needs its organization.
CREATE OR REPLACE FUNCTION nobill_enqueue_job(p_organization uuid, p_kind text, p_payload jsonb,
                                              p_idempotency_key text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    needed     text;
    existing   jobs%ROWTYPE;
    job_id     uuid;
    target     text;
    is_plan    boolean := split_part(coalesce(p_kind, ''), '.', 1) = 'plan';
BEGIN
    needed := CASE split_part(coalesce(p_kind, ''), '.', 1)
                  WHEN 'subscription' THEN 'subscriptions.manage'
                  WHEN 'invoice' THEN 'invoices.manage'
                  WHEN 'customer' THEN 'tenants.manage'
                  WHEN 'plan' THEN 'plans.manage'
                  WHEN 'usage' THEN 'usage.import'
              END;
    IF needed IS NULL OR p_kind !~ '^[a-z]+\.[a-z][a-z0-9_]*$' OR length(p_kind) > 100 THEN
        RAISE EXCEPTION 'NOBill does not know the background work "%"; nothing was queued.',
                        coalesce(p_kind, '');
    END IF;
    IF is_plan THEN
        IF p_organization IS NOT NULL OR NOT nobill_is_platform_admin() THEN
            RAISE EXCEPTION 'permission denied to queue % work: the catalog is changed by platform administrators only', p_kind
                USING ERRCODE = 'insufficient_privilege';
        END IF;
    ELSIF p_organization IS NULL OR NOT nobill_has_permission(p_organization, needed) THEN
        RAISE EXCEPTION 'permission denied to queue % work in this organization', p_kind
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_idempotency_key IS NULL OR btrim(p_idempotency_key) = ''
       OR length(p_idempotency_key) > 255 THEN
        RAISE EXCEPTION 'The request key must have 1 to 255 characters; nothing was queued.';
    END IF;
    IF p_payload IS NULL OR jsonb_typeof(p_payload) <> 'object' THEN
        RAISE EXCEPTION 'The details of the background work are missing; nothing was queued.';
    END IF;

    IF is_plan THEN
        target := p_payload ->> 'plan_id';
        IF target IS NULL
           OR target !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
           OR NOT EXISTS (SELECT 1 FROM plans p WHERE p.id = target::uuid) THEN
            RAISE EXCEPTION 'Work on the catalog must name an existing plan; nothing was queued.';
        END IF;
    END IF;

    -- Two steps each: the text is known to be a uuid before it is cast.
    IF p_payload ? 'subscription_id' THEN
        target := p_payload ->> 'subscription_id';
        IF target IS NULL
           OR target !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            target := NULL;
        END IF;
        IF target IS NULL
           OR NOT EXISTS (SELECT 1 FROM subscriptions s
                          WHERE s.id = target::uuid AND s.organization_id = p_organization
                            AND (NOT p_payload ? 'stripe_subscription_id'
                                 OR s.stripe_subscription_id
                                    IS NOT DISTINCT FROM p_payload ->> 'stripe_subscription_id'))
        THEN
            RAISE EXCEPTION 'This subscription does not belong to the organization the work was queued for; nothing was queued.';
        END IF;
    ELSIF split_part(p_kind, '.', 1) = 'subscription' THEN
        RAISE EXCEPTION 'Work on a subscription must name the subscription; nothing was queued.';
    END IF;
    IF p_payload ? 'invoice_id' THEN
        target := p_payload ->> 'invoice_id';
        IF target IS NULL
           OR target !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
            target := NULL;
        END IF;
        IF target IS NULL
           OR NOT EXISTS (SELECT 1 FROM invoices i
                          WHERE i.id = target::uuid AND i.organization_id = p_organization)
        THEN
            RAISE EXCEPTION 'This invoice does not belong to the organization the work was queued for; nothing was queued.';
        END IF;
    ELSIF split_part(p_kind, '.', 1) = 'invoice' THEN
        RAISE EXCEPTION 'Work on an invoice must name the invoice; nothing was queued.';
    END IF;

    INSERT INTO jobs (organization_id, kind, payload, idempotency_key, status, requested_by)
    VALUES (p_organization, p_kind, p_payload, p_idempotency_key, 'queued', session_user::text)
    ON CONFLICT ON CONSTRAINT jobs_idempotency_key_key DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NOT NULL THEN
        RETURN job_id;
    END IF;

    -- The key was used before (possibly a moment ago, by a concurrent call that has now
    -- committed: ON CONFLICT waited for it). The same request gets the same job.
    SELECT * INTO existing FROM jobs j WHERE j.idempotency_key = p_idempotency_key;
    IF existing.organization_id IS DISTINCT FROM p_organization
       OR existing.kind <> p_kind OR existing.payload <> p_payload THEN
        RAISE EXCEPTION 'This request key was already used for different work; nothing was queued. Open the action again.';
    END IF;
    RETURN existing.id;
END;
$$;
