-- One definition of a play for every surface (README, "What counts as a play"): a play counts from
-- the moment it starts, running or not, on the day it started in the viewer's time zone; its watch
-- time counts when it ends. The rollups of 0002 counted a play only once it had stopped and by UTC
-- day, so the overview (plays started today, running ones included) and analytics disagreed.
--
-- The new rollups keep 15-minute periods instead of days: every time zone's day (Asia/Kolkata's
-- +05:30, Asia/Kathmandu's +05:45 too) is a whole number of periods, so a query groups them into
-- the viewer's days. They are rebuilt from `sessions` (one row per play, kept for good even when raw
-- events expire); the old tables stay readable under their names as views over the new ones.
--
-- Safe to re-run: the rebuild empties each new table before filling it, and only one process
-- applies migrations at a time (migrations.ts takes a lease), so nothing is counted twice.

CREATE TABLE IF NOT EXISTS {{database}}.plays_15m
(
    period_start DateTime('UTC') COMMENT 'Start of the 15-minute period the play started in (UTC)',
    server_id LowCardinality(String),
    account_key String,
    media_type LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays started, running or not',
    watch_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Time spent playing, added when the play ends',
    paused_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Time spent paused, added when the play ends',
    transcode_plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays that started with video or audio transcoded',
    direct_stream_plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays that started remuxed (container changed, streams copied)',
    direct_play_plays SimpleAggregateFunction(sum, UInt64),
    streamed_kbit SimpleAggregateFunction(sum, UInt64) COMMENT 'Data sent: bitrate x watch time, in kilobits, added when the play ends'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (period_start, server_id, account_key, media_type)
COMMENT 'Plays and watch time per 15 minutes, server, account and media type';

CREATE TABLE IF NOT EXISTS {{database}}.stream_quality_15m
(
    period_start DateTime('UTC'),
    server_id LowCardinality(String),
    video_decision LowCardinality(String),
    audio_decision LowCardinality(String),
    source_video_resolution LowCardinality(String),
    stream_video_resolution LowCardinality(String),
    source_video_codec LowCardinality(String),
    stream_video_codec LowCardinality(String),
    source_audio_codec LowCardinality(String),
    stream_audio_codec LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays that started with this quality',
    watch_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Watch time of plays that ended with this quality'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (period_start, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec)
COMMENT 'Transcode / direct stream / direct play, resolutions and codecs (source and stream) per 15 minutes';

CREATE TABLE IF NOT EXISTS {{database}}.clients_15m
(
    period_start DateTime('UTC'),
    server_id LowCardinality(String),
    platform LowCardinality(String),
    product LowCardinality(String),
    player String,
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64),
    devices AggregateFunction(uniq, String) COMMENT 'Distinct devices: uniqMerge(devices)',
    accounts AggregateFunction(uniq, String) COMMENT 'Distinct accounts: uniqMerge(accounts)'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (period_start, server_id, platform, product, player)
COMMENT 'Platforms, client applications and players per 15 minutes';

CREATE TABLE IF NOT EXISTS {{database}}.titles_15m
(
    period_start DateTime('UTC'),
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
PARTITION BY toYYYYMM(period_start)
ORDER BY (period_start, server_id, media_type, title_key)
COMMENT 'Plays per title (series, artist or movie) per 15 minutes: top titles';

CREATE TABLE IF NOT EXISTS {{database}}.geo_15m
(
    period_start DateTime('UTC'),
    server_id LowCardinality(String),
    country_code LowCardinality(String) COMMENT 'Empty for LAN and unknown addresses',
    region String,
    city String,
    latitude SimpleAggregateFunction(anyLast, Nullable(Float64)),
    longitude SimpleAggregateFunction(anyLast, Nullable(Float64)),
    plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays that started here',
    watch_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Watch time of plays that ended here',
    accounts AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(period_start)
ORDER BY (period_start, server_id, country_code, region, city)
COMMENT 'Plays per country and city per 15 minutes';

-- Stop feeding the old rollups before the new ones take over.
DROP VIEW IF EXISTS {{database}}.plays_daily_mv;
DROP VIEW IF EXISTS {{database}}.plays_hourly_mv;
DROP VIEW IF EXISTS {{database}}.stream_quality_daily_mv;
DROP VIEW IF EXISTS {{database}}.clients_daily_mv;
DROP VIEW IF EXISTS {{database}}.titles_daily_mv;
DROP VIEW IF EXISTS {{database}}.geo_daily_mv;

-- A STARTED event counts the play; the STOPPED event adds its watch time. Both carry the play's
-- start, so they land in the same period.
CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.plays_15m_mv TO {{database}}.plays_15m AS
SELECT
    toStartOfFifteenMinutes(play_started_at) AS period_start, server_id, account_key, media_type,
    countIf(event_type = 'STARTED') AS plays,
    sumIf(played_ms, event_type = 'STOPPED') AS watch_ms,
    sumIf(paused_ms, event_type = 'STOPPED') AS paused_ms,
    countIf(event_type = 'STARTED' AND is_transcode) AS transcode_plays,
    countIf(event_type = 'STARTED' AND NOT is_transcode AND video_decision = 'DIRECT_STREAM') AS direct_stream_plays,
    countIf(event_type = 'STARTED' AND NOT is_transcode AND video_decision != 'DIRECT_STREAM') AS direct_play_plays,
    sumIf(toUInt64(ifNull(bitrate_kbps, 0)) * played_ms DIV 1000, event_type = 'STOPPED') AS streamed_kbit
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY period_start, server_id, account_key, media_type;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.stream_quality_15m_mv TO {{database}}.stream_quality_15m AS
SELECT
    toStartOfFifteenMinutes(play_started_at) AS period_start, server_id, video_decision, audio_decision,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec,
    countIf(event_type = 'STARTED') AS plays, sumIf(played_ms, event_type = 'STOPPED') AS watch_ms
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY period_start, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution,
         source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.clients_15m_mv TO {{database}}.clients_15m AS
SELECT
    toStartOfFifteenMinutes(play_started_at) AS period_start, server_id, platform, product, player,
    countIf(event_type = 'STARTED') AS plays, sumIf(played_ms, event_type = 'STOPPED') AS watch_ms,
    uniqStateIf(device_id, event_type = 'STARTED') AS devices, uniqStateIf(account_key, event_type = 'STARTED') AS accounts
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY period_start, server_id, platform, product, player;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.titles_15m_mv TO {{database}}.titles_15m AS
SELECT
    toStartOfFifteenMinutes(play_started_at) AS period_start, server_id, media_type,
    if(grandparent_item_id != '', grandparent_item_id, item_id) AS title_key,
    anyLast(if(grandparent_title != '', grandparent_title, title)) AS title, anyLast(year) AS year,
    countIf(event_type = 'STARTED') AS plays, sumIf(played_ms, event_type = 'STOPPED') AS watch_ms,
    uniqStateIf(account_key, event_type = 'STARTED') AS accounts
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY period_start, server_id, media_type, title_key;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.geo_15m_mv TO {{database}}.geo_15m AS
SELECT
    toStartOfFifteenMinutes(play_started_at) AS period_start, server_id, country_code, region, city,
    anyLast(latitude) AS latitude, anyLast(longitude) AS longitude,
    countIf(event_type = 'STARTED') AS plays, sumIf(played_ms, event_type = 'STOPPED') AS watch_ms,
    uniqStateIf(account_key, event_type = 'STARTED') AS accounts
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY period_start, server_id, country_code, region, city;

ALTER TABLE {{database}}.item_plays_mv MODIFY QUERY
SELECT server_id, item_id, countIf(event_type = 'STARTED') AS plays, sumIf(played_ms, event_type = 'STOPPED') AS watch_ms,
       max(play_started_at) AS last_played_at
FROM {{database}}.playback_events
WHERE event_type IN ('STARTED', 'STOPPED')
GROUP BY server_id, item_id;

-- The rebuild: every play in `sessions`, counted once; watch time only for plays that ended.
TRUNCATE TABLE IF EXISTS {{database}}.plays_15m;
INSERT INTO {{database}}.plays_15m
SELECT
    toStartOfFifteenMinutes(started_at) AS period_start, server_id, account_key, media_type,
    count() AS plays,
    sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms,
    sumIf(paused_ms, stopped_at IS NOT NULL) AS paused_ms,
    countIf(is_transcode) AS transcode_plays,
    countIf(NOT is_transcode AND video_decision = 'DIRECT_STREAM') AS direct_stream_plays,
    countIf(NOT is_transcode AND video_decision != 'DIRECT_STREAM') AS direct_play_plays,
    sumIf(toUInt64(ifNull(bitrate_kbps, 0)) * played_ms DIV 1000, stopped_at IS NOT NULL) AS streamed_kbit
FROM {{database}}.sessions FINAL
GROUP BY period_start, server_id, account_key, media_type;

TRUNCATE TABLE IF EXISTS {{database}}.stream_quality_15m;
INSERT INTO {{database}}.stream_quality_15m
SELECT
    toStartOfFifteenMinutes(started_at) AS period_start, server_id, video_decision, audio_decision,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec,
    count() AS plays, sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms
FROM {{database}}.sessions FINAL
GROUP BY period_start, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution,
         source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec;

TRUNCATE TABLE IF EXISTS {{database}}.clients_15m;
INSERT INTO {{database}}.clients_15m
SELECT
    toStartOfFifteenMinutes(started_at) AS period_start, server_id, platform, product, player,
    count() AS plays, sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms,
    uniqState(device_id) AS devices, uniqState(account_key) AS accounts
FROM {{database}}.sessions FINAL
GROUP BY period_start, server_id, platform, product, player;

TRUNCATE TABLE IF EXISTS {{database}}.titles_15m;
INSERT INTO {{database}}.titles_15m
SELECT
    toStartOfFifteenMinutes(started_at) AS period_start, server_id, media_type,
    if(grandparent_item_id != '', grandparent_item_id, item_id) AS title_key,
    anyLast(if(grandparent_title != '', grandparent_title, title)) AS title, anyLast(year) AS year,
    count() AS plays, sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms, uniqState(account_key) AS accounts
FROM {{database}}.sessions FINAL
GROUP BY period_start, server_id, media_type, title_key;

TRUNCATE TABLE IF EXISTS {{database}}.geo_15m;
INSERT INTO {{database}}.geo_15m
SELECT
    toStartOfFifteenMinutes(started_at) AS period_start, server_id, country_code, region, city,
    anyLast(latitude) AS latitude, anyLast(longitude) AS longitude,
    count() AS plays, sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms, uniqState(account_key) AS accounts
FROM {{database}}.sessions FINAL
GROUP BY period_start, server_id, country_code, region, city;

TRUNCATE TABLE IF EXISTS {{database}}.item_plays;
INSERT INTO {{database}}.item_plays
SELECT server_id, item_id, count() AS plays, sumIf(played_ms, stopped_at IS NOT NULL) AS watch_ms, max(started_at) AS last_played_at
FROM {{database}}.sessions FINAL
GROUP BY server_id, item_id;

-- The old rollups, under their old names, for queries written against them.
DROP TABLE IF EXISTS {{database}}.plays_daily;
CREATE VIEW IF NOT EXISTS {{database}}.plays_daily AS
SELECT toDate(period_start) AS day, server_id, account_key, media_type,
       sum(plays) AS plays, sum(watch_ms) AS watch_ms, sum(paused_ms) AS paused_ms, sum(transcode_plays) AS transcode_plays,
       sum(direct_stream_plays) AS direct_stream_plays, sum(direct_play_plays) AS direct_play_plays, sum(streamed_kbit) AS streamed_kbit
FROM {{database}}.plays_15m GROUP BY day, server_id, account_key, media_type;

DROP TABLE IF EXISTS {{database}}.plays_hourly;
CREATE VIEW IF NOT EXISTS {{database}}.plays_hourly AS
SELECT toStartOfHour(period_start) AS hour, server_id, sum(plays) AS plays, sum(watch_ms) AS watch_ms
FROM {{database}}.plays_15m GROUP BY hour, server_id;

DROP TABLE IF EXISTS {{database}}.stream_quality_daily;
CREATE VIEW IF NOT EXISTS {{database}}.stream_quality_daily AS
SELECT toDate(period_start) AS day, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution,
       source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec, sum(plays) AS plays, sum(watch_ms) AS watch_ms
FROM {{database}}.stream_quality_15m
GROUP BY day, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution,
         source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec;

DROP TABLE IF EXISTS {{database}}.clients_daily;
CREATE VIEW IF NOT EXISTS {{database}}.clients_daily AS
SELECT toDate(period_start) AS day, server_id, platform, product, player, sum(plays) AS plays, sum(watch_ms) AS watch_ms,
       uniqMergeState(devices) AS devices, uniqMergeState(accounts) AS accounts
FROM {{database}}.clients_15m GROUP BY day, server_id, platform, product, player;

DROP TABLE IF EXISTS {{database}}.titles_daily;
CREATE VIEW IF NOT EXISTS {{database}}.titles_daily AS
SELECT toDate(period_start) AS day, server_id, media_type, title_key, anyLast(title) AS title, sum(plays) AS plays,
       sum(watch_ms) AS watch_ms, uniqMergeState(accounts) AS accounts
FROM {{database}}.titles_15m GROUP BY day, server_id, media_type, title_key;

DROP TABLE IF EXISTS {{database}}.geo_daily;
CREATE VIEW IF NOT EXISTS {{database}}.geo_daily AS
SELECT toDate(period_start) AS day, server_id, country_code, region, city, anyLast(latitude) AS latitude, anyLast(longitude) AS longitude,
       sum(plays) AS plays, sum(watch_ms) AS watch_ms, uniqMergeState(accounts) AS accounts
FROM {{database}}.geo_15m GROUP BY day, server_id, country_code, region, city;
