-- Keys may expire (`vigie keys create --expires`), and a rotated key names the key it replaced
-- (`vigie keys rotate`: the old one expires after a grace period).
ALTER TABLE api_keys
    ADD COLUMN expires_at   timestamptz,
    ADD COLUMN rotated_from text REFERENCES api_keys (key_id);

-- Who did what, when: every administrative action (keys, rules, subscriptions, silences,
-- imports, rebuilds, mobilisations, moderation). Append-only: the triggers below refuse any
-- UPDATE, DELETE or TRUNCATE, whoever asks (a superuser can drop the trigger, and that DDL is
-- visible in PostgreSQL's own logs).
CREATE TABLE audit_log (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor       text NOT NULL,      -- a key id, or `cli:<os user>` for the command line
    actor_role  text,
    action      text NOT NULL,      -- e.g. `keys.create`, `rules.put`, `rebuild`
    target      text,               -- what the action was about (a key id, a rule id…)
    details     jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
