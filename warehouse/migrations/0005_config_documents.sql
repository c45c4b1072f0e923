-- Configuration edited in the dashboard (media servers, rule parameters, settings), shared by
-- every process through the warehouse. Media-server tokens inside are encrypted (AES-256-GCM)
-- with the install's secret key, so reading this table does not reveal them.

CREATE TABLE IF NOT EXISTS {{database}}.config_documents
(
    name LowCardinality(String) COMMENT 'media-servers, rules, settings, notification-channels',
    body String COMMENT 'JSON document',
    version UInt64 COMMENT 'Increases with every save; the highest wins',
    updated_at DateTime64(3, 'UTC'),
    updated_by String COMMENT 'Administrator who saved it, or the process that seeded it'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY name
COMMENT 'Configuration documents edited in the dashboard (query with FINAL); internal to Streamwarden';
