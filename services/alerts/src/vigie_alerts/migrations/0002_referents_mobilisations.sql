-- The referents' network and mobilising partners (issue 15): landlords' security referents (the
-- default recipients of their landlords' alerts), CLSPD partner contacts per territory, and the
-- signalements sent to them from an alert with their follow-up.

-- Landlords' security referents. Staff contact data: personal data, shown to the network's
-- keys only (vigie_alerts.directory_access), never in shared views, exports or reports.
CREATE TABLE alert_referents (
    referent_id   text PRIMARY KEY,
    landlord_id   text NOT NULL,
    name          text NOT NULL,
    role          text NOT NULL,
    email         text NOT NULL,
    phone         text,
    territory_ids text[] NOT NULL,   -- covered, with the territories below them
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_referents_landlord ON alert_referents (landlord_id);
CREATE INDEX alert_referents_territories ON alert_referents USING gin (territory_ids);

-- Public partners of the CLSPD (mairie, préfecture, police, parquet…), managed by admins.
CREATE TABLE alert_partner_contacts (
    contact_id    text PRIMARY KEY,
    name          text NOT NULL,
    organisation  text NOT NULL,
    role          text NOT NULL,
    email         text NOT NULL,
    territory_ids text[] NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_partner_contacts_territories ON alert_partner_contacts
    USING gin (territory_ids);

-- Notifications without a subscription (a referent's alert e-mail, a signalement): sent to
-- `recipient`. Their endpoint, for the worker's per-endpoint cap, is the address.
ALTER TABLE alert_deliveries ALTER COLUMN subscription_id DROP NOT NULL;
ALTER TABLE alert_deliveries ADD COLUMN recipient text;
ALTER TABLE alert_deliveries ADD CONSTRAINT alert_deliveries_addressed
    CHECK ((subscription_id IS NULL) <> (recipient IS NULL));
CREATE UNIQUE INDEX alert_deliveries_recipient_once ON alert_deliveries
    (lower(recipient), dedup_key, channel) WHERE subscription_id IS NULL;

-- A signalement: the situation report fetched from reporting when it was asked for, kept so
-- that every retry sends the same document.
CREATE TABLE alert_mobilisations (
    mobilisation_id uuid PRIMARY KEY,
    alert_id        uuid NOT NULL REFERENCES alerts ON DELETE CASCADE,
    territory_id    text NOT NULL,
    note            text NOT NULL,
    created_by      text NOT NULL,
    created_at      timestamptz NOT NULL,
    state           text NOT NULL DEFAULT 'sent'
                    CHECK (state IN ('sent', 'received', 'taken_up', 'action_under_way', 'closed')),
    report_pdf      bytea NOT NULL
);
CREATE INDEX alert_mobilisations_alert ON alert_mobilisations (alert_id, created_at);

-- Who a signalement went to (copied: a contact edited or deleted later leaves it as sent), and
-- each one's acknowledgement link, kept as its SHA-256 only.
CREATE TABLE alert_mobilisation_recipients (
    mobilisation_id uuid NOT NULL REFERENCES alert_mobilisations ON DELETE CASCADE,
    contact_id      text NOT NULL,
    name            text NOT NULL,
    organisation    text NOT NULL,
    email           text NOT NULL,
    token_sha256    bytea NOT NULL UNIQUE,
    received_at     timestamptz,
    PRIMARY KEY (mobilisation_id, contact_id)
);

-- The follow-up, in order: sent, received (by a contact's link), taken_up, action_under_way,
-- closed; who and when.
CREATE TABLE alert_mobilisation_events (
    id              bigserial PRIMARY KEY,
    mobilisation_id uuid NOT NULL REFERENCES alert_mobilisations ON DELETE CASCADE,
    state           text NOT NULL
                    CHECK (state IN ('sent', 'received', 'taken_up', 'action_under_way', 'closed')),
    at              timestamptz NOT NULL,
    actor           text NOT NULL,
    contact_id      text,             -- with 'received': whose link
    note            text
);
CREATE INDEX alert_mobilisation_events_of ON alert_mobilisation_events (mobilisation_id, id);
