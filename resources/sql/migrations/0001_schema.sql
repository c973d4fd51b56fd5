-- NOBill schema, version 1: the whole billing domain.
--
-- Runs in one transaction (the Migrator opens it) as the database owner. Rules followed
-- throughout:
--   * every constraint is named <table>_<what>_<kind>; services/database/
--     constraintmessages.cpp turns those names into sentences for the operator, so a
--     renamed constraint needs its message renamed too;
--   * ids are uuids, times are timestamptz, money is bigint minor units beside an ISO 4217
--     currency code;
--   * every tenant-scoped table carries organization_id, so that row-level security
--     (next migration) can call one SECURITY DEFINER function per policy with it;
--   * nothing that others refer to can be deleted: foreign keys restrict, except where a
--     row only makes sense with its parent (memberships, role permissions).

-- Rows written by this migration are audited as coming from a migration.
SELECT set_config('nobill.source', 'migration', true);

CREATE EXTENSION IF NOT EXISTS pg_trgm;

-------------------------------------------------------------------------------------------
-- Shared trigger functions
-------------------------------------------------------------------------------------------

-- Keeps updated_at current on every update of a table that has the column.
CREATE FUNCTION nobill_touch_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

-------------------------------------------------------------------------------------------
-- Tenants, people, permissions
-------------------------------------------------------------------------------------------

-- The tenants: one row per customer organization billed through Stripe (one Stripe
-- customer each). `version` is for optimistic locking; the tenant service increments it.
CREATE TABLE organizations (
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    name               text        NOT NULL,
    slug               text        NOT NULL,
    billing_email      text        NOT NULL,
    currency           text        NOT NULL,
    status             text        NOT NULL DEFAULT 'active',
    stripe_customer_id text        NULL,
    tax_id             text        NULL,
    address_line1      text        NULL,
    address_line2      text        NULL,
    postal_code        text        NULL,
    city               text        NULL,
    country            text        NULL,
    version            integer     NOT NULL DEFAULT 1,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT organizations_pkey PRIMARY KEY (id),
    CONSTRAINT organizations_name_check
        CHECK (btrim(name) <> '' AND length(name) <= 200),
    CONSTRAINT organizations_slug_format
        CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) BETWEEN 2 AND 63),
    CONSTRAINT organizations_slug_key UNIQUE (slug),
    CONSTRAINT organizations_billing_email_format
        CHECK (billing_email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(billing_email) <= 254),
    CONSTRAINT organizations_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT organizations_status_check CHECK (status IN ('active', 'suspended')),
    CONSTRAINT organizations_stripe_customer_id_key UNIQUE (stripe_customer_id),
    CONSTRAINT organizations_stripe_customer_id_format
        CHECK (stripe_customer_id ~ '^cus_[A-Za-z0-9_]+$'),
    CONSTRAINT organizations_tax_id_check CHECK (length(tax_id) <= 64),
    CONSTRAINT organizations_address_check
        CHECK (length(address_line1) <= 200 AND length(address_line2) <= 200
               AND length(postal_code) <= 20 AND length(city) <= 100),
    CONSTRAINT organizations_country_format CHECK (country ~ '^[A-Z]{2}$'),
    CONSTRAINT organizations_version_check CHECK (version > 0)
);

-- Keyset paging and sorting on the Tenants screen: every sort ends in id, the tiebreaker.
CREATE INDEX organizations_name_idx ON organizations (name, id);
CREATE INDEX organizations_created_at_idx ON organizations (created_at, id);
CREATE INDEX organizations_status_name_idx ON organizations (status, name, id);
CREATE INDEX organizations_currency_name_idx ON organizations (currency, name, id);
CREATE INDEX organizations_billing_email_idx ON organizations (billing_email, id);
-- The Tenants screen's text filter (name, slug, e-mail, Stripe customer id). A query uses
-- this index only if it repeats the expression exactly (services/tenants/tenantservice.cpp):
--   (name || ' ' || slug || ' ' || billing_email || ' ' || coalesce(stripe_customer_id, ''))
--       ILIKE '%...%'
CREATE INDEX organizations_search_trgm_idx ON organizations
    USING gin ((name || ' ' || slug || ' ' || billing_email || ' '
                || coalesce(stripe_customer_id, '')) gin_trgm_ops);

-- People: console operators (login_role = their PostgreSQL login) and tenant members who
-- never sign in to the console (login_role NULL). A platform admin may act on every
-- organization without a membership.
CREATE TABLE users (
    id                uuid        NOT NULL DEFAULT gen_random_uuid(),
    email             text        NOT NULL,
    display_name      text        NOT NULL,
    login_role        text        NULL,
    is_platform_admin boolean     NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    disabled_at       timestamptz NULL,
    CONSTRAINT users_pkey PRIMARY KEY (id),
    CONSTRAINT users_email_format
        CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
    CONSTRAINT users_display_name_check
        CHECK (btrim(display_name) <> '' AND length(display_name) <= 200),
    CONSTRAINT users_login_role_format
        CHECK (login_role ~ '^[a-z_][a-z0-9_.-]*$' AND length(login_role) <= 63),
    CONSTRAINT users_login_role_key UNIQUE (login_role)
);
-- E-mail addresses are unique whatever their case.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- The catalog of permission keys the code checks ('area.verb'). Platform-scoped
-- permissions act on shared data (the plan catalog, the webhook inbox, the job queue).
CREATE TABLE permissions (
    key         text NOT NULL,
    description text NOT NULL,
    scope       text NOT NULL DEFAULT 'organization',
    CONSTRAINT permissions_pkey PRIMARY KEY (key),
    CONSTRAINT permissions_key_format CHECK (key ~ '^[a-z]+\.[a-z]+$'),
    CONSTRAINT permissions_scope_check CHECK (scope IN ('organization', 'platform'))
);

INSERT INTO permissions (key, description, scope) VALUES
    ('tenants.read',         'See tenants, their details and members',               'organization'),
    ('tenants.manage',       'Create, edit and suspend tenants',                     'organization'),
    ('members.manage',       'Add and remove members and change their roles',        'organization'),
    ('roles.manage',         'Create, edit and delete custom roles',                 'organization'),
    ('plans.manage',         'Create, archive and version products and plans',       'platform'),
    ('subscriptions.read',   'See subscriptions',                                    'organization'),
    ('subscriptions.manage', 'Start, change, pause and cancel subscriptions',        'organization'),
    ('usage.read',           'See usage records',                                    'organization'),
    ('usage.import',         'Import usage records',                                 'organization'),
    ('invoices.read',        'See invoices',                                         'organization'),
    ('invoices.manage',      'Finalize, send, void and mark invoices',               'organization'),
    ('audit.read',           'Read the audit trail',                                 'organization'),
    ('webhooks.read',        'See received Stripe events',                           'organization'),
    ('webhooks.manage',      'Replay and ignore Stripe events',                      'platform'),
    ('jobs.manage',          'Retry and cancel background jobs',                     'platform');

-- Roles: bundles of permissions. organization_id NULL marks the built-in roles shared by
-- every organization (key set, is_builtin true); custom roles belong to one organization.
CREATE TABLE roles (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id uuid        NULL,
    key             text        NULL,
    name            text        NOT NULL,
    description     text        NOT NULL DEFAULT '',
    is_builtin      boolean     NOT NULL DEFAULT false,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT roles_pkey PRIMARY KEY (id),
    CONSTRAINT roles_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT roles_name_check CHECK (btrim(name) <> '' AND length(name) <= 100),
    CONSTRAINT roles_description_check CHECK (length(description) <= 1000),
    CONSTRAINT roles_key_format CHECK (key ~ '^[a-z][a-z0-9_]*$' AND length(key) <= 63),
    CONSTRAINT roles_builtin_check
        CHECK (is_builtin = (organization_id IS NULL) AND (NOT is_builtin OR key IS NOT NULL))
);
-- One name per organization whatever its case; the built-ins (NULL organization) count as
-- one organization of their own.
CREATE UNIQUE INDEX roles_name_key ON roles (organization_id, lower(name)) NULLS NOT DISTINCT;
CREATE UNIQUE INDEX roles_key_key ON roles (organization_id, key) NULLS NOT DISTINCT
    WHERE key IS NOT NULL;

-- Which permissions a role grants.
CREATE TABLE role_permissions (
    role_id        uuid NOT NULL,
    permission_key text NOT NULL,
    CONSTRAINT role_permissions_pkey PRIMARY KEY (role_id, permission_key),
    CONSTRAINT role_permissions_role_id_fkey FOREIGN KEY (role_id)
        REFERENCES roles (id) ON DELETE CASCADE,
    CONSTRAINT role_permissions_permission_key_fkey FOREIGN KEY (permission_key)
        REFERENCES permissions (key) ON DELETE CASCADE
);
CREATE INDEX role_permissions_permission_key_idx ON role_permissions (permission_key);

-- Who belongs to which organization, with one role there.
CREATE TABLE memberships (
    organization_id uuid        NOT NULL,
    user_id         uuid        NOT NULL,
    role_id         uuid        NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT memberships_pkey PRIMARY KEY (organization_id, user_id),
    CONSTRAINT memberships_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE CASCADE,
    CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT memberships_role_id_fkey FOREIGN KEY (role_id)
        REFERENCES roles (id) ON DELETE RESTRICT
);
CREATE INDEX memberships_user_id_idx ON memberships (user_id);
CREATE INDEX memberships_role_id_idx ON memberships (role_id);

-- A membership's role is a built-in one or one of the same organization. Raised like a
-- constraint violation so that the constraint message applies.
CREATE FUNCTION nobill_check_membership_role() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM roles r
                   WHERE r.id = NEW.role_id
                     AND (r.organization_id IS NULL OR r.organization_id = NEW.organization_id))
    THEN
        RAISE EXCEPTION 'new row for relation "memberships" violates constraint "memberships_role_scope_check"'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'memberships_role_scope_check',
                  TABLE = 'memberships';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER memberships_role_scope_check
    BEFORE INSERT OR UPDATE OF organization_id, role_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION nobill_check_membership_role();

-------------------------------------------------------------------------------------------
-- Catalog: products and plans (not tenant-scoped)
-------------------------------------------------------------------------------------------

-- What we sell; one Stripe product each.
CREATE TABLE products (
    id                uuid        NOT NULL DEFAULT gen_random_uuid(),
    name              text        NOT NULL,
    description       text        NOT NULL DEFAULT '',
    stripe_product_id text        NULL,
    archived_at       timestamptz NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT products_pkey PRIMARY KEY (id),
    CONSTRAINT products_name_check CHECK (btrim(name) <> '' AND length(name) <= 200),
    CONSTRAINT products_description_check CHECK (length(description) <= 2000),
    CONSTRAINT products_stripe_product_id_key UNIQUE (stripe_product_id),
    CONSTRAINT products_stripe_product_id_format CHECK (stripe_product_id ~ '^prod_[A-Za-z0-9_]+$')
);
CREATE UNIQUE INDEX products_name_key ON products (lower(name)) WHERE archived_at IS NULL;

-- Plans are Stripe prices: immutable terms once in Stripe, archived rather than deleted,
-- versioned by a new plan that replaces the old one. A metered plan charges `amount` per
-- unit of `metric` (reported to a Stripe meter); a licensed plan charges `amount` per seat.
CREATE TABLE plans (
    id               uuid        NOT NULL DEFAULT gen_random_uuid(),
    product_id       uuid        NOT NULL,
    name             text        NOT NULL,
    amount           bigint      NOT NULL,
    currency         text        NOT NULL,
    interval         text        NOT NULL DEFAULT 'month',
    interval_count   integer     NOT NULL DEFAULT 1,
    usage_type       text        NOT NULL DEFAULT 'licensed',
    metric           text        NULL,
    trial_days       integer     NOT NULL DEFAULT 0,
    stripe_price_id  text        NULL,
    stripe_meter_id  text        NULL,
    replaces_plan_id uuid        NULL,
    archived_at      timestamptz NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT plans_pkey PRIMARY KEY (id),
    CONSTRAINT plans_product_id_fkey FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE RESTRICT,
    CONSTRAINT plans_replaces_plan_id_fkey FOREIGN KEY (replaces_plan_id)
        REFERENCES plans (id) ON DELETE RESTRICT,
    CONSTRAINT plans_name_check CHECK (btrim(name) <> '' AND length(name) <= 200),
    CONSTRAINT plans_amount_check CHECK (amount >= 0),
    CONSTRAINT plans_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT plans_interval_check CHECK (interval IN ('day', 'week', 'month', 'year')),
    CONSTRAINT plans_interval_count_check CHECK (interval_count > 0),
    CONSTRAINT plans_usage_type_check CHECK (usage_type IN ('licensed', 'metered')),
    CONSTRAINT plans_metric_check
        CHECK ((usage_type = 'metered') = (metric IS NOT NULL)
               AND (metric IS NULL OR (metric ~ '^[a-z][a-z0-9_]*$' AND length(metric) <= 100))),
    CONSTRAINT plans_trial_days_check CHECK (trial_days >= 0 AND trial_days <= 730),
    CONSTRAINT plans_stripe_price_id_key UNIQUE (stripe_price_id),
    CONSTRAINT plans_stripe_price_id_format CHECK (stripe_price_id ~ '^price_[A-Za-z0-9_]+$'),
    CONSTRAINT plans_stripe_meter_id_format CHECK (stripe_meter_id ~ '^mtr_[A-Za-z0-9_]+$'),
    CONSTRAINT plans_replaces_plan_id_check CHECK (replaces_plan_id <> id)
);
CREATE INDEX plans_product_id_idx ON plans (product_id);
CREATE INDEX plans_replaces_plan_id_idx ON plans (replaces_plan_id);

-- Stripe prices cannot change their terms nor be deleted: once a plan has its Stripe
-- price, the same holds here (archive it and create a new version instead).
CREATE FUNCTION nobill_guard_plan() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.stripe_price_id IS NOT NULL THEN
            RAISE EXCEPTION 'delete on table "plans" violates constraint "plans_stripe_price_delete_check"'
                USING ERRCODE = 'foreign_key_violation',
                      CONSTRAINT = 'plans_stripe_price_delete_check', TABLE = 'plans';
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.stripe_price_id IS NOT NULL
       AND (NEW.amount, NEW.currency, NEW.interval, NEW.interval_count, NEW.usage_type, NEW.metric,
            NEW.product_id)
           IS DISTINCT FROM
           (OLD.amount, OLD.currency, OLD.interval, OLD.interval_count, OLD.usage_type, OLD.metric,
            OLD.product_id)
    THEN
        RAISE EXCEPTION 'update on table "plans" violates constraint "plans_terms_immutable_check"'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = 'plans_terms_immutable_check', TABLE = 'plans';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER plans_guard
    BEFORE UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION nobill_guard_plan();

-------------------------------------------------------------------------------------------
-- Billing: subscriptions, usage, invoices (tenant-scoped)
-------------------------------------------------------------------------------------------

-- A tenant's subscription to one plan, mirrored from Stripe (statuses are Stripe's).
CREATE TABLE subscriptions (
    id                     uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id        uuid        NOT NULL,
    plan_id                uuid        NOT NULL,
    status                 text        NOT NULL DEFAULT 'incomplete',
    quantity               integer     NOT NULL DEFAULT 1,
    collection_method      text        NOT NULL DEFAULT 'charge_automatically',
    days_until_due         integer     NULL,
    current_period_start   timestamptz NULL,
    current_period_end     timestamptz NULL,
    cancel_at_period_end   boolean     NOT NULL DEFAULT false,
    canceled_at            timestamptz NULL,
    trial_end              timestamptz NULL,
    stripe_subscription_id text        NULL,
    version                integer     NOT NULL DEFAULT 1,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT subscriptions_pkey PRIMARY KEY (id),
    -- Target of the (id, organization_id) foreign keys below: a usage record or invoice
    -- always belongs to the same organization as its subscription.
    CONSTRAINT subscriptions_id_organization_id_key UNIQUE (id, organization_id),
    CONSTRAINT subscriptions_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT subscriptions_plan_id_fkey FOREIGN KEY (plan_id)
        REFERENCES plans (id) ON DELETE RESTRICT,
    CONSTRAINT subscriptions_status_check CHECK (status IN ('incomplete', 'incomplete_expired',
        'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
    CONSTRAINT subscriptions_quantity_check CHECK (quantity >= 0),
    CONSTRAINT subscriptions_collection_method_check
        CHECK (collection_method IN ('charge_automatically', 'send_invoice')),
    -- Stripe requires days_until_due for invoices sent to the customer, and only for them.
    CONSTRAINT subscriptions_days_until_due_check
        CHECK (CASE WHEN collection_method = 'send_invoice'
                    THEN days_until_due IS NOT NULL AND days_until_due BETWEEN 0 AND 365
                    ELSE days_until_due IS NULL END),
    CONSTRAINT subscriptions_period_check CHECK (current_period_end >= current_period_start),
    CONSTRAINT subscriptions_stripe_subscription_id_key UNIQUE (stripe_subscription_id),
    CONSTRAINT subscriptions_stripe_subscription_id_format
        CHECK (stripe_subscription_id ~ '^sub_[A-Za-z0-9_]+$'),
    CONSTRAINT subscriptions_version_check CHECK (version > 0)
);
CREATE INDEX subscriptions_organization_id_status_idx ON subscriptions (organization_id, status);
CREATE INDEX subscriptions_status_period_end_idx ON subscriptions (status, current_period_end);
CREATE INDEX subscriptions_plan_id_idx ON subscriptions (plan_id);

-- Metered usage, imported in bulk and reported to Stripe meters by the worker. The
-- idempotency key makes a re-import of the same file harmless. Not audited row by row (an
-- import writes one summary audit row).
CREATE TABLE usage_records (
    id                    uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id       uuid        NOT NULL,
    subscription_id       uuid        NULL,
    metric                text        NOT NULL,
    quantity              bigint      NOT NULL,
    occurred_at           timestamptz NOT NULL,
    idempotency_key       text        NOT NULL,
    reported_state        text        NOT NULL DEFAULT 'unreported',
    reported_at           timestamptz NULL,
    stripe_meter_event_id text        NULL,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT usage_records_pkey PRIMARY KEY (id),
    CONSTRAINT usage_records_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT usage_records_subscription_id_fkey FOREIGN KEY (subscription_id, organization_id)
        REFERENCES subscriptions (id, organization_id) ON DELETE RESTRICT,
    CONSTRAINT usage_records_metric_format
        CHECK (metric ~ '^[a-z][a-z0-9_]*$' AND length(metric) <= 100),
    CONSTRAINT usage_records_quantity_check CHECK (quantity >= 0),
    CONSTRAINT usage_records_idempotency_key_check
        CHECK (btrim(idempotency_key) <> '' AND length(idempotency_key) <= 255),
    CONSTRAINT usage_records_idempotency_key_key UNIQUE (organization_id, idempotency_key),
    CONSTRAINT usage_records_reported_state_check
        CHECK (reported_state IN ('unreported', 'reported', 'failed')),
    CONSTRAINT usage_records_reported_at_check
        CHECK (reported_state <> 'reported' OR reported_at IS NOT NULL)
);
CREATE INDEX usage_records_organization_id_occurred_at_idx
    ON usage_records (organization_id, occurred_at, id);
CREATE INDEX usage_records_subscription_id_metric_idx
    ON usage_records (subscription_id, metric, occurred_at);
-- The worker's queue of records still to report to Stripe.
CREATE INDEX usage_records_unreported_idx ON usage_records (occurred_at, id)
    WHERE reported_state = 'unreported';

-- Invoices, mirrored from Stripe. Amounts in minor units of the invoice's currency.
CREATE TABLE invoices (
    id                 uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id    uuid        NOT NULL,
    subscription_id    uuid        NULL,
    number             text        NULL,
    status             text        NOT NULL DEFAULT 'draft',
    currency           text        NOT NULL,
    subtotal           bigint      NOT NULL DEFAULT 0,
    tax                bigint      NOT NULL DEFAULT 0,
    total              bigint      NOT NULL DEFAULT 0,
    amount_due         bigint      NOT NULL DEFAULT 0,
    amount_paid        bigint      NOT NULL DEFAULT 0,
    amount_remaining   bigint      NOT NULL DEFAULT 0,
    period_start       timestamptz NULL,
    period_end         timestamptz NULL,
    due_date           timestamptz NULL,
    hosted_invoice_url text        NULL,
    stripe_invoice_id  text        NULL,
    created_at         timestamptz NOT NULL DEFAULT now(),
    finalized_at       timestamptz NULL,
    paid_at            timestamptz NULL,
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT invoices_pkey PRIMARY KEY (id),
    CONSTRAINT invoices_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT invoices_subscription_id_fkey FOREIGN KEY (subscription_id, organization_id)
        REFERENCES subscriptions (id, organization_id) ON DELETE RESTRICT,
    CONSTRAINT invoices_number_key UNIQUE (number),
    CONSTRAINT invoices_number_check CHECK (btrim(number) <> '' AND length(number) <= 64),
    CONSTRAINT invoices_status_check
        CHECK (status IN ('draft', 'open', 'paid', 'void', 'uncollectible')),
    CONSTRAINT invoices_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT invoices_amounts_check
        CHECK (subtotal >= 0 AND tax >= 0 AND total >= 0 AND amount_due >= 0
               AND amount_paid >= 0 AND amount_remaining >= 0),
    CONSTRAINT invoices_period_check CHECK (period_end >= period_start),
    CONSTRAINT invoices_hosted_invoice_url_check
        CHECK (hosted_invoice_url ~ '^https://' AND length(hosted_invoice_url) <= 2000),
    CONSTRAINT invoices_stripe_invoice_id_key UNIQUE (stripe_invoice_id),
    CONSTRAINT invoices_stripe_invoice_id_format CHECK (stripe_invoice_id ~ '^in_[A-Za-z0-9_]+$')
);
CREATE INDEX invoices_organization_id_created_at_idx ON invoices (organization_id, created_at, id);
CREATE INDEX invoices_status_due_date_idx ON invoices (status, due_date);
CREATE INDEX invoices_subscription_id_idx ON invoices (subscription_id);

-------------------------------------------------------------------------------------------
-- Stripe webhook inbox and the durable job queue
-------------------------------------------------------------------------------------------

-- Every Stripe event received (pushed to the listener or pulled from the Events API),
-- stored before it is acknowledged and processed at least once, possibly out of order.
CREATE TABLE stripe_events (
    id             text        NOT NULL,
    type           text        NOT NULL,
    api_version    text        NULL,
    stripe_created timestamptz NOT NULL,
    object_id      text        NULL,
    livemode       boolean     NOT NULL DEFAULT false,
    payload        jsonb       NOT NULL,
    source         text        NOT NULL DEFAULT 'push',
    status         text        NOT NULL DEFAULT 'received',
    attempts       integer     NOT NULL DEFAULT 0,
    last_error     text        NULL,
    received_at    timestamptz NOT NULL DEFAULT now(),
    processed_at   timestamptz NULL,
    CONSTRAINT stripe_events_pkey PRIMARY KEY (id),
    CONSTRAINT stripe_events_id_format CHECK (id ~ '^evt_[A-Za-z0-9_]+$'),
    CONSTRAINT stripe_events_type_check CHECK (btrim(type) <> '' AND length(type) <= 200),
    CONSTRAINT stripe_events_source_check CHECK (source IN ('push', 'pull')),
    CONSTRAINT stripe_events_status_check
        CHECK (status IN ('received', 'processed', 'ignored', 'waiting', 'failed')),
    CONSTRAINT stripe_events_attempts_check CHECK (attempts >= 0)
);
CREATE INDEX stripe_events_status_received_at_idx ON stripe_events (status, received_at);
CREATE INDEX stripe_events_object_id_idx ON stripe_events (object_id, stripe_created);

-- Durable work queue: everything that changes Stripe is a job, executed by the worker
-- with the job's idempotency key (Stripe keys are at most 255 characters). Claimed with
-- FOR UPDATE SKIP LOCKED; a lease that runs out makes a running job claimable again.
CREATE TABLE jobs (
    id              uuid        NOT NULL DEFAULT gen_random_uuid(),
    organization_id uuid        NULL,
    kind            text        NOT NULL,
    payload         jsonb       NOT NULL DEFAULT '{}'::jsonb,
    idempotency_key text        NOT NULL,
    status          text        NOT NULL DEFAULT 'queued',
    attempts        integer     NOT NULL DEFAULT 0,
    max_attempts    integer     NOT NULL DEFAULT 8,
    run_after       timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz NULL,
    locked_by       text        NULL,
    last_error      text        NULL,
    result          jsonb       NULL,
    requested_by    text        NOT NULL DEFAULT current_user,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT jobs_pkey PRIMARY KEY (id),
    CONSTRAINT jobs_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT,
    CONSTRAINT jobs_kind_format CHECK (kind ~ '^[a-z][a-z0-9_.]*$' AND length(kind) <= 100),
    CONSTRAINT jobs_idempotency_key_check
        CHECK (btrim(idempotency_key) <> '' AND length(idempotency_key) <= 255),
    CONSTRAINT jobs_idempotency_key_key UNIQUE (idempotency_key),
    CONSTRAINT jobs_status_check
        CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    CONSTRAINT jobs_attempts_check CHECK (attempts >= 0),
    CONSTRAINT jobs_max_attempts_check CHECK (max_attempts > 0)
);
-- Claiming: the next queued job whose time has come.
CREATE INDEX jobs_claim_idx ON jobs (run_after) WHERE status = 'queued';
CREATE INDEX jobs_status_updated_at_idx ON jobs (status, updated_at);
CREATE INDEX jobs_organization_id_idx ON jobs (organization_id, created_at);

-------------------------------------------------------------------------------------------
-- Audit trail
-------------------------------------------------------------------------------------------

-- Append-only record of every change to the audited tables: who, when, from where, what.
-- No foreign keys: the trail outlives what it describes. prev_hash/hash chain each row to
-- the previous one (filled in by the next migration), so that a rewrite is detectable.
CREATE TABLE audit_log (
    id              bigint      GENERATED ALWAYS AS IDENTITY,
    occurred_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    login           text        NOT NULL DEFAULT current_user,
    app_user_id     uuid        NULL,
    organization_id uuid        NULL,
    source          text        NOT NULL
        DEFAULT coalesce(nullif(current_setting('nobill.source', true), ''), 'cli'),
    action          text        NOT NULL,
    entity          text        NOT NULL,
    entity_id       text        NULL,
    before          jsonb       NULL,
    after           jsonb       NULL,
    changed         jsonb       NULL,
    prev_hash       bytea       NULL,
    hash            bytea       NULL,
    CONSTRAINT audit_log_pkey PRIMARY KEY (id),
    CONSTRAINT audit_log_source_check
        CHECK (source IN ('console', 'cli', 'webhook', 'worker', 'migration')),
    CONSTRAINT audit_log_action_check CHECK (action IN ('insert', 'update', 'delete', 'import'))
);
CREATE INDEX audit_log_occurred_at_idx ON audit_log (occurred_at, id);
CREATE INDEX audit_log_organization_id_idx ON audit_log (organization_id, occurred_at);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);

-- AFTER INSERT/UPDATE/DELETE FOR EACH ROW on an audited table. Arguments, both optional:
--   1. the key column(s) of the table, comma-separated (default 'id'), joined by '/' into
--      entity_id;
--   2. columns whose changes alone are not worth a row, comma-separated (updated_at and
--      version never are).
-- `changed` holds, for an update, the new values of the columns that changed (except the
-- ignored ones); an update that changes nothing else writes no row.
-- SECURITY DEFINER so that, once operators may no longer write audit_log themselves, the
-- trigger still can; the login recorded is therefore session_user (the signed-in role),
-- not current_user (which is the owner inside this function).
CREATE FUNCTION nobill_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    old_row    jsonb := CASE WHEN TG_OP IN ('UPDATE', 'DELETE') THEN to_jsonb(OLD) END;
    new_row    jsonb := CASE WHEN TG_OP IN ('INSERT', 'UPDATE') THEN to_jsonb(NEW) END;
    row_data   jsonb := coalesce(new_row, old_row);
    key_cols   text[] := string_to_array(coalesce(nullif(TG_ARGV[0], ''), 'id'), ',');
    ignored    text[] := ARRAY['updated_at', 'version']
                         || coalesce(string_to_array(nullif(TG_ARGV[1], ''), ','), '{}');
    diff       jsonb;
    org_id     uuid;
    src        text := current_setting('nobill.source', true);
    user_id    uuid;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(jsonb_object_agg(n.key, n.value), '{}'::jsonb) INTO diff
        FROM jsonb_each(new_row) AS n
        WHERE n.key <> ALL (ignored)
          AND n.value IS DISTINCT FROM old_row -> n.key;
        IF diff = '{}'::jsonb THEN
            RETURN NULL;
        END IF;
    END IF;

    IF TG_TABLE_NAME = 'organizations' THEN
        org_id := (row_data ->> 'id')::uuid;
    ELSIF row_data ? 'organization_id' THEN
        org_id := (row_data ->> 'organization_id')::uuid;
    ELSIF TG_TABLE_NAME = 'role_permissions' THEN
        SELECT r.organization_id INTO org_id FROM roles r WHERE r.id = (row_data ->> 'role_id')::uuid;
    END IF;

    IF src IS NULL OR src NOT IN ('console', 'cli', 'webhook', 'worker', 'migration') THEN
        src := 'cli';
    END IF;

    SELECT u.id INTO user_id FROM users u WHERE u.login_role = session_user::text;

    INSERT INTO audit_log (login, app_user_id, organization_id, source, action, entity,
                           entity_id, before, after, changed)
    VALUES (session_user::text, user_id, org_id, src, lower(TG_OP), TG_TABLE_NAME,
            (SELECT string_agg(row_data ->> k, '/' ORDER BY ord)
             FROM unnest(key_cols) WITH ORDINALITY AS c(k, ord)),
            old_row, new_row, diff);
    RETURN NULL;
END;
$$;

-------------------------------------------------------------------------------------------
-- Triggers
-------------------------------------------------------------------------------------------

CREATE TRIGGER organizations_touch BEFORE UPDATE ON organizations
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER users_touch BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER roles_touch BEFORE UPDATE ON roles
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER memberships_touch BEFORE UPDATE ON memberships
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER products_touch BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER plans_touch BEFORE UPDATE ON plans
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER subscriptions_touch BEFORE UPDATE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER invoices_touch BEFORE UPDATE ON invoices
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();
CREATE TRIGGER jobs_touch BEFORE UPDATE ON jobs
    FOR EACH ROW EXECUTE FUNCTION nobill_touch_updated_at();

CREATE TRIGGER organizations_audit AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER users_audit AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER memberships_audit AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row('organization_id,user_id');
CREATE TRIGGER roles_audit AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER role_permissions_audit AFTER INSERT OR UPDATE OR DELETE ON role_permissions
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row('role_id,permission_key');
CREATE TRIGGER products_audit AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER plans_audit AFTER INSERT OR UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER subscriptions_audit AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
CREATE TRIGGER invoices_audit AFTER INSERT OR UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row();
-- A worker renewing its lease is not news; a status change is.
CREATE TRIGGER jobs_audit AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_row('id', 'lease_until');

-------------------------------------------------------------------------------------------
-- Built-in roles (shared by every organization)
-------------------------------------------------------------------------------------------

INSERT INTO roles (organization_id, key, name, description, is_builtin) VALUES
    (NULL, 'owner',   'Owner',   'Everything, including the platform-wide catalog and queues.', true),
    (NULL, 'admin',   'Admin',   'Everything in the organization: members, roles, billing.', true),
    (NULL, 'finance', 'Finance', 'Reads everything; manages subscriptions and invoices, imports usage.', true),
    (NULL, 'support', 'Support', 'Reads tenants, subscriptions, invoices, usage and Stripe events.', true),
    (NULL, 'viewer',  'Viewer',  'Reads everything, changes nothing.', true);

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, p.key
FROM roles r
JOIN permissions p ON CASE r.key
        WHEN 'owner'   THEN true
        WHEN 'admin'   THEN p.scope = 'organization'
        WHEN 'finance' THEN p.key LIKE '%.read'
                            OR p.key IN ('subscriptions.manage', 'invoices.manage', 'usage.import')
        WHEN 'support' THEN p.key IN ('tenants.read', 'subscriptions.read', 'invoices.read',
                                      'usage.read', 'webhooks.read')
        WHEN 'viewer'  THEN p.key LIKE '%.read'
    END
WHERE r.organization_id IS NULL;
