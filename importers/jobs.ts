// Imports started from the dashboard run in the background of the API process; their progress is
// polled by the page. Kept in memory: a restart forgets finished jobs (their plays stay imported,
// and re-running an interrupted one adds only what is missing).
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import type { Logger } from '../core/logger.ts';
import type { Warehouse } from '../warehouse/client.ts';
import type { GeoIp } from '../core/geoip.ts';
import { importHistory, type ImportSource } from './import-history.ts';
import type { ImportProgress } from './writer.ts';
import type { OperatorEvent } from '../schemas/index.ts';
import { describeImport } from './summary.ts';
import { removeStaleUploadDirs } from './upload-files.ts';
import { ImportQueries } from '../warehouse/queries/imports.ts';

const STALE_STAGE_MS = 24 * 3_600_000;

export interface ImportJob {
  id: string;
  kind: ImportSource['kind'];
  serverId: string;
  status: 'running' | 'done' | 'failed';
  progress: ImportProgress;
  error: string | null;
  startedAt: number;
  finishedAt: number | null;
}

export class ImportJobs {
  private readonly jobs = new Map<string, ImportJob>();

  constructor(
    private readonly deps: {
      warehouse: Warehouse;
      geo?: GeoIp;
      logger: Logger;
      /** Tells that an import finished or failed (streamwarden.events); a failure to tell is logged. */
      announce?: (event: OperatorEvent) => Promise<void>;
    },
  ) {
    // Uploads of imports a crash or kill interrupted: nothing will read them again.
    void removeStaleUploadDirs(deps.logger).catch((err: unknown) =>
      deps.logger.warn({ err: (err as Error).message }, 'temporary files of earlier imports not removed'),
    );
    // Their staging tables too; a day old at least, so that no running import loses its own.
    void new ImportQueries(deps.warehouse)
      .dropStaleStages(STALE_STAGE_MS)
      .then(
        (dropped) =>
          dropped.length > 0 && deps.logger.warn({ dropped }, 'staging tables of interrupted imports dropped'),
      )
      .catch((err: unknown) =>
        deps.logger.warn({ err: (err as Error).message }, 'staging tables of earlier imports not dropped'),
      );
  }

  /** Starts an import; `cleanup` is a temporary file to delete when it ends. */
  start(source: ImportSource, cleanup?: string): ImportJob {
    const job: ImportJob = {
      id: randomUUID(),
      kind: source.kind,
      serverId: source.serverId,
      status: 'running',
      progress: { read: 0, total: null, added: 0, skipped: 0, sourceRows: 0, groupedRows: 0, unreadable: {} },
      error: null,
      startedAt: Date.now(),
      finishedAt: null,
    };
    this.jobs.set(job.id, job);
    void importHistory(source, this.deps.warehouse, {
      geo: this.deps.geo,
      onProgress: (p) => (job.progress = p),
    })
      .then(
        (result) => {
          job.progress = result;
          job.status = 'done';
          this.deps.logger.info(
            { job: job.id, kind: job.kind, serverId: job.serverId, ...result, summary: describeImport(result) },
            'history imported',
          );
        },
        (err: unknown) => {
          job.status = 'failed';
          job.error = (err as Error).message;
          this.deps.logger.warn({ job: job.id, kind: job.kind, err: job.error }, 'history import failed');
        },
      )
      .finally(() => {
        job.finishedAt = Date.now();
        void this.deps
          .announce?.(importEvent(job))
          .catch((err: unknown) =>
            this.deps.logger.warn({ err: (err as Error).message, job: job.id }, 'end of the import not announced'),
          );
        if (cleanup)
          void rm(cleanup, { force: true, recursive: true }).catch((err: unknown) =>
            this.deps.logger.warn({ err: (err as Error).message, path: cleanup }, 'temporary import file not removed'),
          );
      });
    return job;
  }

  list(): ImportJob[] {
    return [...this.jobs.values()].sort((a, b) => b.startedAt - a.startedAt);
  }

  get(id: string): ImportJob | undefined {
    return this.jobs.get(id);
  }
}

/** The event of an import's end, for the channels that want to hear of it. */
function importEvent(job: ImportJob): OperatorEvent {
  const failed = job.status === 'failed';
  return {
    eventId: `${failed ? 'IMPORT_FAILED' : 'IMPORT_FINISHED'}:${job.id}`,
    type: failed ? 'IMPORT_FAILED' : 'IMPORT_FINISHED',
    occurredAt: job.finishedAt ?? Date.now(),
    serverId: job.serverId,
    accountKey: null,
    userName: null,
    personId: null,
    sessionKey: null,
    severity: failed ? 'MEDIUM' : 'INFO',
    summary: failed
      ? `The ${job.kind} import into ${job.serverId} failed: ${job.error ?? ''}`
      : `The ${job.kind} import into ${job.serverId} finished: ${job.progress.added} plays added, ${job.progress.skipped} already there`,
    details: {
      kind: job.kind,
      read: String(job.progress.read),
      added: String(job.progress.added),
      skipped: String(job.progress.skipped),
      ...(failed ? { error: job.error ?? '' } : {}),
    },
  };
}
