-- Several dashboard users with roles (signing in with a password, OIDC or Plex), the sign-in sessions they can see and end, API tokens that
-- carry a role, and the audit log of every admin action. Users created before roles existed were
-- the install's administrators, so they become owners; tokens made before keep their creator's
-- role (a token's role is always capped by its creator's current one).

ALTER TABLE {{database}}.admin_users ADD COLUMN IF NOT EXISTS role LowCardinality(String) DEFAULT 'owner' COMMENT 'owner, admin or viewer';
ALTER TABLE {{database}}.admin_users ADD COLUMN IF NOT EXISTS auth_source LowCardinality(String) DEFAULT 'password' COMMENT 'password, oidc or plex: how the user signs in';
ALTER TABLE {{database}}.admin_users ADD COLUMN IF NOT EXISTS external_id String DEFAULT '' COMMENT 'oidc: issuer|subject; plex: plex.tv account id';
ALTER TABLE {{database}}.auth_sessions ADD COLUMN IF NOT EXISTS user_agent String DEFAULT '' COMMENT 'User-Agent of the sign-in, to tell sessions apart';
ALTER TABLE {{database}}.auth_sessions ADD COLUMN IF NOT EXISTS client_ip String DEFAULT '' COMMENT 'Client address of the sign-in';
ALTER TABLE {{database}}.api_tokens ADD COLUMN IF NOT EXISTS role LowCardinality(String) DEFAULT 'owner' COMMENT 'Highest role the token acts with; its creator''s current role caps it';

CREATE TABLE IF NOT EXISTS {{database}}.audit_log
(
    audit_id UUID,
    at DateTime64(3, 'UTC'),
    actor String COMMENT 'Dashboard user, or the attempted name of a failed sign-in',
    actor_role LowCardinality(String) COMMENT 'owner, admin, viewer; empty when not signed in',
    via LowCardinality(String) COMMENT 'session, token, or anonymous',
    action LowCardinality(String) COMMENT 'e.g. rule.update, stream.stop, auth.login',
    target String COMMENT 'What was acted on: the route''s parameters, e.g. serverId=plex-home',
    outcome LowCardinality(String) COMMENT 'ok, or failed',
    status_code UInt16,
    detail String COMMENT 'JSON: the request body with secrets removed, and the error message of a failure',
    client_ip String
)
ENGINE = MergeTree
PARTITION BY toYYYYMM(at)
ORDER BY (at, audit_id)
COMMENT 'Every admin action and sign-in, succeeded or refused';
