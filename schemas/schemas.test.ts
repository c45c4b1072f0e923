import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import avro from 'avsc';
import { describe, expect, it } from 'vitest';
import {
  AvroCodec,
  AvroDecodeError,
  AvroValidationError,
  allTopics,
  loadSchemaVersions,
  topics,
  type AvroSchema,
} from './index.ts';
import { crc64Avro } from './fingerprint.ts';
import { renderSchemaTypes } from './typegen.ts';
import {
  samplePlaybackEvent,
  sampleServerMetrics,
  sampleTrustScoreChange,
  sampleViolation,
} from '../testing/fixtures.ts';

const schemaDir = fileURLToPath(new URL('./', import.meta.url));

describe('CRC-64-AVRO fingerprint', () => {
  it('matches the Avro specification test vectors', () => {
    // From the Avro project's schema-tests: canonical form "null" and "int".
    expect(BigInt.asIntN(64, crc64Avro(Buffer.from('"null"')))).toBe(7195948357588979594n);
    expect(BigInt.asIntN(64, crc64Avro(Buffer.from('"int"')))).toBe(8247732601305521295n);
  });
});

describe('topic codecs', () => {
  const samples = [
    [topics.playbackEvents, samplePlaybackEvent()],
    [topics.violations, sampleViolation()],
    [topics.serverMetrics, sampleServerMetrics()],
    [topics.trustScoreChanges, sampleTrustScoreChange()],
    [
      topics.librarySnapshots,
      {
        serverId: 'plex-home',
        serverType: 'PLEX',
        libraryId: '1',
        libraryTitle: 'Movies',
        libraryKind: 'movie',
        snapshotAt: 1_761_998_400_000,
        page: 0,
        lastPage: true,
        totalItems: 1,
        items: [
          {
            itemId: '5001',
            title: 'Dune',
            mediaType: 'MOVIE',
            grandparentTitle: null,
            year: 2021,
            seasonNumber: null,
            episodeNumber: null,
            externalIds: ['imdb:tt1160419', 'tmdb:438631'],
            addedAt: 1_736_899_200_000,
            durationMs: 9_300_000,
            sizeBytes: 40_000_000_000,
            videoResolution: '4k',
            videoCodec: 'hevc',
            audioCodec: 'eac3',
            container: 'mkv',
            bitrateKbps: 34_000,
            path: '/media/movies/Dune.mkv',
            imageRef: '/library/metadata/5001/thumb/1736899200',
          },
        ],
      },
    ],
    [
      topics.deadLetter,
      {
        sourceTopic: 'streamwarden.playback-events',
        sourcePartition: 3,
        sourceOffset: '9007199254740993',
        consumerGroup: 'pipeline',
        key: Buffer.from('plex-home:42'),
        value: Buffer.from([1, 2, 3]),
        headers: { 'x-origin': 'test' },
        errorKind: 'UNDECODABLE',
        error: 'missing marker',
        failedAt: 1_761_998_400_000,
      },
    ],
  ] as const;

  it.each(samples)('round-trips a %s record', (spec, value) => {
    const codec = spec.codec as AvroCodec<typeof value>;
    const bytes = codec.encode(value);
    expect(bytes.subarray(0, 2)).toEqual(Buffer.from([0xc3, 0x01]));
    expect(bytes.subarray(2, 10)).toEqual(codec.fingerprint);
    expect(codec.decode(bytes)).toEqual(value);
  });

  it('keeps user-controlled strings byte for byte', () => {
    const event = samplePlaybackEvent({
      userName: '<img src=x onerror=alert(1)> 李雷 🎬',
      device: { ...samplePlaybackEvent().device, deviceName: '"; DROP TABLE x; --' },
    });
    const back = topics.playbackEvents.codec.decode(topics.playbackEvents.codec.encode(event));
    expect(back.userName).toBe(event.userName);
    expect(back.device.deviceName).toBe('"; DROP TABLE x; --');
  });

  it('names every offending field of an invalid value', () => {
    const bad = { ...samplePlaybackEvent(), positionMs: 'soon', serverType: 'KODI' } as unknown as ReturnType<
      typeof samplePlaybackEvent
    >;
    expect(() => topics.playbackEvents.codec.encode(bad)).toThrow(AvroValidationError);
    try {
      topics.playbackEvents.codec.encode(bad);
    } catch (err) {
      expect((err as AvroValidationError).paths.join(' ')).toMatch(/positionMs="soon".*|serverType="KODI"/);
      expect((err as AvroValidationError).paths).toHaveLength(2);
    }
  });

  it.each([
    ['empty', Buffer.alloc(0), 'UNDECODABLE'],
    ['no marker', Buffer.from('{"eventId":"x"}'), 'UNDECODABLE'],
    [
      'unknown fingerprint',
      Buffer.concat([Buffer.from([0xc3, 0x01]), Buffer.alloc(8, 7), Buffer.from([0])]),
      'UNKNOWN_SCHEMA',
    ],
    ['truncated body', topics.playbackEvents.codec.encode(samplePlaybackEvent()).subarray(0, 40), 'UNDECODABLE'],
  ])('rejects a record that is %s with a clear error', (_label, bytes, kind) => {
    let error: unknown;
    try {
      topics.playbackEvents.codec.decode(bytes);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(AvroDecodeError);
    expect((error as AvroDecodeError).reason).toBe(kind);
    expect((error as Error).message).toMatch(/^PlaybackEvent: /);
  });
});

describe('schema evolution', () => {
  const v1 = loadSchemaVersions('playback-event').current as { fields: unknown[] } & Record<string, unknown>;
  const v2: AvroSchema = {
    ...v1,
    fields: [
      ...v1.fields,
      { name: 'hdr', type: ['null', 'string'], default: null },
      { name: 'retries', type: 'int', default: 0 },
    ],
  } as AvroSchema;

  it('a reader with newer optional fields reads a record written with the old schema', () => {
    const oldWriter = new AvroCodec(v1 as AvroSchema);
    const newReader = new AvroCodec<Record<string, unknown>>(v2, [v1 as AvroSchema]);
    const event = samplePlaybackEvent();
    const read = newReader.decode(oldWriter.encode(event));
    expect(read).toEqual({ ...event, hdr: null, retries: 0 });
  });

  it('an enum symbol unknown to an older reader resolves to the enum default', () => {
    const violation = JSON.parse(readFileSync(`${schemaDir}violation.avsc`, 'utf8')) as Record<string, unknown> & {
      fields: Array<Record<string, unknown>>;
    };
    const newer = structuredClone(violation);
    const ruleField = newer.fields.find((f) => f.name === 'rule') as { type: { symbols: string[] } };
    ruleField.type.symbols.push('HOUSEHOLD_MISMATCH');
    const writer = new AvroCodec<ReturnType<typeof sampleViolation>>(newer as AvroSchema);
    const oldReader = new AvroCodec<ReturnType<typeof sampleViolation>>(violation as AvroSchema, [newer as AvroSchema]);
    const read = oldReader.decode(writer.encode({ ...sampleViolation(), rule: 'HOUSEHOLD_MISMATCH' as never }));
    expect(read.rule).toBe('UNKNOWN');
  });

  it('refuses an incompatible writer (a new field without a default on the reader)', () => {
    const reader = new AvroCodec(v2 as AvroSchema);
    const withoutDefault = {
      ...(v2 as Record<string, unknown>),
      fields: [...v1.fields, { name: 'retries', type: 'int' }],
    } as AvroSchema;
    const strict = new AvroCodec(withoutDefault);
    expect(() => strict.addWriterSchema(v1 as AvroSchema)).toThrow();
    expect(reader.knownFingerprints()).toHaveLength(1);
  });

  it.each(allTopics.map((t) => [t.schemaFile, t] as const))(
    '%s: the current schema is released and reads every released version',
    (file) => {
      const { current, released } = loadSchemaVersions(file);
      expect(released.length).toBeGreaterThan(0);
      const currentType = avro.Type.forSchema(current);
      const latest = avro.Type.forSchema(released[released.length - 1]!);
      expect(
        JSON.stringify(latest.schema()),
        `copy schemas/${file}.avsc to schemas/history/${file}/${released.length + 1}.avsc`,
      ).toBe(JSON.stringify(currentType.schema()));
      for (const old of released) expect(() => currentType.createResolver(avro.Type.forSchema(old))).not.toThrow();
    },
  );
});

describe('generated TypeScript types', () => {
  it('are up to date with the .avsc files (run `npm run schemas:types`)', () => {
    expect(readFileSync(`${schemaDir}types.generated.ts`, 'utf8')).toBe(renderSchemaTypes(schemaDir));
  });
});
