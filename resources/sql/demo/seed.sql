-- Demo data for `nobill-console --demo` and `nobillctl demo`: a believable platform with a
-- dozen tenants, their people, a small catalog, subscriptions in every Stripe status, six
-- months of metered usage (100,000 records) and a year of invoices.
--
-- Run by seedDemoData() in one transaction, into a freshly migrated, empty database.
-- Deterministic: no random(); everything derives from generate_series and modular
-- arithmetic, and every date is relative to the hour of seeding, so two databases seeded
-- the same day hold the same names, amounts and quantities (only uuids differ).
-- The audit triggers record the rows as they are written.

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM organizations) OR EXISTS (SELECT 1 FROM users) THEN
        RAISE EXCEPTION 'This database already holds tenants or users. Demo data is only added to an empty database.';
    END IF;
END;
$$;

-- JIT compilation costs more than it saves on these one-off statements.
SET LOCAL jit = off;

-- The clock every date below is relative to: the hour of seeding, unless the session sets
-- nobill.demo_anchor (a timestamptz) for reproducible data (tests, screenshots, benchmarks).
CREATE TEMP TABLE demo_clock ON COMMIT DROP AS
SELECT coalesce(nullif(current_setting('nobill.demo_anchor', true), '')::timestamptz,
                date_trunc('hour', now())) AS anchor;

-------------------------------------------------------------------------------------------
-- Tenants
-------------------------------------------------------------------------------------------

CREATE TEMP TABLE demo_orgs (
    no integer, name text, slug text, domain text, currency text, status text,
    tax_id text, address_line1 text, postal_code text, city text, country text,
    tax_rate numeric, age_days integer
) ON COMMIT DROP;

INSERT INTO demo_orgs VALUES
    ( 1, 'Brightwave Analytics GmbH', 'brightwave',         'brightwave.de',      'EUR', 'active',    'DE298765432',   'Torstraße 49',            '10119', 'Berlin',        'DE', 0.19, 560),
    ( 2, 'Nordlicht Logistik AG',     'nordlicht-logistik', 'nordlicht-log.de',   'EUR', 'active',    'DE811234567',   'Am Sandtorkai 12',        '20457', 'Hamburg',       'DE', 0.19, 720),
    ( 3, 'Café Oberkampf SAS',        'cafe-oberkampf',     'oberkampf.fr',       'EUR', 'active',    'FR40123456789', '112 rue Oberkampf',       '75011', 'Paris',         'FR', 0.20, 400),
    ( 4, 'Tulip & Tide B.V.',         'tulip-and-tide',     'tulipandtide.nl',    'EUR', 'active',    'NL859412376B01','Keizersgracht 221',       '1016 DV','Amsterdam',    'NL', 0.21, 140),
    ( 5, 'Azul Viajes S.L.',          'azul-viajes',        'azulviajes.es',      'EUR', 'active',    'ESB87654321',   'Calle de Alcalá 87',      '28009', 'Madrid',        'ES', 0.21, 20),
    ( 6, 'Kuusi Labs Oy',             'kuusi-labs',         'kuusilabs.fi',       'EUR', 'active',    'FI27364519',    'Mannerheimintie 14',      '00100', 'Helsinki',      'FI', 0.24, 300),
    ( 7, 'Redwood Robotics Inc.',     'redwood-robotics',   'redwoodrobotics.com','USD', 'active',    NULL,            '500 Howard Street',       '94105', 'San Francisco', 'US', 0.00, 520),
    ( 8, 'Harbor & Pine LLC',         'harbor-and-pine',    'harborandpine.com',  'USD', 'active',    NULL,            '1120 NW Couch Street',    '97209', 'Portland',      'US', 0.00, 430),
    ( 9, 'Lumen Health Inc.',         'lumen-health',       'lumenhealth.io',     'USD', 'active',    NULL,            '75 State Street',         '02109', 'Boston',        'US', 0.00, 30),
    (10, 'Prairie Seed Co.',          'prairie-seed',       'prairieseed.com',    'USD', 'suspended', NULL,            '210 N 4th Street',        '68508', 'Lincoln',       'US', 0.00, 600),
    (11, 'Thistle & Thorn Ltd',       'thistle-and-thorn',  'thistleandthorn.co.uk','GBP','active',   'GB123456789',   '18 Rose Street',          'EH2 2PR','Edinburgh',    'GB', 0.20, 45),
    (12, 'Kestrel Data Ltd',          'kestrel-data',       'kestreldata.co.uk',  'GBP', 'active',    'GB987654321',   '3 Tabernacle Street',     'EC2A 4AA','London',      'GB', 0.20, 15);

INSERT INTO organizations (name, slug, billing_email, currency, status, stripe_customer_id,
                           tax_id, address_line1, postal_code, city, country, created_at,
                           updated_at)
SELECT o.name, o.slug, 'billing@' || o.domain, o.currency, o.status,
       'cus_demo' || lpad(o.no::text, 4, '0'), o.tax_id, o.address_line1, o.postal_code, o.city,
       o.country, c.anchor - make_interval(days => o.age_days),
       c.anchor - make_interval(days => o.age_days)
FROM demo_orgs o CROSS JOIN demo_clock c
ORDER BY o.no;

-------------------------------------------------------------------------------------------
-- People: one platform admin (the login that seeded the demo) and 59 tenant members
-------------------------------------------------------------------------------------------

CREATE TEMP TABLE demo_users ON COMMIT DROP AS
WITH names AS (
    SELECT ARRAY['Anna', 'Ben', 'Chloé', 'David', 'Elif', 'Felix', 'Greta', 'Hamza', 'Ines',
                 'Jonas', 'Keiko', 'Lars', 'Maja', 'Nico', 'Olivia', 'Pablo', 'Quinn', 'Rosa',
                 'Samir', 'Tanja', 'Umar', 'Vera', 'William', 'Xenia', 'Yusuf', 'Zoé', 'Aaron',
                 'Bianca', 'Carlos', 'Dana', 'Emil', 'Fatima', 'Gustav', 'Hanna', 'Ivan',
                 'Julia', 'Kofi', 'Lena', 'Mateo', 'Nora', 'Oscar', 'Priya', 'Rafael',
                 'Sofia', 'Theo', 'Ulla', 'Viktor', 'Wen', 'Yara', 'Zeynep', 'Amelie',
                 'Bruno', 'Clara', 'Diego', 'Eva', 'Finn', 'Grace', 'Henrik', 'Isla',
                 'Jakob'] AS firsts,
           ARRAY['Whitfield', 'Schneider', 'Dubois', 'van Dijk', 'García', 'Virtanen',
                 'Chen', 'Okafor', 'Müller', 'Rossi', 'Nakamura', 'Larsen', 'Novak', 'Fischer',
                 'Bennett', 'Moreau', 'Jansen', 'López', 'Haddad', 'Korhonen', 'Patel',
                 'Weber', 'Murphy', 'Ivanova', 'Demir', 'Lefèvre', 'Becker', 'Costa',
                 'Sánchez', 'Kowalski', 'Lindqvist', 'Rahman', 'Berg', 'Hoffmann', 'Petrov',
                 'Martin', 'Mensah', 'Wagner', 'Romero', 'Holm', 'Nilsson', 'Sharma',
                 'Silva', 'Bauer', 'Clarke', 'Andersen', 'Horvat', 'Zhang', 'Haas',
                 'Yılmaz', 'Richter', 'Ferreira', 'Meyer', 'Ortega', 'Lund', 'Walsh',
                 'Kim', 'Sørensen', 'Campbell', 'Brandt'] AS lasts
)
SELECT g AS no,
       n.firsts[g] AS first_name,
       n.lasts[(g * 37) % 60 + 1] AS last_name,
       -- members 2..60 go round the twelve tenants; their rank there picks the role
       CASE WHEN g = 1 THEN NULL ELSE (g - 2) % 12 + 1 END AS org_no,
       CASE WHEN g = 1 THEN NULL ELSE (g - 2) / 12 END AS rank
FROM names n, generate_series(1, 60) AS g;

INSERT INTO users (email, display_name, login_role, is_platform_admin, created_at, updated_at,
                   disabled_at)
SELECT lower(translate(u.first_name || '.' || replace(u.last_name, ' ', ''),
                       'áàâäãåçéèêëíìîïñóòôöõøúùûüýıÁÉÖÜØ', 'aaaaaaceeeeiiiinoooooouuuuyiAEOUO'))
           || '@' || coalesce(o.domain, 'nobill.example'),
       u.first_name || ' ' || u.last_name,
       -- the login that seeds the demo is its platform admin, so that the console knows who
       -- it is and the audit trail names a person
       CASE WHEN u.no = 1 AND session_user::text ~ '^[a-z_][a-z0-9_.-]*$'
            THEN session_user::text END,
       u.no = 1,
       c.anchor - make_interval(days => coalesce(o.age_days, 800) - (u.no % 5)),
       c.anchor - make_interval(days => coalesce(o.age_days, 800) - (u.no % 5)),
       CASE WHEN u.no % 19 = 0 THEN c.anchor - make_interval(days => u.no % 30 + 1) END
FROM demo_users u
LEFT JOIN demo_orgs o ON o.no = u.org_no
CROSS JOIN demo_clock c
ORDER BY u.no;

-- A custom role, so that the roles screen has one to show.
INSERT INTO roles (organization_id, name, description)
SELECT id, 'Billing Clerk', 'Sees subscriptions; prepares and sends invoices.'
FROM organizations WHERE slug = 'brightwave';

INSERT INTO role_permissions (role_id, permission_key)
SELECT r.id, p.key
FROM roles r, permissions p
WHERE r.name = 'Billing Clerk'
  AND p.key IN ('tenants.read', 'subscriptions.read', 'invoices.read', 'invoices.manage');

-- Ranks 0..4 in a tenant: Owner, Admin, Finance, Support, Viewer; the Brightwave viewer is
-- its billing clerk instead. Two Finance people also help out a second tenant.
INSERT INTO memberships (organization_id, user_id, role_id, created_at, updated_at)
SELECT org.id, usr.id,
       coalesce(custom.id, builtin.id),
       usr.created_at, usr.created_at
FROM demo_users u
JOIN demo_orgs o ON o.no = u.org_no
JOIN organizations org ON org.slug = o.slug
JOIN users usr ON usr.display_name = u.first_name || ' ' || u.last_name
JOIN roles builtin ON builtin.organization_id IS NULL
                  AND builtin.key = (ARRAY['owner', 'admin', 'finance', 'support', 'viewer'])[u.rank + 1]
LEFT JOIN roles custom ON custom.organization_id = org.id AND o.slug = 'brightwave'
                      AND u.rank = 4
ORDER BY u.no;

INSERT INTO memberships (organization_id, user_id, role_id, created_at, updated_at)
SELECT org.id, m.user_id, r.id, c.anchor - interval '90 days', c.anchor - interval '90 days'
FROM (VALUES ('brightwave', 'kuusi-labs'), ('redwood-robotics', 'harbor-and-pine')) AS x(home, guest)
JOIN organizations home ON home.slug = x.home
JOIN organizations org ON org.slug = x.guest
JOIN roles hr ON hr.organization_id IS NULL AND hr.key = 'finance'
JOIN memberships m ON m.organization_id = home.id AND m.role_id = hr.id
JOIN roles r ON r.organization_id IS NULL AND r.key = 'viewer'
CROSS JOIN demo_clock c;

-------------------------------------------------------------------------------------------
-- Catalog
-------------------------------------------------------------------------------------------

INSERT INTO products (name, description, stripe_product_id, created_at, updated_at)
SELECT p.name, p.description, p.stripe_id, c.anchor - interval '900 days',
       c.anchor - interval '900 days'
FROM (VALUES
    ('NOBill Cloud', 'The hosted workspace, billed per seat.', 'prod_demo_cloud'),
    ('NOBill API', 'Programmatic access, billed per call.', 'prod_demo_api'),
    ('Premium Support', 'Named support engineer and a four-hour response time. Retired.', 'prod_demo_support')
) AS p(name, description, stripe_id)
CROSS JOIN demo_clock c;

UPDATE products SET archived_at = (SELECT anchor - interval '200 days' FROM demo_clock)
WHERE stripe_product_id = 'prod_demo_support';

CREATE TEMP TABLE demo_plans (
    key text, product text, name text, amount bigint, currency text, interval text,
    usage_type text, metric text, trial_days integer
) ON COMMIT DROP;

INSERT INTO demo_plans VALUES
    ('starter_eur',  'prod_demo_cloud', 'Starter (EUR)',         1900, 'EUR', 'month', 'licensed', NULL,        14),
    ('team_eur',     'prod_demo_cloud', 'Team (EUR)',            4900, 'EUR', 'month', 'licensed', NULL,        14),
    ('team_usd',     'prod_demo_cloud', 'Team (USD)',            5400, 'USD', 'month', 'licensed', NULL,        14),
    ('business_usd', 'prod_demo_cloud', 'Business, yearly (USD)', 54000, 'USD', 'year', 'licensed', NULL,        0),
    ('api_eur',      'prod_demo_api',   'API calls (EUR)',          1, 'EUR', 'month', 'metered',  'api_calls',  0);

INSERT INTO plans (product_id, name, amount, currency, interval, interval_count, usage_type,
                   metric, trial_days, stripe_price_id, stripe_meter_id, created_at, updated_at)
SELECT pr.id, p.name, p.amount, p.currency, p.interval, 1, p.usage_type, p.metric, p.trial_days,
       'price_demo_' || p.key,
       CASE WHEN p.usage_type = 'metered' THEN 'mtr_demo_' || p.metric END,
       c.anchor - interval '800 days', c.anchor - interval '800 days'
FROM demo_plans p
JOIN products pr ON pr.stripe_product_id = p.product
CROSS JOIN demo_clock c
ORDER BY p.key;

-------------------------------------------------------------------------------------------
-- Subscriptions: every Stripe status, current and past
-------------------------------------------------------------------------------------------

-- started/ended: days before the anchor. ended = canceled (canceled), billing stopped
-- (paused).
CREATE TEMP TABLE demo_subs (
    no integer, org text, plan text, status text, quantity integer, method text,
    days_until_due integer, started integer, ended integer, cancel_at_period_end boolean
) ON COMMIT DROP;

INSERT INTO demo_subs VALUES
    ( 1, 'brightwave',         'team_eur',     'active',             25, 'charge_automatically', NULL, 420, NULL, false),
    ( 2, 'brightwave',         'api_eur',      'active',              1, 'charge_automatically', NULL, 300, NULL, false),
    ( 3, 'brightwave',         'starter_eur',  'canceled',            6, 'charge_automatically', NULL, 540,  421, false),
    ( 4, 'nordlicht-logistik', 'team_eur',     'active',             60, 'send_invoice',           30, 610, NULL, false),
    ( 5, 'nordlicht-logistik', 'api_eur',      'past_due',            1, 'charge_automatically', NULL, 240, NULL, false),
    ( 6, 'cafe-oberkampf',     'starter_eur',  'active',              4, 'charge_automatically', NULL, 185, NULL, false),
    ( 7, 'cafe-oberkampf',     'team_eur',     'canceled',            3, 'charge_automatically', NULL, 380,   95, false),
    ( 8, 'tulip-and-tide',     'starter_eur',  'trialing',            3, 'charge_automatically', NULL,   5, NULL, false),
    ( 9, 'tulip-and-tide',     'api_eur',      'active',              1, 'charge_automatically', NULL, 125, NULL, false),
    (10, 'azul-viajes',        'starter_eur',  'incomplete',          2, 'charge_automatically', NULL,   1, NULL, false),
    (11, 'azul-viajes',        'team_eur',     'incomplete_expired',  5, 'charge_automatically', NULL,  12, NULL, false),
    (12, 'kuusi-labs',         'team_eur',     'paused',              8, 'charge_automatically', NULL, 275,   60, false),
    (13, 'kuusi-labs',         'api_eur',      'canceled',            1, 'charge_automatically', NULL, 215,   31, false),
    (14, 'redwood-robotics',   'business_usd', 'active',             40, 'send_invoice',           30, 490, NULL, false),
    (15, 'redwood-robotics',   'team_usd',     'active',             12, 'charge_automatically', NULL, 150, NULL, false),
    (16, 'harbor-and-pine',    'team_usd',     'active',              7, 'charge_automatically', NULL, 330, NULL, true),
    (17, 'harbor-and-pine',    'team_usd',     'past_due',            2, 'send_invoice',           14,  95, NULL, false),
    (18, 'lumen-health',       'team_usd',     'trialing',           20, 'charge_automatically', NULL,  10, NULL, false),
    (19, 'lumen-health',       'business_usd', 'incomplete',          5, 'send_invoice',           30,   2, NULL, false),
    (20, 'prairie-seed',       'team_usd',     'unpaid',              6, 'charge_automatically', NULL, 340, NULL, false),
    (21, 'prairie-seed',       'business_usd', 'canceled',           10, 'send_invoice',           30, 560,  150, false),
    (22, 'nordlicht-logistik', 'starter_eur',  'canceled',           10, 'charge_automatically', NULL, 700,  611, false),
    (23, 'harbor-and-pine',    'team_usd',     'canceled',            3, 'charge_automatically', NULL, 400,  331, false),
    (24, 'kuusi-labs',         'starter_eur',  'canceled',            2, 'charge_automatically', NULL, 298,  276, false);

-- Billing periods of each subscription, from its start until it ended (or now), the last
-- twelve months at most. A trialing subscription has one period: its trial.
CREATE TEMP TABLE demo_periods ON COMMIT DROP AS
WITH s AS (
    SELECT d.*, p.interval, p.usage_type, p.trial_days,
           c.anchor - make_interval(days => d.started) AS start_at,
           c.anchor - make_interval(days => coalesce(d.ended, 0)) AS end_at,
           make_interval(months => CASE p.interval WHEN 'month' THEN 1 ELSE 0 END,
                         years => CASE p.interval WHEN 'year' THEN 1 ELSE 0 END) AS step,
           c.anchor
    FROM demo_subs d
    JOIN demo_plans p ON p.key = d.plan
    CROSS JOIN demo_clock c
)
SELECT s.no, i,
       s.start_at + s.step * i AS period_start,
       CASE WHEN s.status = 'trialing' THEN s.start_at + make_interval(days => s.trial_days)
            ELSE s.start_at + s.step * (i + 1) END AS period_end
FROM s
CROSS JOIN LATERAL generate_series(0, 40) AS i
WHERE s.start_at + s.step * i < s.end_at
  AND (i = 0 OR s.status NOT IN ('trialing', 'incomplete', 'incomplete_expired'));

INSERT INTO subscriptions (organization_id, plan_id, status, quantity, collection_method,
                           days_until_due, current_period_start, current_period_end,
                           cancel_at_period_end, canceled_at, trial_end,
                           stripe_subscription_id, created_at, updated_at)
SELECT org.id, pl.id, d.status, d.quantity, d.method, d.days_until_due,
       cur.period_start, cur.period_end, d.cancel_at_period_end,
       CASE WHEN d.status = 'canceled' THEN c.anchor - make_interval(days => d.ended) END,
       CASE WHEN d.status = 'trialing' THEN cur.period_end END,
       'sub_demo' || lpad(d.no::text, 4, '0'),
       c.anchor - make_interval(days => d.started),
       c.anchor - make_interval(days => coalesce(d.ended, least(d.started, 3)))
FROM demo_subs d
JOIN organizations org ON org.slug = d.org
JOIN plans pl ON pl.stripe_price_id = 'price_demo_' || d.plan
CROSS JOIN demo_clock c
JOIN LATERAL (SELECT p.period_start, p.period_end FROM demo_periods p
              WHERE p.no = d.no ORDER BY p.i DESC LIMIT 1) AS cur ON true
ORDER BY d.no;

-------------------------------------------------------------------------------------------
-- Usage: 100,000 records, 25,000 for each metered subscription, spread over the part of
-- the last 180 days it was running; weekdays busier than weekends. Reported to Stripe
-- except for the last two days and a few failures in the last month.
-------------------------------------------------------------------------------------------

INSERT INTO usage_records (organization_id, subscription_id, metric, quantity, occurred_at,
                           idempotency_key, reported_state, reported_at, stripe_meter_event_id,
                           created_at)
WITH metered AS (
    SELECT row_number() OVER (ORDER BY s.stripe_subscription_id) - 1 AS slot,
           s.id, s.organization_id, s.stripe_subscription_id,
           greatest(s.created_at, c.anchor - interval '180 days') AS window_start,
           coalesce(s.canceled_at, c.anchor) - interval '1 minute' AS window_end,
           c.anchor
    FROM subscriptions s
    JOIN plans p ON p.id = s.plan_id AND p.usage_type = 'metered'
    CROSS JOIN demo_clock c
),
r AS (
    SELECT g, (g - 1) / 4 AS k, m.*,
           m.window_start + (m.window_end - m.window_start)
               * (((g - 1) / 4) + 0.3 + ((g * 7919) % 400) / 1000.0) / 25000 AS at
    FROM generate_series(1, 100000) AS g
    JOIN metered m ON m.slot = (g - 1) % 4
)
SELECT r.organization_id, r.id, 'api_calls',
       (1 + (r.g * 7919 + r.k * 31) % 97)
           * CASE WHEN extract(isodow FROM r.at) >= 6 THEN 3 ELSE 10 END / 10 + 1,
       r.at,
       'demo-' || r.stripe_subscription_id || '-' || lpad(r.k::text, 5, '0'),
       CASE WHEN r.at >= r.anchor - interval '2 days' THEN 'unreported'
            WHEN r.at >= r.anchor - interval '30 days' AND r.g % 997 = 0 THEN 'failed'
            ELSE 'reported' END,
       CASE WHEN r.at < r.anchor - interval '2 days' AND NOT (r.at >= r.anchor - interval '30 days' AND r.g % 997 = 0)
            THEN r.at + interval '7 minutes' END,
       CASE WHEN r.at < r.anchor - interval '2 days' AND NOT (r.at >= r.anchor - interval '30 days' AND r.g % 997 = 0)
            THEN 'mevt_demo' || lpad(r.g::text, 6, '0') END,
       r.at + interval '5 minutes'
FROM r;

-------------------------------------------------------------------------------------------
-- Invoices: one per billing period (in advance for seats, in arrears for metered usage),
-- statuses following the subscription's story.
-------------------------------------------------------------------------------------------

CREATE TEMP TABLE demo_invoices ON COMMIT DROP AS
WITH base AS (
    SELECT d.no AS sub_no, d.status AS sub_status, d.method, d.days_until_due, d.quantity,
           pe.i, pe.period_start, pe.period_end,
           pl.amount, pl.usage_type, pl.currency, o.tax_rate, o.no AS org_no, o.slug,
           s.id AS subscription_id, s.organization_id, s.canceled_at, c.anchor
    FROM demo_periods pe
    JOIN demo_subs d ON d.no = pe.no
    JOIN demo_plans pl ON pl.key = d.plan
    JOIN demo_orgs o ON o.slug = d.org
    JOIN subscriptions s ON s.stripe_subscription_id = 'sub_demo' || lpad(d.no::text, 4, '0')
    CROSS JOIN demo_clock c
    WHERE pe.period_end > c.anchor - interval '365 days'
      -- usage is kept for 180 days: older metered periods are not shown
      AND (pl.usage_type = 'licensed' OR pe.period_end > c.anchor - interval '180 days')
),
priced AS (
    SELECT b.*,
           CASE WHEN b.sub_status = 'trialing' THEN 0
                WHEN b.usage_type = 'licensed' THEN b.amount * b.quantity
                ELSE b.amount * coalesce((SELECT sum(u.quantity) FROM usage_records u
                                          WHERE u.subscription_id = b.subscription_id
                                            AND u.occurred_at >= b.period_start
                                            AND u.occurred_at < b.period_end), 0)
           END AS subtotal,
           -- metered periods are invoiced when they end; the running one is a draft
           CASE WHEN b.usage_type = 'metered'
                THEN least(b.period_end, coalesce(b.canceled_at, b.period_end))
                ELSE b.period_start END AS issued_at,
           row_number() OVER (PARTITION BY b.sub_no ORDER BY b.i DESC) AS from_last
    FROM base b
),
statused AS (
    SELECT p.*,
           CASE
               WHEN p.usage_type = 'metered' AND p.period_end > p.anchor AND p.canceled_at IS NULL
                   THEN 'draft'
               WHEN p.sub_status = 'incomplete' THEN 'open'
               WHEN p.sub_status = 'incomplete_expired' THEN 'void'
               WHEN p.sub_status = 'past_due' AND p.from_last = 1 + (p.usage_type = 'metered')::int
                   THEN 'open'
               WHEN p.sub_status = 'unpaid' AND p.from_last = 1 THEN 'open'
               WHEN p.sub_status = 'unpaid' AND p.from_last = 2 THEN 'uncollectible'
               WHEN p.sub_status = 'canceled' AND p.sub_no = 7 AND p.from_last = 1 THEN 'void'
               WHEN p.method = 'send_invoice'
                    AND p.issued_at + make_interval(days => p.days_until_due) > p.anchor
                   THEN 'open'
               ELSE 'paid'
           END AS status
    FROM priced p
)
SELECT s.*,
       round(s.subtotal * s.tax_rate)::bigint AS tax,
       s.subtotal + round(s.subtotal * s.tax_rate)::bigint AS total,
       row_number() OVER (PARTITION BY s.org_no ORDER BY s.issued_at, s.sub_no) AS seq
FROM statused s
WHERE s.issued_at <= s.anchor OR s.status = 'draft';

INSERT INTO invoices (organization_id, subscription_id, number, status, currency, subtotal, tax,
                      total, amount_due, amount_paid, amount_remaining, period_start, period_end,
                      due_date, hosted_invoice_url, stripe_invoice_id, created_at, finalized_at,
                      paid_at, updated_at)
SELECT i.organization_id, i.subscription_id,
       CASE WHEN i.status <> 'draft'
            THEN upper(left(replace(i.slug, '-', ''), 4)) || '-' || lpad(i.seq::text, 4, '0') END,
       i.status, i.currency, i.subtotal, i.tax, i.total, i.total,
       CASE WHEN i.status = 'paid' THEN i.total ELSE 0 END,
       CASE WHEN i.status = 'paid' THEN 0 ELSE i.total END,
       i.period_start, i.period_end,
       CASE WHEN i.method = 'send_invoice' THEN i.issued_at + make_interval(days => i.days_until_due) END,
       CASE WHEN i.status <> 'draft'
            THEN 'https://invoice.stripe.com/i/acct_demo/test_' || md5('demo-invoice-' || i.sub_no || '-' || i.i) END,
       'in_demo' || lpad(i.sub_no::text, 4, '0') || '_' || lpad(i.i::text, 3, '0'),
       least(i.issued_at, i.anchor) - interval '1 hour',
       CASE WHEN i.status <> 'draft' THEN i.issued_at END,
       CASE WHEN i.status = 'paid'
            THEN i.issued_at + CASE WHEN i.method = 'send_invoice'
                                    THEN make_interval(days => (i.seq * 7 % i.days_until_due)::int, hours => 10)
                                    ELSE interval '4 minutes' END END,
       least(i.issued_at, i.anchor)
FROM demo_invoices i
ORDER BY i.org_no, i.seq;

-------------------------------------------------------------------------------------------
-- A little background history: the Stripe work done for the tenants, and the events that
-- came back.
-------------------------------------------------------------------------------------------

INSERT INTO jobs (organization_id, kind, payload, idempotency_key, status, attempts, run_after,
                  last_error, result, created_at, updated_at)
SELECT o.id, 'customer.sync', '{}'::jsonb,
       'demo-customer-' || o.slug, 'succeeded', 1, o.created_at, NULL,
       jsonb_build_object('stripe_customer_id', o.stripe_customer_id, 'created', true), o.created_at,
       o.created_at + interval '2 seconds'
FROM organizations o
UNION ALL
SELECT o.id, 'subscription.cancel', jsonb_build_object('stripe_subscription_id', 'sub_demo0020'),
       'demo-cancel-sub_demo0020', 'failed', 8, c.anchor - interval '3 days',
       'Stripe answered 402: the customer has no valid payment method.', NULL,
       c.anchor - interval '5 days', c.anchor - interval '3 days'
FROM organizations o CROSS JOIN demo_clock c WHERE o.slug = 'prairie-seed'
UNION ALL
SELECT o.id, 'subscription.update_quantity', jsonb_build_object('stripe_subscription_id', 'sub_demo0001', 'quantity', 26),
       'demo-seats-sub_demo0001', 'queued', 0, c.anchor + interval '10 minutes', NULL, NULL,
       c.anchor, c.anchor
FROM organizations o CROSS JOIN demo_clock c WHERE o.slug = 'brightwave';

INSERT INTO stripe_events (id, type, api_version, stripe_created, object_id, livemode, payload,
                           source, status, attempts, received_at, processed_at)
SELECT 'evt_demo' || lpad(row_number() OVER (ORDER BY i.paid_at, i.stripe_invoice_id)::text, 5, '0'),
       'invoice.paid', '2025-03-31.basil', i.paid_at, i.stripe_invoice_id, false,
       jsonb_build_object('object', 'event', 'type', 'invoice.paid',
                          'data', jsonb_build_object('object', jsonb_build_object(
                              'id', i.stripe_invoice_id, 'object', 'invoice',
                              'amount_paid', i.amount_paid, 'currency', lower(i.currency)))),
       'push', 'processed', 1, i.paid_at + interval '1 second', i.paid_at + interval '2 seconds'
FROM invoices i
WHERE i.status = 'paid' AND i.paid_at > (SELECT anchor - interval '30 days' FROM demo_clock);

-------------------------------------------------------------------------------------------
-- Webhook inbox and job queue, as the Webhook events and Jobs screens show them: Stripe's
-- events about the demo's own customers, subscriptions and invoices (handled, ignored,
-- waiting and failed), and Stripe work in every state of the queue. Like everything above,
-- every time derives from the demo clock.
-------------------------------------------------------------------------------------------

-- The invoice events above concern their tenants.
UPDATE stripe_events e SET organization_id = i.organization_id
FROM invoices i
WHERE e.object_id = i.stripe_invoice_id AND e.organization_id IS NULL;

-- minutes: how long before the anchor the event was received. subject: a subscription
-- (sub_demo....), the latest invoice of a subscription (in:sub_demo....) or a customer
-- (cus_demo....).
CREATE TEMP TABLE demo_events (
    no integer, minutes integer, type text, subject text, status text, attempts integer,
    last_error text, source text, previous jsonb
) ON COMMIT DROP;

INSERT INTO demo_events VALUES
    ( 1, 20160, 'customer.subscription.updated',        'sub_demo0001', 'processed', 1, NULL, 'push', '{"quantity": 24}'),
    ( 2, 18720, 'invoice.finalized',                    'in:sub_demo0004', 'processed', 1, NULL, 'push', NULL),
    ( 3, 17300, 'customer.updated',                     'cus_demo0007', 'ignored',   1, NULL, 'push', '{"email": "accounts@redwoodrobotics.com"}'),
    ( 4, 15840, 'invoice.payment_failed',               'in:sub_demo0005', 'processed', 1, NULL, 'push', NULL),
    ( 5, 15835, 'customer.subscription.updated',        'sub_demo0005', 'processed', 1, NULL, 'push', '{"status": "active"}'),
    ( 6, 14400, 'payment_intent.succeeded',             'in:sub_demo0015', 'ignored', 1, NULL, 'push', NULL),
    ( 7, 12960, 'customer.subscription.updated',        'sub_demo0016', 'processed', 1, NULL, 'push', '{"cancel_at_period_end": false}'),
    ( 8, 11520, 'invoice.payment_failed',               'in:sub_demo0020', 'processed', 1, NULL, 'push', NULL),
    ( 9, 11515, 'customer.subscription.updated',        'sub_demo0020', 'failed', 5,
        'Gave up after 5 attempts: subscription sub_demo0020 was being changed by another session each time (deadlock detected). Reprocess the event once the subscription is quiet.',
        'push', '{"status": "past_due"}'),
    (10, 10080, 'customer.subscription.paused',         'sub_demo0012', 'processed', 1, NULL, 'pull', NULL),
    (11,  8640, 'invoice.paid',                         'in:sub_demo0014', 'processed', 1, NULL, 'push', NULL),
    (12,  7200, 'customer.subscription.created',        'sub_demo0018', 'processed', 1, NULL, 'push', NULL),
    (13,  7195, 'invoice.finalized',                    'in:sub_demo0018', 'processed', 1, NULL, 'push', NULL),
    (14,  5760, 'customer.subscription.created',        'sub_demo0008', 'processed', 1, NULL, 'push', NULL),
    (15,  4320, 'customer.subscription.updated',        'sub_demo0017', 'processed', 2, NULL, 'push', '{"status": "active"}'),
    (16,  4310, 'invoice.payment_failed',               'in:sub_demo0017', 'failed', 3,
        'Invoice in_demo0017_002 is not in this database yet: the invoice.created event that introduces it has not arrived. The poller asks Stripe for it on its next run.',
        'push', NULL),
    (17,  2880, 'customer.subscription.created',        'sub_demo0010', 'processed', 1, NULL, 'push', NULL),
    (18,  2875, 'invoice.finalized',                    'in:sub_demo0010', 'processed', 1, NULL, 'push', NULL),
    (19,  2870, 'payment_intent.requires_action',       'in:sub_demo0010', 'ignored', 1, NULL, 'push', NULL),
    (20,  2160, 'customer.subscription.created',        'sub_demo0019', 'processed', 1, NULL, 'push', NULL),
    (21,  1440, 'customer.subscription.trial_will_end', 'sub_demo0018', 'processed', 1, NULL, 'pull', NULL),
    (22,  1380, 'customer.subscription.updated',        'sub_demo0015', 'failed', 4,
        'The price price_1QdemoLegacyTeamUSD is not in the catalog. Add the plan in Plans (or archive it in Stripe), then reprocess the event.',
        'push', '{"items": {"object": "list"}}'),
    (23,  1200, 'invoice.upcoming',                     'in:sub_demo0001', 'ignored', 1, NULL, 'push', NULL),
    (24,   720, 'customer.subscription.updated',        'sub_demo0009', 'processed', 1, NULL, 'push', '{"quantity": 1}'),
    (25,   360, 'invoice.paid',                         'in:sub_demo0006', 'processed', 1, NULL, 'push', NULL),
    (26,   180, 'customer.subscription.trial_will_end', 'sub_demo0008', 'processed', 1, NULL, 'push', NULL),
    (27,    95, 'invoice.payment_failed',               'in:sub_demo0019', 'failed', 1,
        'Stripe''s signature on this event did not match the webhook secret of this office (maybe the secret was rotated). Check the secret in Settings; the event is fetched again by the poller.',
        'push', NULL),
    (28,    40, 'customer.subscription.updated',        'sub_demo0001', 'waiting', 1,
        'Waiting for job demo-seats-sub_demo0001 (quantity 26) to finish before applying this change.',
        'push', '{"quantity": 25}'),
    (29,    12, 'invoice.created',                      'in:sub_demo0002', 'received', 0, NULL, 'push', NULL),
    (30,     3, 'customer.subscription.updated',        'sub_demo0004', 'received', 0, NULL, 'pull', '{"quantity": 58}');

CREATE TEMP TABLE demo_event_objects ON COMMIT DROP AS
SELECT e.*,
       c.anchor - make_interval(mins => e.minutes) AS received_at,
       -- subscriptions, in Stripe's shape
       CASE WHEN e.subject LIKE 'sub_%' THEN jsonb_build_object(
           'id', s.stripe_subscription_id, 'object', 'subscription',
           'customer', o.stripe_customer_id, 'status', s.status,
           'collection_method', s.collection_method,
           'cancel_at_period_end', s.cancel_at_period_end,
           'current_period_start', extract(epoch FROM s.current_period_start)::bigint,
           'current_period_end', extract(epoch FROM s.current_period_end)::bigint,
           'trial_end', extract(epoch FROM s.trial_end)::bigint,
           'quantity', s.quantity, 'currency', lower(p.currency),
           'items', jsonb_build_object('object', 'list', 'data', jsonb_build_array(
               jsonb_build_object('object', 'subscription_item', 'quantity', s.quantity,
                   'price', jsonb_build_object('id', p.stripe_price_id, 'object', 'price',
                       'unit_amount', p.amount, 'currency', lower(p.currency),
                       'recurring', jsonb_build_object('interval', p.interval,
                                                       'usage_type', p.usage_type))))),
           'metadata', jsonb_build_object('nobill_subscription_id', s.id))
       -- invoices
       WHEN e.subject LIKE 'in:%' THEN jsonb_build_object(
           'id', i.stripe_invoice_id, 'object', 'invoice', 'customer', o.stripe_customer_id,
           'subscription', s.stripe_subscription_id, 'number', i.number,
           'status', CASE WHEN e.type = 'invoice.payment_failed' THEN 'open' ELSE i.status END,
           'currency', lower(i.currency), 'subtotal', i.subtotal, 'tax', i.tax,
           'total', i.total, 'amount_due', i.amount_due,
           'amount_paid', CASE WHEN e.type = 'invoice.paid' THEN i.total ELSE 0 END,
           'amount_remaining', CASE WHEN e.type = 'invoice.paid' THEN 0 ELSE i.total END,
           'attempt_count', CASE WHEN e.type = 'invoice.payment_failed' THEN 1 + e.no % 3 ELSE 0 END,
           'hosted_invoice_url', i.hosted_invoice_url,
           'period_start', extract(epoch FROM i.period_start)::bigint,
           'period_end', extract(epoch FROM i.period_end)::bigint)
       -- customers
       ELSE jsonb_build_object(
           'id', o.stripe_customer_id, 'object', 'customer', 'name', o.name,
           'email', o.billing_email, 'currency', lower(o.currency),
           'address', jsonb_build_object('line1', o.address_line1, 'postal_code', o.postal_code,
                                         'city', o.city, 'country', o.country),
           'metadata', jsonb_build_object('nobill_organization_id', o.id))
       END AS object,
       CASE WHEN e.subject LIKE 'sub_%' THEN s.stripe_subscription_id
            WHEN e.subject LIKE 'in:%' THEN i.stripe_invoice_id
            ELSE o.stripe_customer_id END AS object_id,
       o.id AS organization_id
FROM demo_events e
CROSS JOIN demo_clock c
LEFT JOIN subscriptions s ON s.stripe_subscription_id = CASE
        WHEN e.subject LIKE 'sub_%' THEN e.subject
        WHEN e.subject LIKE 'in:%' THEN substr(e.subject, 4) END
LEFT JOIN plans p ON p.id = s.plan_id
LEFT JOIN LATERAL (SELECT * FROM invoices iv WHERE iv.subscription_id = s.id
                   ORDER BY iv.period_start DESC LIMIT 1) i ON e.subject LIKE 'in:%'
JOIN organizations o ON o.id = s.organization_id
                     OR (e.subject LIKE 'cus_%' AND o.stripe_customer_id = e.subject);

INSERT INTO stripe_events (id, type, api_version, stripe_created, object_id, livemode, payload,
                           source, status, attempts, last_error, received_at, processed_at,
                           organization_id)
SELECT 'evt_1Demo' || lpad(d.no::text, 4, '0') || 'NbL', d.type, '2025-03-31.basil',
       d.received_at - interval '2 seconds', d.object_id, false,
       jsonb_strip_nulls(jsonb_build_object(
           'id', 'evt_1Demo' || lpad(d.no::text, 4, '0') || 'NbL',
           'object', 'event', 'api_version', '2025-03-31.basil',
           'created', extract(epoch FROM d.received_at - interval '2 seconds')::bigint,
           'livemode', false, 'pending_webhooks', CASE WHEN d.status = 'processed' THEN 0 ELSE 1 END,
           'request', jsonb_build_object('id', CASE WHEN d.previous IS NOT NULL
                                                    THEN 'req_demo' || lpad(d.no::text, 6, '0') END,
                                         'idempotency_key', NULL),
           'type', d.type,
           'data', jsonb_build_object('object', d.object, 'previous_attributes', d.previous))),
       d.source, d.status, d.attempts, d.last_error, d.received_at,
       CASE WHEN d.status IN ('processed', 'ignored')
            THEN d.received_at + make_interval(secs => 1 + d.no % 4) END,
       d.organization_id
FROM demo_event_objects d
ORDER BY d.no;

-- Stripe work in every state (kinds as nobill_enqueue_job knows them). hours: how long
-- before the anchor the job was queued; subject: a subscription, an invoice of one
-- (in:...), or nothing for platform work.
CREATE TEMP TABLE demo_jobs (
    no integer, hours integer, kind text, subject text, status text, attempts integer,
    max_attempts integer, run_after_hours numeric, last_error text, requested_by text,
    extra jsonb, result jsonb
) ON COMMIT DROP;

INSERT INTO demo_jobs VALUES
    ( 1, 340, 'subscription.update_quantity', 'sub_demo0015', 'succeeded', 1, 8, 340, NULL, 'demo_finance',
        '{"quantity": 12, "proration_behavior": "create_prorations"}', '{"stripe_subscription_id": "sub_demo0015", "quantity": 12}'),
    ( 2, 300, 'invoice.send', 'in:sub_demo0014', 'succeeded', 1, 8, 300, NULL, 'demo_finance',
        '{}', '{"status": "open", "sent_to": "billing@redwoodrobotics.com"}'),
    ( 3, 250, 'plan.sync', NULL, 'succeeded', 2, 8, 249, NULL, 'demo_admin',
        '{}',
        '{"stripe_product_id": "prod_demo_api", "stripe_price_id": "price_demo_api_eur", "stripe_meter_id": "mtr_demo_api_calls"}'),
    ( 4, 200, 'subscription.cancel', 'sub_demo0013', 'succeeded', 1, 8, 200, NULL, 'demo_admin',
        '{}', '{"status": "canceled"}'),
    ( 5, 170, 'invoice.void', 'in:sub_demo0011', 'failed', 8, 8, 160,
        'Stripe answered 400 (invalid_request_error): This invoice is already paid; it cannot be voided. Request req_demo0000005.',
        'demo_admin', '{}', NULL),
    ( 6, 120, 'customer.sync', NULL, 'cancelled', 0, 8, 118, NULL, 'demo_orgadmin',
        '{"billing_email": "finance@brightwave.de"}', NULL),
    ( 7,  96, 'usage.report', 'sub_demo0005', 'failed', 8, 8, 90,
        'Stripe answered 404 (resource_missing): No such billing meter: ''mtr_demo_api_calls_v2''. Request req_demo0000007.',
        'demo_orgadmin', '{}', NULL),
    ( 8,  72, 'subscription.update_quantity', 'sub_demo0017', 'failed', 8, 8, 70,
        'Stripe answered 402 (card_error, card_declined): Your card was declined. The proration invoice stayed open; ask the customer to update their card.',
        'demo_admin', '{"quantity": 4, "proration_behavior": "always_invoice"}', NULL),
    ( 9,  30, 'invoice.send', 'in:sub_demo0004', 'cancelled', 1, 8, 29,
        'Stripe could not be reached (connection timed out after 30 s).', 'demo_orgadmin', '{}', NULL),
    (10,   6, 'usage.report', 'sub_demo0002', 'succeeded', 1, 8, 6, NULL, 'demo_finance',
        '{}', '{"events": 1, "records": 2310}'),
    (11,   1, 'usage.report', 'sub_demo0009', 'running', 2, 8, 0.9,
        'Stripe answered 429 (rate_limit): Too many requests hit the API too quickly. Backing off.',
        'demo_admin', '{}', NULL),
    (12,   0, 'subscription.update_quantity', 'sub_demo0004', 'queued', 0, 8, -0.25, NULL, 'demo_orgadmin',
        '{"quantity": 62, "proration_behavior": "create_prorations"}', NULL);

INSERT INTO jobs (organization_id, kind, payload, idempotency_key, status, attempts,
                  max_attempts, run_after, lease_until, locked_by, last_error, result,
                  requested_by, created_at, updated_at)
SELECT coalesce(s.organization_id, CASE WHEN j.kind = 'customer.sync'
                                        THEN (SELECT id FROM organizations WHERE slug = 'brightwave') END),
       j.kind,
       j.extra || jsonb_strip_nulls(jsonb_build_object(
           'subscription_id', CASE WHEN j.subject LIKE 'sub_%' THEN s.id END,
           'plan_id', CASE WHEN j.kind = 'plan.sync'
                           THEN (SELECT id FROM plans WHERE stripe_price_id = 'price_demo_api_eur') END,
           'invoice_id', i.id)),
       'demo-job-' || lpad(j.no::text, 3, '0') || '-' || j.kind,
       j.status, j.attempts, j.max_attempts,
       c.anchor - make_interval(secs => (j.run_after_hours * 3600)::double precision),
       CASE WHEN j.status = 'running' THEN c.anchor + interval '4 minutes' END,
       CASE WHEN j.status = 'running' THEN 'office-server-1:4711' END,
       j.last_error, j.result, j.requested_by,
       c.anchor - make_interval(hours => j.hours),
       c.anchor - make_interval(secs => (greatest(j.run_after_hours, 0) * 3600)::double precision)
           + interval '3 seconds'
FROM demo_jobs j
CROSS JOIN demo_clock c
LEFT JOIN subscriptions s ON s.stripe_subscription_id = CASE
        WHEN j.subject LIKE 'sub_%' THEN j.subject
        WHEN j.subject LIKE 'in:%' THEN substr(j.subject, 4) END
LEFT JOIN LATERAL (SELECT iv.id FROM invoices iv WHERE iv.subscription_id = s.id
                   ORDER BY iv.period_start DESC LIMIT 1) i ON j.subject LIKE 'in:%'
ORDER BY j.no;
