// Versioned JSON documents (media servers, rules, settings) that the dashboard edits and every
// process reads. A save is seen at once by listeners in the same process and, through polling,
// by the other processes of a scale-out install within `pollMs`.
import { EventEmitter } from 'node:events';
import type { Warehouse } from './client.ts';
import { chTime } from './rows.ts';
import { AppError } from '../core/errors.ts';

export interface StoredDocument<T> {
  body: T;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

type Listener = (name: string) => void;

export class ConfigDocuments {
  private readonly events = new EventEmitter();
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly warehouse: Warehouse,
    private readonly pollMs = 10_000,
  ) {
    this.events.setMaxListeners(50);
  }

  async get<T>(name: string): Promise<StoredDocument<T> | null> {
    const result = await this.warehouse.client.query({
      query: `SELECT body, toString(version) AS version, updated_at, updated_by FROM ${this.warehouse.table('config_documents')} FINAL WHERE name = {name:String}`,
      query_params: { name },
      format: 'JSONEachRow',
    });
    const [row] = await result.json<{ body: string; version: string; updated_at: string; updated_by: string }>();
    if (!row) return null;
    return {
      body: JSON.parse(row.body) as T,
      version: Number(row.version),
      updatedAt: row.updated_at,
      updatedBy: row.updated_by,
    };
  }

  /**
   * Saves a new version. With `expectedVersion` the save is refused when someone else saved in
   * between (the dashboard then reloads instead of silently overwriting).
   */
  async put<T>(name: string, body: T, updatedBy: string, expectedVersion?: number): Promise<StoredDocument<T>> {
    const current = await this.get<T>(name);
    const currentVersion = current?.version ?? 0;
    if (expectedVersion !== undefined && expectedVersion !== currentVersion)
      throw new VersionConflictError(name, expectedVersion, currentVersion);
    // Time-based so two processes saving at once still move forward; +1 keeps it increasing.
    const version = Math.max(currentVersion + 1, Date.now());
    const now = Date.now();
    await this.warehouse.client.insert({
      table: this.warehouse.table('config_documents'),
      values: [{ name, body: JSON.stringify(body), version, updated_at: chTime(now), updated_by: updatedBy }],
      format: 'JSONEachRow',
    });
    this.seen.set(name, version);
    this.events.emit('change', name);
    return { body, version, updatedAt: new Date(now).toISOString(), updatedBy };
  }

  /**
   * Read, change, save against the version read, again on a conflict: two processes changing the
   * document at once both land. `change` returns the new body, or null to leave it as it is.
   */
  async update<T>(name: string, by: string, change: (body: T | undefined) => T | null): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const doc = await this.get<T>(name);
      const next = change(doc?.body);
      if (next === null) return;
      try {
        await this.put(name, next, by, doc?.version ?? 0);
        return;
      } catch (err) {
        if (!(err instanceof VersionConflictError) || attempt >= 4) throw err;
      }
    }
  }

  /** Calls `apply` with `read()` now and whenever the document `name` changes, here or elsewhere. */
  async watch<T>(
    name: string,
    read: () => Promise<T>,
    apply: (value: T) => void,
    onError: (err: Error) => void,
  ): Promise<() => void> {
    apply(await read());
    return this.onChange((changed) => {
      if (changed === name) read().then(apply, onError);
    });
  }

  /** Calls `listener(name)` whenever a document changes, here or in another process. */
  onChange(listener: Listener): () => void {
    this.events.on('change', listener);
    this.startPolling();
    return () => this.events.off('change', listener);
  }

  private startPolling(): void {
    if (this.timer || this.pollMs <= 0) return;
    let primed = false;
    const poll = async () => {
      const result = await this.warehouse.client.query({
        query: `SELECT name, toString(max(version)) AS version FROM ${this.warehouse.table('config_documents')} GROUP BY name`,
        format: 'JSONEachRow',
      });
      for (const row of await result.json<{ name: string; version: string }>()) {
        const version = Number(row.version);
        const known = this.seen.get(row.name);
        this.seen.set(row.name, version);
        // A document first saved after the first poll is a change too.
        if (primed && known !== version) this.events.emit('change', row.name);
      }
      primed = true;
    };
    // The first poll records what exists; later polls report what changed since. A failed poll
    // is simply the next one's work (the warehouse's own outage is logged by the health check).
    this.timer = setInterval(() => void poll().catch(() => undefined), this.pollMs);
    this.timer.unref();
    void poll().catch(() => undefined);
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.events.removeAllListeners();
  }
}

export class VersionConflictError extends AppError {
  constructor(
    readonly document: string,
    readonly expected: number,
    readonly actual: number,
  ) {
    super(
      'conflict',
      `${document} was changed by someone else (version ${actual}, you edited ${expected}); reload and try again`,
    );
  }
}
