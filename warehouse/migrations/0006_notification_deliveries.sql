-- Every alert sent (or given up on) and every automatic action taken, per violation and channel:
-- the ledger that keeps a restart from alerting twice, and what the dashboard shows as failures.

CREATE TABLE IF NOT EXISTS {{database}}.notification_deliveries
(
    violation_id String,
    channel_id String COMMENT 'Notification channel id, or action:terminate for the automatic stop',
    channel_name String,
    channel_type LowCardinality(String) COMMENT 'discord, webhook, ntfy, apprise, telegram, email, action',
    status LowCardinality(String) COMMENT 'SENT or FAILED',
    attempts UInt16,
    last_error String,
    rule LowCardinality(String),
    account_key String,
    summary String,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY (violation_id, channel_id)
TTL toDateTime(updated_at) + INTERVAL 400 DAY
COMMENT 'Alert deliveries and automatic actions per violation and channel (query with FINAL)';
