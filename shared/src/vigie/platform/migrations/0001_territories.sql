-- Territories: QPVs from the reference file, and the communes, départements, régions and the
-- country they roll up to. Identifiers: QPV codes as is (QN09301M), COM-<INSEE>, DEP-<code>,
-- REG-<code>, FR.
CREATE TABLE territories (
    territory_id     text PRIMARY KEY,
    kind             text NOT NULL CHECK (kind IN ('qpv', 'commune', 'departement', 'region', 'pays')),
    name             text NOT NULL,
    code             text NOT NULL,
    departement_code text,
    region_code      text,
    population       integer CHECK (population >= 0),
    households       integer CHECK (households >= 0),
    -- Social dwellings; for a grouping, the sum over its QPVs whose figure is published.
    social_dwellings integer CHECK (social_dwellings >= 0),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX territories_kind ON territories (kind);
CREATE INDEX territories_departement ON territories (departement_code);

-- Closure of the hierarchy, a row per (territory, ancestor) with a self-row for every territory:
-- the counts of any territory are the counts of its descendants, summed once each (a QPV that
-- spans two communes counts once in its département).
CREATE TABLE territory_ancestors (
    ancestor_id  text NOT NULL REFERENCES territories ON DELETE CASCADE,
    territory_id text NOT NULL REFERENCES territories ON DELETE CASCADE,
    PRIMARY KEY (ancestor_id, territory_id)
);
CREATE INDEX territory_ancestors_territory ON territory_ancestors (territory_id);
