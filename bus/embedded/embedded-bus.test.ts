import { appendFileSync, mkdtempSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { busContract, waitFor } from '../../testing/bus-contract.ts';
import { EmbeddedBus } from './embedded-bus.ts';
import { createLogger } from '../../core/logger.ts';
import type { ConsumedRecord } from '../types.ts';
import { captureLogger } from '../../testing/logs.ts';

const logger = createLogger('test');
const tempDir = () => mkdtempSync(join(tmpdir(), 'sw-bus-'));

describe('embedded bus', () => {
  busContract(async () => new EmbeddedBus({ dir: tempDir(), logger }));
});

describe('embedded bus on disk', () => {
  it('keeps records and committed offsets across a restart', async () => {
    const dir = tempDir();
    let bus = new EmbeddedBus({ dir, logger });
    await bus.ensureTopics([{ name: 't', partitions: 2 }]);
    const producer = await bus.producer();
    await producer.send(
      't',
      Array.from({ length: 10 }, (_, i) => ({ key: `k${i % 3}`, value: Buffer.from(String(i)) })),
    );
    const first: string[] = [];
    const consumer = await bus.consume({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (b) => void first.push(...b.records.map((r) => r.value!.toString())),
    });
    await waitFor(() => first.length === 10, 'first run');
    await consumer.stop();
    await bus.close();

    bus = new EmbeddedBus({ dir, logger });
    await (await bus.producer()).send('t', [{ key: 'k1', value: Buffer.from('10') }]);
    const second: string[] = [];
    await bus.consume({
      groupId: 'g',
      topics: ['t'],
      handleBatch: async (b) => void second.push(...b.records.map((r) => r.value!.toString())),
    });
    await waitFor(() => second.length === 1, 'second run');
    expect(second).toEqual(['10']);
    const fresh: string[] = [];
    await bus.consume({
      groupId: 'other',
      topics: ['t'],
      handleBatch: async (b) => void fresh.push(...b.records.map((r) => r.value!.toString())),
    });
    await waitFor(() => fresh.length === 11, 'a new group reads from the beginning');
    expect(fresh.map(Number).sort((a, b) => a - b)).toEqual(Array.from({ length: 11 }, (_, i) => i));
    await bus.close();
  });

  it('cuts a torn record left by a crash mid-write and keeps the whole ones', async () => {
    const dir = tempDir();
    let bus = new EmbeddedBus({ dir, logger });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await (
      await bus.producer()
    ).send('t', [
      { key: 'a', value: Buffer.from('one') },
      { key: 'a', value: Buffer.from('two') },
    ]);
    await bus.close();
    const segmentDir = join(dir, 'topics', 't', '0');
    const segment = join(segmentDir, readdirSync(segmentDir)[0]!);
    const size = statSync(segment).size;
    appendFileSync(segment, Buffer.from([0, 0, 0, 90, 1, 2, 3]));

    bus = new EmbeddedBus({ dir, logger });
    expect(statSync(segment).size).toBe(size);
    await (await bus.producer()).send('t', [{ key: 'a', value: Buffer.from('three') }]);
    const seen: ConsumedRecord[] = [];
    await bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (b) => void seen.push(...b.records) });
    await waitFor(() => seen.length === 3, 'records');
    expect(seen.map((r) => [r.offset, r.value!.toString()])).toEqual([
      ['0', 'one'],
      ['1', 'two'],
      ['2', 'three'],
    ]);
    await bus.close();
  });

  /** A one-partition topic with `count` records "0".."count-1" (key k), closed; its segment files. */
  async function writtenTopic(count: number, segmentBytes?: number): Promise<{ dir: string; segments: string[] }> {
    const dir = tempDir();
    const bus = new EmbeddedBus({ dir, logger, segmentBytes });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    await (
      await bus.producer()
    ).send(
      't',
      Array.from({ length: count }, (_, i) => ({ key: 'k', value: Buffer.from(`record ${i}`) })),
    );
    await bus.close();
    const segmentDir = join(dir, 'topics', 't', '0');
    return {
      dir,
      segments: readdirSync(segmentDir)
        .filter((f) => f.endsWith('.log'))
        .sort()
        .map((f) => join(segmentDir, f)),
    };
  }

  /** Flips one byte of a file in place. */
  function flip(path: string, at: number): void {
    const bytes = readFileSync(path);
    bytes[at] = bytes[at]! ^ 0xff;
    writeFileSync(path, bytes);
  }

  async function readAll(bus: EmbeddedBus, groupId = 'reader'): Promise<ConsumedRecord[]> {
    const end = [...(await bus.endOffsets('t')).values()].map(Number)[0]!;
    const seen: ConsumedRecord[] = [];
    const consumer = await bus.consume({
      groupId,
      topics: ['t'],
      handleBatch: async (b) => void seen.push(...b.records),
    });
    await waitFor(
      async () => Number((await bus.committedOffsets(groupId, 't')).get(0) ?? -1) >= end,
      'the reader at the end',
    );
    await consumer.stop();
    return seen;
  }

  it('quarantines a flipped byte in the middle of the newest segment and keeps every other record at its offset', async () => {
    const { dir, segments } = await writtenTopic(300);
    const size = statSync(segments[0]!).size;
    flip(segments[0]!, Math.floor(size / 3));
    const { logger: captured, lines } = captureLogger();
    const bus = new EmbeddedBus({ dir, logger: captured });
    const seen = await readAll(bus);
    // One record lost, never the two thirds after it.
    expect(seen).toHaveLength(299);
    const missing = Array.from({ length: 300 }, (_, i) => i).filter(
      (i) => !seen.some((r) => r.value!.toString() === `record ${i}`),
    );
    expect(missing).toHaveLength(1);
    for (const r of seen) expect(r.value!.toString()).toBe(`record ${r.offset}`);
    expect(
      lines.some(
        (l) =>
          l.level === 50 && /damaged records in .*00000000000000000000\.log.*1 record\(s\) lost, 299 kept/.test(l.msg),
      ),
    ).toBe(true);
    expect(bus.problems()).toEqual([expect.stringMatching(/damaged records .* the original file is in .*quarantine/)]);
    const quarantined = readdirSync(join(dir, 'quarantine'));
    expect(quarantined).toHaveLength(1);
    expect(statSync(join(dir, 'quarantine', quarantined[0]!)).size).toBe(size);
    // New records continue after the old end, never on an offset that existed.
    await (await bus.producer()).send('t', [{ key: 'k', value: Buffer.from('record 300') }]);
    expect(String((await bus.endOffsets('t')).get(0))).toBe('301');
    await bus.close();
    // Reopened, the repaired log is whole again: no new damage reported.
    const again = new EmbeddedBus({ dir, logger });
    expect(again.problems()).toEqual([]);
    expect((await readAll(again, 'second')).map((r) => r.value!.toString())).toContain('record 300');
    await again.close();
  });

  it('quarantines a damaged length field without reusing any offset, and an older segment without touching the others', async () => {
    const { dir, segments } = await writtenTopic(400, 2048);
    expect(segments.length).toBeGreaterThan(3);
    // The length field of the first frame of an older segment, and of the second frame (37 bytes
    // each here) of the newest.
    flip(segments[1]!, 0);
    flip(segments[segments.length - 1]!, 40);
    const bus = new EmbeddedBus({ dir, logger: captureLogger().logger });
    expect(bus.problems()).toHaveLength(2);
    const seen = await readAll(bus);
    expect(seen.length).toBeGreaterThanOrEqual(398);
    for (const r of seen) expect(r.value!.toString()).toBe(`record ${r.offset}`);
    expect(Number((await bus.endOffsets('t')).get(0))).toBeGreaterThanOrEqual(400);
    await bus.close();
  });

  it('resets a committed offset past the end of the log to the end, loudly, and goes on with new records', async () => {
    const { dir } = await writtenTopic(10);
    writeFileSync(join(dir, 'offsets', 'g.json'), JSON.stringify({ t: { 0: 5000 } }));
    const { logger: captured, lines } = captureLogger();
    const bus = new EmbeddedBus({ dir, logger: captured });
    const seen: ConsumedRecord[] = [];
    await bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (b) => void seen.push(...b.records) });
    await waitFor(() => lines.some((l) => l.level === 50 && /past the end of the log/.test(l.msg)), 'the reset');
    expect(String((await bus.committedOffsets('g', 't')).get(0))).toBe('10');
    await (await bus.producer()).send('t', [{ key: 'k', value: Buffer.from('new') }]);
    await waitFor(() => seen.length === 1, 'the new record');
    expect(seen[0]!.offset).toBe('10');
    await bus.close();
  });

  it('keeps an ephemeral group in memory only, and clears live-feed offset files older versions left', async () => {
    const { dir } = await writtenTopic(5);
    writeFileSync(join(dir, 'offsets', 'api-live-0b7c-events.json'), '{"t":{"0":3}}');
    const bus = new EmbeddedBus({ dir, logger });
    expect(readdirSync(join(dir, 'offsets'))).toEqual([]);
    const seen: ConsumedRecord[] = [];
    const consumer = await bus.consume({
      groupId: 'api-live-1234-events',
      ephemeral: true,
      topics: ['t'],
      handleBatch: async (b) => void seen.push(...b.records),
    });
    await waitFor(() => seen.length === 5, 'the records');
    await (await bus.producer()).send('t', [{ key: 'k', value: Buffer.from('more') }]);
    await waitFor(() => seen.length === 6, 'the new record, read once');
    expect(readdirSync(join(dir, 'offsets'))).toEqual([]);
    await consumer.stop();
    await bus.deleteGroup('api-live-1234-events');
    await bus.close();
    expect(readdirSync(join(dir, 'offsets'))).toEqual([]);
  });

  it('rolls segments, reads across them, and drops expired segments only', async () => {
    const dir = tempDir();
    const bus = new EmbeddedBus({ dir, logger, segmentBytes: 512, retentionMs: 60_000, flushIntervalMs: 20 });
    await bus.ensureTopics([{ name: 't', partitions: 1 }]);
    const producer = await bus.producer();
    const old = Date.now() - 3_600_000;
    await producer.send(
      't',
      Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: Buffer.alloc(100, i), timestamp: old })),
    );
    await producer.send(
      't',
      Array.from({ length: 20 }, (_, i) => ({ key: 'k', value: Buffer.alloc(100, 20 + i) })),
    );
    const segments = () => readdirSync(join(dir, 'topics', 't', '0')).length;
    expect(segments()).toBeGreaterThan(5);
    await waitFor(() => readdirSync(join(dir, 'topics', 't', '0'))[0] !== '00000000000000000000.log', 'retention');
    const seen: ConsumedRecord[] = [];
    await bus.consume({ groupId: 'g', topics: ['t'], handleBatch: async (b) => void seen.push(...b.records) });
    await waitFor(() => seen.some((r) => r.value![0] === 39), 'newest record');
    const values = seen.map((r) => r.value![0]!);
    expect(values.slice(-20)).toEqual(Array.from({ length: 20 }, (_, i) => 20 + i));
    expect(values[0]).toBeGreaterThan(0);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    await bus.close();
  });

  it("applies the retention of a 'compact,delete' topic, and keeps every record of a 'compact' one", async () => {
    const dir = tempDir();
    const bus = new EmbeddedBus({ dir, logger, segmentBytes: 512, retentionMs: 60_000, flushIntervalMs: 20 });
    await bus.ensureTopics([
      { name: 'both', partitions: 1, cleanupPolicy: 'compact,delete', retentionMs: 60_000 },
      { name: 'kept', partitions: 1, cleanupPolicy: 'compact' },
    ]);
    const producer = await bus.producer();
    const old = Date.now() - 3_600_000;
    for (const topic of ['both', 'kept']) {
      await producer.send(
        topic,
        Array.from({ length: 20 }, () => ({ key: 'k', value: Buffer.alloc(100), timestamp: old })),
      );
      await producer.send(topic, [{ key: 'k', value: Buffer.alloc(100) }]);
    }
    await waitFor(async () => (await bus.endOffsets('both')).get(0) === '21', 'the writes');
    const start = (topic: string) => readdirSync(join(dir, 'topics', topic, '0')).sort()[0];
    await waitFor(() => start('both') !== '00000000000000000000.log', 'retention of the compact,delete topic');
    expect(start('kept')).toBe('00000000000000000000.log');
    await bus.close();
  });

  it('refuses a second process on the same folder', async () => {
    const dir = tempDir();
    const bus = new EmbeddedBus({ dir, logger });
    expect(() => new EmbeddedBus({ dir, logger })).toThrow(/in use by process/);
    await bus.close();
    new EmbeddedBus({ dir, logger }).close();
  });
});

describe('embedded bus after a SIGKILL', () => {
  it('reopens with every acknowledged record intact and in order', async () => {
    const { spawn } = await import('node:child_process');
    const dir = tempDir();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', new URL('./crash-producer.ts', import.meta.url).pathname, dir],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let acknowledged = 0;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      const lines = chunk.trim().split('\n');
      acknowledged = Math.max(acknowledged, Number(lines[lines.length - 1]));
    });
    await waitFor(() => acknowledged >= 20_000, 'the child to produce', 60_000);
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));

    const bus = new EmbeddedBus({ dir, logger });
    const ends = await bus.endOffsets('t');
    const total = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    expect(total).toBeGreaterThanOrEqual(acknowledged);
    const seen: ConsumedRecord[] = [];
    await bus.consume({
      groupId: 'g',
      topics: ['t'],
      maxBatchSize: 5000,
      handleBatch: async (b) => void seen.push(...b.records),
    });
    await waitFor(() => seen.length === total, 'every record back');
    const byKey = new Map<string, number[]>();
    for (const r of seen)
      byKey.set(r.key!.toString(), [...(byKey.get(r.key!.toString()) ?? []), Number(r.value!.toString())]);
    for (const values of byKey.values()) expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(new Set(seen.map((r) => Number(r.value!.toString()))).size).toBe(total);
    await bus.close();
  });
});
