-- NOBill schema, version 5: retrying and cancelling jobs from the console, and the indexes
-- the Audit log, Webhook events and Jobs lists page by.
--
-- `jobs.manage` is a platform-scoped permission: like every platform permission it is held
-- by platform administrators only (nobill_orgs_with, migration 2), whatever a tenant's role
-- says. The functions below are the console's way to change a job's state; the job worker
-- (nobillctl serve) claims and finishes jobs on its own login. Each change is written to the
-- audit trail by the jobs_audit trigger, as done by the operator who asked for it.
--
-- Messages raised here (SQLSTATE P0001) are shown to people verbatim: they are sentences.

-- A failed or cancelled job goes back to the queue, to run as soon as a worker is free.
-- Its attempts are kept (they are its history); a job that had used all its attempts gets
-- one more, so that the worker tries it again instead of failing it at once.
CREATE FUNCTION nobill_retry_job(p_job uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    j jobs%ROWTYPE;
BEGIN
    IF NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied: only platform administrators (permission "jobs.manage") retry jobs'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This job no longer exists. Refresh the list.';
    END IF;
    IF j.status = 'queued' THEN
        RAISE EXCEPTION 'This job is already queued: it runs as soon as a worker picks it up.';
    ELSIF j.status = 'running' THEN
        RAISE EXCEPTION 'This job is running now. It can be retried only after it has failed or been cancelled.';
    ELSIF j.status = 'succeeded' THEN
        RAISE EXCEPTION 'This job has already succeeded; there is nothing to retry.';
    END IF;
    UPDATE jobs
       SET status = 'queued',
           run_after = now(),
           max_attempts = greatest(max_attempts, attempts + 1),
           lease_until = NULL,
           locked_by = NULL
     WHERE id = p_job;
END;
$$;

-- A queued job is taken off the queue; it stays in the list as cancelled and can be retried.
CREATE FUNCTION nobill_cancel_job(p_job uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    j jobs%ROWTYPE;
BEGIN
    IF NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied: only platform administrators (permission "jobs.manage") cancel jobs'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO j FROM jobs WHERE id = p_job FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This job no longer exists. Refresh the list.';
    END IF;
    IF j.status = 'running' THEN
        RAISE EXCEPTION 'This job is running now and cannot be cancelled. Wait until it has finished or failed.';
    ELSIF j.status = 'succeeded' THEN
        RAISE EXCEPTION 'This job has already succeeded; it cannot be cancelled.';
    ELSIF j.status = 'failed' THEN
        RAISE EXCEPTION 'This job has already failed; there is nothing to cancel.';
    ELSIF j.status = 'cancelled' THEN
        RAISE EXCEPTION 'This job is already cancelled.';
    END IF;
    UPDATE jobs
       SET status = 'cancelled',
           lease_until = NULL,
           locked_by = NULL
     WHERE id = p_job;
END;
$$;

REVOKE ALL ON FUNCTION nobill_retry_job(uuid), nobill_cancel_job(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_retry_job(uuid), nobill_cancel_job(uuid) TO nobill_operator;

-- The lists show the newest first and page by key: these keep the first page and every
-- next one an index scan at millions of rows. The actor filter of the audit log matches a
-- login exactly.
CREATE INDEX audit_log_login_id_idx ON audit_log (login, id);
CREATE INDEX stripe_events_received_at_id_idx ON stripe_events (received_at, id);
CREATE INDEX jobs_created_at_id_idx ON jobs (created_at, id);
