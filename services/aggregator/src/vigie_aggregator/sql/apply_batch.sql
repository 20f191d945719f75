-- Apply one batch: each incident's winning event in the batch (the caller reduced the batch to
-- those), as one statement: one round trip, one JSON parse, and PostgreSQL does the set work
-- far faster than a Python loop.
--
-- The rule: an incident counts once, in the counter row of its current state, the event with
-- the highest (revision, event_id); a withdrawn current state counts nowhere. So: keep a
-- winner only if it beats the stored state, write it, and move the incident's contribution
-- from the stored state's counter row to the new one. A replayed batch finds nothing newer
-- than what is stored: it changes nothing.
--
-- Concurrent writers (a correction may move an incident to another partition, so another
-- consumer) are handled optimistically: a stored state is replaced only if it is still the one
-- this statement read, and a new incident is inserted only if nobody inserted it meanwhile.
-- Incidents that lost such a race are left untouched and returned (`retry_*`): the caller
-- applies their events again in a next statement of the same transaction, which sees the other
-- writer's committed state. Contributions move only for the states actually written.
--
-- $1: JSON array of events, one per incident, with short keys (decode.events_json: parsing
-- is a tenth of this statement's time, and its cost grows with the text).
WITH compared AS MATERIALIZED (
    SELECT e.l AS landlord_id, e.i AS incident_id, e.r AS revision, e.e AS event_id,
           e.w AS withdrawn, e.t AS territory_id, e.res AS residence_id, e.c AS category,
           e.o AS occurred_at,
           (e.o AT TIME ZONE 'Europe/Paris')::date AS day,  -- the counters' day
           e.s AS severity, e.tg AS target, e.cp AS complaint,
           e.cost::numeric(14, 2) AS cost_eur,  -- to the cent, half away from zero
           s.revision AS old_revision, s.event_id AS old_event_id, s.withdrawn AS old_withdrawn,
           s.territory_id AS old_territory_id, s.day AS old_day, s.category AS old_category,
           s.severity AS old_severity, s.target AS old_target, s.complaint AS old_complaint,
           s.cost_eur AS old_cost_eur, s.purged_at AS old_purged_at
    FROM json_to_recordset($1::json)
         AS e (l text, i text, r integer, e uuid, w boolean, t text, res text, c text,
               o timestamptz, s smallint, tg text, cp text, cost numeric)
    LEFT JOIN incidents AS s ON s.landlord_id = e.l AND s.incident_id = e.i
),
newer AS NOT MATERIALIZED (
    SELECT *
    FROM compared
    WHERE (old_revision IS NULL OR (old_revision, old_event_id) < (revision, event_id))
      -- A purged incident (retention, migration 0004) is frozen: nothing moves it any more.
      AND old_purged_at IS NULL
),
inserted AS (
    INSERT INTO incidents (landlord_id, incident_id, revision, event_id, withdrawn, territory_id,
                           residence_id, category, occurred_at, day, severity, target,
                           complaint, cost_eur)
    SELECT landlord_id, incident_id, revision, event_id, withdrawn, territory_id, residence_id,
           category, occurred_at, day, severity, target, complaint, cost_eur
    FROM newer
    WHERE old_revision IS NULL
    -- One order for every writer (so no deadlock on the key); "C": the cheapest to sort.
    ORDER BY landlord_id COLLATE "C", incident_id COLLATE "C"
    -- Inserted by another writer meanwhile: left for the next statement.
    ON CONFLICT (landlord_id, incident_id) DO NOTHING
    RETURNING landlord_id, incident_id, withdrawn, territory_id, day, category, severity, target,
              complaint, cost_eur
),
updated AS (
    UPDATE incidents AS i
    SET revision = n.revision, event_id = n.event_id, withdrawn = n.withdrawn,
        territory_id = n.territory_id, residence_id = n.residence_id, category = n.category,
        occurred_at = n.occurred_at, day = n.day, severity = n.severity, target = n.target,
        complaint = n.complaint, cost_eur = n.cost_eur, updated_at = now()
    FROM newer AS n
    WHERE n.old_revision IS NOT NULL
      AND i.landlord_id = n.landlord_id AND i.incident_id = n.incident_id
      -- Still the state read above (else another writer replaced it: left for the next
      -- statement). Re-checked on the latest row version if it changed since our snapshot.
      AND (i.revision, i.event_id) = (n.old_revision, n.old_event_id)
      AND i.purged_at IS NULL  -- purged meanwhile: the next statement sees it frozen
    RETURNING i.landlord_id, i.incident_id, i.withdrawn, i.territory_id, i.day, i.category,
              i.severity, i.target, i.complaint, i.cost_eur, n.old_withdrawn, n.old_territory_id,
              n.old_day, n.old_category, n.old_severity, n.old_target, n.old_complaint,
              n.old_cost_eur
),
-- +1 in the row of each written state, -1 in the row of the state it replaced.
moves AS (
    SELECT territory_id, day, category, landlord_id, severity, target, complaint, cost_eur,
           1 AS sign
    FROM inserted
    WHERE NOT withdrawn
    UNION ALL
    SELECT m.territory_id, m.day, m.category, m.landlord_id, m.severity, m.target, m.complaint,
           m.cost_eur, m.sign
    FROM updated AS u
    CROSS JOIN LATERAL (
        VALUES (NOT u.withdrawn, u.territory_id, u.day, u.category, u.landlord_id, u.severity,
                u.target, u.complaint, u.cost_eur, 1),
               (NOT u.old_withdrawn, u.old_territory_id, u.old_day, u.old_category,
                u.landlord_id, u.old_severity, u.old_target, u.old_complaint, u.old_cost_eur, -1)
    ) AS m (counted, territory_id, day, category, landlord_id, severity, target, complaint,
            cost_eur, sign)
    WHERE m.counted
),
deltas AS MATERIALIZED (
    SELECT territory_id, day, category, landlord_id,
           sum(sign)::integer AS incidents,
           sum(CASE WHEN severity = 1 THEN sign ELSE 0 END)::integer AS severity_1,
           sum(CASE WHEN severity = 2 THEN sign ELSE 0 END)::integer AS severity_2,
           sum(CASE WHEN severity = 3 THEN sign ELSE 0 END)::integer AS severity_3,
           sum(CASE WHEN severity = 4 THEN sign ELSE 0 END)::integer AS severity_4,
           sum(CASE WHEN target = 'patrimoine' THEN sign ELSE 0 END)::integer AS target_patrimoine,
           sum(CASE WHEN target = 'personnel' THEN sign ELSE 0 END)::integer AS target_personnel,
           sum(CASE WHEN target = 'prestataire' THEN sign ELSE 0 END)::integer
               AS target_prestataire,
           sum(CASE WHEN target = 'locataire' THEN sign ELSE 0 END)::integer AS target_locataire,
           sum(CASE WHEN target = 'autre' THEN sign ELSE 0 END)::integer AS target_autre,
           sum(CASE WHEN complaint = 'plainte' THEN sign ELSE 0 END)::integer
               AS complaint_plainte,
           sum(CASE WHEN complaint = 'main_courante' THEN sign ELSE 0 END)::integer
               AS complaint_main_courante,
           sum(CASE WHEN complaint = 'aucune' THEN sign ELSE 0 END)::integer AS complaint_aucune,
           sum(CASE WHEN complaint = 'inconnu' THEN sign ELSE 0 END)::integer
               AS complaint_inconnu,
           coalesce(sum(sign * cost_eur), 0) AS cost_eur
    FROM moves
    GROUP BY territory_id, day, category, landlord_id
),
-- A correction that leaves its row and breakdown as they were moves nothing.
changes AS MATERIALIZED (
    SELECT *
    FROM deltas AS d
    WHERE (d.incidents, d.severity_1, d.severity_2, d.severity_3, d.severity_4,
           d.target_patrimoine, d.target_personnel, d.target_prestataire, d.target_locataire,
           d.target_autre, d.complaint_plainte, d.complaint_main_courante, d.complaint_aucune,
           d.complaint_inconnu, d.cost_eur)
          <> (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
),
-- Rows that gain incidents (or whose breakdown moves) are upserted, in key order so that
-- writers lock them in one order.
gained AS (
    INSERT INTO incident_counters AS c (
        territory_id, day, category, landlord_id, incidents,
        severity_1, severity_2, severity_3, severity_4,
        target_patrimoine, target_personnel, target_prestataire, target_locataire, target_autre,
        complaint_plainte, complaint_main_courante, complaint_aucune, complaint_inconnu,
        cost_eur)
    SELECT * FROM changes WHERE incidents >= 0
    ORDER BY territory_id COLLATE "C", day, category COLLATE "C", landlord_id COLLATE "C"
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
),
-- Rows that lose incidents exist already (they hold the replaced states): updated, not upserted,
-- because CHECK constraints apply to the row an INSERT proposes before ON CONFLICT is
-- considered. Only these can fall to zero; the caller deletes those in a next statement.
lost AS (
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
    FROM changes AS d
    WHERE d.incidents < 0
      AND c.territory_id = d.territory_id AND c.day = d.day AND c.category = d.category
      AND c.landlord_id = d.landlord_id
    RETURNING c.territory_id, c.day, c.category, c.landlord_id, c.incidents
),
-- What changed, for counters.changed.v1 (see vigie.topics): written in this transaction so
-- that it outlives a crash between commit and publish; the publisher formats the messages.
outbox AS (
    INSERT INTO counters_changed_outbox (territory_ids, days)
    SELECT array_agg(territory_id), array_agg(day)
    FROM changes
    HAVING count(*) > 0
    RETURNING id, territory_ids, days
)
SELECT
    (SELECT count(*) FROM inserted) + (SELECT count(*) FROM updated) AS applied,
    (SELECT count(*) FROM compared WHERE old_event_id = event_id) AS duplicates,
    (SELECT count(*) FROM changes WHERE incidents < 0) AS losing,
    (SELECT count(*) FROM lost) AS lost,
    emptied.*,
    raced.*,
    outbox.id AS outbox_id,
    outbox.territory_ids AS changed_territories,
    outbox.days AS changed_days
FROM (
    SELECT array_agg(territory_id) AS empty_territories, array_agg(day) AS empty_days,
           array_agg(category) AS empty_categories, array_agg(landlord_id) AS empty_landlords
    FROM lost
    WHERE incidents = 0
) AS emptied, (
    SELECT array_agg(landlord_id) AS retry_landlords, array_agg(incident_id) AS retry_incidents
    FROM newer AS n
    WHERE NOT EXISTS (
              SELECT FROM inserted AS i
              WHERE i.landlord_id = n.landlord_id AND i.incident_id = n.incident_id)
      AND NOT EXISTS (
              SELECT FROM updated AS u
              WHERE u.landlord_id = n.landlord_id AND u.incident_id = n.incident_id)
) AS raced
LEFT JOIN outbox ON true  -- one row, or none when nothing changed
