// The reading half of an import, on a thread of its own (started by import-history.ts): opens the
// source, reads its plays and writes them as staged rows, and hands each batch's bytes over
// without a copy. Parsing a million-play backup keeps a core busy and its garbage collections
// pause the thread they run on; here they pause neither the API's requests nor the engine's work.
// At most three batches are on their way: the next is sent once the process has staged one, which
// gives its buffers back.
import { parentPort, workerData } from 'node:worker_threads';
import { GeoIp, type GeoIpOptions } from '../core/geoip.ts';
import { AppError, type ErrorKind } from '../core/errors.ts';
import { encodePlays } from './encode.ts';
import { newSourceRows, type SourceRows } from './play.ts';
import { openSource, type ImportSource } from './sources.ts';
import { LineBuffers, type StagedRows } from '../warehouse/import-rows.ts';

export interface ReaderSetup {
  source: ImportSource;
  /** How the process opened its GeoIP database; null: plays are not placed. */
  geo: GeoIpOptions | null;
  windowPlays: number;
}

/** What went wrong, as plain data: a thread's errors cross as their name, message and kind. */
export interface ThreadError {
  name: string;
  message: string;
  kind: ErrorKind | null;
}

export type ReaderMessage =
  | { type: 'opened'; total: number | null }
  | { type: 'batch'; rows: StagedRows; source: SourceRows }
  | { type: 'end'; source: SourceRows }
  | { type: 'failed'; error: ThreadError };

/** Batches sent that the process has not staged yet: one staging, one waiting, one to spare. */
const IN_FLIGHT = 3;

/** The process's word that a batch is staged, with its buffers. */
export interface StagedMessage {
  type: 'staged';
  buffers: ArrayBuffer[];
}

async function read(port: NonNullable<typeof parentPort>, setup: ReaderSetup): Promise<void> {
  let credit = IN_FLIGHT;
  let taken: (() => void) | undefined;
  const buffers = new LineBuffers();
  port.on('message', (message: StagedMessage) => {
    buffers.give(message.buffers);
    credit++;
    taken?.();
  });
  const send = (message: ReaderMessage, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);
  const rows = newSourceRows();
  const geo = setup.geo ? await GeoIp.open(setup.geo) : undefined;
  const source = await openSource(setup.source, rows);
  try {
    send({ type: 'opened', total: source.total });
    for await (const staged of encodePlays(source.plays, {
      geo,
      windowPlays: setup.windowPlays,
      buffers,
    })) {
      while (credit === 0) await new Promise<void>((resolve) => (taken = resolve));
      credit--;
      send(
        { type: 'batch', rows: staged, source: rows },
        staged.windows.map((w) => w.lines.buffer as ArrayBuffer),
      );
    }
    send({ type: 'end', source: rows });
  } finally {
    source.close();
  }
}

if (parentPort) {
  const port = parentPort;
  read(port, workerData as ReaderSetup)
    .catch((err: unknown) => {
      const error = err instanceof Error ? err : new Error(String(err));
      const message: ReaderMessage = {
        type: 'failed',
        error: { name: error.name, message: error.message, kind: error instanceof AppError ? error.kind : null },
      };
      port.postMessage(message);
    })
    .finally(() => port.close());
}
