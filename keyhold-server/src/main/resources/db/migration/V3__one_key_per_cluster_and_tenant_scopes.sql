-- One KMS key per cluster, across every organization of this server, and local KMS keys scoped to
-- their organization. Portable SQL (H2 and PostgreSQL). V3 (Java: ExistingKeyIdentities) then
-- records the identities of the keys registered before this migration.

-- The stable identities of the KMS keys that key objects name. A KMS key is held while a key
-- object names it, which covers its cluster's life and the release hold after it (a key object can
-- not be deleted before its hold ends). The primary key is what makes two concurrent
-- registrations of one KMS key unable to both succeed.
CREATE TABLE kms_key_identities (
    kms_identity  VARCHAR(2100) PRIMARY KEY,
    key_id        VARCHAR(64)   NOT NULL REFERENCES byok_keys (id) ON DELETE CASCADE,
    learned_from  VARCHAR(16)   NOT NULL,
    created_at    BIGINT        NOT NULL
);
CREATE INDEX kms_key_identities_key ON kms_key_identities (key_id);

-- The reference the KMS is called with. key_ident stays what the customer typed; for a LocalKey
-- the reference is the local KMS store name, '<org-id>/<name>' (or an unscoped name of before).
ALTER TABLE byok_keys ADD COLUMN kms_ref VARCHAR(2048);
UPDATE byok_keys SET kms_ref = key_ident;
ALTER TABLE byok_keys ALTER COLUMN kms_ref SET NOT NULL;

-- The key's identity as its KMS described it (an AWS alias's target key ARN); null until learned.
ALTER TABLE byok_keys ADD COLUMN kms_key_id VARCHAR(2048);

-- Set when the KMS key this key object names is held by another key object (duplicates registered
-- before this migration, or an alias found to point at a held key): such a key can not be claimed.
ALTER TABLE byok_keys ADD COLUMN duplicate_of VARCHAR(64);

-- The environment of the cluster that claimed the key, kept through the release hold: an
-- EnvironmentAdmin of another environment does not see the key meanwhile.
ALTER TABLE byok_keys ADD COLUMN claim_env_id VARCHAR(64);
UPDATE byok_keys SET claim_env_id = (SELECT c.environment_id FROM clusters c WHERE c.id = byok_keys.cluster_id)
    WHERE cluster_id IS NOT NULL;

CREATE TABLE server_settings (
    setting_name   VARCHAR(128)  PRIMARY KEY,
    setting_value  VARCHAR(1024) NOT NULL
);
-- Local KMS keys created before scopes have no organization in their name: they belong to the
-- organization bootstrapped first (the only one a server had unless one was added by hand).
INSERT INTO server_settings (setting_name, setting_value)
    SELECT 'local-kms.unscoped-owner', id FROM organizations ORDER BY created_at, id LIMIT 1;
