-- The wide tables (a column per field of a playback event) are merged column by column. ClickHouse
-- merges parts of fewer than 131,072 rows in all "horizontally": every column of every part read
-- and written at once, with a compression buffer and a file buffer per column. For these tables
-- such a merge of wide parts (over 10 MiB each: six parts of an import's moves) took 250-311 MiB,
-- the largest single use of the embedded engine's memory; small, compact parts (the sink's usual
-- inserts) merge horizontally whatever the settings, and cheaply. The vertical algorithm writes one
-- column at a time: the same merge took 27 MiB (bench/README.md, "Import";
-- warehouse/merge-memory.test.ts). Compression blocks of at most 256 KiB (1 MiB by default) shrink
-- the buffers of every insert into them too, with blocks still of at least 64 KiB.

ALTER TABLE {{database}}.playback_events MODIFY SETTING
    vertical_merge_algorithm_min_rows_to_activate = 1, max_compress_block_size = 262144;

ALTER TABLE {{database}}.sessions MODIFY SETTING
    vertical_merge_algorithm_min_rows_to_activate = 1, max_compress_block_size = 262144;

ALTER TABLE {{database}}.sessions_by_account MODIFY SETTING
    vertical_merge_algorithm_min_rows_to_activate = 1, max_compress_block_size = 262144;
