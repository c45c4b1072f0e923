// The Jellyfin Playback Reporting plugin's database, written as the plugin writes it (its own table
// definition, local times, its ItemName and PlaybackMethod layouts), imported twice: each play
// once, at the instant the server's zone says, with series, episode, artist and delivery read back.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from '../warehouse/migrations.ts';
import { importHistory, ImportFormatError } from './import-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'sw-playback-reporting-'));
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;
const ALICE = '4f1b9c2e8d7a4e0f9b3c6d5a2e1f0a9b';
const BOB = '9a8b7c6d5e4f40312a1b2c3d4e5f6a7b';

/** A database as the plugin creates it: the current table, or a first version's (no pauses, addresses, reasons). */
function pluginDatabase(path: string, rows: unknown[][], firstVersion = false): void {
  const db = new DatabaseSync(path);
  db.exec(
    'create table if not exists PlaybackActivity (DateCreated DATETIME NOT NULL, UserId TEXT, ItemId TEXT, ItemType TEXT, ItemName TEXT, PlaybackMethod TEXT, ClientName TEXT, DeviceName TEXT, PlayDuration INT' +
      (firstVersion ? ')' : ', PauseDuration INT, RemoteAddress TEXT, TranscodeReasons TEXT)'),
  );
  db.exec('create table if not exists UserList (UserId TEXT)');
  const columns = firstVersion ? 9 : 12;
  const insert = db.prepare(`insert into PlaybackActivity values (${Array(columns).fill('?').join(', ')})`);
  for (const row of rows) insert.run(...(row.slice(0, columns) as Array<string | number | null>));
  db.close();
}

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
}, 60_000);

afterAll(async () => {
  await warehouse?.drop();
});

async function stored(server: string): Promise<Array<Record<string, unknown>>> {
  const result = await warehouse.client.query({
    query: `SELECT toUnixTimestamp64Milli(started_at) AS started, toUnixTimestamp64Milli(stopped_at) AS stopped, user_id, title,
                   grandparent_title, season_number, episode_number, media_type, video_decision, audio_decision, is_transcode,
                   stream_video_codec, played_ms, device_name, product, client_ip, network_location, transcode_reasons
            FROM ${warehouse.table('sessions')} FINAL WHERE server_id = {s:String} ORDER BY started_at`,
    query_params: { s: server },
    format: 'JSONEachRow',
  });
  return result.json();
}

describe('Playback Reporting import', () => {
  it("imports the plugin's plays twice: each once, in the server's zone, with titles and deliveries read back", async () => {
    const path = join(dir, 'playback_reporting.db');
    pluginDatabase(path, [
      // Summer in Berlin (UTC+2): 21:00 local is 19:00 UTC.
      [
        '2026-07-01 21:00:00.1234567',
        ALICE,
        'a1',
        'Movie',
        'Dune',
        'DirectPlay',
        'Jellyfin Web',
        'Firefox',
        5400,
        120,
        '81.2.69.142',
        '',
      ],
      [
        '2026-07-02 20:30:00.0000000',
        ALICE,
        'e2',
        'Episode',
        'Severance - s01e02 - Half Loop',
        'Transcode (v:h264 a:direct)',
        'Jellyfin Android',
        'Pixel 8',
        2700,
        0,
        '192.168.1.20',
        'VideoCodecNotSupported, ContainerBitrateExceedsLimit',
      ],
      [
        '2026-07-03 08:00:00',
        BOB,
        't3',
        'Audio',
        'Daft Punk - Harder, Better, Faster, Stronger (Discovery)',
        'DirectStream',
        'Finamp',
        'iPhone',
        224,
        0,
        '',
        '',
      ],
      // Rows the plugin can leave behind: no date, no user.
      ['not a date', BOB, 'x4', 'Movie', 'Broken', 'DirectPlay', 'Web', 'TV', 10, 0, '', ''],
      ['2026-07-04 10:00:00', '', 'x5', 'Movie', 'Nobody', 'DirectPlay', 'Web', 'TV', 10, 0, '', ''],
    ]);
    const source = { kind: 'playback-reporting', path, serverId: 'jf-home', timeZone: 'Europe/Berlin' } as const;
    const first = await importHistory(source, warehouse);
    expect(first).toMatchObject({
      sourceRows: 5,
      total: 4,
      added: 3,
      skipped: 0,
      unreadable: { 'no-times': 1, 'no-id': 1 },
    });
    const again = await importHistory(source, warehouse);
    expect(again).toMatchObject({ added: 0, skipped: 3 });

    const [movie, episode, track] = await stored('jf-home');
    expect(movie).toMatchObject({
      started: String(Date.UTC(2026, 6, 1, 19, 0, 0, 123)),
      stopped: String(Date.UTC(2026, 6, 1, 19, 0, 0, 123) + (5400 + 120) * 1000),
      user_id: ALICE,
      title: 'Dune',
      media_type: 'MOVIE',
      video_decision: 'DIRECT_PLAY',
      is_transcode: false,
      played_ms: '5400000',
      device_name: 'Firefox',
      product: 'Jellyfin Web',
      client_ip: '81.2.69.142',
      network_location: 'WAN',
    });
    expect(episode).toMatchObject({
      title: 'Half Loop',
      grandparent_title: 'Severance',
      season_number: 1,
      episode_number: 2,
      media_type: 'EPISODE',
      video_decision: 'TRANSCODE',
      audio_decision: 'DIRECT_STREAM',
      is_transcode: true,
      stream_video_codec: 'h264',
      network_location: 'LAN',
      transcode_reasons: ['VideoCodecNotSupported', 'ContainerBitrateExceedsLimit'],
    });
    expect(track).toMatchObject({
      title: 'Harder, Better, Faster, Stronger',
      grandparent_title: 'Daft Punk',
      media_type: 'TRACK',
      video_decision: 'NONE',
      audio_decision: 'DIRECT_STREAM',
      started: String(Date.UTC(2026, 6, 3, 6, 0, 0)),
    });
  });

  it("reads a first version's table (no pauses, addresses or reasons)", async () => {
    const path = join(dir, 'old.db');
    pluginDatabase(
      path,
      [['2026-01-10 20:00:00.0000000', ALICE, 'a1', 'Movie', 'Heat', 'Transcode', 'Emby Theater', 'TV', 600]],
      true,
    );
    // Winter in Berlin: UTC+1.
    const result = await importHistory(
      { kind: 'playback-reporting', path, serverId: 'jf-old', timeZone: 'Europe/Berlin' },
      warehouse,
    );
    expect(result).toMatchObject({ added: 1 });
    expect((await stored('jf-old'))[0]).toMatchObject({
      started: String(Date.UTC(2026, 0, 10, 19)),
      is_transcode: true,
      network_location: 'UNKNOWN',
    });
  });

  it('explains a file that is not the plugin database, and a zone that is not one', async () => {
    const text = join(dir, 'notes.txt');
    writeFileSync(text, 'hello');
    const empty = join(dir, 'empty.db');
    new DatabaseSync(empty).exec('create table Other (x INT)');
    const run = (path: string, timeZone = 'UTC') =>
      importHistory({ kind: 'playback-reporting', path, name: 'upload.db', serverId: 'jf-x', timeZone }, warehouse);
    await expect(run(text)).rejects.toThrow(/upload\.db is not a SQLite database.*playback_reporting\.db/);
    await expect(run(empty)).rejects.toThrow(/not a Playback Reporting database: no PlaybackActivity table/);
    await expect(run(empty, 'Mars/Olympus')).rejects.toThrow(/unknown time zone "Mars\/Olympus"/);
    await expect(run(text)).rejects.toBeInstanceOf(ImportFormatError);
  });
});
