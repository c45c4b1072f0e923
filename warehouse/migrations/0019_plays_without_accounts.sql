-- Plays per day and top users over long ranges read rollups that shrink with the period. Both read
-- plays_15m, whose rows are per account: with 20,000 accounts most of its rows hold one or two
-- plays, so it grows with plays. At 50 million plays "plays per day, 1 year" took 500 ms and "top 10
-- users" 471 ms.
--
-- plays_by_server_15m is plays_15m without accounts: the charts of every account (plays per day,
-- heat map, decisions, data streamed) read it, and plays_15m stays for a chosen account's. It keeps
-- 15-minute periods so that it still groups into the days of any time zone.
-- account_plays_monthly is plays_15m summed by account and calendar month (UTC): top users take the
-- whole months of their range from it and the periods around them from plays_15m
-- (warehouse/queries/filters.ts, `byMonths`), as top titles do with titles_monthly (0017).
--
-- Both are filled from plays_15m itself, by views on that table and by the rebuilds below, so they
-- are always its sums.

CREATE TABLE IF NOT EXISTS {{database}}.plays_by_server_15m
(
    period_start DateTime('UTC') COMMENT 'Start of the 15-minute period the play started in (UTC)',
    server_id LowCardinality(String),
    media_type LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays started, running or not',
    watch_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Time spent playing, added when the play ends',
    paused_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Time spent paused, added when the play ends',
    transcode_plays SimpleAggregateFunction(sum, UInt64),
    direct_stream_plays SimpleAggregateFunction(sum, UInt64),
    direct_play_plays SimpleAggregateFunction(sum, UInt64),
    streamed_kbit SimpleAggregateFunction(sum, UInt64) COMMENT 'Bitrate x watch time, in kilobits, added when the play ends'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(period_start)
ORDER BY (period_start, server_id, media_type)
COMMENT 'plays_15m without accounts: plays and watch time per 15 minutes, server and media type';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.plays_by_server_15m_mv TO {{database}}.plays_by_server_15m AS
SELECT
    period_start, server_id, media_type, sum(plays) AS plays, sum(watch_ms) AS watch_ms, sum(paused_ms) AS paused_ms,
    sum(transcode_plays) AS transcode_plays, sum(direct_stream_plays) AS direct_stream_plays,
    sum(direct_play_plays) AS direct_play_plays, sum(streamed_kbit) AS streamed_kbit
FROM {{database}}.plays_15m
GROUP BY period_start, server_id, media_type;

CREATE TABLE IF NOT EXISTS {{database}}.account_plays_monthly
(
    period_start DateTime('UTC') COMMENT 'First instant of the calendar month (UTC)',
    server_id LowCardinality(String),
    account_key String,
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(period_start)
ORDER BY (period_start, server_id, account_key)
COMMENT 'plays_15m summed by account and calendar month (UTC): top users over long ranges';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.account_plays_monthly_mv TO {{database}}.account_plays_monthly AS
SELECT month AS period_start, server_id, account_key, plays, watch_ms
FROM (
    SELECT toDateTime(toStartOfMonth(period_start), 'UTC') AS month, server_id, account_key,
           sum(plays) AS plays, sum(watch_ms) AS watch_ms
    FROM {{database}}.plays_15m
    GROUP BY month, server_id, account_key
);

-- The rebuilds of what plays_15m held before the views existed.
TRUNCATE TABLE IF EXISTS {{database}}.plays_by_server_15m;
INSERT INTO {{database}}.plays_by_server_15m
SELECT
    period_start, server_id, media_type, sum(plays), sum(watch_ms), sum(paused_ms), sum(transcode_plays),
    sum(direct_stream_plays), sum(direct_play_plays), sum(streamed_kbit)
FROM {{database}}.plays_15m
GROUP BY period_start, server_id, media_type;

TRUNCATE TABLE IF EXISTS {{database}}.account_plays_monthly;
INSERT INTO {{database}}.account_plays_monthly
SELECT toDateTime(toStartOfMonth(period_start), 'UTC') AS month, server_id, account_key, sum(plays), sum(watch_ms)
FROM {{database}}.plays_15m
GROUP BY month, server_id, account_key;
