-- NOBill schema, version 3: the Plans screen. Plans get a description and, like products,
-- a version for optimistic locking; a plan has at most one newer version; the terms of a
-- plan that subscriptions use can no longer change in place (a new version is created
-- instead, see services/plans/planservice.cpp); subscriber counts per plan read an index.
--
-- Runs in one transaction as the owner (the Migrator opens it).

SELECT set_config('nobill.source', 'migration', true);

-- What the plan is for, in the operators' words (Stripe prices have no description).
-- `version` is for optimistic locking: an edit names the version it started from, and the
-- plan service increments it with every change.
ALTER TABLE plans
    ADD COLUMN description text NOT NULL DEFAULT '',
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD CONSTRAINT plans_description_check CHECK (length(description) <= 2000),
    ADD CONSTRAINT plans_version_check CHECK (version > 0);

ALTER TABLE products
    ADD COLUMN version integer NOT NULL DEFAULT 1,
    ADD CONSTRAINT products_version_check CHECK (version > 0);

-- Versions of a plan form a chain, never a fork: two operators changing the same price at
-- once cannot both create its next version.
DROP INDEX plans_replaces_plan_id_idx;
CREATE UNIQUE INDEX plans_replaces_plan_id_key ON plans (replaces_plan_id);

-- Subscriber counts per plan and status, answered from the index alone; it also serves
-- every lookup the plan_id index served.
DROP INDEX subscriptions_plan_id_idx;
CREATE INDEX subscriptions_plan_id_status_idx ON subscriptions (plan_id, status);

-- A plan that subscriptions use (whatever their status: invoices and history refer to its
-- terms) keeps its terms even before it reaches Stripe: a new amount is a new version of
-- the plan, and the old one is archived. SECURITY DEFINER so that the check sees every
-- subscription, not only those the updating login may read.
CREATE FUNCTION nobill_guard_plan_in_use() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF (NEW.amount, NEW.currency, NEW.interval, NEW.interval_count, NEW.usage_type, NEW.metric,
        NEW.product_id)
       IS DISTINCT FROM
       (OLD.amount, OLD.currency, OLD.interval, OLD.interval_count, OLD.usage_type, OLD.metric,
        OLD.product_id)
       AND EXISTS (SELECT 1 FROM subscriptions s WHERE s.plan_id = OLD.id)
    THEN
        RAISE EXCEPTION 'update on table "plans" violates constraint "plans_terms_in_use_check"'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'plans_terms_in_use_check', TABLE = 'plans';
    END IF;
    RETURN NEW;
END;
$$;
REVOKE ALL ON FUNCTION nobill_guard_plan_in_use() FROM PUBLIC;

-- Fires after plans_guard (triggers fire in name order), so a plan in Stripe keeps
-- reporting plans_terms_immutable_check.
CREATE TRIGGER plans_in_use_guard
    BEFORE UPDATE OF amount, currency, interval, interval_count, usage_type, metric, product_id
    ON plans
    FOR EACH ROW EXECUTE FUNCTION nobill_guard_plan_in_use();

-- Operators (platform admins, as the policies of migration 2 say) write the new columns.
GRANT INSERT (description) ON plans TO nobill_operator;
GRANT UPDATE (description, version) ON plans TO nobill_operator;
GRANT UPDATE (version) ON products TO nobill_operator;
