-- A KMS outage (unreachable, not a refusal) of a cluster's key: since when, and the last error.
-- Kept across restarts so that the grace period counts from the outage's start, not from a restart.
ALTER TABLE clusters ADD COLUMN kms_unavailable_since BIGINT;
ALTER TABLE clusters ADD COLUMN kms_problem VARCHAR(2048);
