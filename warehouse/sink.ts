// Writes the bus into the warehouse: playback events, violations, trust score changes and server
// metrics, in batches bounded by size and time, committing offsets only after ClickHouse
// acknowledged the insert.
//
// Exactly once: every row keeps its source topic/partition/offset, and a materialized view
// records the highest offset stored per partition (sink_offsets) as part of the same insert. The
// sink skips records at or below it, so a crash between insert and commit replays nothing into the
// tables, and the additive rollups fed by materialized views count every play once.
import { AvroDecodeError } from '../schemas/codec.ts';
import { topics, type TopicSpec } from '../schemas/topics.ts';
import { sendDeadLetters } from '../bus/typed.ts';
import { waitUntilDrained } from '../bus/drain.ts';
import type { Bus, BusConsumer, BusProducer, ConsumedRecord, RecordBatch } from '../bus/types.ts';
import type { GeoLookup } from '../core/geoip.ts';
import { HeapKeeper } from '../core/heap.ts';
import type { Logger } from '../core/logger.ts';
import type { Warehouse } from './client.ts';
import {
  chTime,
  libraryItemRows,
  playbackEventRow,
  serverMetricsRow,
  trustChangeRow,
  violationRow,
  type Row,
} from './rows.ts';
import type { LibrarySnapshotPage } from '../schemas/index.ts';

interface Route {
  spec: TopicSpec<unknown>;
  table: string;
  toRows(value: unknown, record: ConsumedRecord): Row[];
  /** Runs once the batch's rows are stored. */
  afterInsert?(values: unknown[]): Promise<void>;
}

export interface SinkOptions {
  bus: Bus;
  warehouse: Warehouse;
  logger: Logger;
  /** Places events written before they carried their place (schema version 3); newer ones are not looked up. */
  olderRecords?: GeoLookup;
  groupId?: string;
  /** Rows per insert at most (default 10,000). */
  maxRows?: number;
  /** Longest a row waits for its insert (default 1 s). */
  maxDelayMs?: number;
  /** Other topic names than the standard ones (tests, several installations on one cluster). */
  topicNames?: Partial<
    Record<'playbackEvents' | 'violations' | 'trustScoreChanges' | 'serverMetrics' | 'librarySnapshots', string>
  >;
}

export interface SinkStats {
  rows: Record<string, number>;
  skippedAsStored: number;
  deadLetters: number;
  inserts: number;
}

/** Collects rows from concurrent batches into one insert per table, by size or by time. */
class GroupCommit {
  private pending = new Map<
    string,
    { rows: Row[]; waiters: Array<{ resolve: () => void; reject: (err: unknown) => void }> }
  >();
  private count = 0;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  /**
   * The decoded records and rows of every insert are garbage after it: V8 let them reach 731 MiB
   * of heap in the end-to-end bench (1.43 GiB RSS). Collected each time the heap grew 128 MiB:
   * 341 MiB, 1.04 GiB. With 64 MiB the full collections' pauses showed in detection latency
   * (p99 362 ms against 73 ms; bench/README.md, "End to end").
   */
  private readonly heap = new HeapKeeper(128 * 2 ** 20);

  constructor(
    private readonly insert: (table: string, rows: Row[]) => Promise<void>,
    private readonly maxRows: number,
    private readonly maxDelayMs: number,
  ) {}

  write(table: string, rows: Row[]): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(table) ?? { rows: [], waiters: [] };
      entry.rows.push(...rows);
      entry.waiters.push({ resolve, reject });
      this.pending.set(table, entry);
      this.count += rows.length;
      if (this.count >= this.maxRows) this.flushSoon(0);
      else this.flushSoon(this.maxDelayMs);
    });
  }

  private flushSoon(delay: number): void {
    if (this.timer && delay > 0) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    }, delay);
  }

  private async flush(): Promise<void> {
    const batch = this.pending;
    this.pending = new Map();
    this.count = 0;
    // Each table's batches succeed or fail on their own: a failure elsewhere never makes rows
    // that were stored be written again.
    for (const [table, { rows, waiters }] of batch) {
      try {
        await this.insert(table, rows);
        for (const w of waiters) w.resolve();
      } catch (err) {
        for (const w of waiters) w.reject(err);
      }
    }
    this.heap.relieve();
  }
}

export class WarehouseSink {
  readonly stats: SinkStats = { rows: {}, skippedAsStored: 0, deadLetters: 0, inserts: 0 };
  private readonly routes: Route[];
  private readonly stored = new Map<string, number>();
  private readonly logger: Logger;
  private readonly writer: GroupCommit;
  private loading: Promise<void> = Promise.resolve();
  private consumer: BusConsumer | undefined;
  private deadLetters: BusProducer | undefined;

  constructor(private readonly options: SinkOptions) {
    this.logger = options.logger.child({ component: 'warehouse-sink' });
    const olderRecords = options.olderRecords;
    const spec = (name: keyof NonNullable<SinkOptions['topicNames']>): TopicSpec<unknown> => {
      const standard = topics[name] as TopicSpec<unknown>;
      return { ...standard, name: options.topicNames?.[name] ?? standard.name };
    };
    this.routes = [
      {
        spec: spec('playbackEvents'),
        table: 'playback_events',
        toRows: (v, r) => [playbackEventRow(v as never, r, olderRecords)],
      },
      { spec: spec('violations'), table: 'violations', toRows: (v, r) => [violationRow(v as never, r)] },
      {
        spec: spec('trustScoreChanges'),
        table: 'trust_score_history',
        toRows: (v, r) => [trustChangeRow(v as never, r)],
      },
      { spec: spec('serverMetrics'), table: 'server_metrics', toRows: (v, r) => [serverMetricsRow(v as never, r)] },
      {
        spec: spec('librarySnapshots'),
        table: 'library_items',
        toRows: (v, r) => libraryItemRows(v as LibrarySnapshotPage, r),
        afterInsert: (pages) => this.closeSnapshots((pages as LibrarySnapshotPage[]).filter((p) => p.lastPage)),
      },
    ];
    this.writer = new GroupCommit(
      (table, rows) => this.insert(table, rows),
      options.maxRows ?? 10_000,
      options.maxDelayMs ?? 1000,
    );
  }

  async start(): Promise<void> {
    this.deadLetters = await this.options.bus.producer();
    this.loading = this.loadStoredOffsets();
    await this.loading;
    this.consumer = await this.options.bus.consume({
      groupId: this.options.groupId ?? 'warehouse-sink',
      topics: this.routes.map((r) => r.spec.name),
      fromBeginning: true,
      maxBatchSize: this.options.maxRows ?? 10_000,
      // Partitions may come from another sink instance that stored more meanwhile.
      onAssignment: () => {
        this.loading = this.loadStoredOffsets();
        // Logged here; the next batch reads again before it goes on (handle()).
        this.loading.catch((err: unknown) =>
          this.logger.warn({ err: (err as Error).message }, 'stored offsets not read on assignment'),
        );
      },
      handleBatch: (batch) => this.handle(batch),
    });
    await this.consumer.ready;
  }

  /** Waits until everything on its topics is stored and committed (at most `timeoutMs`). */
  async drain(timeoutMs?: number): Promise<boolean> {
    return waitUntilDrained(
      this.options.bus,
      this.options.groupId ?? 'warehouse-sink',
      this.routes.map((r) => r.spec.name),
      timeoutMs,
    );
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }

  /** Highest stored offset per "topic/partition". */
  storedOffsets(): ReadonlyMap<string, number> {
    return this.stored;
  }

  private async handle(batch: RecordBatch): Promise<void> {
    await this.loading.catch(() => (this.loading = this.loadStoredOffsets()));
    const route = this.routes.find((r) => r.spec.name === batch.topic);
    if (!route) throw new Error(`warehouse sink got a record of unexpected topic ${batch.topic}`);
    const slot = `${batch.topic}/${batch.partition}`;
    const storedUpTo = this.stored.get(slot) ?? -1;
    const rows: Row[] = [];
    const values: unknown[] = [];
    const bad: Array<{ record: ConsumedRecord; error: AvroDecodeError }> = [];
    let last = storedUpTo;
    for (const record of batch.records) {
      const offset = Number(record.offset);
      if (offset <= storedUpTo) {
        this.stats.skippedAsStored++;
        continue;
      }
      last = Math.max(last, offset);
      try {
        const value = route.spec.codec.decode(record.value);
        // Decoded values wait for the insert only where a route needs them after it: the rows
        // already hold what is stored, and up to four partitions' batches wait at once.
        if (route.afterInsert) values.push(value);
        rows.push(...route.toRows(value, record));
      } catch (err) {
        if (!(err instanceof AvroDecodeError)) throw err;
        bad.push({ record, error: err });
      }
    }
    try {
      // Dead letters first: if they fail, nothing was inserted and the retry starts clean.
      if (bad.length > 0) {
        await sendDeadLetters(this.deadLetters!, this.options.groupId ?? 'warehouse-sink', bad, this.logger);
        this.stats.deadLetters += bad.length;
      }
      if (rows.length > 0) {
        await this.writer.write(route.table, rows);
        this.stats.rows[route.table] = (this.stats.rows[route.table] ?? 0) + rows.length;
      }
      if (values.length > 0) await route.afterInsert?.(values);
    } catch (err) {
      // The insert may have landed even though its answer did not: re-read what is stored. If
      // that read fails too, the retried batch must not go on with what was known before (it
      // would write the landed rows twice): handle() reads again first.
      this.loading = this.loadStoredOffsets();
      this.loading.catch((readErr: unknown) =>
        this.logger.warn(
          { err: (readErr as Error).message },
          'stored offsets not re-read; read again before the retry',
        ),
      );
      throw err;
    }
    if (last > storedUpTo) this.stored.set(slot, last);
  }

  /**
   * A library snapshot is complete: items read before it and missing from it were removed. Running
   * this twice writes the same rows with the same version, which the Replacing engine collapses.
   */
  private async closeSnapshots(pages: LibrarySnapshotPage[]): Promise<void> {
    const table = this.options.warehouse.table('library_items');
    for (const page of pages) {
      // Every stored column of the item as it was (those added by later migrations too), with the
      // snapshot that no longer lists it and the mark: a listed column set lost the ones it left out.
      // The rows are chosen in a subquery: an outer WHERE would read the replaced values.
      await this.options.warehouse.client.command({
        query: `INSERT INTO ${table}
                SELECT * REPLACE ({snapshot:DateTime64(3)} AS snapshot_at, true AS removed)
                FROM (SELECT * FROM ${table} FINAL
                      WHERE server_id = {server:String} AND library_id = {library:String} AND snapshot_at < {snapshot:DateTime64(3)} AND NOT removed)`,
        query_params: { snapshot: chTime(page.snapshotAt), server: page.serverId, library: page.libraryId },
      });
    }
  }

  /**
   * One insert of positional rows (the warehouse's bulk insert: on the embedded engine its own
   * parser reads one buffer, about twice as fast as rows that repeat every field name). A table's
   * rows come from one mapper and share their fields; should one differ, the columns are the union.
   */
  private async insert(table: string, rows: Row[]): Promise<void> {
    let columns = Object.keys(rows[0] ?? {});
    if (rows.some((r) => Object.keys(r).length !== columns.length || columns.some((c) => !(c in r))))
      columns = [...new Set(rows.flatMap((r) => Object.keys(r)))];
    if (columns.length === 0) return;
    await this.options.warehouse.insertCompact(
      table,
      columns as [string, ...string[]],
      rows.map((r) => columns.map((c) => r[c])),
      // chTime writes every time in the basic layout: no need for best-effort parsing.
      { date_time_input_format: 'basic' },
    );
    this.stats.inserts++;
  }

  private async loadStoredOffsets(): Promise<void> {
    const result = await this.options.warehouse.client.query({
      query: `SELECT source_topic, source_partition, max(source_offset) AS stored FROM ${this.options.warehouse.table('sink_offsets')} GROUP BY source_topic, source_partition`,
      format: 'JSONEachRow',
    });
    for (const row of await result.json<{ source_topic: string; source_partition: number; stored: string }>()) {
      const slot = `${row.source_topic}/${row.source_partition}`;
      this.stored.set(slot, Math.max(this.stored.get(slot) ?? -1, Number(row.stored)));
    }
  }
}
