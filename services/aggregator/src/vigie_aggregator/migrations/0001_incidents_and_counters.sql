-- The aggregator's state. `incidents` holds each incident's current revision; `incident_counters`
-- holds what reporting and alerts read, so that no request path ever scans incidents.

-- One row per (landlord, incident): the fields of its highest (revision, event_id). A withdrawn
-- incident keeps its row (so a late, older revision cannot bring it back) with withdrawn = true.
CREATE TABLE incidents (
    landlord_id  text NOT NULL,
    incident_id  text NOT NULL,
    revision     integer NOT NULL CHECK (revision >= 1),
    event_id     uuid NOT NULL,
    withdrawn    boolean NOT NULL DEFAULT false,
    territory_id text,
    residence_id text,
    category     text,
    occurred_at  timestamptz,
    day          date,          -- occurred_at's date in Europe/Paris: the counters' day
    severity     smallint CHECK (severity BETWEEN 1 AND 4),
    target       text,
    complaint    text,
    cost_eur     numeric(14, 2),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (landlord_id, incident_id),
    -- A counted incident has every counted field.
    CHECK (withdrawn OR (territory_id IS NOT NULL AND category IS NOT NULL AND day IS NOT NULL
                         AND severity IS NOT NULL AND target IS NOT NULL AND complaint IS NOT NULL))
);

-- Counts of the current, non-withdrawn incidents by territory × day × category × landlord, with
-- the breakdowns that summaries, the complaint gap and alert rules need. Territories here are
-- the ones incidents name (QPVs mostly); roll-ups to commune, département, région and country go
-- through territory_ancestors. Rows that fall to zero are deleted.
CREATE TABLE incident_counters (
    territory_id            text NOT NULL,
    day                     date NOT NULL,
    category                text NOT NULL,
    landlord_id             text NOT NULL,
    incidents               integer NOT NULL CHECK (incidents >= 0),
    severity_1              integer NOT NULL DEFAULT 0,
    severity_2              integer NOT NULL DEFAULT 0,
    severity_3              integer NOT NULL DEFAULT 0,
    severity_4              integer NOT NULL DEFAULT 0,
    target_patrimoine       integer NOT NULL DEFAULT 0,
    target_personnel        integer NOT NULL DEFAULT 0,
    target_prestataire      integer NOT NULL DEFAULT 0,
    target_locataire        integer NOT NULL DEFAULT 0,
    target_autre            integer NOT NULL DEFAULT 0,
    complaint_plainte       integer NOT NULL DEFAULT 0,
    complaint_main_courante integer NOT NULL DEFAULT 0,
    complaint_aucune        integer NOT NULL DEFAULT 0,
    complaint_inconnu       integer NOT NULL DEFAULT 0,
    cost_eur                numeric(16, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (territory_id, day, category, landlord_id)
);
CREATE INDEX incident_counters_day ON incident_counters (day);
CREATE INDEX incident_counters_landlord_day ON incident_counters (landlord_id, day);
