-- The alerts service's tables. It reads incident_counters (the aggregator's), territories and
-- territory_ancestors (the platform's) and writes only these.

-- GSUP vigilance rules as the API received them (vigie_alerts.rules.Rule, validated).
CREATE TABLE alert_rules (
    rule_id    text PRIMARY KEY,
    body       jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- What the last evaluation of each rule found, for GET /v1/rules/{id}: how many territories it
-- evaluated and which it skipped (a rate rule on a territory without social dwellings).
CREATE TABLE alert_rule_status (
    rule_id      text PRIMARY KEY REFERENCES alert_rules ON DELETE CASCADE,
    evaluated_at timestamptz NOT NULL,
    evaluated    integer NOT NULL,
    skipped      text[] NOT NULL DEFAULT '{}'
);

-- One alert per (rule, territory) at a time: the partial unique index enforces it.
CREATE TABLE alerts (
    alert_id        uuid PRIMARY KEY,
    rule_id         text NOT NULL,
    territory_id    text NOT NULL,
    landlord_id     text,               -- the rule's scope landlord, for access and routing
    state           text NOT NULL CHECK (state IN ('open', 'acknowledged', 'resolved')),
    level           text NOT NULL CHECK (level IN ('vigilance', 'alerte', 'critique')),
    notified_level  text NOT NULL CHECK (notified_level IN ('vigilance', 'alerte', 'critique')),
    value           double precision NOT NULL,
    count           integer NOT NULL,
    threshold       double precision NOT NULL,
    window_days     integer NOT NULL,
    opened_at       timestamptz NOT NULL,
    changed_at      timestamptz NOT NULL,
    resolved_at     timestamptz,
    acknowledged_at timestamptz,
    acknowledged_by text,
    escalated_at    timestamptz,        -- when the escalation tier was told (once per alert)
    changes         integer NOT NULL DEFAULT 1  -- changes so far: the sequence in dedup keys
);
CREATE UNIQUE INDEX alerts_one_live_per_rule_territory ON alerts (rule_id, territory_id)
    WHERE state <> 'resolved';
CREATE INDEX alerts_state ON alerts (state, changed_at DESC);
CREATE INDEX alerts_territory ON alerts (territory_id);

-- Every change of every alert, in order: GET /v1/alerts/{id} shows it.
CREATE TABLE alert_history (
    id             bigserial PRIMARY KEY,
    alert_id       uuid NOT NULL REFERENCES alerts ON DELETE CASCADE,
    seq            integer NOT NULL,
    at             timestamptz NOT NULL,
    kind           text NOT NULL,      -- opened, escalated, deescalated, acknowledged, resolved, escalated_to_tier
    state          text NOT NULL,
    level          text NOT NULL,
    previous_level text,
    value          double precision,
    threshold      double precision,
    actor          text,               -- who acknowledged or resolved by hand; null: Vigie
    note           text,
    UNIQUE (alert_id, seq)
);

-- Changes to publish on alerts.v1 (the §7 payload), written in the transaction of the change
-- and deleted once the broker acknowledged them.
CREATE TABLE alert_events_outbox (
    id           bigserial PRIMARY KEY,
    territory_id text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);

-- Webhook and e-mail recipients of on-call managers.
CREATE TABLE alert_subscriptions (
    subscription_id text PRIMARY KEY,
    url             text,
    secret          text,              -- the HMAC key of X-Vigie-Signature (write-only in the API)
    email           text,
    min_level       text NOT NULL DEFAULT 'vigilance',
    territory_ids   text[],            -- null: every territory; else these and their descendants
    landlord_id     text,
    escalation      boolean NOT NULL DEFAULT false,  -- the escalation tier
    owner_key_id    text,              -- the key that created it (managers manage their own)
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (url IS NOT NULL OR email IS NOT NULL)
);

-- One row per (subscription, change, channel), created in the transaction of the change: the
-- durable outbox of notifications. A worker claims due rows (SKIP LOCKED), sends, and marks
-- them; a process killed mid-delivery leaves the row to be retried after its lease.
CREATE TABLE alert_deliveries (
    id              bigserial PRIMARY KEY,
    subscription_id text NOT NULL REFERENCES alert_subscriptions ON DELETE CASCADE,
    channel         text NOT NULL CHECK (channel IN ('webhook', 'email')),
    dedup_key       text NOT NULL,     -- the change (alert_id:seq), or a silence summary's key
    alert_id        uuid,
    payload         jsonb NOT NULL,    -- what to send (the §7 payload, or a summary)
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'delivered', 'failed', 'suppressed', 'summarised')),
    -- With state 'suppressed': held back by this silence; 'summarised' once its summary is out.
    silence_id      text,
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    changed_at      timestamptz NOT NULL,   -- when the alert changed (crossing → delivery latency)
    delivered_at    timestamptz,
    last_error      text,
    UNIQUE (subscription_id, dedup_key, channel)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (next_attempt_at) WHERE state = 'pending';
CREATE INDEX alert_deliveries_subscription ON alert_deliveries (subscription_id, state);

-- Per subscription: the latest outcome, for GET /v1/subscriptions/{id}.
CREATE TABLE alert_subscription_status (
    subscription_id text PRIMARY KEY REFERENCES alert_subscriptions ON DELETE CASCADE,
    last_success_at timestamptz,
    last_error_at   timestamptz,
    last_error      text
);

-- Silences: no notification for matching changes between starts_at and ends_at; what was held
-- back is summarised in one notification per subscription when the silence ends.
CREATE TABLE alert_silences (
    silence_id    text PRIMARY KEY,
    territory_id  text,
    rule_id       text,
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    created_by    text NOT NULL,
    reason        text NOT NULL,
    summarised_at timestamptz,
    CHECK (territory_id IS NOT NULL OR rule_id IS NOT NULL),
    CHECK (ends_at > starts_at)
);

-- What a rule counts in one counters row, given its selector's minimum severity and targets.
-- Counters keep severity and target as separate breakdowns, so a rule has one or the other
-- (vigie_alerts.rules.Selector refuses both). A plain SQL function: the planner inlines it.
CREATE FUNCTION alerts_measure(c incident_counters, min_severity integer, targets text[])
RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN targets IS NOT NULL THEN
              CASE WHEN 'patrimoine' = ANY(targets) THEN c.target_patrimoine ELSE 0 END
            + CASE WHEN 'personnel' = ANY(targets) THEN c.target_personnel ELSE 0 END
            + CASE WHEN 'prestataire' = ANY(targets) THEN c.target_prestataire ELSE 0 END
            + CASE WHEN 'locataire' = ANY(targets) THEN c.target_locataire ELSE 0 END
            + CASE WHEN 'autre' = ANY(targets) THEN c.target_autre ELSE 0 END
        WHEN min_severity <= 1 THEN c.incidents
        WHEN min_severity = 2 THEN c.severity_2 + c.severity_3 + c.severity_4
        WHEN min_severity = 3 THEN c.severity_3 + c.severity_4
        ELSE c.severity_4
    END
$$;
