-- One item across servers: the same film or episode on a Plex and a Jellyfin server (or on two
-- Plex servers) is one item to library analytics, told apart from two files of one item on one
-- server. Library snapshots carry the items' outside ids (IMDb, TMDb, TheTVDB, Plex's agent) and
-- episode numbers from library-snapshot version 2; items stored earlier get them at the next sync
-- and until then are matched by title, year and episode number.

ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS season_number Nullable(UInt16) AFTER year;
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS episode_number Nullable(UInt16) AFTER season_number;
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS external_ids Array(String) COMMENT 'provider:id, e.g. imdb:tt0113277, tmdb:949, tvdb:81189, plex:movie/5d77...' AFTER episode_number;

-- Which item this is, whatever the server: its IMDb id, else TMDb, TheTVDB or Plex agent id (the
-- first a server reports, in that order), else series + season + episode for episodes, else
-- series/artist + title + year. Read it like a column; it is computed, never stored.
ALTER TABLE {{database}}.library_items ADD COLUMN IF NOT EXISTS item_identity String ALIAS concat(media_type, '|', multiIf(
    has(arrayMap(x -> splitByChar(':', x)[1], external_ids), 'imdb'), arrayFirst(x -> startsWith(x, 'imdb:'), external_ids),
    has(arrayMap(x -> splitByChar(':', x)[1], external_ids), 'tmdb'), arrayFirst(x -> startsWith(x, 'tmdb:'), external_ids),
    has(arrayMap(x -> splitByChar(':', x)[1], external_ids), 'tvdb'), arrayFirst(x -> startsWith(x, 'tvdb:'), external_ids),
    has(arrayMap(x -> splitByChar(':', x)[1], external_ids), 'plex'), arrayFirst(x -> startsWith(x, 'plex:'), external_ids),
    media_type = 'EPISODE' AND isNotNull(season_number) AND isNotNull(episode_number),
        concat('title:', lowerUTF8(trimBoth(grandparent_title)), '|s', toString(season_number), 'e', toString(episode_number)),
    concat('title:', lowerUTF8(trimBoth(grandparent_title)), '|', lowerUTF8(trimBoth(title)), '|', ifNull(toString(year), ''))))
COMMENT 'The item across servers: media type and its IMDb, TMDb, TheTVDB or Plex agent id, else its titles, year and episode number';
