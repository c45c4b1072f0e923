// The row splitter of Jellystat backups skips strings with a native search: escaped quotes and
// backslash runs of any length must end or continue a string exactly as JSON says, wherever a
// chunk boundary falls.
import { describe, expect, it } from 'vitest';
import { JsonTableRows, MAX_ROW_BYTES, type TableRow } from './json-rows.ts';

const rows = [
  { Id: 'a', Name: 'plain' },
  { Id: 'b', Name: 'a "quoted" word', Path: 'C:\\Media\\', Odd: '\\"', Even: '\\\\' },
  { Id: 'c', Nested: { List: ['x\\', '"', '\\\\\\"', '{[', ']}'], N: 1.5 }, Unicode: 'Amélie \u00e9 \ud83c\udfac' },
  { Id: 'd', Empty: '', Run: '\\'.repeat(7) + '"' + '\\'.repeat(8) },
];
const document = JSON.stringify([{ jf_users: rows.slice(0, 2) }, { 'jf "odd" table': rows.slice(2) }]);
const expected: TableRow[] = [
  ...rows.slice(0, 2).map((row) => ({ table: 'jf_users', row })),
  ...rows.slice(2).map((row) => ({ table: 'jf "odd" table', row })),
];

function split(bytes: Buffer, cuts: number[]): TableRow[] {
  const reader = new JsonTableRows();
  const out: TableRow[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    out.push(...reader.push(bytes.subarray(from, cut)));
    from = cut;
  }
  reader.end();
  return out;
}

describe('JsonTableRows', () => {
  it('reads every row whole, in one chunk or cut at any byte', () => {
    const bytes = Buffer.from(document);
    expect(split(bytes, [])).toEqual(expected);
    for (let cut = 1; cut < bytes.length; cut++) expect(split(bytes, [cut])).toEqual(expected);
  });

  it('reads every row whole when each byte comes alone', () => {
    const bytes = Buffer.from(document);
    expect(
      split(
        bytes,
        Array.from({ length: bytes.length - 1 }, (_, i) => i + 1),
      ),
    ).toEqual(expected);
  });

  it('refuses a row that runs past its limit, wherever the chunks fall, and reads one just under it', () => {
    const reader = new JsonTableRows();
    expect(reader.push(Buffer.from('[{"jf_users":[{"Id":"1"},{"Name":"'))).toEqual([
      { table: 'jf_users', row: { Id: '1' } },
    ]);
    const chunk = Buffer.alloc(256 * 1024, 'a');
    expect(() => {
      for (let sent = 0; sent <= MAX_ROW_BYTES; sent += chunk.length) reader.push(chunk);
    }).toThrow(/a row of "jf_users" near byte 25 runs past 16 MiB without ending/);

    const long = 'x'.repeat(MAX_ROW_BYTES - 100);
    expect(split(Buffer.from(JSON.stringify([{ jf_users: [{ Name: long }] }])), [1000, 5_000_000])).toEqual([
      { table: 'jf_users', row: { Name: long } },
    ]);
  });
});
