-- Every firing of an automation rule (or what a dry run would have done): at most one per rule and
-- session (or event, for events of no session), also across restarts and replays, and what the
-- dashboard lists of them.

CREATE TABLE IF NOT EXISTS {{database}}.automation_firings
(
    rule_id String,
    target String COMMENT 'server_id:session_key of the play, or the event id for events of no play',
    rule_name String,
    event_id String,
    event_type LowCardinality(String),
    server_id String,
    account_key String,
    status LowCardinality(String) COMMENT 'FIRED, DRY_RUN or FAILED',
    actions String COMMENT 'What was done (or would have been), one action a line',
    detail String COMMENT 'Why an action was not carried out',
    occurred_at DateTime64(3, 'UTC') COMMENT 'When the event happened',
    fired_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(fired_at)
ORDER BY (rule_id, target)
TTL toDateTime(fired_at) + INTERVAL 400 DAY
COMMENT 'Automation rule firings, one per rule and play (query with FINAL)';
