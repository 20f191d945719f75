-- Counter rows whose last incident moved away or was withdrawn are deleted, so that the table
-- holds exactly the non-empty rows (what `vigie rebuild` produces). $1-$4: the keys that the
-- batch brought to zero (this transaction holds their locks).
DELETE FROM incident_counters AS c
USING unnest($1::text[], $2::date[], $3::text[], $4::text[])
      AS k (territory_id, day, category, landlord_id)
WHERE c.territory_id = k.territory_id AND c.day = k.day AND c.category = k.category
  AND c.landlord_id = k.landlord_id AND c.incidents = 0
