-- Findings over a person's accounts on several servers (pipeline/person-stage.ts): the person the
-- rule ran over. Empty for an account's own findings, which every violation before this was.

ALTER TABLE {{database}}.violations ADD COLUMN IF NOT EXISTS person_id String DEFAULT '' COMMENT 'The person (linked accounts) a cross-account finding is about; empty for an account''s own finding';
