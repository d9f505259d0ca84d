-- Two or more `keyhold server` processes may share one PostgreSQL: they all serve the API, but the
-- background jobs (key validator, health monitor, release hold, scheduled rotation, audit retention)
-- run on one of them at a time, the holder of this lease. The holder renews it every third of the
-- health interval; another server takes it once it has expired (its holder died or lost the
-- database). Times are epoch milliseconds of the writing server's clock. Portable SQL (H2 and PostgreSQL).
CREATE TABLE leader_lease (
    name        VARCHAR(64)  PRIMARY KEY,
    holder      VARCHAR(255) NOT NULL,
    expires_at  BIGINT       NOT NULL,
    acquired_at BIGINT       NOT NULL
);
