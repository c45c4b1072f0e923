// Imported history goes through staging tables of its own, in memory: one row per play (its stop
// event), then moved into playback_events in large INSERT ... SELECT blocks, where each play becomes its
// two events (start, stop) and every event already stored is left out (a second import of the same
// history adds nothing). Small inserts straight into playback_events cost the engine a parse of
// both events and a run of every materialized view per insert: staged, a play is parsed once and
// the views aggregate blocks of tens of thousands of events (bench/README.md, "Import").
import { identifier, type Warehouse } from '../client.ts';
import type { StagedRows } from '../import-rows.ts';
import { rows } from './filters.ts';

const STAGE_PREFIX = 'import_stage_';

/**
 * How a play's start event differs from its stop event (importers/play.ts `playEvents` is the
 * definition; importers/writer.test.ts proves the two agree). Every other column is the stop
 * event's. `source_offset` numbers the play in its import; its two events get 2n and 2n + 1.
 */
const START_COLUMNS: Record<string, string> = {
  event_id: `if(opening, concat(session_key, ':start'), event_id)`,
  event_type: `if(opening, 'STARTED', event_type)`,
  observed_at: `if(opening, play_started_at, observed_at)`,
  play_state: `if(opening, 'PLAYING', play_state)`,
  position_ms: `if(opening, toUInt64(greatest(0, toInt64(position_ms) - toInt64(played_ms))), position_ms)`,
  played_ms: `if(opening, 0, played_ms)`,
  paused_ms: `if(opening, 0, paused_ms)`,
  source_offset: `source_offset * 2 + if(opening, 0, 1)`,
};

export interface MovedPlays {
  plays: number;
  /** Plays written now, and plays whose events were all stored already. */
  added: number;
  skipped: number;
}

export class ImportQueries {
  constructor(private readonly w: Warehouse) {}

  /**
   * A staging area for one import (`importId`: letters, digits and _ only), its plays kept in
   * tables of `windowPlays` each until they move.
   */
  stage(importId: string, windowPlays: number): ImportStage {
    const name = `${STAGE_PREFIX}${importId}`;
    identifier(name);
    return new ImportStage(this.w, name, windowPlays);
  }

  /**
   * Drops the staging tables of imports that a crash or kill interrupted: those created more than
   * `olderThanMs` ago. An import running in another API process keeps its own (a million plays
   * take about a minute).
   */
  async dropStaleStages(olderThanMs: number): Promise<string[]> {
    const stale = await rows<{ name: string }>(
      this.w,
      `SELECT name FROM system.tables
       WHERE database = {database:String} AND startsWith(name, {prefix:String})
         AND metadata_modification_time < now() - toIntervalSecond({seconds:UInt32})`,
      { database: this.w.database, prefix: STAGE_PREFIX, seconds: Math.round(olderThanMs / 1000) },
    );
    for (const { name } of stale) await this.w.client.command({ query: `DROP TABLE IF EXISTS ${this.w.table(name)}` });
    return stale.map((t) => t.name);
  }
}

interface StageWindow {
  name: string;
  created: Promise<unknown>;
}

export class ImportStage {
  private columns: [string, ...string[]] | undefined;
  /**
   * The staged plays, by window of `windowPlays` plays: in-memory tables (ENGINE = Memory), each
   * dropped once its plays have moved. A table on disk cost the engine a part written per staging
   * and merges of parts that were read once and dropped.
   */
  private readonly windows = new Map<number, StageWindow>();

  constructor(
    private readonly w: Warehouse,
    readonly name: string,
    private readonly windowPlays: number,
  ) {}

  private window(n: number): StageWindow {
    let window = this.windows.get(n);
    if (!window) {
      const name = `${this.name}_w${n}`;
      const created = this.w.client.command({
        query: `CREATE TABLE IF NOT EXISTS ${this.w.table(name)} AS ${this.w.table('playback_events')} ENGINE = Memory`,
      });
      window = { name, created };
      this.windows.set(n, window);
    }
    return window;
  }

  /** Stages plays, as the reading thread wrote them (import-rows.ts). */
  async add(staged: StagedRows): Promise<void> {
    this.columns ??= staged.columns;
    for (const { n, lines } of staged.windows) {
      const window = this.window(n);
      await window.created;
      // chTime writes every time in the basic layout: no need for best-effort parsing.
      await this.w.insertEncoded(window.name, staged.columns, lines, { date_time_input_format: 'basic' });
    }
  }

  /** Moves the staged plays numbered [from, to) into playback_events, leaving out stored events. */
  async move(from: number, to: number): Promise<MovedPlays> {
    const columns = this.columns;
    if (!columns || to <= from) return { plays: 0, added: 0, skipped: 0 };
    // The windows holding plays of the range: one when moves keep to windows, as the writer's do.
    const holding: StageWindow[] = [];
    for (let n = Math.floor(from / this.windowPlays); n <= Math.floor((to - 1) / this.windowPlays); n++) {
      const window = this.windows.get(n);
      if (window) holding.push(window);
    }
    if (holding.length === 0) return { plays: 0, added: 0, skipped: 0 };
    await Promise.all(holding.map((window) => window.created));
    const stage =
      holding.length === 1
        ? this.w.table(holding[0]!.name)
        : `(${holding.map((window) => `SELECT * FROM ${this.w.table(window.name)}`).join(' UNION ALL ')})`;
    const moved = await this.moveFrom(stage, columns, from, to);
    // A window whose every play is before `to` gets no more: staging goes on from `to` onwards.
    for (const [n, window] of this.windows)
      if ((n + 1) * this.windowPlays <= to) {
        this.windows.delete(n);
        await this.w.client.command({ query: `DROP TABLE IF EXISTS ${this.w.table(window.name)}` });
      }
    return moved;
  }

  private async moveFrom(stage: string, columns: [string, ...string[]], from: number, to: number): Promise<MovedPlays> {
    const range = { from, to };
    const [extent] = await rows<{ plays: string; servers: string[]; topics: string[]; first: string; last: string }>(
      this.w,
      `SELECT count() AS plays, groupUniqArray(server_id) AS servers, groupUniqArray(source_topic) AS topics,
              toUnixTimestamp64Milli(min(play_started_at)) AS first, toUnixTimestamp64Milli(max(observed_at)) AS last
       FROM ${stage} WHERE source_offset >= {from:UInt64} AND source_offset < {to:UInt64}`,
      range,
    );
    const plays = Number(extent?.plays ?? 0);
    if (!extent || plays === 0) return { plays: 0, added: 0, skipped: 0 };
    // Only events stored for these servers and sources in the staged plays' time range can be
    // among them: the table's sort key starts with server_id and it is partitioned by month.
    const stored = `SELECT event_id FROM ${this.w.table('playback_events')}
      WHERE server_id IN {servers:Array(String)} AND source_topic IN {topics:Array(String)}
        AND observed_at BETWEEN fromUnixTimestamp64Milli({first:Int64}) AND fromUnixTimestamp64Milli({last:Int64})`;
    const where = { ...range, servers: extent.servers, topics: extent.topics, first: extent.first, last: extent.last };
    const [found] = await rows<{ n: string }>(this.w, `SELECT count() AS n FROM (${stored})`, where);
    // Most moves of a first import find nothing of their source in their range, and skip the check.
    const checked = Number(found?.n ?? 0) > 0;
    let skipped = 0;
    if (checked) {
      const [n] = await rows<{ n: string }>(
        this.w,
        `SELECT count() AS n FROM ${stage}
         WHERE source_offset >= {from:UInt64} AND source_offset < {to:UInt64}
           AND concat(session_key, ':start') IN (${stored}) AND event_id IN (${stored})`,
        where,
      );
      skipped = Number(n?.n ?? 0);
    }
    // Positional: the select gives no alias, so no computed column hides a staged one of the
    // same name from WHERE. (No per-query settings either: the embedded engine's adapter applies
    // them with SET, which would stay on the connection for every later query.)
    const select = columns.map((c) => START_COLUMNS[c] ?? c).join(', ');
    await this.w.client.command({
      query: `INSERT INTO ${this.w.table('playback_events')} (${columns.join(', ')})
       SELECT ${select} FROM ${stage} ARRAY JOIN [1, 0] AS opening
       WHERE source_offset >= {from:UInt64} AND source_offset < {to:UInt64}
       ${checked ? `AND ${START_COLUMNS.event_id} NOT IN (${stored})` : ''}`,
      query_params: where,
    });
    return { plays, added: plays - skipped, skipped };
  }

  /** Drops every window left, once each is created (a failed creation left nothing to drop). */
  async drop(): Promise<void> {
    for (const [n, window] of this.windows) {
      this.windows.delete(n);
      await window.created.catch(() => undefined);
      await this.w.client.command({ query: `DROP TABLE IF EXISTS ${this.w.table(window.name)}` });
    }
  }
}
