-- Transitions of alarm rules and silent sensors (README "Alarms and silent sensors"): one row per
-- transition, the same as roomtemp/events said. roomtempd writes them through its writer's
-- queue, and its spool while PostgreSQL is away, like readings; at start it reads the last state
-- of every key back from here. `alarm` is a rule's name, or 'silent' for a sensor's silence;
-- `value` the live average a rule's transition was decided on (NULL: an empty window, and for
-- silence); `last_reading` a silence's newest reading then (NULL for rules, or not known).
CREATE TABLE alarm_events (
    ts           timestamptz      NOT NULL,
    building     text             NOT NULL,
    room         text             NOT NULL,
    metric       text             NOT NULL,
    alarm        text             NOT NULL,
    state        text             NOT NULL
                 CHECK (state IN ('firing', 'ok', 'silent', 'reporting')),
    value        double precision,
    last_reading timestamptz,
    -- The order rows were stored in, which is the order roomtempd decided them in.
    id           bigint GENERATED ALWAYS AS IDENTITY,
    -- A replayed spool or a retried batch stores a transition once.
    CONSTRAINT alarm_events_once UNIQUE (building, room, metric, alarm, ts, state)
);

-- GET /v1/alarms/history: a time range across every room.
CREATE INDEX alarm_events_ts ON alarm_events (ts);
