SELECT territory_id, ancestor_id FROM territory_ancestors
