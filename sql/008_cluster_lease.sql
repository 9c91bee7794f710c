-- Active/standby (docs/cluster.md): one row per group of instances (cluster.name), saying which
-- instance is active and until when. Every time in it is PostgreSQL's clock, so the machines'
-- clocks never have to agree. `term` grows by one at each change of holder: a holder renews only
-- the term it acquired, so an instance that was frozen past its lease cannot renew a later one.
-- `handover` grows by one whenever an instance that is not the active wrote readings the active
-- never saw (a stepped-down active's last ones, a returning instance's journal): the active then
-- warms its live windows again, so that its averages stay equal to SQL.
CREATE TABLE cluster_lease (
    name        text PRIMARY KEY,
    holder      text NOT NULL,
    term        bigint NOT NULL,
    acquired_at timestamptz NOT NULL,
    renewed_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    handover    bigint NOT NULL DEFAULT 0
);
