-- Posters: each play and each library item keeps the reference of its poster (playback-event
-- version 5, library-snapshot version 3), which the API's image proxy fetches from the server.
-- Plays stored earlier keep an empty reference and show no poster; running ones get it with their
-- next event, library items at the next sync.

ALTER TABLE {{database}}.playback_events ADD COLUMN IF NOT EXISTS image_ref String COMMENT 'Poster reference for the image proxy (Plex art path, or Jellyfin/Emby itemId/tag); empty when none' AFTER library_id;
ALTER TABLE {{database}}.sessions ADD COLUMN IF NOT EXISTS image_ref String COMMENT 'Poster reference for the image proxy; empty when none' AFTER library_id;
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS image_ref String COMMENT 'Poster reference for the image proxy; empty when none' AFTER path;

ALTER TABLE {{database}}.sessions_from_events MODIFY QUERY
SELECT
    server_id, account_key, play_started_at AS started_at, session_key,
    observed_at AS last_seen_at,
    if(event_type = 'STOPPED', observed_at, NULL) AS stopped_at,
    play_state AS state, server_type, user_id, user_name, played_ms, paused_ms,
    item_id, title, media_type, grandparent_item_id, grandparent_title, parent_title,
    season_number, episode_number, year, library_id, image_ref,
    device_id, device_name, player, product, product_version, platform,
    client_ip, network_location, country_code, region, city, latitude, longitude,
    position_ms, duration_ms, video_decision, audio_decision, is_transcode, transcode_hardware, transcode_accelerator, transcode_reasons,
    bitrate_kbps, bandwidth_kbps,
    source_video_resolution, stream_video_resolution, source_video_codec, stream_video_codec,
    source_audio_codec, stream_audio_codec, container
FROM {{database}}.playback_events;
