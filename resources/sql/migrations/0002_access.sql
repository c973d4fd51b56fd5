-- NOBill schema, version 2: access enforced by PostgreSQL.
--
-- Every operator signs in with a login role of their own (member of nobill_operator); the
-- `nobillctl serve` process signs in with a login that is a member of nobill_service. What
-- a login may see and change is decided here, by privileges, row-level security policies
-- and a few SECURITY DEFINER functions, so the same rules hold in the console, in nobillctl
-- and in a psql session opened with an operator's password.
--
-- Every function that reads tables pins search_path to pg_catalog, public, pg_temp: pg_temp
-- last, explicitly. Left out, it is searched FIRST for tables, and an operator could create
-- a temporary table "users" (or "audit_log") that a SECURITY DEFINER function would then
-- read (or write) instead of the real one.
--
-- Identity inside the functions is session_user (the login), mapped to an app user through
-- users.login_role; never current_user, which inside a SECURITY DEFINER function is the
-- owner. The owner of the schema (and superusers) count as platform admin, so that setup,
-- migrations and tests can bootstrap.
--
-- Policies compute the caller's permission set once per statement: the function calls are
-- wrapped in scalar subqueries, which the planner turns into InitPlans, e.g.
--     organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.read'))::uuid[])
-- and the indexes on organization_id stay usable. (The cast matters: without it,
-- `= ANY ((SELECT ...))` is read as "= ANY (subquery)", comparing a uuid with a uuid[].)
-- A platform admin's test comes first in
-- an OR, so that the (large) array of every organization is never built for them.
--
-- Runs in one transaction as the owner (the Migrator opens it).

SELECT set_config('nobill.source', 'migration', true);

-------------------------------------------------------------------------------------------
-- Cluster roles (shared by every database of the cluster, hence created idempotently)
-------------------------------------------------------------------------------------------

DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nobill_operator') THEN
        BEGIN
            CREATE ROLE nobill_operator NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- another database of the cluster created it at the same moment
        END;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'nobill_service') THEN
        BEGIN
            CREATE ROLE nobill_service NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE
                NOREPLICATION NOBYPASSRLS;
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL;
        END;
    END IF;
    -- Revoking console access ends the login's sessions (pg_terminate_backend), which a
    -- non-superuser owner may only do as a member of pg_signal_backend. An owner with
    -- CREATEROLE can grant it to itself; otherwise a superuser must do it first.
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'pg_signal_backend', 'MEMBER') THEN
        BEGIN
            EXECUTE format('GRANT pg_signal_backend TO %I', current_user);
        EXCEPTION WHEN insufficient_privilege THEN
            RAISE EXCEPTION 'The database owner "%" needs CREATEROLE and membership in pg_signal_backend. Ask a superuser to run: ALTER ROLE % CREATEROLE; GRANT pg_signal_backend TO %;',
                current_user, quote_ident(current_user), quote_ident(current_user);
        END;
    END IF;
END;
$$;

-- Migration 1's SECURITY DEFINER trigger function, with the same fix (nobill_audit_row is
-- replaced further down).
ALTER FUNCTION nobill_check_membership_role() SET search_path = pg_catalog, public, pg_temp;

-------------------------------------------------------------------------------------------
-- New columns
-------------------------------------------------------------------------------------------

-- Set when someone else chose the password (console access granted or reset); the console
-- asks for a new one at the next sign-in.
ALTER TABLE users ADD COLUMN must_change_password boolean NOT NULL DEFAULT false;

-- The organization an event concerns, filled in when it is processed; NULL for events
-- that concern the platform (or none yet).
ALTER TABLE stripe_events ADD COLUMN organization_id uuid NULL
    CONSTRAINT stripe_events_organization_id_fkey REFERENCES organizations (id) ON DELETE RESTRICT;
CREATE INDEX stripe_events_organization_id_idx ON stripe_events (organization_id, received_at);

-------------------------------------------------------------------------------------------
-- Who is calling
-------------------------------------------------------------------------------------------

-- These run once or twice per statement (as InitPlans of the policies), so they are written
-- in PL/pgSQL: its statements are planned once per session and then reused, where an SQL
-- function's body would be planned again on every call (about a millisecond each).

-- True for the owner of the schema (the role that runs the migrations) and for superusers
-- (pg_has_role is true for them). session_user: the login, whatever role is current.
CREATE FUNCTION nobill_session_is_owner() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN (SELECT pg_has_role(session_user, c.relowner, 'MEMBER')
            FROM pg_class c WHERE c.oid = 'public.organizations'::regclass);
END;
$$;

-- True when the current role (not the login) is the owner: the migration, the owner's own
-- sessions, and the SECURITY DEFINER functions below. Guard triggers let these through.
-- SECURITY INVOKER on purpose: it must see the caller's current_user.
CREATE FUNCTION nobill_current_role_is_owner() RETURNS boolean
LANGUAGE plpgsql STABLE SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN (SELECT pg_has_role(current_user, c.relowner, 'MEMBER')
            FROM pg_class c WHERE c.oid = 'public.organizations'::regclass);
END;
$$;

-- The app user of the current login; NULL for logins without a users row (the owner, the
-- service) and for disabled users, who can do nothing.
CREATE FUNCTION nobill_current_user_id() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN (SELECT u.id FROM users u
            WHERE u.login_role = session_user::text AND u.disabled_at IS NULL);
END;
$$;

CREATE FUNCTION nobill_is_platform_admin() RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    RETURN nobill_session_is_owner()
        OR coalesce((SELECT u.is_platform_admin FROM users u
                     WHERE u.login_role = session_user::text AND u.disabled_at IS NULL), false);
END;
$$;

-- The organizations where the current login holds a permission through its membership
-- role. Platform admins: every organization. Platform-scoped permissions (the shared
-- catalog, the webhook inbox, the job queue) are held by platform admins only, whatever a
-- role says, so that a tenant's Owner cannot manage what every tenant shares.
CREATE FUNCTION nobill_orgs_with(p_permission text) RETURNS uuid[]
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF nobill_is_platform_admin() THEN
        RETURN (SELECT coalesce(array_agg(o.id), '{}') FROM organizations o);
    END IF;
    IF NOT EXISTS (SELECT 1 FROM permissions p
                   WHERE p.key = p_permission AND p.scope = 'organization') THEN
        RETURN '{}';
    END IF;
    RETURN (SELECT coalesce(array_agg(m.organization_id), '{}')
            FROM users u
            JOIN memberships m ON m.user_id = u.id
            JOIN role_permissions rp ON rp.role_id = m.role_id
                                    AND rp.permission_key = p_permission
            WHERE u.login_role = session_user::text AND u.disabled_at IS NULL);
END;
$$;

CREATE FUNCTION nobill_has_permission(p_organization uuid, p_permission text) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF nobill_is_platform_admin() THEN
        RETURN EXISTS (SELECT 1 FROM organizations o WHERE o.id = p_organization);
    END IF;
    RETURN EXISTS (SELECT 1
                   FROM users u
                   JOIN memberships m ON m.user_id = u.id AND m.organization_id = p_organization
                   JOIN role_permissions rp ON rp.role_id = m.role_id
                                           AND rp.permission_key = p_permission
                   JOIN permissions p ON p.key = rp.permission_key AND p.scope = 'organization'
                   WHERE u.login_role = session_user::text AND u.disabled_at IS NULL);
END;
$$;

-- For the console: one row per organization and permission the login holds, so that it
-- can hide or disable what the database would refuse anyway. Platform admins get every
-- organization times every permission (check nobill_is_platform_admin() first to skip it).
CREATE FUNCTION nobill_my_permissions()
RETURNS TABLE (organization_id uuid, organization_name text, permission_key text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT o.id, o.name, p.key
    FROM organizations o CROSS JOIN permissions p
    WHERE nobill_is_platform_admin()
    UNION ALL
    SELECT o.id, o.name, rp.permission_key
    FROM users u
    JOIN memberships m ON m.user_id = u.id
    JOIN organizations o ON o.id = m.organization_id
    JOIN role_permissions rp ON rp.role_id = m.role_id
    JOIN permissions p ON p.key = rp.permission_key AND p.scope = 'organization'
    WHERE NOT nobill_is_platform_admin()
      AND u.login_role = session_user::text AND u.disabled_at IS NULL
    ORDER BY 2, 1, 3
$$;

-- May the caller give role p_role to a member of p_organization? Only roles of that
-- organization (or built-in) whose organization permissions the caller holds there: no one
-- hands out what they do not have. Platform-scoped permissions in a role (the built-in
-- Owner has them) are ignored: they only ever take effect for platform admins.
CREATE FUNCTION nobill_may_assign_role(p_organization uuid, p_role uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT nobill_is_platform_admin()
        OR (nobill_has_permission(p_organization, 'members.manage')
            AND EXISTS (SELECT 1 FROM roles r
                        WHERE r.id = p_role
                          AND (r.organization_id IS NULL OR r.organization_id = p_organization))
            AND NOT EXISTS (
                SELECT 1
                FROM role_permissions rp
                JOIN permissions p ON p.key = rp.permission_key AND p.scope = 'organization'
                WHERE rp.role_id = p_role
                  AND NOT nobill_has_permission(p_organization, rp.permission_key)))
$$;

-- May the caller change which permissions a role grants (add or remove p_permission)?
-- roles.manage in the role's organization; never a built-in role, never a role the caller
-- holds there (no one raises their own rights), never a platform-scoped permission, and
-- only permissions the caller holds there.
CREATE FUNCTION nobill_may_edit_role_permission(p_role uuid, p_permission text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1
        FROM roles r
        JOIN permissions p ON p.key = p_permission AND p.scope = 'organization'
        WHERE r.id = p_role
          AND r.organization_id IS NOT NULL
          AND NOT r.is_builtin
          AND (nobill_is_platform_admin()
               OR (nobill_has_permission(r.organization_id, 'roles.manage')
                   AND nobill_has_permission(r.organization_id, p_permission)
                   AND NOT EXISTS (SELECT 1 FROM memberships m
                                   WHERE m.organization_id = r.organization_id
                                     AND m.role_id = r.id
                                     AND m.user_id = nobill_current_user_id()))))
$$;

-- May the caller manage this person's console access? Platform admins may, for anyone.
-- Others need members.manage in every organization the person belongs to (at least one):
-- whoever sets a password can act as that person everywhere they are a member. Platform
-- admins' access is managed by platform admins only.
CREATE FUNCTION nobill_may_manage_person(p_user uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT nobill_is_platform_admin()
        OR (EXISTS (SELECT 1 FROM users u WHERE u.id = p_user AND NOT u.is_platform_admin)
            AND EXISTS (SELECT 1 FROM memberships m WHERE m.user_id = p_user)
            AND NOT EXISTS (SELECT 1 FROM memberships m
                            WHERE m.user_id = p_user
                              AND NOT nobill_has_permission(m.organization_id, 'members.manage')))
$$;

-------------------------------------------------------------------------------------------
-- Console access: login roles
-------------------------------------------------------------------------------------------

-- A SCRAM-SHA-256 verifier as libpq's PQencryptPasswordConn makes it:
--   SCRAM-SHA-256$<iterations>:<salt>$<StoredKey>:<ServerKey>
-- The client hashes the password, so the plaintext never reaches the server (nor its logs).
CREATE FUNCTION nobill_is_scram_verifier(p_verifier text) RETURNS boolean
LANGUAGE sql IMMUTABLE SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT coalesce(p_verifier ~ '^SCRAM-SHA-256\$[0-9]{1,9}:[A-Za-z0-9+/]+={0,2}\$[A-Za-z0-9+/]+={0,2}:[A-Za-z0-9+/]+={0,2}$'
                    AND length(p_verifier) <= 1000, false)
$$;

-- Is this login one that NOBill manages: an ordinary member of nobill_operator, with no
-- attribute beyond LOGIN? The functions below refuse to touch any other role (the owner,
-- a superuser, the service login), even if a users row names it.
CREATE FUNCTION nobill_is_operator_login(p_login text) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT EXISTS (
        SELECT 1 FROM pg_roles r
        WHERE r.rolname = p_login
          AND NOT r.rolsuper AND NOT r.rolcreaterole AND NOT r.rolcreatedb
          AND NOT r.rolreplication AND NOT r.rolbypassrls
          AND pg_has_role(r.oid, 'nobill_operator', 'MEMBER')
          AND NOT pg_has_role(r.oid, 'nobill_service', 'MEMBER'))
$$;

-- Gives a person a console login (or re-enables theirs with a new password). Caller:
-- platform admin, or members.manage in every organization of the person. The login
-- inherits nobill_operator's privileges and has nothing else. A person who already has a
-- login keeps its name (p_login is then ignored). The person must choose a new password at
-- the next sign-in.
CREATE FUNCTION nobill_grant_console_access(p_user uuid, p_login text, p_password_verifier text)
RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    target users%ROWTYPE;
    login  text;
BEGIN
    IF NOT nobill_may_manage_person(p_user) THEN
        RAISE EXCEPTION 'permission denied to grant console access to this person'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO target FROM users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This person no longer exists. Reload the list of people.';
    END IF;
    IF NOT nobill_is_scram_verifier(p_password_verifier) THEN
        RAISE EXCEPTION 'The password did not arrive in the protected form NOBill uses, so it was not set. Update NOBill Console and try again.';
    END IF;

    IF target.login_role IS NOT NULL THEN
        login := target.login_role;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login) THEN
            IF NOT nobill_is_operator_login(login) THEN
                RAISE EXCEPTION 'The login "%" is not a console login that NOBill manages; ask the database administrator to change it.', login;
            END IF;
            EXECUTE format('ALTER ROLE %I WITH LOGIN PASSWORD %L', login, p_password_verifier);
        ELSE
            EXECUTE format('CREATE ROLE %I WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB '
                           'NOCREATEROLE NOREPLICATION NOBYPASSRLS IN ROLE nobill_operator '
                           'PASSWORD %L', login, p_password_verifier);
        END IF;
    ELSE
        login := p_login;
        IF login IS NULL OR login !~ '^[a-z][a-z0-9_]{2,62}$' THEN
            RAISE EXCEPTION 'A login name has 3 to 63 lowercase letters, digits and underscores, and starts with a letter.';
        END IF;
        IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = login)
           OR EXISTS (SELECT 1 FROM users WHERE login_role = login) THEN
            RAISE EXCEPTION 'The login name "%" is already taken. Choose another one.', login;
        END IF;
        EXECUTE format('CREATE ROLE %I WITH LOGIN INHERIT NOSUPERUSER NOCREATEDB NOCREATEROLE '
                       'NOREPLICATION NOBYPASSRLS IN ROLE nobill_operator PASSWORD %L',
                       login, p_password_verifier);
    END IF;

    UPDATE users SET login_role = login, must_change_password = true WHERE id = p_user;
END;
$$;

-- Takes a person's console access away: the login can no longer sign in and its open
-- sessions end. users.login_role stays, so the audit trail keeps naming the person, and
-- access can be granted again later under the same login.
CREATE FUNCTION nobill_revoke_console_access(p_user uuid) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    target users%ROWTYPE;
BEGIN
    IF NOT nobill_may_manage_person(p_user) THEN
        RAISE EXCEPTION 'permission denied to revoke console access of this person'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT * INTO target FROM users WHERE id = p_user FOR UPDATE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'This person no longer exists. Reload the list of people.';
    END IF;
    IF target.login_role = session_user::text THEN
        RAISE EXCEPTION 'You cannot take away your own console access. Ask another administrator.';
    END IF;
    IF target.login_role IS NULL
       OR NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = target.login_role) THEN
        RETURN; -- nothing to take away
    END IF;
    IF NOT nobill_is_operator_login(target.login_role) THEN
        RAISE EXCEPTION 'The login "%" is not a console login that NOBill manages; ask the database administrator to change it.', target.login_role;
    END IF;
    EXECUTE format('ALTER ROLE %I WITH NOLOGIN', target.login_role);
    PERFORM pg_terminate_backend(a.pid)
    FROM pg_stat_activity a
    WHERE a.usename = target.login_role AND a.pid <> pg_backend_pid();

    -- The users row does not change, so the audit trigger would not see this: record it.
    INSERT INTO audit_log (login, app_user_id, organization_id, source, action, entity,
                           entity_id, before, after, changed)
    VALUES (session_user::text, nobill_current_user_id(), NULL,
            coalesce(nullif(current_setting('nobill.source', true), ''), 'cli'), 'update',
            'users', p_user::text,
            jsonb_build_object('console_access', true, 'login_role', target.login_role),
            jsonb_build_object('console_access', false, 'login_role', target.login_role),
            jsonb_build_object('console_access', false));
END;
$$;

-- The signed-in operator chooses a new password (given as a SCRAM verifier).
CREATE FUNCTION nobill_set_own_password(p_password_verifier text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    me uuid := nobill_current_user_id();
BEGIN
    IF me IS NULL OR NOT nobill_is_operator_login(session_user::text) THEN
        RAISE EXCEPTION 'permission denied: only console operators change their password here'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT nobill_is_scram_verifier(p_password_verifier) THEN
        RAISE EXCEPTION 'The password did not arrive in the protected form NOBill uses, so it was not set. Update NOBill Console and try again.';
    END IF;
    EXECUTE format('ALTER ROLE %I WITH PASSWORD %L', session_user, p_password_verifier);
    UPDATE users SET must_change_password = false WHERE id = me AND must_change_password;
END;
$$;

-------------------------------------------------------------------------------------------
-- People and memberships
-------------------------------------------------------------------------------------------

-- Finds an existing person by exact e-mail address (any case), so that a members.manage
-- holder can add them to an organization without seeing everybody. Nothing for others.
CREATE FUNCTION nobill_find_user(p_email text)
RETURNS TABLE (id uuid, email text, display_name text)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
    SELECT u.id, u.email, u.display_name
    FROM users u
    WHERE lower(u.email) = lower(p_email)
      AND (nobill_is_platform_admin() OR cardinality(nobill_orgs_with('members.manage')) > 0)
$$;

-- Adds a person to an organization with a role, creating the person if the e-mail address
-- is new (an existing person keeps their display name). Returns the person's id.
CREATE FUNCTION nobill_invite_user(p_organization uuid, p_email text, p_display_name text,
                                   p_role uuid)
RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    person uuid;
BEGIN
    IF NOT nobill_has_permission(p_organization, 'members.manage')
       OR NOT nobill_may_assign_role(p_organization, p_role) THEN
        RAISE EXCEPTION 'permission denied to add members with this role to this organization'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    SELECT u.id INTO person FROM users u WHERE lower(u.email) = lower(p_email);
    IF person IS NULL THEN
        INSERT INTO users (email, display_name) VALUES (p_email, p_display_name)
        RETURNING users.id INTO person;
    ELSIF person = nobill_current_user_id() AND NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied to change one''s own membership'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    INSERT INTO memberships (organization_id, user_id, role_id)
    VALUES (p_organization, person, p_role);
    RETURN person;
END;
$$;

-------------------------------------------------------------------------------------------
-- Guards
-------------------------------------------------------------------------------------------

-- A row never moves to another organization (an organization never changes its id).
-- Applies to everyone, the owner included. Argument: the column ('organization_id' or
-- 'id'). A Stripe event's organization is filled in once, when it is processed.
CREATE FUNCTION nobill_keep_organization() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    column_name text := coalesce(TG_ARGV[0], 'organization_id');
    old_value   text := to_jsonb(OLD) ->> column_name;
    new_value   text := to_jsonb(NEW) ->> column_name;
BEGIN
    IF new_value IS DISTINCT FROM old_value
       AND NOT (TG_TABLE_NAME = 'stripe_events' AND old_value IS NULL) THEN
        RAISE EXCEPTION 'update on table "%" violates constraint "%"',
                        TG_TABLE_NAME, TG_TABLE_NAME || '_organization_id_immutable'
            USING ERRCODE = 'check_violation',
                  CONSTRAINT = TG_TABLE_NAME || '_organization_id_immutable',
                  TABLE = TG_TABLE_NAME;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER organizations_keep_organization BEFORE UPDATE OF id ON organizations
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization('id');
CREATE TRIGGER memberships_keep_organization BEFORE UPDATE OF organization_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER roles_keep_organization BEFORE UPDATE OF organization_id ON roles
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER subscriptions_keep_organization BEFORE UPDATE OF organization_id ON subscriptions
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER usage_records_keep_organization BEFORE UPDATE OF organization_id ON usage_records
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER invoices_keep_organization BEFORE UPDATE OF organization_id ON invoices
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER stripe_events_keep_organization BEFORE UPDATE OF organization_id ON stripe_events
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER jobs_keep_organization BEFORE UPDATE OF organization_id ON jobs
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();
CREATE TRIGGER audit_log_keep_organization BEFORE UPDATE OF organization_id ON audit_log
    FOR EACH ROW EXECUTE FUNCTION nobill_keep_organization();

-- People: operators change their own display name and nothing else about themselves; only
-- platform admins make or unmake platform admins (themselves included); a person who can
-- still sign in is not deleted (revoke the access first). The owner (migrations, the
-- functions above) is let through: column privileges already keep login_role and
-- must_change_password out of operators' reach.
CREATE FUNCTION nobill_guard_users() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.login_role IS NOT NULL
           AND EXISTS (SELECT 1 FROM pg_roles r WHERE r.rolname = OLD.login_role AND r.rolcanlogin)
           AND nobill_is_operator_login(OLD.login_role) THEN
            RAISE EXCEPTION 'This person can still sign in to the console. Revoke their console access first.';
        END IF;
        RETURN OLD;
    END IF;
    IF nobill_current_role_is_owner() THEN
        RETURN NEW;
    END IF;
    IF TG_OP = 'INSERT' THEN
        IF (NEW.is_platform_admin AND NOT nobill_is_platform_admin())
           OR NEW.login_role IS NOT NULL OR NEW.must_change_password THEN
            RAISE EXCEPTION 'permission denied to create this person as given'
                USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NEW;
    END IF;
    IF NEW.is_platform_admin IS DISTINCT FROM OLD.is_platform_admin
       AND NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied: only platform administrators change who is one'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF NOT nobill_is_platform_admin()
       AND ((NEW.email, NEW.disabled_at, NEW.login_role, NEW.must_change_password)
            IS DISTINCT FROM (OLD.email, OLD.disabled_at, OLD.login_role, OLD.must_change_password)
            OR OLD.id IS DISTINCT FROM nobill_current_user_id()) THEN
        RAISE EXCEPTION 'permission denied: operators change only their own display name'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER users_guard BEFORE INSERT OR UPDATE OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION nobill_guard_users();

-------------------------------------------------------------------------------------------
-- Audit trail: who, and a hash chain
-------------------------------------------------------------------------------------------

-- The audit rows' id is now assigned by the chain trigger instead of an identity: an
-- identity default is evaluated before BEFORE triggers run, i.e. before the chain lock is
-- taken, so two transactions could take ids in one order and chain in the other. Assigned
-- inside the trigger, after the lock, ids are gapless and in chain order.
ALTER TABLE audit_log ALTER COLUMN id DROP IDENTITY IF EXISTS;

-- The head of the chain: the newest committed row's id and hash, written once per
-- transaction when it commits (audit_log_head below). It makes two things detectable or
-- impossible: deleting the newest rows (verification compares the last row with the
-- head, and the next row chains to the head, not to what is left), and a REPEATABLE READ or
-- SERIALIZABLE transaction chaining to a stale row (its snapshot cannot see rows committed
-- while it waited for the lock; locking the head then fails with a serialization error,
-- and the caller retries, instead of forking the chain).
CREATE TABLE audit_chain (
    singleton boolean NOT NULL DEFAULT true,
    last_id   bigint  NOT NULL,
    last_hash bytea   NULL,
    CONSTRAINT audit_chain_pkey PRIMARY KEY (singleton),
    CONSTRAINT audit_chain_singleton_check CHECK (singleton)
);

-- The hash of an audit row: sha256(previous row's hash || the row's content as canonical
-- text). Every field is rendered as an SQL literal (quote_nullable: NULL bare, text quoted
-- with quotes doubled), so the '|' between fields can never be confused with content;
-- times in UTC with microseconds, whatever the session's time zone.
-- No SET search_path (it only calls pg_catalog functions, which are always found first):
-- a function with SET is never inlined, and verification calls this once per row.
CREATE FUNCTION nobill_audit_hash(a audit_log) RETURNS bytea
LANGUAGE sql STABLE AS $$
    SELECT sha256(coalesce(a.prev_hash, '\x'::bytea) || convert_to(concat_ws('|',
        a.id::text,
        to_char(a.occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        quote_nullable(a.login),
        quote_nullable(a.app_user_id::text),
        quote_nullable(a.organization_id::text),
        quote_nullable(a.source),
        quote_nullable(a.action),
        quote_nullable(a.entity),
        quote_nullable(a.entity_id),
        quote_nullable(a.before::text),
        quote_nullable(a.after::text),
        quote_nullable(a.changed::text)), 'UTF8'))
$$;

-- BEFORE INSERT on audit_log: the row's id, prev_hash and hash.
CREATE FUNCTION nobill_audit_chain() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    head_id   bigint;
    head_hash bytea;
    last_id   bigint;
    last_hash bytea;
BEGIN
    -- Held until commit, so transactions append one after the other, in commit order.
    -- Under READ COMMITTED each query below sees what was committed while we waited.
    -- Any constant works as the key; it only has to differ from the migration lock
    -- (0x4E4F42494C4C41, "NOBILLA").
    PERFORM pg_advisory_xact_lock(22043418570361921);
    SELECT c.last_id, c.last_hash INTO head_id, head_hash
    FROM audit_chain c WHERE c.singleton FOR UPDATE;
    -- Rows past the committed head can only be this transaction's own earlier rows.
    SELECT a.id, a.hash INTO last_id, last_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
    IF last_id > head_id THEN
        NEW.id := last_id + 1;
        NEW.prev_hash := last_hash;
    ELSE
        NEW.id := head_id + 1;
        NEW.prev_hash := head_hash;
    END IF;
    NEW.hash := nobill_audit_hash(NEW);
    RETURN NEW;
END;
$$;

-- At commit (a deferred constraint trigger): moves the head to the transaction's last row.
-- It fires once per inserted row, but only the first call of a transaction changes the
-- head; updating the one head row for every audit row would make a transaction's n-th
-- insert walk n versions of it.
-- SECURITY DEFINER: deferred triggers run as whoever commits, an operator included.
CREATE FUNCTION nobill_audit_head() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    UPDATE audit_chain c SET last_id = l.id, last_hash = l.hash
    FROM (SELECT a.id, a.hash FROM audit_log a ORDER BY a.id DESC LIMIT 1) l
    WHERE c.singleton AND l.id > c.last_id;
    RETURN NULL;
END;
$$;

-- Nobody but the owner rewrites the trail (operators have no privileges on it anyway); and
-- what the owner rewrites, nobill_audit_verify() finds.
CREATE FUNCTION nobill_guard_audit_log() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, public, pg_temp AS $$
BEGIN
    IF NOT nobill_current_role_is_owner() THEN
        RAISE EXCEPTION 'permission denied: the audit trail cannot be changed'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN CASE WHEN TG_OP = 'DELETE' THEN OLD ELSE NEW END;
END;
$$;

-- Chain the rows written so far (by migration 1 and anything since), in id order.
DO $$
DECLARE
    r    record;
    prev bytea := NULL;
    last bigint := 0;
BEGIN
    FOR r IN SELECT id FROM audit_log ORDER BY id LOOP
        UPDATE audit_log SET prev_hash = prev, hash = NULL WHERE id = r.id;
        UPDATE audit_log a SET hash = nobill_audit_hash(a) WHERE a.id = r.id
        RETURNING a.hash INTO prev;
        last := r.id;
    END LOOP;
    INSERT INTO audit_chain (singleton, last_id, last_hash) VALUES (true, last, prev);
END;
$$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_chain();
CREATE CONSTRAINT TRIGGER audit_log_head AFTER INSERT ON audit_log
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION nobill_audit_head();
CREATE TRIGGER audit_log_guard BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION nobill_guard_audit_log();
CREATE TRIGGER audit_log_guard_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION nobill_guard_audit_log();

-- The audit trigger of migration 1, now naming the app user through the same function as
-- the policies. The source is the session's nobill.source (set by every NOBill connection).
CREATE OR REPLACE FUNCTION nobill_audit_row() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
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

    INSERT INTO audit_log (login, app_user_id, organization_id, source, action, entity,
                           entity_id, before, after, changed)
    VALUES (session_user::text, nobill_current_user_id(), org_id, src, lower(TG_OP),
            TG_TABLE_NAME,
            (SELECT string_agg(row_data ->> k, '/' ORDER BY ord)
             FROM unnest(key_cols) WITH ORDINALITY AS c(k, ord)),
            old_row, new_row, diff);
    RETURN NULL;
END;
$$;

-- Checks the whole chain in one pass, in id order: the first row whose prev_hash is not
-- the previous row's hash (rows deleted or reordered) or whose hash is not what its
-- content gives (a row changed afterwards); then that the newest row is the chain's head
-- (newest rows deleted). For the owner and platform admins.
CREATE FUNCTION nobill_audit_verify()
RETURNS TABLE (intact boolean, rows_checked bigint, first_broken_id bigint, problem text)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, public, pg_temp AS $$
DECLARE
    checked    bigint;
    broken_id  bigint;
    broken_why text;
    head       audit_chain%ROWTYPE;
    last_id    bigint;
    last_hash  bytea;
BEGIN
    IF NOT nobill_is_platform_admin() THEN
        RAISE EXCEPTION 'permission denied: only platform administrators verify the audit trail'
            USING ERRCODE = 'insufficient_privilege';
    END IF;

    SELECT count(*),
           min(c.id) FILTER (WHERE c.why IS NOT NULL),
           (array_agg(c.why ORDER BY c.id) FILTER (WHERE c.why IS NOT NULL))[1]
      INTO checked, broken_id, broken_why
    FROM (SELECT l.id,
                 CASE
                     WHEN l.changed AND l.unlinked THEN 'rows were reordered or replaced here'
                     WHEN l.changed THEN 'the row was changed after it was written'
                     WHEN l.unlinked AND l.previous IS NULL THEN 'the rows before it were deleted'
                     WHEN l.unlinked THEN 'the row before it is missing or was rewritten'
                 END AS why
          FROM (SELECT a.id,
                       a.hash IS DISTINCT FROM nobill_audit_hash(a) AS changed,
                       a.prev_hash IS DISTINCT FROM lag(a.hash) OVER w AS unlinked,
                       lag(a.hash) OVER w AS previous
                FROM audit_log a
                WINDOW w AS (ORDER BY a.id)) l) c;

    IF broken_id IS NULL THEN
        SELECT * INTO head FROM audit_chain WHERE singleton;
        SELECT a.id, a.hash INTO last_id, last_hash FROM audit_log a ORDER BY a.id DESC LIMIT 1;
        IF head.last_id IS DISTINCT FROM coalesce(last_id, 0)
           OR head.last_hash IS DISTINCT FROM last_hash THEN
            broken_id := coalesce(last_id, 0) + 1;
            broken_why := format('the newest rows (up to %s) were deleted', head.last_id);
        END IF;
    END IF;

    RETURN QUERY SELECT broken_id IS NULL, checked, broken_id, broken_why;
END;
$$;

-------------------------------------------------------------------------------------------
-- Privileges
-------------------------------------------------------------------------------------------

-- Nothing for PUBLIC: a login that is neither operator nor service (nor owner) can do
-- nothing here. Functions the owner creates from now on are not executable by PUBLIC
-- either; later migrations grant what they add.
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO nobill_operator, nobill_service;
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
DO $$
DECLARE
    f regprocedure;
BEGIN
    FOR f IN SELECT p.oid::regprocedure FROM pg_proc p
             WHERE p.pronamespace = 'public'::regnamespace AND p.proname LIKE 'nobill\_%'
    LOOP
        EXECUTE format('REVOKE ALL ON FUNCTION %s FROM PUBLIC', f);
    END LOOP;
END;
$$;

-- The API of the console (EXECUTE also lets the policies call them).
GRANT EXECUTE ON FUNCTION
    nobill_current_user_id(),
    nobill_is_platform_admin(),
    nobill_orgs_with(text),
    nobill_has_permission(uuid, text),
    nobill_my_permissions(),
    nobill_may_assign_role(uuid, uuid),
    nobill_may_edit_role_permission(uuid, text),
    nobill_may_manage_person(uuid),
    nobill_grant_console_access(uuid, text, text),
    nobill_revoke_console_access(uuid),
    nobill_set_own_password(text),
    nobill_find_user(text),
    nobill_invite_user(uuid, text, text, uuid),
    nobill_audit_verify(),
    nobill_current_role_is_owner(),
    nobill_is_operator_login(text)
TO nobill_operator;
GRANT EXECUTE ON FUNCTION
    nobill_current_user_id(),
    nobill_is_platform_admin(),
    nobill_current_role_is_owner()
TO nobill_service;

-- Both read the schema version (a client older than the schema refuses to write).
GRANT SELECT ON nobill_schema_migrations TO nobill_operator, nobill_service;
GRANT SELECT ON permissions TO nobill_operator;

-- Operators. Column lists leave out what an operator never sets: ids, organization_id
-- (rows never move), Stripe ids (the service sets them), login_role and
-- must_change_password (the functions above), timestamps kept by triggers.
GRANT SELECT, INSERT, DELETE ON organizations TO nobill_operator;
GRANT UPDATE (name, slug, billing_email, currency, status, tax_id, address_line1,
              address_line2, postal_code, city, country, version)
    ON organizations TO nobill_operator;

GRANT SELECT, DELETE ON users TO nobill_operator;
GRANT INSERT (id, email, display_name, is_platform_admin, disabled_at) ON users TO nobill_operator;
GRANT UPDATE (email, display_name, is_platform_admin, disabled_at) ON users TO nobill_operator;

GRANT SELECT, DELETE ON roles TO nobill_operator;
GRANT INSERT (id, organization_id, key, name, description) ON roles TO nobill_operator;
GRANT UPDATE (key, name, description) ON roles TO nobill_operator;

GRANT SELECT, INSERT, DELETE ON role_permissions TO nobill_operator;

GRANT SELECT, DELETE ON memberships TO nobill_operator;
GRANT INSERT (organization_id, user_id, role_id) ON memberships TO nobill_operator;
GRANT UPDATE (role_id) ON memberships TO nobill_operator;

GRANT SELECT, DELETE ON products TO nobill_operator;
GRANT INSERT (id, name, description, archived_at) ON products TO nobill_operator;
GRANT UPDATE (name, description, archived_at) ON products TO nobill_operator;

GRANT SELECT, DELETE ON plans TO nobill_operator;
GRANT INSERT (id, product_id, name, amount, currency, interval, interval_count, usage_type,
              metric, trial_days, replaces_plan_id, archived_at)
    ON plans TO nobill_operator;
GRANT UPDATE (name, amount, currency, interval, interval_count, usage_type, metric, trial_days,
              replaces_plan_id, archived_at)
    ON plans TO nobill_operator;

GRANT SELECT, DELETE ON subscriptions TO nobill_operator;
GRANT INSERT (id, organization_id, plan_id, status, quantity, collection_method,
              days_until_due, current_period_start, current_period_end, cancel_at_period_end,
              canceled_at, trial_end)
    ON subscriptions TO nobill_operator;
GRANT UPDATE (plan_id, status, quantity, collection_method, days_until_due,
              current_period_start, current_period_end, cancel_at_period_end, canceled_at,
              trial_end, version)
    ON subscriptions TO nobill_operator;

GRANT SELECT ON usage_records TO nobill_operator;
GRANT INSERT (id, organization_id, subscription_id, metric, quantity, occurred_at,
              idempotency_key)
    ON usage_records TO nobill_operator;

GRANT SELECT, DELETE ON invoices TO nobill_operator;
GRANT INSERT (id, organization_id, subscription_id, number, status, currency, subtotal, tax,
              total, amount_due, amount_paid, amount_remaining, period_start, period_end,
              due_date)
    ON invoices TO nobill_operator;
GRANT UPDATE (number, status, subtotal, tax, total, amount_due, amount_paid, amount_remaining,
              period_start, period_end, due_date, finalized_at, paid_at)
    ON invoices TO nobill_operator;

GRANT SELECT ON audit_log TO nobill_operator;

GRANT SELECT ON stripe_events TO nobill_operator;
GRANT UPDATE (status, attempts, last_error, processed_at) ON stripe_events TO nobill_operator;

GRANT SELECT, DELETE ON jobs TO nobill_operator;
GRANT INSERT (id, organization_id, kind, payload, idempotency_key, max_attempts, run_after)
    ON jobs TO nobill_operator;
GRANT UPDATE (status, attempts, max_attempts, run_after, last_error) ON jobs TO nobill_operator;

-- The service (webhook listener and job worker): the inbox, the queue, and the billing
-- tables it mirrors from Stripe. No people, roles or audit rows (its changes are audited
-- by the triggers like everyone's).
GRANT SELECT, INSERT, UPDATE ON stripe_events, jobs, subscriptions, invoices TO nobill_service;
GRANT SELECT ON organizations, products, plans, usage_records TO nobill_service;
GRANT UPDATE (stripe_customer_id) ON organizations TO nobill_service;
GRANT UPDATE (stripe_product_id) ON products TO nobill_service;
GRANT UPDATE (stripe_price_id, stripe_meter_id) ON plans TO nobill_service;
GRANT UPDATE (reported_state, reported_at, stripe_meter_event_id) ON usage_records
    TO nobill_service;

-------------------------------------------------------------------------------------------
-- Row-level security
-------------------------------------------------------------------------------------------

-- Enabled and forced everywhere a row belongs to someone. Forced applies the policies to
-- the owner as well, unless a superuser; the owner then sees everything through its own
-- policy (TO CURRENT_USER: the role running this migration), which also keeps the
-- SECURITY DEFINER functions above from recursing into the policies.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'users', 'memberships', 'roles',
                             'role_permissions', 'products', 'plans', 'subscriptions',
                             'usage_records', 'invoices', 'audit_log', 'stripe_events', 'jobs']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I AS PERMISSIVE FOR ALL TO CURRENT_USER '
                       'USING (true) WITH CHECK (true)', t || '_owner', t);
    END LOOP;
END;
$$;

-- organizations: see with tenants.read, change with tenants.manage (an update without it
-- is refused rather than silently matching nothing); create and delete: platform admins.
CREATE POLICY organizations_select ON organizations FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]));
CREATE POLICY organizations_insert ON organizations FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY organizations_update ON organizations FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR id = ANY ((SELECT nobill_orgs_with('tenants.manage'))::uuid[]));
CREATE POLICY organizations_delete ON organizations FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin()));

-- users: oneself, the members of the organizations one may see, everyone for platform
-- admins. Changes: oneself (display name only, see users_guard) and platform admins.
CREATE POLICY users_select ON users FOR SELECT TO nobill_operator
    USING (id = (SELECT nobill_current_user_id())
           OR (SELECT nobill_is_platform_admin())
           OR id IN (SELECT m.user_id FROM memberships m));
CREATE POLICY users_insert ON users FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY users_update ON users FOR UPDATE TO nobill_operator
    USING (id = (SELECT nobill_current_user_id()) OR (SELECT nobill_is_platform_admin()))
    WITH CHECK (id = (SELECT nobill_current_user_id()) OR (SELECT nobill_is_platform_admin()));
CREATE POLICY users_delete ON users FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin()));

-- memberships: see with tenants.read; add, change and remove with members.manage, never
-- one's own membership (nobody gives themselves a role), and only roles whose permissions
-- one holds there.
CREATE POLICY memberships_select ON memberships FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]));
CREATE POLICY memberships_insert ON memberships FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR (organization_id = ANY ((SELECT nobill_orgs_with('members.manage'))::uuid[])
                    AND user_id IS DISTINCT FROM (SELECT nobill_current_user_id())
                    AND nobill_may_assign_role(organization_id, role_id)));
CREATE POLICY memberships_update ON memberships FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR (organization_id = ANY ((SELECT nobill_orgs_with('members.manage'))::uuid[])
                    AND user_id IS DISTINCT FROM (SELECT nobill_current_user_id())
                    AND nobill_may_assign_role(organization_id, role_id)));
CREATE POLICY memberships_delete ON memberships FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR (organization_id = ANY ((SELECT nobill_orgs_with('members.manage'))::uuid[])
               AND user_id IS DISTINCT FROM (SELECT nobill_current_user_id())));

-- roles: the built-in ones are read by every operator of this database and written by
-- nobody but the owner; custom roles are seen with tenants.read, written with roles.manage.
CREATE POLICY roles_select ON roles FOR SELECT TO nobill_operator
    USING ((organization_id IS NULL AND (SELECT nobill_current_user_id()) IS NOT NULL)
           OR (SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]));
CREATE POLICY roles_insert ON roles FOR INSERT TO nobill_operator
    WITH CHECK (organization_id = ANY ((SELECT nobill_orgs_with('roles.manage'))::uuid[]));
CREATE POLICY roles_update ON roles FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('tenants.read'))::uuid[]))
    WITH CHECK (organization_id = ANY ((SELECT nobill_orgs_with('roles.manage'))::uuid[]));
CREATE POLICY roles_delete ON roles FOR DELETE TO nobill_operator
    USING (organization_id = ANY ((SELECT nobill_orgs_with('roles.manage'))::uuid[]));

-- role_permissions: seen with the role; added and removed as nobill_may_edit_role_permission
-- says (roles.manage, not built-in, not one's own role, organization scope, held oneself).
CREATE POLICY role_permissions_select ON role_permissions FOR SELECT TO nobill_operator
    USING (role_id IN (SELECT r.id FROM roles r));
CREATE POLICY role_permissions_insert ON role_permissions FOR INSERT TO nobill_operator
    WITH CHECK (nobill_may_edit_role_permission(role_id, permission_key));
CREATE POLICY role_permissions_delete ON role_permissions FOR DELETE TO nobill_operator
    USING (nobill_may_edit_role_permission(role_id, permission_key));

-- The catalog: read by every operator of this database, written with plans.manage (a
-- platform permission: platform admins only).
CREATE POLICY products_select ON products FOR SELECT TO nobill_operator
    USING ((SELECT nobill_current_user_id()) IS NOT NULL OR (SELECT nobill_is_platform_admin()));
CREATE POLICY products_insert ON products FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY products_update ON products FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_current_user_id()) IS NOT NULL OR (SELECT nobill_is_platform_admin()))
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY products_delete ON products FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin()));
CREATE POLICY plans_select ON plans FOR SELECT TO nobill_operator
    USING ((SELECT nobill_current_user_id()) IS NOT NULL OR (SELECT nobill_is_platform_admin()));
CREATE POLICY plans_insert ON plans FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY plans_update ON plans FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_current_user_id()) IS NOT NULL OR (SELECT nobill_is_platform_admin()))
    WITH CHECK ((SELECT nobill_is_platform_admin()));
CREATE POLICY plans_delete ON plans FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin()));

-- subscriptions: subscriptions.read / subscriptions.manage.
CREATE POLICY subscriptions_select ON subscriptions FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.read'))::uuid[]));
CREATE POLICY subscriptions_insert ON subscriptions FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.manage'))::uuid[]));
CREATE POLICY subscriptions_update ON subscriptions FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.manage'))::uuid[]));
CREATE POLICY subscriptions_delete ON subscriptions FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.manage'))::uuid[]));

-- usage_records: usage.read / usage.import (insert only; nobody edits recorded usage).
CREATE POLICY usage_records_select ON usage_records FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('usage.read'))::uuid[]));
CREATE POLICY usage_records_insert ON usage_records FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('usage.import'))::uuid[]));

-- invoices: invoices.read / invoices.manage.
CREATE POLICY invoices_select ON invoices FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('invoices.read'))::uuid[]));
CREATE POLICY invoices_insert ON invoices FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('invoices.manage'))::uuid[]));
CREATE POLICY invoices_update ON invoices FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('invoices.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('invoices.manage'))::uuid[]));
CREATE POLICY invoices_delete ON invoices FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('invoices.manage'))::uuid[]));

-- audit_log: read with audit.read; rows of no organization by platform admins. Written only
-- by the audit trigger (as the owner).
CREATE POLICY audit_log_select ON audit_log FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('audit.read'))::uuid[]));

-- stripe_events: read with webhooks.read (events of no organization: platform admins);
-- replayed and ignored with webhooks.manage (platform admins).
CREATE POLICY stripe_events_select ON stripe_events FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('webhooks.read'))::uuid[]));
CREATE POLICY stripe_events_update ON stripe_events FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('webhooks.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('webhooks.manage'))::uuid[]));

-- jobs: seen with subscriptions.read (jobs of no organization: platform admins); written
-- with jobs.manage (platform admins). Enqueueing functions come with the job queue.
CREATE POLICY jobs_select ON jobs FOR SELECT TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.read'))::uuid[]));
CREATE POLICY jobs_insert ON jobs FOR INSERT TO nobill_operator
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('jobs.manage'))::uuid[]));
CREATE POLICY jobs_update ON jobs FOR UPDATE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('subscriptions.read'))::uuid[]))
    WITH CHECK ((SELECT nobill_is_platform_admin())
                OR organization_id = ANY ((SELECT nobill_orgs_with('jobs.manage'))::uuid[]));
CREATE POLICY jobs_delete ON jobs FOR DELETE TO nobill_operator
    USING ((SELECT nobill_is_platform_admin())
           OR organization_id = ANY ((SELECT nobill_orgs_with('jobs.manage'))::uuid[]));

-- The service sees and writes every row of the tables it was granted.
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['organizations', 'products', 'plans', 'subscriptions',
                             'usage_records', 'invoices', 'stripe_events', 'jobs']
    LOOP
        EXECUTE format('CREATE POLICY %I ON %I AS PERMISSIVE FOR ALL TO nobill_service '
                       'USING (true) WITH CHECK (true)', t || '_service', t);
    END LOOP;
END;
$$;
