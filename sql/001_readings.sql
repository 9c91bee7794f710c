-- Accepted readings, range-partitioned by day on ts. A reading delivered twice (same building,
-- room, metric, sensor_id, ts) is stored once: the unique key below, with NULLS NOT DISTINCT
-- because sensor_id is optional. Its column order puts ts right after the room's identity so
-- the same index serves time-range queries for one room and metric.
CREATE TABLE readings (
    ts          timestamptz      NOT NULL,
    building    text             NOT NULL,
    room        text             NOT NULL,
    metric      text             NOT NULL,
    value       double precision NOT NULL,
    sensor_id   text,
    received_at timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT readings_once UNIQUE NULLS NOT DISTINCT (building, room, metric, ts, sensor_id)
) PARTITION BY RANGE (ts);

-- Readings that fit no daily partition (far past, before the daemon first ran) land here.
CREATE TABLE readings_default PARTITION OF readings DEFAULT;

CREATE INDEX readings_ts ON readings (ts);

-- Creates the daily partitions from today - days_back to today + days_ahead (UTC) that do
-- not exist yet. A day whose rows already sit in the default partition is skipped (its rows
-- stay there; queries see them all the same). Returns how many partitions it created.
CREATE FUNCTION roomtemp_ensure_partitions(days_back int, days_ahead int) RETURNS int
LANGUAGE plpgsql AS $$
DECLARE
    d       date;
    name    text;
    created int := 0;
BEGIN
    FOR i IN -days_back .. days_ahead LOOP
        d := (now() AT TIME ZONE 'UTC')::date + i;
        name := 'readings_p' || to_char(d, 'YYYYMMDD');
        IF to_regclass(name) IS NULL THEN
            BEGIN
                EXECUTE format(
                    'CREATE TABLE %I PARTITION OF readings FOR VALUES FROM (%L) TO (%L)',
                    name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
                created := created + 1;
            EXCEPTION WHEN check_violation THEN
                RAISE NOTICE 'partition % skipped: the default partition holds rows of that day', name;
            END;
        END IF;
    END LOOP;
    RETURN created;
END;
$$;

-- Input that was refused, with the machine-readable reason and a human-readable detail.
CREATE TABLE rejected_readings (
    received_at timestamptz NOT NULL,
    topic       text        NOT NULL,
    payload     bytea       NOT NULL,
    reason      text        NOT NULL,
    detail      text
);

CREATE INDEX rejected_readings_received_at ON rejected_readings (received_at);
