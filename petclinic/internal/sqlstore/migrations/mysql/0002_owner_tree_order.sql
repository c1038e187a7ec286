-- The owner tree (selectOwnerTree: an owner's pets by name then id, each
-- pet's visits newest first) is read on every GET of an owner: these
-- indexes give both joins that order, as in migrations/sqlite.
CREATE INDEX pets_owner_name ON pets (owner_id, name, id);
CREATE INDEX visits_pet_date ON visits (pet_id, visit_date, id);
