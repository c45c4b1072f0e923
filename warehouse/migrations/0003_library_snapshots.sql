-- Library items arrive as snapshot pages from the bus (topic streamwarden.library-snapshots):
-- they record their bus position like every other table the sink writes.
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS server_type LowCardinality(String) DEFAULT '' AFTER server_id;
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS source_topic LowCardinality(String) DEFAULT '';
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS source_partition UInt32 DEFAULT 0;
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS source_offset UInt64 DEFAULT 0;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sink_offsets_library TO {{database}}.sink_offsets AS
SELECT source_topic, source_partition, max(source_offset) AS source_offset FROM {{database}}.library_items WHERE source_topic != '' GROUP BY source_topic, source_partition;
