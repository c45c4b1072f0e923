-- Top titles over a long range read months, not 15-minute periods. Titles are the one rollup whose
-- rows hardly shrink by period (most titles are played a few times a day, so titles_15m holds about
-- one row per play: 8 million rows for a year of 20 million plays, and "top 10 titles" over a year
-- took 543 ms). titles_monthly holds the same rows summed by calendar month (UTC): 52,800 for that
-- year. A query takes the whole months of its range from here and the periods before and after
-- them from titles_15m (warehouse/queries/filters.ts, `byMonths`), so its answer is the same.
--
-- Filled from titles_15m itself, by a view on that table and by the rebuild below, so a month here
-- is always the sum of its periods there.

CREATE TABLE IF NOT EXISTS {{database}}.titles_monthly
(
    period_start DateTime('UTC') COMMENT 'First instant of the calendar month (UTC)',
    server_id LowCardinality(String),
    media_type LowCardinality(String),
    title_key String COMMENT 'Series or artist id for episodes and tracks, else the item id',
    title SimpleAggregateFunction(anyLast, String) COMMENT 'Series or artist name, else the item title',
    year SimpleAggregateFunction(anyLast, Nullable(UInt16)) COMMENT 'Release year (of a film; of an episode for series)',
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64),
    accounts AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYear(period_start)
ORDER BY (period_start, server_id, media_type, title_key)
COMMENT 'titles_15m summed by calendar month (UTC): top titles over long ranges';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.titles_monthly_mv TO {{database}}.titles_monthly AS
SELECT
    toDateTime(toStartOfMonth(period_start), 'UTC') AS period_start, server_id, media_type, title_key,
    title, year, plays, watch_ms, accounts
FROM {{database}}.titles_15m;

-- The rebuild of what titles_15m held before the view existed.
TRUNCATE TABLE IF EXISTS {{database}}.titles_monthly;
INSERT INTO {{database}}.titles_monthly
SELECT
    toDateTime(toStartOfMonth(period_start), 'UTC') AS month, server_id, media_type, title_key,
    anyLast(title), anyLast(year), sum(plays), sum(watch_ms), uniqMergeState(accounts)
FROM {{database}}.titles_15m
GROUP BY month, server_id, media_type, title_key;
