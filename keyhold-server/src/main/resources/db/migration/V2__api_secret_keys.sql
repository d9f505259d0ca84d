-- The server key that API secrets are hashed with (HMAC-SHA-256, see ApiSecretHashes). It lives in
-- the database, not in one server's data directory, because every server on the same database must
-- verify the same hashes, and a database restored from a backup must still accept its API keys.
-- Rows are never updated; a new key would get a new id (hashes name the key they were made with).
CREATE TABLE api_secret_keys (
    id          VARCHAR(64)  PRIMARY KEY,
    key_base64  VARCHAR(128) NOT NULL,
    created_at  BIGINT       NOT NULL
);

-- api_keys.secret_hash keeps its type: it now holds 'hmac-sha256$<key id>$<mac>' for new and rehashed
-- keys, and still 'pbkdf2-sha512$...' for keys of earlier versions until their next successful login.
