-- One account's plays are read from a copy of `sessions` ordered by account and not split by
-- month. `sessions` is partitioned by the month a play started, so a year of one account's plays
-- lies in a dozen partitions of several parts each; at 20 million plays the newest 50 of one user
-- touched 103 parts and took 74 ms, against PostgreSQL's 1.1 ms with an (account, started_at)
-- index. Here the account's plays are contiguous in the few parts merges leave.
--
-- Same columns, same version column: it is `sessions` in another order. (`AS sessions` would carry
-- its monthly partitions over unless told otherwise: `PARTITION BY tuple()` says none.) Filled by a view on
-- `sessions` itself, so plays from events, imports and restores all reach it, and by the copy below
-- of what `sessions` held before the view existed (a play written in between is in both and
-- replaced by itself).

CREATE TABLE IF NOT EXISTS {{database}}.sessions_by_account AS {{database}}.sessions
ENGINE = ReplacingMergeTree(last_seen_at)
PARTITION BY tuple()
ORDER BY (account_key, started_at, server_id, session_key)
COMMENT 'sessions ordered by account, unpartitioned: one account''s plays (query with FINAL)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sessions_by_account_mv TO {{database}}.sessions_by_account AS
SELECT * FROM {{database}}.sessions;

-- In blocks of at most 64 MiB: a block is sorted by account in memory before it is written, and the
-- embedded engine's ceiling is 1 GiB by default (the default blocks are up to 256 MiB).
INSERT INTO {{database}}.sessions_by_account SELECT * FROM {{database}}.sessions
SETTINGS min_insert_block_size_rows = 0, min_insert_block_size_bytes = 67108864;
