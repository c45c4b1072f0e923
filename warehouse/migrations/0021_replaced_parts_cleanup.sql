-- Parts that merges have replaced are deleted within half a minute, not after up to five. Every
-- insert makes a part in each table it reaches (the sink's reach about twenty through the views),
-- and the engine holds a replaced part's description in memory until it deletes the part. Its
-- cleanup of a table waits between cleanup_delay_period (30 s) and max_cleanup_delay_period
-- (300 s); under the 300-viewer demo the embedded engine let ~2,000 replaced parts pile up between
-- cleanups, five minutes apart, and its memory grew by ~45 MiB with them. With 5 s and 30 s they
-- stayed at 100-130 (bench/README.md, "Memory"). Replaced parts are deleted only once no query
-- reads them, as before. warehouse/replaced-parts.test.ts checks every MergeTree table has these.

ALTER TABLE {{database}}.sink_offsets MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.concurrency_minutely MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.accounts MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.sessions MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.playback_events MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.sessions_by_account MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.clients_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.geo_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.titles_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.titles_monthly MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.account_plays_monthly MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.stream_quality_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.plays_by_server_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.item_plays MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.plays_15m MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.server_metrics_hourly MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.server_metrics MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.violations MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.trust_score_history MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.automation_firings MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.notification_deliveries MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.api_tokens MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.schema_migrations MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.schema_migration_leases MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.servers MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.auth_sessions MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.library_items MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.config_documents MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.admin_users MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
ALTER TABLE {{database}}.audit_log MODIFY SETTING cleanup_delay_period = 5, max_cleanup_delay_period = 30;
