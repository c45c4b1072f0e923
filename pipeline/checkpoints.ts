// Checkpoints of a stage's per-partition state, kept on the bus beside the partitions they
// describe (like a Kafka Streams changelog): a restart or a rebalance restores a partition's state
// from its newest checkpoint and replays only the records after it, so recovery does not grow
// with the retained history.
//
// The checkpoint of source partition p lives in partition p of its own topic, as gzipped JSON cut
// into chunks (a Kafka record is at most 1 MiB) followed by a manifest that names them. Keys repeat
// from one checkpoint to the next (`chunk-<i>`, `manifest`), so Kafka's compaction keeps about one
// checkpoint per partition; the retention ('compact,delete') bounds the embedded bus, which does not
// compact. A checkpoint whose manifest was never written (a crash mid-write) is not seen: the one
// before it is read. One that is damaged is refused loudly and the state is rebuilt by replay.
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { crc32, gunzip, gzip } from 'node:zlib';
import type { Bus, BusProducer, ConsumedRecord } from '../bus/types.ts';
import type { Logger } from '../core/logger.ts';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** What a checkpoint holds besides the state itself. */
export interface Checkpoint<S> {
  /** Offset of the first source record the state does not reflect. */
  offset: string;
  /** End offsets of the stage's output topics when it was written (topic -> partition -> offset). */
  outputs: Record<string, Record<string, string>>;
  state: S;
  writtenAt: number;
}

interface Manifest {
  version: 1;
  generation: string;
  chunks: number;
  crc: number;
  bytes: number;
  sourcePartitions: number;
  offset: string;
  outputs: Record<string, Record<string, string>>;
  writtenAt: number;
}

const KIND = 'sw-checkpoint';
const GENERATION = 'sw-generation';
const CHUNK_BYTES = 512 * 1024;
const DAY = 86_400_000;

export interface CheckpointsOptions {
  bus: Bus;
  /** The checkpoint topic: one partition per source partition. */
  topic: string;
  /** The source topic's partition count: checkpoints of another count describe other accounts. */
  sourcePartitions: number;
  logger: Logger;
  /** How long checkpoints are kept (default 1 day); the owner writes one well within it. */
  retentionMs?: number;
}

export class PartitionCheckpoints<S> {
  private producer: BusProducer | undefined;
  private readonly logger: Logger;

  constructor(private readonly options: CheckpointsOptions) {
    this.logger = options.logger.child({ checkpoints: options.topic });
  }

  get retentionMs(): number {
    return this.options.retentionMs ?? DAY;
  }

  async open(): Promise<void> {
    await this.options.bus.ensureTopics([
      {
        name: this.options.topic,
        partitions: this.options.sourcePartitions,
        cleanupPolicy: 'compact,delete',
        retentionMs: this.retentionMs,
        segmentMs: Math.min(3_600_000, this.retentionMs / 4),
      },
    ]);
    this.producer = await this.options.bus.producer();
  }

  /** Writes partition's checkpoint (its state, or the state already as JSON); the bytes written. */
  async save(
    partition: number,
    checkpoint: Omit<Checkpoint<S>, 'state'> & ({ state: S } | { json: string }),
  ): Promise<number> {
    if (!this.producer) throw new Error('checkpoints are not open');
    const json = 'json' in checkpoint ? checkpoint.json : JSON.stringify(checkpoint.state);
    const body = await gzipAsync(Buffer.from(json), { level: 3 });
    const generation = randomUUID();
    const chunks: Buffer[] = [];
    for (let at = 0; at < body.length || chunks.length === 0; at += CHUNK_BYTES)
      chunks.push(body.subarray(at, at + CHUNK_BYTES));
    const manifest: Manifest = {
      version: 1,
      generation,
      chunks: chunks.length,
      crc: crc32(body),
      bytes: body.length,
      sourcePartitions: this.options.sourcePartitions,
      offset: checkpoint.offset,
      outputs: checkpoint.outputs,
      writtenAt: checkpoint.writtenAt,
    };
    const headers = (kind: string) => ({ [KIND]: kind, [GENERATION]: generation });
    // Chunks first, the manifest last: a checkpoint is seen whole or not at all.
    await this.producer.send(this.options.topic, [
      ...chunks.map((value, i) => ({ key: `chunk-${i}`, value, headers: headers('chunk'), partition })),
      { key: 'manifest', value: Buffer.from(JSON.stringify(manifest)), headers: headers('manifest'), partition },
    ]);
    return body.length;
  }

  /** The partition's newest whole checkpoint, or undefined (none, or one that cannot be used: logged). */
  async load(partition: number): Promise<Checkpoint<S> | undefined> {
    const { bus, topic } = this.options;
    const end = BigInt((await bus.endOffsets(topic)).get(partition) ?? '0');
    // The newest checkpoint is normally the last records: read a window back from the end, wider
    // until it holds the newest manifest and every chunk it names.
    for (let window = 64n; ; window *= 8n) {
      const from = end > window ? end - window : 0n;
      const records: ConsumedRecord[] = [];
      for await (const batch of bus.readPartition(topic, partition, { from: String(from), to: String(end) }))
        records.push(...batch);
      const at = records.findLastIndex((r) => r.headers[KIND] === 'manifest');
      if (at >= 0) {
        let manifest: Manifest;
        try {
          manifest = JSON.parse(records[at]!.value!.toString('utf8')) as Manifest;
        } catch {
          return this.refuse(partition, records[at]!.offset, 'its manifest does not decode');
        }
        const chunks = records
          .slice(0, at)
          .filter((r) => r.headers[KIND] === 'chunk' && r.headers[GENERATION] === manifest.generation);
        if (chunks.length >= manifest.chunks || from === 0n)
          return this.assemble(partition, manifest, chunks.slice(-manifest.chunks), records[at]!.offset);
      }
      if (from === 0n) return undefined;
    }
  }

  async close(): Promise<void> {
    await this.producer?.close();
  }

  private refuse(partition: number, at: string, why: string): undefined {
    this.logger.error(
      { partition, at, why },
      `checkpoint of partition ${partition} at ${this.options.topic}@${at} is not usable (${why}); its state is rebuilt from the whole retained history`,
    );
    return undefined;
  }

  private async assemble(
    partition: number,
    manifest: Manifest,
    chunks: ConsumedRecord[],
    at: string,
  ): Promise<Checkpoint<S> | undefined> {
    const refuse = (why: string) => this.refuse(partition, at, why);
    if (manifest.version !== 1) return refuse(`unknown version ${String(manifest.version)}`);
    if (manifest.sourcePartitions !== this.options.sourcePartitions)
      return refuse(
        `written for ${manifest.sourcePartitions} partitions, the topic has ${this.options.sourcePartitions}`,
      );
    if (chunks.length !== manifest.chunks) return refuse(`${chunks.length} of ${manifest.chunks} chunks found`);
    const body = Buffer.concat(chunks.map((c) => c.value ?? Buffer.alloc(0)));
    if (body.length !== manifest.bytes || crc32(body) !== manifest.crc) return refuse('its bytes do not match');
    try {
      const state = JSON.parse((await gunzipAsync(body)).toString('utf8')) as S;
      return { offset: manifest.offset, outputs: manifest.outputs, state, writtenAt: manifest.writtenAt };
    } catch (err) {
      return refuse(`it does not decode: ${(err as Error).message}`);
    }
  }
}
