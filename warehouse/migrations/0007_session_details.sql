-- What the connectors read of a play and the API shows of it: hardware transcoding and its
-- accelerator, the transcoder's reasons, the container and the client's version. Earlier plays keep
-- the defaults (NULL, empty) until they are observed again; their events have the values (but the
-- accelerator, new with playback-event version 3).

ALTER TABLE {{database}}.playback_events ADD COLUMN IF NOT EXISTS transcode_accelerator LowCardinality(String) AFTER transcode_hardware;

ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS transcode_hardware Nullable(Bool) AFTER is_transcode;
ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS transcode_accelerator LowCardinality(String) AFTER transcode_hardware;
ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS transcode_reasons Array(LowCardinality(String)) AFTER transcode_accelerator;
ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS container LowCardinality(String) AFTER stream_audio_codec;
ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS product_version String AFTER product;

ALTER TABLE {{database}}.sessions_from_events MODIFY QUERY
SELECT
    server_id, account_key, play_started_at AS started_at, session_key,
    observed_at AS last_seen_at,
    if(event_type = 'STOPPED', observed_at, NULL) AS stopped_at,
    play_state AS state, server_type, user_id, user_name, played_ms, paused_ms,
    item_id, title, media_type, grandparent_item_id, grandparent_title, parent_title,
    season_number, episode_number, year, library_id,
    device_id, device_name, player, product, product_version, platform,
    client_ip, network_location, country_code, region, city, latitude, longitude,
    position_ms, duration_ms, video_decision, audio_decision, is_transcode, transcode_hardware, transcode_accelerator, transcode_reasons,
    bitrate_kbps, bandwidth_kbps,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec, container
FROM {{database}}.playback_events;
