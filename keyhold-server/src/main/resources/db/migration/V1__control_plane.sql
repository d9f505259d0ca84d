-- Keyhold control plane schema. Portable SQL: runs unchanged on H2 and PostgreSQL.
-- Times are epoch milliseconds (BIGINT) so that both databases store them identically.

CREATE TABLE organizations (
    id            VARCHAR(64)  PRIMARY KEY,
    display_name  VARCHAR(255) NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);

CREATE TABLE environments (
    id            VARCHAR(64)  PRIMARY KEY,
    org_id        VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    display_name  VARCHAR(255) NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);
CREATE INDEX environments_org ON environments (org_id, created_at);

CREATE TABLE service_accounts (
    id            VARCHAR(64)  PRIMARY KEY,
    org_id        VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    display_name  VARCHAR(255) NOT NULL,
    description   VARCHAR(1024) NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);
CREATE UNIQUE INDEX service_accounts_name ON service_accounts (org_id, display_name);

-- Secrets are stored only as slow salted hashes (see SecretHasher).
CREATE TABLE api_keys (
    id            VARCHAR(64)  PRIMARY KEY,
    org_id        VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    owner_id      VARCHAR(64)  NOT NULL REFERENCES service_accounts (id),
    display_name  VARCHAR(255) NOT NULL,
    description   VARCHAR(1024) NOT NULL,
    secret_hash   VARCHAR(512) NOT NULL,
    created_at    BIGINT       NOT NULL,
    updated_at    BIGINT       NOT NULL
);
CREATE INDEX api_keys_org ON api_keys (org_id, created_at);

CREATE TABLE role_bindings (
    id             VARCHAR(64)  PRIMARY KEY,
    org_id         VARCHAR(64)  NOT NULL REFERENCES organizations (id),
    principal_id   VARCHAR(64)  NOT NULL REFERENCES service_accounts (id),
    role_name      VARCHAR(64)  NOT NULL,
    environment_id VARCHAR(64),
    created_at     BIGINT       NOT NULL
);
CREATE INDEX role_bindings_principal ON role_bindings (principal_id);

-- seq gives a stable listing order (creation order) for paging.
CREATE TABLE byok_keys (
    id                 VARCHAR(64)   PRIMARY KEY,
    seq                BIGINT        NOT NULL,
    org_id             VARCHAR(64)   NOT NULL REFERENCES organizations (id),
    display_name       VARCHAR(255)  NOT NULL,
    kind               VARCHAR(32)   NOT NULL,
    provider           VARCHAR(32)   NOT NULL,
    key_ident          VARCHAR(2048) NOT NULL,
    key_json           VARCHAR(8192) NOT NULL,
    region             VARCHAR(255),
    validation_phase   VARCHAR(32)   NOT NULL,
    validation_since   BIGINT        NOT NULL,
    validation_message VARCHAR(2048) NOT NULL,
    cluster_id         VARCHAR(64),
    hold_until         BIGINT,
    created_at         BIGINT        NOT NULL,
    updated_at         BIGINT        NOT NULL
);
CREATE UNIQUE INDEX byok_keys_seq ON byok_keys (org_id, seq);
CREATE INDEX byok_keys_phase ON byok_keys (validation_phase);

CREATE TABLE clusters (
    id               VARCHAR(64)   PRIMARY KEY,
    seq              BIGINT        NOT NULL,
    org_id           VARCHAR(64)   NOT NULL REFERENCES organizations (id),
    environment_id   VARCHAR(64)   NOT NULL REFERENCES environments (id),
    display_name     VARCHAR(255)  NOT NULL,
    availability     VARCHAR(32)   NOT NULL,
    cloud            VARCHAR(32)   NOT NULL,
    region           VARCHAR(255)  NOT NULL,
    config_json      VARCHAR(2048) NOT NULL,
    byok_key_id      VARCHAR(64),
    phase            VARCHAR(32)   NOT NULL,
    phase_message    VARCHAR(2048),
    bootstrap        VARCHAR(1024),
    created_at       BIGINT        NOT NULL,
    updated_at       BIGINT        NOT NULL
);
CREATE INDEX clusters_env ON clusters (environment_id, seq);
