-- Apply a planned batch in one statement: new incidents, updated incidents, counter deltas.
-- $1..$14: the incident states to write (arrays, one element per incident); $15: true for an
-- incident not stored yet. $16..$19: the counter keys (sorted); $20..$33: the count deltas; $34: cost.
-- A new incident that another writer inserted meanwhile is not inserted (DO NOTHING) and an
-- update whose stored pair is no longer older is skipped: the caller compares the counts it
-- gets back with what it planned and retries the whole transaction if they differ.
WITH states AS (
    SELECT *
    FROM unnest($1::text[], $2::text[], $3::integer[], $4::uuid[], $5::boolean[], $6::text[],
                $7::text[], $8::text[], $9::timestamptz[], $10::date[], $11::smallint[],
                $12::text[], $13::text[], $14::numeric[], $15::boolean[])
         AS s (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
               residence_id, category, occurred_at, day, severity, target, complaint, cost_eur,
               is_new)
),
inserted AS (
    INSERT INTO incidents (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
                           residence_id, category, occurred_at, day, severity, target, complaint,
                           cost_eur)
    SELECT landlord_id, incident_id, revision, event_id, withdrawn, territory_id, residence_id,
           category, occurred_at, day, severity, target, complaint, cost_eur
    FROM states
    WHERE is_new
    ON CONFLICT (landlord_id, incident_id) DO NOTHING
    RETURNING 1
),
updated AS (
    UPDATE incidents AS i
    SET revision = s.revision, event_id = s.event_id, withdrawn = s.withdrawn,
        territory_id = s.territory_id, residence_id = s.residence_id, category = s.category,
        occurred_at = s.occurred_at, day = s.day, severity = s.severity, target = s.target,
        complaint = s.complaint, cost_eur = s.cost_eur, updated_at = now()
    FROM states AS s
    WHERE NOT s.is_new
      AND i.landlord_id = s.landlord_id AND i.incident_id = s.incident_id
      AND (i.revision, i.event_id) < (s.revision, s.event_id)
    RETURNING 1
),
deltas AS (
    SELECT *
    FROM unnest($16::text[], $17::date[], $18::text[], $19::text[], $20::integer[],
                $21::integer[], $22::integer[], $23::integer[], $24::integer[],
                $25::integer[], $26::integer[], $27::integer[], $28::integer[], $29::integer[],
                $30::integer[], $31::integer[], $32::integer[], $33::integer[],
                $34::numeric[])
         AS d (territory_id, day, category, landlord_id, incidents,
               severity_1, severity_2, severity_3, severity_4,
               target_patrimoine, target_personnel, target_prestataire, target_locataire,
               target_autre, complaint_plainte, complaint_main_courante, complaint_aucune,
               complaint_inconnu, cost_eur)
),
-- A row that loses incidents exists already; it is updated, not upserted, because CHECK
-- constraints apply to the row an INSERT proposes before ON CONFLICT is considered.
decreased AS (
    UPDATE incident_counters AS c SET
        incidents = c.incidents + d.incidents,
        severity_1 = c.severity_1 + d.severity_1,
        severity_2 = c.severity_2 + d.severity_2,
        severity_3 = c.severity_3 + d.severity_3,
        severity_4 = c.severity_4 + d.severity_4,
        target_patrimoine = c.target_patrimoine + d.target_patrimoine,
        target_personnel = c.target_personnel + d.target_personnel,
        target_prestataire = c.target_prestataire + d.target_prestataire,
        target_locataire = c.target_locataire + d.target_locataire,
        target_autre = c.target_autre + d.target_autre,
        complaint_plainte = c.complaint_plainte + d.complaint_plainte,
        complaint_main_courante = c.complaint_main_courante + d.complaint_main_courante,
        complaint_aucune = c.complaint_aucune + d.complaint_aucune,
        complaint_inconnu = c.complaint_inconnu + d.complaint_inconnu,
        cost_eur = c.cost_eur + d.cost_eur
    FROM deltas AS d
    WHERE d.incidents < 0
      AND c.territory_id = d.territory_id AND c.day = d.day AND c.category = d.category
      AND c.landlord_id = d.landlord_id
    RETURNING 1
),
increased AS (
    INSERT INTO incident_counters AS c (
        territory_id, day, category, landlord_id, incidents,
        severity_1, severity_2, severity_3, severity_4,
        target_patrimoine, target_personnel, target_prestataire, target_locataire, target_autre,
        complaint_plainte, complaint_main_courante, complaint_aucune, complaint_inconnu,
        cost_eur)
    SELECT * FROM deltas WHERE incidents >= 0
    -- Rows arrive sorted by key (the caller sorts them): writers lock counters in one order.
    ON CONFLICT (territory_id, day, category, landlord_id) DO UPDATE SET
        incidents = c.incidents + EXCLUDED.incidents,
        severity_1 = c.severity_1 + EXCLUDED.severity_1,
        severity_2 = c.severity_2 + EXCLUDED.severity_2,
        severity_3 = c.severity_3 + EXCLUDED.severity_3,
        severity_4 = c.severity_4 + EXCLUDED.severity_4,
        target_patrimoine = c.target_patrimoine + EXCLUDED.target_patrimoine,
        target_personnel = c.target_personnel + EXCLUDED.target_personnel,
        target_prestataire = c.target_prestataire + EXCLUDED.target_prestataire,
        target_locataire = c.target_locataire + EXCLUDED.target_locataire,
        target_autre = c.target_autre + EXCLUDED.target_autre,
        complaint_plainte = c.complaint_plainte + EXCLUDED.complaint_plainte,
        complaint_main_courante = c.complaint_main_courante + EXCLUDED.complaint_main_courante,
        complaint_aucune = c.complaint_aucune + EXCLUDED.complaint_aucune,
        complaint_inconnu = c.complaint_inconnu + EXCLUDED.complaint_inconnu,
        cost_eur = c.cost_eur + EXCLUDED.cost_eur
    RETURNING 1
)
SELECT (SELECT count(*) FROM inserted) AS inserted,
       (SELECT count(*) FROM updated) AS updated,
       (SELECT count(*) FROM decreased) AS decreased
