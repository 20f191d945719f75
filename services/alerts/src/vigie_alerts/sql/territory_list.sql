-- Every territory with what evaluation and notifications need.
SELECT territory_id, kind, name, social_dwellings FROM territories
