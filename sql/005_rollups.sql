-- Hourly and daily rollups of every series: count, sum, min and max of its readings per UTC
-- hour and per UTC day, exact over the readings stored (a reading stored once counts once),
-- kept in step with readings_raw by roomtempd and rebuildable from it (docs/database.md,
-- "Rollups").
--
-- How they stay exact: in the same transaction that stores readings, the writer adds one row
-- per series and hour to rollup_delta with the count, sum, min and max of the readings that
-- transaction stored (new ones only: a copy already stored is not in it). Every few seconds,
-- roomtemp_fold_rollups() moves rollup_delta into the rollups in one statement. So a reading
-- is in the rollups exactly when it is in readings_raw and its delta has been folded, or in
-- rollup_delta until then; a crash anywhere loses neither half without the other.

CREATE TABLE rollup_hourly (
    hour   timestamptz      NOT NULL,
    count  bigint           NOT NULL,
    sum    double precision NOT NULL,
    min    double precision NOT NULL,
    max    double precision NOT NULL,
    series integer          NOT NULL,
    CONSTRAINT rollup_hourly_key PRIMARY KEY (series, hour)
);

CREATE TABLE rollup_daily (
    day    timestamptz      NOT NULL,
    count  bigint           NOT NULL,
    sum    double precision NOT NULL,
    min    double precision NOT NULL,
    max    double precision NOT NULL,
    series integer          NOT NULL,
    CONSTRAINT rollup_daily_key PRIMARY KEY (series, day)
);

-- Readings stored and not folded into the rollups yet. No index: it is only ever read whole,
-- or one day of it, and stays small.
CREATE TABLE rollup_delta (
    hour   timestamptz      NOT NULL,
    count  bigint           NOT NULL,
    sum    double precision NOT NULL,
    min    double precision NOT NULL,
    max    double precision NOT NULL,
    series integer          NOT NULL
);

-- Days whose rollups are to be built from readings_raw: every day stored before this migration.
-- roomtempd works through them in the background, oldest first; a day leaves this table in
-- the transaction that builds it, so a restart goes on where it stopped.
CREATE TABLE rollup_backfill (
    day date PRIMARY KEY
);
INSERT INTO rollup_backfill (day)
SELECT to_date(substr(c.relname, 15), 'YYYYMMDD')
  FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
 WHERE i.inhparent = 'readings_raw'::regclass AND c.relname ~ '^readings_raw_p[0-9]{8}$'
   AND to_date(substr(c.relname, 15), 'YYYYMMDD') <= (now() AT TIME ZONE 'UTC')::date
UNION
SELECT DISTINCT (ts AT TIME ZONE 'UTC')::date FROM readings_raw_default;

-- Raw readings stamped before this have been dropped by retention (retention.readings) and
-- only the rollups remember them; -infinity while nothing was dropped. It only moves forward.
CREATE TABLE readings_raw_horizon (
    only_row boolean     PRIMARY KEY DEFAULT true CHECK (only_row),
    horizon  timestamptz NOT NULL
);
INSERT INTO readings_raw_horizon (horizon) VALUES ('-infinity');

-- The rollups with the columns of readings: one row per room, metric and UTC hour (or day)
-- that has readings.
CREATE VIEW readings_hourly AS
SELECT h.hour, s.building, s.room, s.metric, h.count, h.sum, h.min, h.max
  FROM rollup_hourly h JOIN series s ON s.id = h.series;

CREATE VIEW readings_daily AS
SELECT d.day, s.building, s.room, s.metric, d.count, d.sum, d.min, d.max
  FROM rollup_daily d JOIN series s ON s.id = d.series;

-- A building's figures: its rooms' rollups added up.
CREATE VIEW readings_hourly_building AS
SELECT hour, building, metric, sum(count)::bigint AS count, sum(sum) AS sum, min(min) AS min,
       max(max) AS max
  FROM readings_hourly GROUP BY hour, building, metric;

CREATE VIEW readings_daily_building AS
SELECT day, building, metric, sum(count)::bigint AS count, sum(sum) AS sum, min(min) AS min,
       max(max) AS max
  FROM readings_daily GROUP BY day, building, metric;

-- The advisory lock that folds and rebuilds take, so that one never runs beside the other
-- (0x72740002: "rt", then a tag; 0x72740001 is the migrations').
CREATE FUNCTION roomtemp_rollup_lock() RETURNS bigint LANGUAGE sql IMMUTABLE AS 'SELECT 1920204802::bigint';

-- Moves every delta committed so far into the hourly and daily rollups. One statement: the
-- deltas it deletes are exactly the ones it adds. Returns the rollup rows it wrote.
CREATE FUNCTION roomtemp_fold_rollups() RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    written bigint;
BEGIN
    PERFORM pg_advisory_xact_lock(roomtemp_rollup_lock());
    WITH folded AS (DELETE FROM rollup_delta RETURNING *),
         hourly AS (SELECT series, hour, sum(count) AS count, sum(sum) AS sum, min(min) AS min,
                           max(max) AS max
                      FROM folded GROUP BY series, hour),
         h AS (INSERT INTO rollup_hourly AS r (hour, count, sum, min, max, series)
               SELECT hour, count, sum, min, max, series FROM hourly
               ON CONFLICT (series, hour) DO UPDATE
                  SET count = r.count + excluded.count, sum = r.sum + excluded.sum,
                      min = least(r.min, excluded.min), max = greatest(r.max, excluded.max)
               RETURNING 1),
         d AS (INSERT INTO rollup_daily AS r (day, count, sum, min, max, series)
               SELECT date_trunc('day', hour, 'UTC'), sum(count), sum(sum), min(min), max(max),
                      series
                 FROM hourly GROUP BY series, date_trunc('day', hour, 'UTC')
               ON CONFLICT (series, day) DO UPDATE
                  SET count = r.count + excluded.count, sum = r.sum + excluded.sum,
                      min = least(r.min, excluded.min), max = greatest(r.max, excluded.max)
               RETURNING 1)
    SELECT (SELECT count(*) FROM h) + (SELECT count(*) FROM d) INTO written;
    RETURN written;
END;
$$;

-- Builds one UTC day's rollups from readings_raw, replacing what they held, and takes the day
-- off rollup_backfill. Safe while roomtempd writes: the deltas of that day it deletes are
-- exactly those of the readings it counts (one statement, one snapshot; a WITH's DELETE runs to
-- the end whether or not its rows are read), and readings stored later come with deltas of
-- their own. Returns the rollup rows it wrote.
CREATE FUNCTION roomtemp_rebuild_rollups(p_day date) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    day_start timestamptz := p_day::timestamp AT TIME ZONE 'UTC';
    day_end   timestamptz := (p_day + 1)::timestamp AT TIME ZONE 'UTC';
    hours     bigint;
    days      bigint;
BEGIN
    IF day_start < (SELECT horizon FROM readings_raw_horizon) THEN
        RAISE EXCEPTION 'the raw readings of % were dropped by retention: its rollups are all that is left of it',
            p_day;
    END IF;
    PERFORM pg_advisory_xact_lock(roomtemp_rollup_lock());
    WITH folded AS (DELETE FROM rollup_delta WHERE hour >= day_start AND hour < day_end
                    RETURNING 1),
         fresh AS (SELECT series, date_trunc('hour', ts, 'UTC') AS hour, count(*) AS count,
                          sum(value) AS sum, min(value) AS min, max(value) AS max
                     FROM readings_raw WHERE ts >= day_start AND ts < day_end
                    GROUP BY series, date_trunc('hour', ts, 'UTC')),
         upserted AS (INSERT INTO rollup_hourly AS r (hour, count, sum, min, max, series)
                      SELECT hour, count, sum, min, max, series FROM fresh
                      ON CONFLICT (series, hour) DO UPDATE
                         SET count = excluded.count, sum = excluded.sum, min = excluded.min,
                             max = excluded.max
                      RETURNING 1),
         -- hours that no longer have readings (deleted by hand)
         stale AS (DELETE FROM rollup_hourly h WHERE h.hour >= day_start AND h.hour < day_end
                      AND NOT EXISTS (SELECT 1 FROM fresh f
                                       WHERE f.series = h.series AND f.hour = h.hour)
                   RETURNING 1)
    SELECT count(*) FROM upserted INTO hours;
    -- The day from its hours. Folds wait for the lock, so the hours hold still meanwhile.
    DELETE FROM rollup_daily WHERE day = day_start;
    INSERT INTO rollup_daily (day, count, sum, min, max, series)
    SELECT day_start, sum(count), sum(sum), min(min), max(max), series
      FROM rollup_hourly WHERE hour >= day_start AND hour < day_end GROUP BY series;
    GET DIAGNOSTICS days = ROW_COUNT;
    DELETE FROM rollup_backfill WHERE day = p_day;
    RETURN hours + days;
END;
$$;

-- INSERT INTO readings (by hand) counts in the rollups like a reading roomtempd stored.
CREATE OR REPLACE FUNCTION roomtemp_readings_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    s integer := roomtemp_series_id(NEW.building, NEW.room, NEW.metric);
BEGIN
    INSERT INTO readings_raw (ts, value, received_at, series, sensor)
    VALUES (NEW.ts, NEW.value, coalesce(NEW.received_at, now()), s,
            roomtemp_sensor_id(NEW.sensor_id));
    INSERT INTO rollup_delta (hour, count, sum, min, max, series)
    VALUES (date_trunc('hour', NEW.ts, 'UTC'), 1, NEW.value, NEW.value, NEW.value, s);
    RETURN NEW;
END;
$$;
