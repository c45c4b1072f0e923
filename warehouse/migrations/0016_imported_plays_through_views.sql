-- Imported plays (source_topic 'import:<kind>') arrive as their start and stop events together
-- (warehouse/queries/imports.ts). In sessions the start event's row is always replaced by the
-- stop's, and sink_offsets is for the topics the sink consumes, which imports are not: the views
-- now leave those rows out, so a big import's move through the views costs less
-- (bench/README.md, "Import"). Live events go through the views as before.

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
FROM {{database}}.playback_events
WHERE NOT (event_type = 'STARTED' AND startsWith(source_topic, 'import:'));

ALTER TABLE {{database}}.sink_offsets_events MODIFY QUERY
SELECT source_topic, source_partition, max(source_offset) AS source_offset
FROM {{database}}.playback_events
WHERE NOT startsWith(source_topic, 'import:')
GROUP BY source_topic, source_partition;
