-- NOBill schema, version 4: operators queue Stripe work; indexes for the Subscriptions and
-- Invoices lists.
--
-- Operators may not insert into jobs themselves (jobs_insert needs jobs.manage, a platform
-- permission): the queue is the office server's, and a job may only ask for what its
-- requester may do. nobill_enqueue_job() is the one way in for them. It checks the
-- permission that the kind of work needs in the job's organization, refuses kinds it does
-- not know, and is idempotent: a repeated idempotency key (a double click, a retry after a
-- lost connection) returns the job already queued instead of a second one.
--
-- Runs in one transaction as the owner (the Migrator opens it).

SELECT set_config('nobill.source', 'migration', true);

-------------------------------------------------------------------------------------------
-- Queueing Stripe work
-------------------------------------------------------------------------------------------

-- Returns the id of the queued job (or of the job queued earlier with the same key).
-- Refusals: insufficient_privilege without the permission (or for an organization the
-- caller cannot see); a sentence (P0001) for an unknown kind, a bad key, a payload that is
-- not an object, an object of another organization, or a key already used for a different
-- request (Stripe itself answers that with idempotency_error).
--
-- The payload names what the job acts on; where that is a subscription or an invoice, it
-- must belong to p_organization, so that a permission held in one organization never
-- reaches another organization's objects through the worker.
CREATE FUNCTION nobill_enqueue_job(p_organization uuid, p_kind text, p_payload jsonb,
                                   p_idempotency_key text)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    needed     text;
    existing   jobs%ROWTYPE;
    job_id     uuid;
    target     text;
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
    IF p_organization IS NULL OR NOT nobill_has_permission(p_organization, needed) THEN
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

REVOKE ALL ON FUNCTION nobill_enqueue_job(uuid, text, jsonb, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_enqueue_job(uuid, text, jsonb, text) TO nobill_operator;

-- The pending work on one subscription, shown in its detail: found by the subscription in
-- the payload, within the organization.
CREATE INDEX jobs_subscription_idx ON jobs (organization_id, (payload ->> 'subscription_id'));

-------------------------------------------------------------------------------------------
-- Keyset paging of the Subscriptions and Invoices lists: every order ends in id. A missing
-- date sorts last (as 'infinity'), so the key is never NULL; the queries repeat these
-- expressions exactly (services/subscriptions, services/invoices). The renewal key of a
-- subscription is the end of its current period while it renews, and 'infinity' while it is
-- paused, once it has ended, or if it never started: "renewing soonest" puts the ones that
-- will not renew last.
-------------------------------------------------------------------------------------------

CREATE INDEX subscriptions_renewal_idx
    ON subscriptions ((CASE WHEN status IN ('trialing', 'active', 'past_due', 'unpaid')
                      THEN coalesce(current_period_end, 'infinity'::timestamptz)
                      ELSE 'infinity'::timestamptz END), id);
CREATE INDEX subscriptions_organization_renewal_idx
    ON subscriptions (organization_id,
                      (CASE WHEN status IN ('trialing', 'active', 'past_due', 'unpaid')
                      THEN coalesce(current_period_end, 'infinity'::timestamptz)
                      ELSE 'infinity'::timestamptz END), id);
CREATE INDEX subscriptions_created_at_idx ON subscriptions (created_at, id);
CREATE INDEX subscriptions_status_id_idx ON subscriptions (status, id);

CREATE INDEX invoices_created_at_idx ON invoices (created_at, id);
CREATE INDEX invoices_due_idx ON invoices ((coalesce(due_date, 'infinity'::timestamptz)), id);
CREATE INDEX invoices_total_idx ON invoices (total, id);
CREATE INDEX invoices_status_id_idx ON invoices (status, id);
