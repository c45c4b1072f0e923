-- Rollups for long-range analytics, kept up to date by materialized views as events arrive.
-- A play is counted once, when it stops (its STOPPED event carries its final watch time), and is
-- attributed to the hour/day it started. Sum columns are SimpleAggregateFunction(sum): read them
-- with sum(); uniq columns are AggregateFunction(uniq): read them with uniqMerge().

CREATE TABLE IF NOT EXISTS {{database}}.plays_daily
(
    day Date COMMENT 'Day the play started (UTC)',
    server_id LowCardinality(String),
    account_key String,
    media_type LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64) COMMENT 'Time spent playing',
    paused_ms SimpleAggregateFunction(sum, UInt64),
    transcode_plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays with video or audio transcoded',
    direct_stream_plays SimpleAggregateFunction(sum, UInt64) COMMENT 'Plays remuxed (container changed, streams copied)',
    direct_play_plays SimpleAggregateFunction(sum, UInt64),
    streamed_kbit SimpleAggregateFunction(sum, UInt64) COMMENT 'Data sent: bitrate x watch time, in kilobits'
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, server_id, account_key, media_type)
COMMENT 'Plays and watch time per day, server, account and media type';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.plays_daily_mv TO {{database}}.plays_daily AS
SELECT
    toDate(play_started_at) AS day, server_id, account_key, media_type,
    count() AS plays,
    sum(played_ms) AS watch_ms,
    sum(paused_ms) AS paused_ms,
    countIf(is_transcode) AS transcode_plays,
    countIf(NOT is_transcode AND video_decision = 'DIRECT_STREAM') AS direct_stream_plays,
    countIf(NOT is_transcode AND video_decision != 'DIRECT_STREAM') AS direct_play_plays,
    sum(toUInt64(ifNull(bitrate_kbps, 0)) * played_ms DIV 1000) AS streamed_kbit
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY day, server_id, account_key, media_type;

CREATE TABLE IF NOT EXISTS {{database}}.plays_hourly
(
    hour DateTime('UTC') COMMENT 'Hour the play started (UTC)',
    server_id LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, server_id)
COMMENT 'Plays per hour: the hour-of-day by day-of-week heat map';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.plays_hourly_mv TO {{database}}.plays_hourly AS
SELECT toStartOfHour(play_started_at) AS hour, server_id, count() AS plays, sum(played_ms) AS watch_ms
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY hour, server_id;

CREATE TABLE IF NOT EXISTS {{database}}.stream_quality_daily
(
    day Date,
    server_id LowCardinality(String),
    video_decision LowCardinality(String),
    audio_decision LowCardinality(String),
    source_video_resolution LowCardinality(String),
    stream_video_resolution LowCardinality(String),
    source_video_codec LowCardinality(String),
    stream_video_codec LowCardinality(String),
    source_audio_codec LowCardinality(String),
    stream_audio_codec LowCardinality(String),
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec)
COMMENT 'Transcode / direct stream / direct play, resolutions and codecs (source and stream) per day';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.stream_quality_daily_mv TO {{database}}.stream_quality_daily AS
SELECT
    toDate(play_started_at) AS day, server_id, video_decision, audio_decision,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec,
    count() AS plays, sum(played_ms) AS watch_ms
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY day, server_id, video_decision, audio_decision, source_video_resolution, stream_video_resolution,
         source_video_codec, stream_video_codec, source_audio_codec, stream_audio_codec;

CREATE TABLE IF NOT EXISTS {{database}}.clients_daily
(
    day Date,
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
PARTITION BY toYYYYMM(day)
ORDER BY (day, server_id, platform, product, player)
COMMENT 'Platforms, client applications and players per day';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.clients_daily_mv TO {{database}}.clients_daily AS
SELECT
    toDate(play_started_at) AS day, server_id, platform, product, player,
    count() AS plays, sum(played_ms) AS watch_ms, uniqState(device_id) AS devices, uniqState(account_key) AS accounts
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY day, server_id, platform, product, player;

CREATE TABLE IF NOT EXISTS {{database}}.titles_daily
(
    day Date,
    server_id LowCardinality(String),
    media_type LowCardinality(String),
    title_key String COMMENT 'Series or artist id for episodes and tracks, else the item id',
    title SimpleAggregateFunction(anyLast, String) COMMENT 'Series or artist name, else the item title',
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64),
    accounts AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, server_id, media_type, title_key)
COMMENT 'Plays per title (series, artist or movie) per day: top titles';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.titles_daily_mv TO {{database}}.titles_daily AS
SELECT
    toDate(play_started_at) AS day, server_id, media_type,
    if(grandparent_item_id != '', grandparent_item_id, item_id) AS title_key,
    anyLast(if(grandparent_title != '', grandparent_title, title)) AS title,
    count() AS plays, sum(played_ms) AS watch_ms, uniqState(account_key) AS accounts
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY day, server_id, media_type, title_key;

CREATE TABLE IF NOT EXISTS {{database}}.item_plays
(
    server_id LowCardinality(String),
    item_id String,
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64),
    last_played_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (server_id, item_id)
COMMENT 'Plays per library item, all time: most watched and never watched';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.item_plays_mv TO {{database}}.item_plays AS
SELECT server_id, item_id, count() AS plays, sum(played_ms) AS watch_ms, max(play_started_at) AS last_played_at
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY server_id, item_id;

CREATE TABLE IF NOT EXISTS {{database}}.geo_daily
(
    day Date,
    server_id LowCardinality(String),
    country_code LowCardinality(String) COMMENT 'Empty for LAN and unknown addresses',
    region String,
    city String,
    latitude SimpleAggregateFunction(anyLast, Nullable(Float64)),
    longitude SimpleAggregateFunction(anyLast, Nullable(Float64)),
    plays SimpleAggregateFunction(sum, UInt64),
    watch_ms SimpleAggregateFunction(sum, UInt64),
    accounts AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(day)
ORDER BY (day, server_id, country_code, region, city)
COMMENT 'Plays per country and city per day (location of the client at the end of the play)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.geo_daily_mv TO {{database}}.geo_daily AS
SELECT
    toDate(play_started_at) AS day, server_id, country_code, region, city,
    anyLast(latitude) AS latitude, anyLast(longitude) AS longitude,
    count() AS plays, sum(played_ms) AS watch_ms, uniqState(account_key) AS accounts
FROM {{database}}.playback_events
WHERE event_type = 'STOPPED'
GROUP BY day, server_id, country_code, region, city;

CREATE TABLE IF NOT EXISTS {{database}}.concurrency_minutely
(
    minute DateTime('UTC'),
    server_id LowCardinality(String),
    streams AggregateFunction(uniq, String) COMMENT 'Plays observed in the minute: uniqMerge(streams)',
    transcodes AggregateFunction(uniq, String)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(minute)
ORDER BY (minute, server_id)
COMMENT 'Streams seen per minute, for concurrent-stream peaks (connectors observe each play at least once a minute)';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.concurrency_minutely_mv TO {{database}}.concurrency_minutely AS
SELECT
    toStartOfMinute(observed_at) AS minute, server_id,
    uniqState(concat(session_key, '@', toString(play_started_at))) AS streams,
    uniqStateIf(concat(session_key, '@', toString(play_started_at)), is_transcode) AS transcodes
FROM {{database}}.playback_events
WHERE event_type != 'STOPPED'
GROUP BY minute, server_id;

CREATE TABLE IF NOT EXISTS {{database}}.server_metrics_hourly
(
    hour DateTime('UTC'),
    server_id LowCardinality(String),
    samples SimpleAggregateFunction(sum, UInt64),
    up_samples SimpleAggregateFunction(sum, UInt64),
    bandwidth_kbps_sum SimpleAggregateFunction(sum, UInt64) COMMENT 'Average bandwidth = bandwidth_kbps_sum / samples',
    bandwidth_kbps_max SimpleAggregateFunction(max, UInt64),
    wan_bandwidth_kbps_sum SimpleAggregateFunction(sum, UInt64),
    sessions_max SimpleAggregateFunction(max, UInt32),
    transcodes_max SimpleAggregateFunction(max, UInt32),
    host_cpu_max SimpleAggregateFunction(max, Float64)
)
ENGINE = AggregatingMergeTree
PARTITION BY toYYYYMM(hour)
ORDER BY (hour, server_id)
COMMENT 'Server bandwidth, load and availability per hour';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.server_metrics_hourly_mv TO {{database}}.server_metrics_hourly AS
SELECT
    toStartOfHour(sampled_at) AS hour, server_id,
    count() AS samples, countIf(status = 'UP') AS up_samples,
    sum(total_bandwidth_kbps) AS bandwidth_kbps_sum, max(total_bandwidth_kbps) AS bandwidth_kbps_max,
    sum(wan_bandwidth_kbps) AS wan_bandwidth_kbps_sum,
    max(active_sessions) AS sessions_max, max(transcode_sessions) AS transcodes_max,
    max(ifNull(host_cpu_percent, 0)) AS host_cpu_max
FROM {{database}}.server_metrics
GROUP BY hour, server_id;
