-- Dashboard accounts, login sessions and API tokens. Secrets are never stored: passwords as scrypt
-- hashes, session ids and token secrets as SHA-256 digests.

CREATE TABLE IF NOT EXISTS {{database}}.admin_users
(
    username String,
    password_hash String COMMENT 'scrypt$N$r$p$salt$hash',
    created_at DateTime64(3, 'UTC'),
    updated_at DateTime64(3, 'UTC'),
    deleted Bool DEFAULT false
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY username
COMMENT 'Dashboard administrators (query with FINAL)';

CREATE TABLE IF NOT EXISTS {{database}}.auth_sessions
(
    session_hash String COMMENT 'SHA-256 of the session cookie',
    username String,
    created_at DateTime64(3, 'UTC'),
    expires_at DateTime64(3, 'UTC'),
    revoked Bool DEFAULT false,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY session_hash
TTL toDateTime(expires_at) + INTERVAL 1 DAY
COMMENT 'Dashboard login sessions (query with FINAL)';

CREATE TABLE IF NOT EXISTS {{database}}.api_tokens
(
    token_id String COMMENT 'Public part of the token (sw_<id>_<secret>)',
    name String,
    token_hash String COMMENT 'SHA-256 of the secret part',
    username String,
    created_at DateTime64(3, 'UTC'),
    revoked Bool DEFAULT false,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY token_id
COMMENT 'API tokens for scripts and mobile clients (query with FINAL)';
