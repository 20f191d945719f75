-- Bearer tokens. A token reads `vig_<key_id>_<secret>`; only its SHA-256 is stored (the secret
-- is 256 random bits, so a fast hash is enough: nothing to brute-force).
CREATE TABLE api_keys (
    key_id        text PRIMARY KEY,
    token_sha256  bytea NOT NULL UNIQUE,
    role          text NOT NULL CHECK (role IN ('admin', 'landlord', 'partner', 'manager')),
    landlord_id   text,
    territory_ids text[] NOT NULL DEFAULT '{}',
    name          text,
    created_at    timestamptz NOT NULL DEFAULT now(),
    revoked_at    timestamptz,
    CHECK (role <> 'landlord' OR landlord_id IS NOT NULL)
);

-- Revocation reaches every service at once: they LISTEN on this channel and drop cached keys.
CREATE FUNCTION notify_api_key_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('vigie_api_keys', COALESCE(NEW.key_id, OLD.key_id));
    RETURN NULL;
END $$;

CREATE TRIGGER api_keys_changed AFTER INSERT OR UPDATE OR DELETE ON api_keys
    FOR EACH ROW EXECUTE FUNCTION notify_api_key_change();
