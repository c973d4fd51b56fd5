-- Migration 6: the audit row of a usage import.
--
-- usage_records is not audited row by row (an import may hold a million rows); instead every
-- import leaves one summary row per organization it wrote to. Operators cannot insert into
-- audit_log themselves (migration 2), so the importer calls this function, in the import's
-- own transaction: no audit row without the records, no records without their audit row.

CREATE FUNCTION nobill_record_usage_import(p_organization uuid, p_file text, p_rows bigint,
                                           p_skipped bigint)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    src text := current_setting('nobill.source', true);
BEGIN
    IF NOT nobill_has_permission(p_organization, 'usage.import') THEN
        RAISE EXCEPTION 'permission denied to import usage into this organization'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF p_rows < 0 OR p_skipped < 0 THEN
        RAISE EXCEPTION 'an import cannot count fewer than no rows'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF src IS NULL OR src NOT IN ('console', 'cli', 'webhook', 'worker', 'migration') THEN
        src := 'cli';
    END IF;
    INSERT INTO audit_log (login, app_user_id, organization_id, source, action, entity,
                           entity_id, before, after, changed)
    VALUES (session_user::text, nobill_current_user_id(), p_organization, src, 'import',
            'usage_records', NULL, NULL,
            jsonb_build_object('file', left(p_file, 255), 'rows', p_rows, 'skipped', p_skipped),
            NULL);
END;
$$;

REVOKE ALL ON FUNCTION nobill_record_usage_import(uuid, text, bigint, bigint) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION nobill_record_usage_import(uuid, text, bigint, bigint)
    TO nobill_operator;
