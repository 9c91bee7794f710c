-- Each rejection carries an id from the moment roomtempd refuses it (random, 64 bits), kept in
-- the spool and the journal with it. Writing a rejection again — replaying a spool segment
-- that a crash left after its commit, or a batch whose COMMIT was in doubt when the
-- connection broke — then stores it once, as the unique key does for readings. Rows from
-- before this migration have no id (NULL, which the unique index lets repeat).
ALTER TABLE rejected_readings ADD COLUMN id bigint;
CREATE UNIQUE INDEX rejected_readings_id ON rejected_readings (id);
