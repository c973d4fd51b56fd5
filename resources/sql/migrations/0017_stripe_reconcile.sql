-- NOBill schema, version 17: reconciliation with Stripe (issue 5, part 5) queued from the
-- console.
--
-- The console holds no Stripe key, so a platform administrator's "Compare with Stripe..."
-- queues a job of kind stripe.reconcile (services/jobs/jobkinds.h) that the office server's
-- worker runs; its result is the drift report. A repair is the same kind with the ids of the
-- differences the operator saw. A function of its own rather than another version of
-- nobill_enqueue_job(): that function maps kinds to organization permissions by prefix, and
-- replacing it here would silently undo changes other migrations make to it. Reconciliation
-- spans every organization (and the catalog), so it is platform work: platform
-- administrators only, with no organization, like plan.* work.
--
-- Runs in one transaction as the owner (the Migrator opens it).

SELECT set_config('nobill.source', 'migration', true);

-- Returns the id of the queued job (or of the job queued earlier with the same key).
-- p_drift NULL: compare only. Otherwise: repair the differences with these ids (1 to 10000
-- ids of at most 300 characters each, as DriftItem::id makes them).
CREATE FUNCTION nobill_enqueue_stripe_reconcile(p_drift text[], p_idempotency_key text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    payload  jsonb;
    existing jobs%ROWTYPE;
    job_id   uuid;
BEGIN
    IF NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied to compare with Stripe: platform administrators only'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_idempotency_key IS NULL OR btrim(p_idempotency_key) = ''
       OR length(p_idempotency_key) > 255 THEN
        RAISE EXCEPTION 'The request key must have 1 to 255 characters; nothing was queued.';
    END IF;
    IF p_drift IS NOT NULL AND (cardinality(p_drift) NOT BETWEEN 1 AND 10000
       OR EXISTS (SELECT 1 FROM unnest(p_drift) d
                  WHERE d IS NULL OR btrim(d) = '' OR length(d) > 300)) THEN
        RAISE EXCEPTION 'A repair names 1 to 10000 differences from a comparison; nothing was queued. Compare with Stripe again.';
    END IF;
    payload := CASE WHEN p_drift IS NULL THEN jsonb_build_object('repair', false)
                    ELSE jsonb_build_object('repair', true, 'drift', to_jsonb(p_drift)) END;

    INSERT INTO jobs (organization_id, kind, payload, idempotency_key, status, requested_by,
                      max_attempts)
    VALUES (NULL, 'stripe.reconcile', payload, p_idempotency_key, 'queued', session_user::text,
            3)
    ON CONFLICT ON CONSTRAINT jobs_idempotency_key_key DO NOTHING
    RETURNING id INTO job_id;
    IF job_id IS NOT NULL THEN
        RETURN job_id;
    END IF;

    -- The same request again (a double click, a retry after a lost connection): the same job.
    SELECT * INTO existing FROM jobs j WHERE j.idempotency_key = p_idempotency_key;
    IF existing.organization_id IS NOT NULL OR existing.kind <> 'stripe.reconcile'
       OR existing.payload <> payload THEN
        RAISE EXCEPTION 'This request key was already used for different work; nothing was queued. Open the action again.';
    END IF;
    RETURN existing.id;
END;
$$;

REVOKE ALL ON FUNCTION nobill_enqueue_stripe_reconcile(text[], text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_enqueue_stripe_reconcile(text[], text) TO nobill_operator;
