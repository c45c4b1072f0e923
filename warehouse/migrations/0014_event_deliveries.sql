-- Deliveries of events beside findings. The ledger's first column holds the event's id (a finding's
-- id for findings); a row says what kind of event it was, its server and when it happened, so that
-- a server's state is told to a channel only when it changed, and events held back (grouped, or in
-- quiet hours) wait here as PENDING until they are sent.

ALTER TABLE {{database}}.notification_deliveries
    ADD COLUMN IF NOT EXISTS event_type LowCardinality(String) DEFAULT 'VIOLATION' COMMENT 'VIOLATION, or the type of a streamwarden.events record' AFTER channel_type,
    ADD COLUMN IF NOT EXISTS server_id String DEFAULT '' COMMENT 'The server of an event (empty for findings written before events)' AFTER event_type,
    ADD COLUMN IF NOT EXISTS occurred_at DateTime64(3, 'UTC') DEFAULT updated_at COMMENT 'When the event happened' AFTER server_id;
