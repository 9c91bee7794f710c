-- Which rule made each transition (docs/alarms.md "Restart"): its threshold and window as the
-- events on roomtemp/events carry them, and its whole definition, so that a restart after the
-- rule was changed in the configuration clears what the old rule decided, as a reload does.
-- Rows stored before this migration (and silence's rows) have none of them.
ALTER TABLE alarm_events
    ADD COLUMN threshold     double precision,
    ADD COLUMN window_length interval,
    ADD COLUMN rule          text;
