// One entry for every history source, used by the command line and the API. The source is read
// on a thread of its own (read-worker.ts); this thread hands its rows to the engine.
import { Worker } from 'node:worker_threads';
import { AppError } from '../core/errors.ts';
import type { GeoIp } from '../core/geoip.ts';
import type { Warehouse } from '../warehouse/client.ts';
import type { StagedRows } from '../warehouse/import-rows.ts';
import { ImportFormatError, newSourceRows, type SourceRows } from './play.ts';
import type { ReaderMessage, ReaderSetup, StagedMessage, ThreadError } from './read-worker.ts';
import type { ImportSource } from './sources.ts';
import { MOVE_EVERY, writeStaged, type ImportProgress } from './writer.ts';

export type { ImportSource };

const SERVER_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;

/**
 * The reading thread's young generation, in MiB. The process's own is capped at 16 MiB semi-spaces
 * to keep it lean at rest (runtime/node-flags.ts); a reader allocates ~1 KB per play for a minute,
 * and with room for it scavenges less often (bench/README.md, "Import").
 */
const READER_YOUNG_MIB = 96;

/**
 * The most the reading thread's heap may hold, in MiB: a reader keeps a batch and the source's
 * small tables (users, library items), ~100 MiB for a million plays. A file that takes more (one
 * endless line) ends its import alone, not the process with every role in it.
 */
const READER_HEAP_MIB = 1024;

export async function importHistory(
  source: ImportSource,
  warehouse: Warehouse,
  options: {
    geo?: GeoIp;
    onProgress?: (p: ImportProgress) => void;
    /** The reading thread's heap limit in MiB (READER_HEAP_MIB). */
    readerHeapMiB?: number;
  } = {},
): Promise<ImportProgress> {
  if (!SERVER_ID.test(source.serverId))
    throw new ImportFormatError(
      `server id must be the id of the media server in Streamwarden (lowercase letters, digits, - and _), got ${JSON.stringify(source.serverId)}`,
    );
  const rows = newSourceRows();
  const reader = startReader(
    { source, geo: options.geo?.options ?? null, windowPlays: MOVE_EVERY },
    rows,
    options.readerHeapMiB ?? READER_HEAP_MIB,
  );
  try {
    const total = await reader.opened;
    return await writeStaged(warehouse, reader.batches(), {
      total,
      source: rows,
      moveEvery: MOVE_EVERY,
      onProgress: options.onProgress,
      staged: reader.staged,
    });
  } finally {
    await reader.stop();
  }
}

/**
 * The reading thread, its batches as they come: each one staged lets it send another. `rows` is
 * kept up to date with the thread's account of the source's rows.
 */
function startReader(setup: ReaderSetup, rows: SourceRows, heapMiB: number) {
  const worker = new Worker(new URL('./read-worker.ts', import.meta.url), {
    workerData: setup,
    // The process's loader of TypeScript, where it was not started with it (vitest's own workers).
    execArgv: process.execArgv.some((arg) => arg.includes('tsx')) ? undefined : ['--import', 'tsx'],
    resourceLimits: { maxYoungGenerationSizeMb: READER_YOUNG_MIB, maxOldGenerationSizeMb: heapMiB },
  });
  const queue: ReaderMessage[] = [];
  let failure: Error | undefined;
  let wake: (() => void) | undefined;
  const arrived = () => {
    wake?.();
    wake = undefined;
  };
  worker.on('message', (message: ReaderMessage) => {
    queue.push(message);
    arrived();
  });
  worker.on('error', (err: Error & { code?: string }) => {
    failure ??=
      err.code === 'ERR_WORKER_OUT_OF_MEMORY'
        ? new ImportFormatError(
            `reading the source took more than ${heapMiB} MiB of memory (a row or line without end?); nothing more was imported`,
          )
        : err;
    arrived();
  });
  worker.on('exit', (code) => {
    failure ??= new Error(`the import's reading thread stopped (exit code ${code})`);
    arrived();
  });
  const next = async (): Promise<ReaderMessage> => {
    for (;;) {
      const message = queue.shift();
      if (message) {
        if (message.type === 'failed') throw threadError(message.error);
        if (message.type !== 'opened') Object.assign(rows, message.source);
        return message;
      }
      if (failure) throw failure;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  };
  const opened = next().then((message) => {
    if (message.type !== 'opened') throw new Error(`the import's reading thread sent ${message.type} first`);
    return message.total;
  });
  // Not awaited when the writer never starts: a failure is read from `opened` instead.
  opened.catch(() => undefined);
  return {
    opened,
    async *batches(): AsyncGenerator<StagedRows> {
      for (;;) {
        const message = await next();
        if (message.type === 'end') return;
        if (message.type !== 'batch') throw new Error(`the import's reading thread sent ${message.type}`);
        yield message.rows;
      }
    },
    /** A batch is staged: its buffers go back to the thread, which may send another. */
    staged: (batch: StagedRows) => {
      const buffers = batch.windows.map((w) => w.lines.buffer as ArrayBuffer);
      const message: StagedMessage = { type: 'staged', buffers };
      worker.postMessage(message, buffers);
    },
    stop: async () => {
      worker.removeAllListeners('exit');
      await worker.terminate();
    },
  };
}

/** The reading thread's error as this thread's own kind, its message unchanged. */
function threadError(error: ThreadError): Error {
  if (error.name === 'ImportFormatError') return new ImportFormatError(error.message);
  const rebuilt = error.kind ? new AppError(error.kind, error.message) : new Error(error.message);
  rebuilt.name = error.name;
  return rebuilt;
}

export { ImportFormatError };
