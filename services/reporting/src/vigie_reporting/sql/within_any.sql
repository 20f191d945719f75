-- Partner scope: is $1 one of the key's territories ($2) or inside one of them?
SELECT EXISTS (SELECT 1 FROM territory_ancestors WHERE territory_id = $1 AND ancestor_id = ANY($2))
