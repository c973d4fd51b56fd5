-- Change feed: every committed change to a table the console lists is announced on the
-- channel nobill_changes, so consoles refresh what their operators see within a second
-- (LISTEN/NOTIFY: PostgreSQL delivers notifications at commit, and drops duplicates within
-- one transaction).
--
-- Payload: {"table": "...", "op": "insert|update|delete", "id": "..."} for row-level
-- triggers; bulk tables (usage_records) announce once per statement with no id. The payload
-- carries no names, amounts or organization ids: every session of the database can LISTEN,
-- and an id alone tells nothing to someone who may not see the row.

CREATE OR REPLACE FUNCTION nobill_notify_row_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
DECLARE
    row_id text;
BEGIN
    IF TG_OP = 'DELETE' THEN
        row_id := (to_jsonb(OLD) ->> TG_ARGV[0]);
    ELSE
        row_id := (to_jsonb(NEW) ->> TG_ARGV[0]);
    END IF;
    PERFORM pg_notify('nobill_changes',
                      json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP),
                                        'id', row_id)::text);
    RETURN NULL;
END;
$$;

CREATE OR REPLACE FUNCTION nobill_notify_statement_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path = pg_catalog, public, pg_temp
AS $$
BEGIN
    PERFORM pg_notify('nobill_changes',
                      json_build_object('table', TG_TABLE_NAME, 'op', lower(TG_OP))::text);
    RETURN NULL;
END;
$$;

REVOKE ALL ON FUNCTION nobill_notify_row_change() FROM PUBLIC;
REVOKE ALL ON FUNCTION nobill_notify_statement_change() FROM PUBLIC;

CREATE TRIGGER organizations_notify AFTER INSERT OR UPDATE OR DELETE ON organizations
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER users_notify AFTER INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER memberships_notify AFTER INSERT OR UPDATE OR DELETE ON memberships
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('user_id');
CREATE TRIGGER roles_notify AFTER INSERT OR UPDATE OR DELETE ON roles
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER role_permissions_notify AFTER INSERT OR UPDATE OR DELETE ON role_permissions
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('role_id');
CREATE TRIGGER products_notify AFTER INSERT OR UPDATE OR DELETE ON products
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER plans_notify AFTER INSERT OR UPDATE OR DELETE ON plans
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER subscriptions_notify AFTER INSERT OR UPDATE OR DELETE ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER invoices_notify AFTER INSERT OR UPDATE OR DELETE ON invoices
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER jobs_notify AFTER INSERT OR UPDATE OR DELETE ON jobs
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER stripe_events_notify AFTER INSERT OR UPDATE OR DELETE ON stripe_events
    FOR EACH ROW EXECUTE FUNCTION nobill_notify_row_change('id');
CREATE TRIGGER usage_records_notify AFTER INSERT OR UPDATE OR DELETE ON usage_records
    FOR EACH STATEMENT EXECUTE FUNCTION nobill_notify_statement_change();
