-- The public SQL contract for analysts: views whose columns stay as they are across releases while
-- the tables behind them change. A view's columns never change under the same name: a release that
-- must change them adds the next version (plays_v2) beside it and keeps this one. The columns are
-- checked by warehouse/public-views.test.ts against warehouse/public-views.json; the guide is in
-- warehouse/README.md ("Public views").

-- One row per play (a running one too): who, what, where, on what, and how it was delivered.
CREATE VIEW IF NOT EXISTS {{database}}.plays_v1
COMMENT 'Public contract, version 1: one row per play, running ones included (stopped_at NULL)'
AS SELECT
    server_id, server_type, account_key, user_id, user_name, session_key,
    started_at, stopped_at, last_seen_at,
    media_type, title, grandparent_title AS series_or_artist, parent_title AS season_or_album,
    season_number, episode_number, year,
    played_ms, paused_ms, duration_ms, position_ms,
    device_id, device_name, platform, product, product_version, player,
    client_ip, network_location, country_code, region, city, latitude, longitude,
    multiIf(is_transcode, 'TRANSCODE', video_decision = 'DIRECT_STREAM', 'DIRECT_STREAM', 'DIRECT_PLAY') AS delivery,
    video_decision, audio_decision, is_transcode, transcode_hardware, transcode_reasons,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec, container, bitrate_kbps, bandwidth_kbps
FROM {{database}}.sessions FINAL;

-- The plays going on now, as the dashboard's overview shows them (seen within five minutes).
CREATE VIEW IF NOT EXISTS {{database}}.sessions_live_v1
COMMENT 'Public contract, version 1: the plays going on now (not stopped, seen within 5 minutes)'
AS SELECT * FROM {{database}}.plays_v1
WHERE stopped_at IS NULL AND last_seen_at >= now64(3) - INTERVAL 5 MINUTE;

-- Every finding with its review status; evidence as the rule wrote it (JSON).
CREATE VIEW IF NOT EXISTS {{database}}.violations_v1
COMMENT 'Public contract, version 1: every finding with its review status and evidence (JSON)'
AS SELECT
    violation_id, detected_at, rule, severity, status, account_key, server_id, user_id, user_name,
    person_id, summary, trust_penalty, session_keys, evidence_json
FROM {{database}}.violations FINAL;

-- Every account with its trust score and open findings, and the person it is linked to (People page).
CREATE VIEW IF NOT EXISTS {{database}}.people_v1
COMMENT 'Public contract, version 1: every account with trust, open findings and its person'
AS SELECT
    a.account_key AS account_key, a.server_id AS server_id, a.user_id AS user_id, a.user_name AS user_name,
    a.first_seen_at AS first_seen_at, a.last_seen_at AS last_seen_at,
    ifNull(t.score, 100) AS trust_score, toUInt64(ifNull(v.open, 0)) AS open_violations,
    l.person_id AS person_id, l.person_name AS person_name
FROM (
    SELECT account_key, any(server_id) AS server_id, any(user_id) AS user_id,
           CAST(anyLast(user_name) AS String) AS user_name,
           CAST(min(first_seen_at) AS DateTime64(3, 'UTC')) AS first_seen_at,
           CAST(max(last_seen_at) AS DateTime64(3, 'UTC')) AS last_seen_at
    FROM {{database}}.accounts GROUP BY account_key
) AS a
LEFT JOIN (
    SELECT account_key, argMax(new_score, changed_at) AS score FROM {{database}}.trust_score_history GROUP BY account_key
) AS t ON t.account_key = a.account_key
LEFT JOIN (
    SELECT account_key, countIf(status = 'OPEN') AS open FROM {{database}}.violations FINAL GROUP BY account_key
) AS v ON v.account_key = a.account_key
LEFT JOIN (
    SELECT JSONExtractString(person.2, 'personId') AS person_id, JSONExtractString(person.2, 'name') AS person_name,
           arrayJoin(JSONExtract(person.2, 'accountKeys', 'Array(String)')) AS account_key
    FROM (
        SELECT arrayJoin(JSONExtractKeysAndValuesRaw(body, 'people')) AS person
        FROM {{database}}.config_documents FINAL WHERE name = 'people'
    )
) AS l ON l.account_key = a.account_key
SETTINGS join_use_nulls = 1;

-- Usage per UTC day, server and account, from the 15-minute rollup (plays count from their start).
CREATE VIEW IF NOT EXISTS {{database}}.daily_usage_v1
COMMENT 'Public contract, version 1: plays, watch time and data per UTC day, server and account'
AS SELECT
    toDate(period_start) AS day, server_id, account_key,
    sum(plays) AS plays, sum(watch_ms) AS watch_ms, sum(paused_ms) AS paused_ms,
    sum(transcode_plays) AS transcode_plays, sum(direct_stream_plays) AS direct_stream_plays,
    sum(direct_play_plays) AS direct_play_plays, sum(streamed_kbit) AS streamed_kbit
FROM {{database}}.plays_15m
GROUP BY day, server_id, account_key;

-- Each media server's load as Streamwarden sampled it: streams, transcodes, bandwidth, CPU.
CREATE VIEW IF NOT EXISTS {{database}}.server_load_v1
COMMENT 'Public contract, version 1: one row per sample of a media server (about one a poll)'
AS SELECT
    server_id, server_type, sampled_at, status, response_time_ms,
    active_sessions AS streams, transcode_sessions AS transcodes,
    direct_play_sessions AS direct_plays, direct_stream_sessions AS direct_streams,
    total_bandwidth_kbps AS bandwidth_kbps, lan_bandwidth_kbps, wan_bandwidth_kbps,
    host_cpu_percent, process_cpu_percent, host_memory_percent, process_memory_percent
FROM {{database}}.server_metrics;
