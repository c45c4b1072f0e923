import avro from 'avsc';
import { crc64AvroBytes } from './fingerprint.ts';
import { AppError } from '../core/errors.ts';

/** Avro single-object encoding marker (spec: "Single object encoding"). */
const MARKER = Buffer.from([0xc3, 0x01]);
const HEADER_LENGTH = MARKER.length + 8;
/** Confluent wire format: a zero byte, then the 4-byte id the schema registry gave the writer schema. */
const CONFLUENT_MAGIC = 0x00;
const CONFLUENT_HEADER_LENGTH = 5;

export type DecodeFailure = 'UNDECODABLE' | 'UNKNOWN_SCHEMA' | 'INVALID';

/** A record that cannot be turned into a value of the reader's schema. */
export class AvroDecodeError extends AppError {
  constructor(
    readonly reason: DecodeFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super('invalid', message, options);
  }
}

/** A value that does not match the schema it is written with; lists every offending path. */
export class AvroValidationError extends AppError {
  readonly paths: string[];
  constructor(schemaName: string, paths: string[]) {
    super('invalid', `invalid ${schemaName}: ${paths.join('; ')}`);
    this.paths = paths;
  }
}

export type AvroSchema = avro.Schema;
type Resolver = ReturnType<avro.Type['createResolver']>;

function canonicalFingerprint(type: avro.Type): Buffer {
  // avsc's schema() without options yields the Parsing Canonical Form.
  return crc64AvroBytes(Buffer.from(JSON.stringify(type.schema()), 'utf8'));
}

/**
 * Encodes values of one schema as Avro single-object encoded bytes and decodes records written
 * with this schema or with any older version it was registered with, resolving them to the
 * current shape (new optional fields get their defaults).
 */
export class AvroCodec<T> {
  readonly name: string;
  readonly type: avro.Type;
  readonly fingerprint: Buffer;
  private readonly readers = new Map<string, avro.Type>();
  private readonly resolvers = new Map<string, Resolver>();
  /** Registry ids of the writer schemas (fingerprint, hex), once a registry is in use. */
  private readonly registryIds = new Map<number, string>();
  /** The current schema's registry id: records are then framed in the Confluent wire format. */
  private framedAs: number | null = null;

  constructor(schema: AvroSchema, olderVersions: AvroSchema[] = []) {
    this.type = avro.Type.forSchema(schema);
    this.name = (this.type.name ?? 'anonymous').split('.').pop()!;
    this.fingerprint = canonicalFingerprint(this.type);
    this.readers.set(this.fingerprint.toString('hex'), this.type);
    for (const older of olderVersions) this.addWriterSchema(older);
  }

  /**
   * Teaches the codec to read records written with another (usually older) version of the schema.
   * Throws when that version cannot be resolved to the current one: an incompatible change.
   */
  addWriterSchema(schema: AvroSchema): string {
    const writer = avro.Type.forSchema(schema);
    const key = canonicalFingerprint(writer).toString('hex');
    if (!this.readers.has(key)) {
      this.resolvers.set(key, this.type.createResolver(writer));
      this.readers.set(key, writer);
    }
    return key;
  }

  /**
   * Frames records in the Confluent wire format from now on, with the current schema's registry
   * id, and reads records framed with any of `ids` (registry id -> schema). Records in the
   * single-object encoding are still read, so switching an install to a registry loses nothing.
   */
  useRegistry(currentId: number, ids: ReadonlyMap<number, AvroSchema>): void {
    for (const [id, schema] of ids) this.registryIds.set(id, this.addWriterSchema(schema));
    if (this.registryIds.get(currentId) !== this.fingerprint.toString('hex'))
      throw new Error(`${this.name}: registry id ${currentId} is not the current schema's`);
    this.framedAs = currentId;
  }

  /** Fingerprints (hex) of every writer schema this codec can read. */
  knownFingerprints(): string[] {
    return [...this.readers.keys()];
  }

  validate(value: T): void {
    const paths: string[] = [];
    this.type.isValid(value, {
      errorHook: (path, val) => paths.push(`${path.join('.') || '(root)'}=${describe(val)}`),
    });
    if (paths.length > 0) throw new AvroValidationError(this.name, paths);
  }

  encode(value: T): Buffer {
    this.validate(value);
    if (this.framedAs === null) return Buffer.concat([MARKER, this.fingerprint, this.type.toBuffer(value)]);
    const header = Buffer.alloc(CONFLUENT_HEADER_LENGTH);
    header.writeUInt32BE(this.framedAs, 1);
    return Buffer.concat([header, this.type.toBuffer(value)]);
  }

  /** The writer schema's fingerprint and where the body starts, from either framing. */
  private writerOf(buf: Buffer): { key: string; bodyAt: number } {
    if (buf[0] === CONFLUENT_MAGIC && buf.length >= CONFLUENT_HEADER_LENGTH) {
      const id = buf.readUInt32BE(1);
      const key = this.registryIds.get(id);
      if (!key)
        throw new AvroDecodeError(
          'UNKNOWN_SCHEMA',
          `${this.name}: framed with schema registry id ${id}, which is none of this topic's released versions`,
        );
      return { key, bodyAt: CONFLUENT_HEADER_LENGTH };
    }
    if (buf.length < HEADER_LENGTH)
      throw new AvroDecodeError(
        'UNDECODABLE',
        `${this.name}: record of ${buf.length} bytes is shorter than the single-object header`,
      );
    if (buf[0] !== MARKER[0] || buf[1] !== MARKER[1]) {
      throw new AvroDecodeError(
        'UNDECODABLE',
        `${this.name}: neither the Avro single-object marker nor the Confluent wire format (got 0x${buf.subarray(0, 2).toString('hex')})`,
      );
    }
    const key = buf.subarray(MARKER.length, HEADER_LENGTH).toString('hex');
    if (!this.readers.has(key)) {
      throw new AvroDecodeError(
        'UNKNOWN_SCHEMA',
        `${this.name}: written with unknown schema fingerprint ${key}; register that schema version in schemas/history`,
      );
    }
    return { key, bodyAt: HEADER_LENGTH };
  }

  decode(bytes: Uint8Array | null | undefined): T {
    if (bytes == null || bytes.length < CONFLUENT_HEADER_LENGTH) {
      throw new AvroDecodeError(
        'UNDECODABLE',
        `${this.name}: record of ${bytes?.length ?? 0} bytes is shorter than the single-object header`,
      );
    }
    const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    const { key, bodyAt } = this.writerOf(buf);
    const body = buf.subarray(bodyAt);
    try {
      return this.type.fromBuffer(body, this.resolvers.get(key)) as T;
    } catch (err) {
      throw new AvroDecodeError('UNDECODABLE', `${this.name}: ${(err as Error).message}`, { cause: err });
    }
  }
}

function describe(value: unknown): string {
  if (value === undefined) return 'undefined';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
