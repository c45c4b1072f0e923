// Exports as a download: CSV (RFC 4180) for spreadsheets, or JSON Lines for tools, written as the
// pages arrive from the warehouse. The reply reads from a generator, so a page is fetched only when
// the client has taken the previous one: memory stays at one page whatever the history's size.
//
// CSV is written here rather than with a CSV library: the quoting rule is four lines, and what a
// library would not do is the part that matters for a file opened in a spreadsheet: a cell that
// starts like a formula (=, +, -, @) is prefixed with an apostrophe so that it stays text (OWASP,
// "CSV injection"); a viewer's device name or a title is chosen by whoever named it.
import { Readable } from 'node:stream';
import type { FastifyReply } from 'fastify';

export const EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** A column of the CSV: its heading and how a row gives its value. */
export interface Column<T> {
  name: string;
  value: (row: T) => unknown;
}

const FORMULA = /^[=+\-@\t\r]/;

/** One CSV cell: empty for nothing, lists joined by "; ", quoted when it holds a separator, a quote or a line break. */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = Array.isArray(value)
    ? value.join('; ')
    : typeof value === 'object'
      ? JSON.stringify(value)
      : String(value as string | number | boolean);
  if (typeof value === 'string' && FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** The lines of an export: a heading and a line per row for CSV, a JSON document per row for JSON Lines. */
export async function* exportLines<T>(
  pages: AsyncIterable<readonly T[]>,
  format: ExportFormat,
  columns: ReadonlyArray<Column<T>>,
  asJson: (row: T) => unknown = (row) => row,
): AsyncGenerator<string> {
  // A byte-order mark: spreadsheet programs then read the file as UTF-8 (names in any script).
  if (format === 'csv') yield `\uFEFF${columns.map((c) => csvCell(c.name)).join(',')}\r\n`;
  for await (const page of pages) {
    if (page.length === 0) continue;
    yield format === 'csv'
      ? page.map((row) => `${columns.map((c) => csvCell(c.value(row))).join(',')}\r\n`).join('')
      : page.map((row) => `${JSON.stringify(asJson(row))}\n`).join('');
  }
}

/** Sends the lines as a file to download, named after what it holds and today's date. */
export function sendExport(reply: FastifyReply, what: string, format: ExportFormat, lines: AsyncIterable<string>) {
  const name = `streamwarden-${what}-${new Date().toISOString().slice(0, 10)}.${format === 'csv' ? 'csv' : 'jsonl'}`;
  return reply
    .type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson; charset=utf-8')
    .header('content-disposition', `attachment; filename="${name}"`)
    .header('cache-control', 'no-store')
    .send(Readable.from(lines));
}

/** Pages of a list read by cursor, until a page comes back without a next one. */
export async function* byCursor<T, C>(
  read: (cursor: C | null) => Promise<{ rows: readonly T[]; next: C | null }>,
): AsyncGenerator<readonly T[]> {
  let cursor: C | null = null;
  do {
    const page: { rows: readonly T[]; next: C | null } = await read(cursor);
    yield page.rows;
    cursor = page.next;
  } while (cursor !== null);
}
