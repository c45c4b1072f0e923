-- Core tables. Times are UTC. Every table written from the bus keeps where each row came from
-- (source_topic, source_partition, source_offset) so the sink can resume exactly after what is
-- stored; replays therefore add nothing, and the Replacing engines also collapse any duplicate.

CREATE TABLE IF NOT EXISTS {{database}}.playback_events
(
    event_id String COMMENT 'Deterministic id of the observation (same observation, same id)',
    event_type LowCardinality(String) COMMENT 'STARTED, PROGRESS, PAUSED, RESUMED or STOPPED',
    observed_at DateTime64(3, 'UTC') COMMENT 'When the connector saw this state',
    server_id LowCardinality(String) COMMENT 'Streamwarden id of the media server',
    server_type LowCardinality(String) COMMENT 'PLEX, JELLYFIN or EMBY',
    account_key String COMMENT 'server_id:user_id, the account the play belongs to',
    user_id String COMMENT 'The media server''s own user id',
    user_name String COMMENT 'User name as the server reports it (user-controlled text)',
    session_key String COMMENT 'The server''s session id',
    play_started_at DateTime64(3, 'UTC') COMMENT 'Start of the play this event belongs to; with server_id and session_key it identifies the play',
    played_ms UInt64 COMMENT 'Time spent playing since the play started, as of this event (cumulative)',
    paused_ms UInt64 COMMENT 'Time spent paused since the play started, as of this event (cumulative)',
    item_id String COMMENT 'Plex ratingKey or Jellyfin/Emby item id',
    title String COMMENT 'Item title (episode, movie or track name)',
    media_type LowCardinality(String) COMMENT 'MOVIE, EPISODE, TRACK, LIVE_TV, VIDEO, PHOTO or OTHER',
    parent_item_id String COMMENT 'Season or album id, empty if none',
    parent_title String COMMENT 'Season or album title',
    grandparent_item_id String COMMENT 'Series or artist id, empty if none',
    grandparent_title String COMMENT 'Series or artist name',
    season_number Nullable(UInt16),
    episode_number Nullable(UInt16),
    year Nullable(UInt16) COMMENT 'Release year',
    library_id String COMMENT 'Library (section) id when the server reports it',
    device_id String COMMENT 'Player machine identifier / device id',
    device_name String COMMENT 'Device name (user-controlled text)',
    player String COMMENT 'Player or client name',
    product LowCardinality(String) COMMENT 'Client application, e.g. Plex for Android',
    platform LowCardinality(String) COMMENT 'Platform, e.g. Android, Chrome, tvOS',
    product_version String,
    client_ip String COMMENT 'Client address as the server saw it',
    network_location LowCardinality(String) COMMENT 'LAN, WAN or UNKNOWN',
    country_code LowCardinality(String) COMMENT 'ISO country of client_ip (empty for LAN or unknown)',
    region String COMMENT 'Region or state of client_ip',
    city String COMMENT 'City of client_ip',
    latitude Nullable(Float64),
    longitude Nullable(Float64),
    play_state LowCardinality(String) COMMENT 'PLAYING, PAUSED, BUFFERING or STOPPED',
    position_ms UInt64 COMMENT 'Playhead position',
    duration_ms Nullable(UInt64) COMMENT 'Length of the item',
    video_decision LowCardinality(String) COMMENT 'DIRECT_PLAY, DIRECT_STREAM, TRANSCODE, NONE or UNKNOWN',
    audio_decision LowCardinality(String),
    is_transcode Bool COMMENT 'Video or audio transcoded',
    transcode_hardware Nullable(Bool),
    transcode_reasons Array(LowCardinality(String)),
    bitrate_kbps Nullable(UInt32) COMMENT 'Bitrate sent to the client',
    source_bitrate_kbps Nullable(UInt32) COMMENT 'Bitrate of the file',
    bandwidth_kbps Nullable(UInt32) COMMENT 'Bandwidth the server attributes to the session',
    source_video_resolution LowCardinality(String) COMMENT '4k, 1080, 720, 480, sd or empty',
    stream_video_resolution LowCardinality(String),
    source_video_codec LowCardinality(String),
    stream_video_codec LowCardinality(String),
    source_audio_codec LowCardinality(String),
    stream_audio_codec LowCardinality(String),
    container LowCardinality(String),
    source_topic LowCardinality(String) COMMENT 'Bus topic the row was read from',
    source_partition UInt32,
    source_offset UInt64,
    ingested_at DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'When the row was written'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(observed_at)
ORDER BY (server_id, account_key, observed_at, event_id)
COMMENT 'Every observation of every playback session (raw; retention configurable with STREAMWARDEN_RAW_EVENTS_TTL_DAYS)';

CREATE TABLE IF NOT EXISTS {{database}}.sessions
(
    server_id LowCardinality(String),
    account_key String,
    started_at DateTime64(3, 'UTC') COMMENT 'Start of the play',
    session_key String,
    last_seen_at DateTime64(3, 'UTC') COMMENT 'Time of the newest observation (the row version)',
    stopped_at Nullable(DateTime64(3, 'UTC')) COMMENT 'Set once the play stopped; NULL while it is going on',
    state LowCardinality(String) COMMENT 'Latest play state',
    server_type LowCardinality(String),
    user_id String,
    user_name String,
    played_ms UInt64 COMMENT 'Watch time: time spent playing or buffering',
    paused_ms UInt64,
    item_id String,
    title String,
    media_type LowCardinality(String),
    grandparent_item_id String,
    grandparent_title String,
    parent_title String,
    season_number Nullable(UInt16),
    episode_number Nullable(UInt16),
    year Nullable(UInt16),
    library_id String,
    device_id String,
    device_name String,
    player String,
    product LowCardinality(String),
    platform LowCardinality(String),
    client_ip String COMMENT 'Latest client address (see playback_events for every address seen)',
    network_location LowCardinality(String),
    country_code LowCardinality(String),
    region String,
    city String,
    latitude Nullable(Float64),
    longitude Nullable(Float64),
    position_ms UInt64,
    duration_ms Nullable(UInt64),
    video_decision LowCardinality(String),
    audio_decision LowCardinality(String),
    is_transcode Bool,
    bitrate_kbps Nullable(UInt32),
    bandwidth_kbps Nullable(UInt32),
    source_video_resolution LowCardinality(String),
    stream_video_resolution LowCardinality(String),
    source_video_codec LowCardinality(String),
    stream_video_codec LowCardinality(String),
    source_audio_codec LowCardinality(String),
    stream_audio_codec LowCardinality(String)
)
ENGINE = ReplacingMergeTree(last_seen_at)
PARTITION BY toYYYYMM(started_at)
ORDER BY (server_id, account_key, started_at, session_key)
COMMENT 'One row per play (query with FINAL, or argMax by last_seen_at): its latest state, watch time and quality';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sessions_from_events TO {{database}}.sessions AS
SELECT
    server_id, account_key, play_started_at AS started_at, session_key,
    observed_at AS last_seen_at,
    if(event_type = 'STOPPED', observed_at, NULL) AS stopped_at,
    play_state AS state, server_type, user_id, user_name, played_ms, paused_ms,
    item_id, title, media_type, grandparent_item_id, grandparent_title, parent_title,
    season_number, episode_number, year, library_id,
    device_id, device_name, player, product, platform,
    client_ip, network_location, country_code, region, city, latitude, longitude,
    position_ms, duration_ms, video_decision, audio_decision, is_transcode, bitrate_kbps, bandwidth_kbps,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec
FROM {{database}}.playback_events;

CREATE TABLE IF NOT EXISTS {{database}}.accounts
(
    server_id LowCardinality(String),
    user_id String,
    account_key String,
    user_name SimpleAggregateFunction(anyLast, String) COMMENT 'Most recent name seen',
    first_seen_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_seen_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = AggregatingMergeTree
ORDER BY (server_id, user_id, account_key)
COMMENT 'Accounts (users per server) seen playing; query with FINAL';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.accounts_from_events TO {{database}}.accounts AS
SELECT server_id, user_id, account_key, user_name, observed_at AS first_seen_at, observed_at AS last_seen_at
FROM {{database}}.playback_events;

CREATE TABLE IF NOT EXISTS {{database}}.violations
(
    violation_id String COMMENT 'Deterministic id: the same evidence always gives the same id',
    rule LowCardinality(String) COMMENT 'IMPOSSIBLE_TRAVEL, SIMULTANEOUS_LOCATIONS, DEVICE_VELOCITY, CONCURRENT_STREAMS, GEO_RESTRICTION, ACCOUNT_INACTIVITY',
    severity LowCardinality(String) COMMENT 'LOW, MEDIUM, HIGH or CRITICAL',
    account_key String,
    server_id LowCardinality(String),
    user_id String,
    user_name String,
    detected_at DateTime64(3, 'UTC'),
    session_keys Array(String) COMMENT 'Plays that triggered the rule',
    trust_penalty Int32,
    summary String COMMENT 'Plain-language line, e.g. Boston -> London, 5,265 km in 30 min = 10,530 km/h',
    distance_km Nullable(Float64),
    elapsed_ms Nullable(Int64),
    speed_kmh Nullable(Float64),
    observed_count Nullable(Int32) COMMENT 'Streams, addresses, devices or idle days counted',
    limit_count Nullable(Int32) COMMENT 'Configured threshold that was exceeded',
    window_ms Nullable(Int64),
    ips Array(String),
    device_ids Array(String),
    country_code LowCardinality(String),
    evidence_json String COMMENT 'The whole evidence record as JSON (locations with coordinates)',
    status LowCardinality(String) DEFAULT 'OPEN' COMMENT 'OPEN, ACKNOWLEDGED or DISMISSED',
    status_note String DEFAULT '',
    updated_at DateTime64(3, 'UTC') COMMENT 'Row version: a status change writes the row again with a later updated_at',
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64
)
ENGINE = ReplacingMergeTree(updated_at)
PARTITION BY toYYYYMM(detected_at)
ORDER BY (account_key, detected_at, violation_id)
COMMENT 'Rule violations, one row per violation (query with FINAL for the current status)';

CREATE TABLE IF NOT EXISTS {{database}}.trust_score_history
(
    change_id String,
    account_key String,
    server_id LowCardinality(String),
    user_id String,
    changed_at DateTime64(3, 'UTC'),
    previous_score Int16,
    new_score Int16,
    delta Int16,
    reason LowCardinality(String) COMMENT 'VIOLATION, RECOVERY, MANUAL or RESET',
    violation_id String,
    rule LowCardinality(String),
    note String,
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(changed_at)
ORDER BY (account_key, changed_at, change_id)
COMMENT 'Every trust score change of every account; the newest row per account is its score';

CREATE TABLE IF NOT EXISTS {{database}}.server_metrics
(
    server_id LowCardinality(String),
    sampled_at DateTime64(3, 'UTC'),
    server_type LowCardinality(String),
    status LowCardinality(String) COMMENT 'UP, DOWN, AUTH_FAILED or DEGRADED',
    status_detail String,
    response_time_ms Nullable(UInt32),
    process_cpu_percent Nullable(Float64),
    host_cpu_percent Nullable(Float64),
    process_memory_percent Nullable(Float64),
    host_memory_percent Nullable(Float64),
    active_sessions UInt32,
    transcode_sessions UInt32,
    direct_play_sessions UInt32,
    direct_stream_sessions UInt32,
    total_bandwidth_kbps UInt64,
    lan_bandwidth_kbps UInt64,
    wan_bandwidth_kbps UInt64,
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset UInt64
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(sampled_at)
ORDER BY (server_id, sampled_at)
COMMENT 'Media server health and load samples';

CREATE TABLE IF NOT EXISTS {{database}}.servers
(
    server_id String,
    name String,
    server_type LowCardinality(String),
    url String,
    enabled Bool,
    deleted Bool DEFAULT false,
    updated_at DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY server_id
COMMENT 'Media servers Streamwarden watches (credentials are never stored here)';

CREATE TABLE IF NOT EXISTS {{database}}.library_items
(
    server_id LowCardinality(String),
    library_id String,
    item_id String,
    library_title String,
    title String,
    media_type LowCardinality(String),
    grandparent_title String,
    year Nullable(UInt16),
    added_at Nullable(DateTime64(3, 'UTC')),
    duration_ms Nullable(UInt64),
    size_bytes Nullable(UInt64),
    video_resolution LowCardinality(String),
    video_codec LowCardinality(String),
    audio_codec LowCardinality(String),
    container LowCardinality(String),
    bitrate_kbps Nullable(UInt32),
    path String,
    snapshot_at DateTime64(3, 'UTC') COMMENT 'When the library was read; the newest snapshot of an item wins',
    removed Bool DEFAULT false COMMENT 'True once a later snapshot no longer lists the item'
)
ENGINE = ReplacingMergeTree(snapshot_at)
ORDER BY (server_id, library_id, item_id)
COMMENT 'Library contents per server (query with FINAL WHERE NOT removed)';

CREATE TABLE IF NOT EXISTS {{database}}.sink_offsets
(
    source_topic LowCardinality(String),
    source_partition UInt32,
    source_offset SimpleAggregateFunction(max, UInt64) COMMENT 'Newest offset stored from this partition'
)
ENGINE = AggregatingMergeTree
ORDER BY (source_topic, source_partition)
COMMENT 'Bookkeeping of the warehouse sink: what it has stored, so a restart skips it';

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sink_offsets_events TO {{database}}.sink_offsets AS
SELECT source_topic, source_partition, max(source_offset) AS source_offset FROM {{database}}.playback_events GROUP BY source_topic, source_partition;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sink_offsets_violations TO {{database}}.sink_offsets AS
SELECT source_topic, source_partition, max(source_offset) AS source_offset FROM {{database}}.violations WHERE source_topic != '' GROUP BY source_topic, source_partition;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sink_offsets_trust TO {{database}}.sink_offsets AS
SELECT source_topic, source_partition, max(source_offset) AS source_offset FROM {{database}}.trust_score_history GROUP BY source_topic, source_partition;

CREATE MATERIALIZED VIEW IF NOT EXISTS {{database}}.sink_offsets_metrics TO {{database}}.sink_offsets AS
SELECT source_topic, source_partition, max(source_offset) AS source_offset FROM {{database}}.server_metrics GROUP BY source_topic, source_partition;
