import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { AvroCodec, type AvroSchema } from './codec.ts';
import type {
  AuthRevocation,
  DeadLetter,
  LibrarySnapshotPage,
  OperatorEvent,
  PlaybackEvent,
  ServerMetricsSample,
  StreamCommand,
  TrustScoreChange,
  Violation,
} from './types.generated.ts';

const schemaDir = fileURLToPath(new URL('./', import.meta.url));

function readJson(path: string): AvroSchema {
  return JSON.parse(readFileSync(path, 'utf8')) as AvroSchema;
}

/** The current schema plus every released version of it, oldest first. */
export function loadSchemaVersions(file: string): { current: AvroSchema; released: AvroSchema[] } {
  const dir = `${schemaDir}history/${file}/`;
  const released = readdirSync(dir)
    .filter((f) => /^\d+\.avsc$/.test(f))
    .sort((a, b) => parseInt(a, 10) - parseInt(b, 10))
    .map((f) => readJson(dir + f));
  return { current: readJson(`${schemaDir}${file}.avsc`), released };
}

function codecFor<T>(file: string): AvroCodec<T> {
  const { current, released } = loadSchemaVersions(file);
  return new AvroCodec<T>(current, released);
}

export interface TopicSpec<T> {
  /** Kafka topic name. */
  readonly name: string;
  /** Schema file (without .avsc) in schemas/. */
  readonly schemaFile: string;
  readonly codec: AvroCodec<T>;
  /** Which field of the value is the message key (per-key ordering). */
  readonly key: (value: T) => string;
  readonly cleanupPolicy: 'delete' | 'compact';
}

function topic<T>(
  name: string,
  schemaFile: string,
  key: (value: T) => string,
  cleanupPolicy: 'delete' | 'compact' = 'delete',
): TopicSpec<T> {
  return { name, schemaFile, codec: codecFor<T>(schemaFile), key, cleanupPolicy };
}

export const topics = {
  playbackEvents: topic<PlaybackEvent>('streamwarden.playback-events', 'playback-event', (e) => e.accountKey),
  /**
   * The events of accounts linked to a person, copied by the processor and keyed by the person,
   * so that one consumer sees all of a person's accounts (pipeline/person-stage.ts).
   */
  personPlays: topic<PlaybackEvent>('streamwarden.person-plays', 'playback-event', (e) => e.personId ?? e.accountKey),
  serverMetrics: topic<ServerMetricsSample>('streamwarden.server-metrics', 'server-metrics', (s) => s.serverId),
  violations: topic<Violation>('streamwarden.violations', 'violation', (v) => v.accountKey),
  trustScoreChanges: topic<TrustScoreChange>(
    'streamwarden.trust-score-changes',
    'trust-score-change',
    (c) => c.accountKey,
  ),
  librarySnapshots: topic<LibrarySnapshotPage>(
    'streamwarden.library-snapshots',
    'library-snapshot',
    (p) => `${p.serverId}:${p.libraryId}`,
  ),
  /** Plays started, stopped, paused, resumed, transcoding; servers down, up, refusing credentials. */
  events: topic<OperatorEvent>('streamwarden.events', 'operator-event', (e) => e.accountKey ?? e.serverId),
  streamCommands: topic<StreamCommand>('streamwarden.stream-commands', 'stream-command', (c) => c.serverId),
  authRevocations: topic<AuthRevocation>('streamwarden.auth-revocations', 'auth-revocation', (r) => r.credentialId),
  deadLetter: topic<DeadLetter>(
    'streamwarden.dead-letter',
    'dead-letter',
    (d) => d.key?.toString('utf8') ?? `${d.sourceTopic}:${d.sourcePartition}`,
  ),
} as const;

export type TopicName = (typeof topics)[keyof typeof topics]['name'];
export const allTopics: TopicSpec<unknown>[] = Object.values(topics) as TopicSpec<unknown>[];
