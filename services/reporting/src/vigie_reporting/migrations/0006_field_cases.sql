-- Field cases (retours d'expérience): what a landlord's referents tried somewhere, shared with
-- the whole network. The kind of place only, never an address; free texts arrive masked
-- (vigie_reporting.cases). A withdrawn case (its author's DELETE) or one an admin hid leaves
-- every search; the row stays so that its id is never reused and cases.v1 stays consistent.
CREATE TABLE field_cases (
    case_id       text PRIMARY KEY,
    landlord_id   text NOT NULL,          -- the author: only its keys edit or withdraw
    author_key_id text NOT NULL,
    place_kind    text NOT NULL,
    categories    text[] NOT NULL,
    domains       text[] NOT NULL,        -- derived from the categories
    title         text NOT NULL,
    situation     text NOT NULL,
    actions       text[] NOT NULL,
    cost_eur      numeric(12, 2),
    result        text NOT NULL,
    outcome       text NOT NULL,
    revision      integer NOT NULL DEFAULT 1,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    withdrawn_at  timestamptz,
    hidden_at     timestamptz,
    hidden_by     text,
    hidden_reason text,
    search        tsvector GENERATED ALWAYS AS (
        to_tsvector('french', title || ' ' || situation || ' ' || result)
    ) STORED
);
-- Searches read visible cases only, newest first; filters are array overlaps.
CREATE INDEX field_cases_search ON field_cases USING gin (search)
    WHERE withdrawn_at IS NULL AND hidden_at IS NULL;
CREATE INDEX field_cases_categories ON field_cases USING gin (categories)
    WHERE withdrawn_at IS NULL AND hidden_at IS NULL;
CREATE INDEX field_cases_recent ON field_cases (updated_at DESC, case_id)
    WHERE withdrawn_at IS NULL AND hidden_at IS NULL;

-- cases.v1 messages, written in the transaction of the change and deleted once the broker
-- acknowledged them (the alerts.v1 outbox's model).
CREATE TABLE field_cases_outbox (
    id         bigserial PRIMARY KEY,
    case_id    text NOT NULL,
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);
