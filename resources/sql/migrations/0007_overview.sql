-- The Overview screen (services/overview/overviewservice.cpp): what its figures need to come
-- back fast at 200,000 subscriptions and 10 million usage records.

SELECT set_config('nobill.source', 'migration', true);

-------------------------------------------------------------------------------------------
-- Exact sums of fractions
-------------------------------------------------------------------------------------------

-- Least common multiple of a column of integers. MRR is a sum of fractions
-- amount × quantity × k / (12 × interval_count), rounded once at the end: adding the
-- numerators over the least common denominator keeps the sum exact, so a total of exactly
-- x.5 minor units rounds up as it should (numeric division would leave x.4999…).
CREATE AGGREGATE nobill_lcm(numeric) (SFUNC = lcm, STYPE = numeric, INITCOND = '1');
GRANT EXECUTE ON FUNCTION nobill_lcm(numeric) TO nobill_operator, nobill_service;

-------------------------------------------------------------------------------------------
-- Usage per quarter hour, for everything
-------------------------------------------------------------------------------------------

-- The usage trend of all organizations sums millions of records; this table holds the same
-- sums per quarter hour and metric (96 rows a day per metric), kept by the triggers below in
-- the same transaction as the records. Quarter hours counted from midnight UTC (date_bin,
-- written out where used: a function would cost a call per row), because every time zone's
-- offset is a multiple of 15 minutes, so a day in any operator's zone is a whole number of
-- buckets. Not tenant-scoped: only platform administrators read it; anyone else's trend
-- comes from their organizations' records (indexed by organization and time).
CREATE TABLE usage_totals (
    bucket_start timestamptz NOT NULL,
    metric       text        NOT NULL,
    quantity     numeric     NOT NULL,
    record_count bigint      NOT NULL,
    CONSTRAINT usage_totals_pkey PRIMARY KEY (bucket_start, metric)
);

ALTER TABLE usage_totals ENABLE ROW LEVEL SECURITY;
ALTER TABLE usage_totals FORCE ROW LEVEL SECURITY;
CREATE POLICY usage_totals_owner ON usage_totals AS PERMISSIVE FOR ALL TO CURRENT_USER
    USING (true) WITH CHECK (true);
CREATE POLICY usage_totals_select ON usage_totals FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin()));
GRANT SELECT ON usage_totals TO nobill_operator;

-- Statement-level: one grouped upsert per INSERT or DELETE statement, however many rows (an
-- import of a million records adds a few thousand rows here). Buckets in order, so that two
-- imports at once lock the rows they share in the same order. SECURITY DEFINER: operators
-- read usage_totals at most; trigger functions are not called by anyone, so nobody is granted
-- EXECUTE (PostgreSQL checks that privilege when a trigger is created, not when it fires).
CREATE FUNCTION nobill_usage_totals_statement() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO usage_totals AS t (bucket_start, metric, quantity, record_count)
        SELECT date_bin('15 minutes', n.occurred_at, timestamptz '2000-01-01 00:00:00+00'), n.metric, sum(n.quantity), count(*)
        FROM new_rows n
        GROUP BY 1, 2
        ORDER BY 1, 2
        ON CONFLICT (bucket_start, metric) DO UPDATE
            SET quantity = t.quantity + EXCLUDED.quantity,
                record_count = t.record_count + EXCLUDED.record_count;
    ELSIF TG_OP = 'DELETE' THEN
        UPDATE usage_totals t
        SET quantity = t.quantity - o.quantity, record_count = t.record_count - o.records
        FROM (SELECT date_bin('15 minutes', d.occurred_at, timestamptz '2000-01-01 00:00:00+00') AS bucket_start, d.metric,
                     sum(d.quantity) AS quantity, count(*) AS records
              FROM old_rows d GROUP BY 1, 2) o
        WHERE t.bucket_start = o.bucket_start AND t.metric = o.metric;
        DELETE FROM usage_totals WHERE record_count = 0;
    ELSIF TG_OP = 'TRUNCATE' THEN
        DELETE FROM usage_totals;
    END IF;
    RETURN NULL;
END;
$$;

-- Row-level for updates, and only when a summed column changes: the worker updates the
-- reporting state of every record, which must cost nothing here.
CREATE FUNCTION nobill_usage_totals_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE usage_totals t
    SET quantity = t.quantity - OLD.quantity, record_count = t.record_count - 1
    WHERE t.bucket_start = date_bin('15 minutes', OLD.occurred_at, timestamptz '2000-01-01 00:00:00+00') AND t.metric = OLD.metric;
    INSERT INTO usage_totals AS t (bucket_start, metric, quantity, record_count)
    VALUES (date_bin('15 minutes', NEW.occurred_at, timestamptz '2000-01-01 00:00:00+00'), NEW.metric, NEW.quantity, 1)
    ON CONFLICT (bucket_start, metric) DO UPDATE
        SET quantity = t.quantity + EXCLUDED.quantity,
            record_count = t.record_count + EXCLUDED.record_count;
    DELETE FROM usage_totals WHERE record_count = 0;
    RETURN NULL;
END;
$$;
REVOKE ALL ON FUNCTION nobill_usage_totals_statement() FROM PUBLIC;
REVOKE ALL ON FUNCTION nobill_usage_totals_row() FROM PUBLIC;

CREATE TRIGGER usage_records_totals_insert AFTER INSERT ON usage_records
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION nobill_usage_totals_statement();
CREATE TRIGGER usage_records_totals_delete AFTER DELETE ON usage_records
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION nobill_usage_totals_statement();
CREATE TRIGGER usage_records_totals_truncate AFTER TRUNCATE ON usage_records
    FOR EACH STATEMENT EXECUTE FUNCTION nobill_usage_totals_statement();
CREATE TRIGGER usage_records_totals_update AFTER UPDATE OF metric, quantity, occurred_at
    ON usage_records
    FOR EACH ROW
    WHEN (OLD.metric IS DISTINCT FROM NEW.metric OR OLD.quantity IS DISTINCT FROM NEW.quantity
          OR OLD.occurred_at IS DISTINCT FROM NEW.occurred_at)
    EXECUTE FUNCTION nobill_usage_totals_row();

-- The records already there.
INSERT INTO usage_totals (bucket_start, metric, quantity, record_count)
SELECT date_bin('15 minutes', u.occurred_at, timestamptz '2000-01-01 00:00:00+00'), u.metric, sum(u.quantity), count(*)
FROM usage_records u
GROUP BY 1, 2;

-------------------------------------------------------------------------------------------
-- Failed payments
-------------------------------------------------------------------------------------------

-- Open or uncollectible invoices by the day payment was due: the due date of invoices sent
-- to the customer, the finalization of invoices charged automatically (they have no due
-- date; Stripe charges them when finalized). A small part of all invoices, read newest
-- first for everyone and for one organization.
CREATE INDEX invoices_unpaid_due_idx ON invoices ((coalesce(due_date, finalized_at)), id)
    WHERE status IN ('open', 'uncollectible');
CREATE INDEX invoices_unpaid_organization_due_idx
    ON invoices (organization_id, (coalesce(due_date, finalized_at)))
    WHERE status IN ('open', 'uncollectible');
