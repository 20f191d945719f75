-- Name, kind and dwellings of some territories.
SELECT territory_id, name, kind, social_dwellings FROM territories WHERE territory_id = ANY($1)
