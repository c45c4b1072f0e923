// The public SQL contract (migration 0013, warehouse/README.md "Public views"): each view's columns
// and types as analysts rely on them. A change here is a change of contract: add the next version
// of the view (plays_v2) instead, and leave this one as it is.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { openTestWarehouse } from '../testing/warehouse.ts';
import { migrate } from './migrations.ts';
import { PeopleStore } from '../pipeline/people-store.ts';
import { samplePlaybackEvent, sampleTrustScoreChange } from '../testing/fixtures.ts';
import { ConfigDocuments } from './config-documents.ts';
import { playbackEventRow, trustChangeRow } from './rows.ts';

const CONTRACT = JSON.parse(readFileSync(new URL('./public-views.json', import.meta.url), 'utf8')) as Record<
  string,
  Array<[string, string]>
>;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  await migrate(warehouse, createLogger('test'));
});
afterAll(() => warehouse?.drop());

async function columns(view: string): Promise<Array<[string, string]>> {
  const result = await warehouse.client.query({
    query:
      'SELECT name, type FROM system.columns WHERE database = {db:String} AND table = {t:String} ORDER BY position',
    query_params: { db: warehouse.database, t: view },
    format: 'JSONEachRow',
  });
  return (await result.json<{ name: string; type: string }>()).map((c) => [c.name, c.type]);
}

const record = { topic: 'test', partition: 0, offset: '0', key: null, value: null, headers: {}, timestamp: 0 };

describe('public SQL contract', () => {
  it('keeps every public view with the columns and types it was released with', async () => {
    const found = Object.fromEntries(await Promise.all(Object.keys(CONTRACT).map(async (v) => [v, await columns(v)])));
    expect(found).toEqual(CONTRACT);
  });

  it("gives an account's trust and the person the People page linked it to", async () => {
    const events = ['plex-home', 'jf-cabin'].map((serverId) =>
      playbackEventRow(samplePlaybackEvent({ serverId, accountKey: `${serverId}:42`, sessionKey: serverId }), record),
    );
    await warehouse.client.insert({ table: warehouse.table('playback_events'), values: events, format: 'JSONEachRow' });
    await warehouse.client.insert({
      table: warehouse.table('trust_score_history'),
      values: [trustChangeRow(sampleTrustScoreChange({ accountKey: 'plex-home:42', newScore: 70 }), record)],
      format: 'JSONEachRow',
    });
    const person = await new PeopleStore(new ConfigDocuments(warehouse, 0)).link(
      ['plex-home:42', 'jf-cabin:42'],
      'admin',
      0,
      'Alice',
    );
    const result = await warehouse.client.query({
      query: `SELECT account_key, trust_score, person_id, person_name FROM ${warehouse.table('people_v1')} ORDER BY account_key`,
      format: 'JSONEachRow',
    });
    expect(await result.json()).toEqual([
      { account_key: 'jf-cabin:42', trust_score: 100, person_id: person.personId, person_name: 'Alice' },
      { account_key: 'plex-home:42', trust_score: 70, person_id: person.personId, person_name: 'Alice' },
    ]);
    const plays = await warehouse.client.query({
      query: `SELECT count() AS n FROM ${warehouse.table('plays_v1')}`,
      format: 'JSONEachRow',
    });
    expect(await plays.json()).toEqual([{ n: '2' }]);
  });

  it('documents every public view in the warehouse guide, and lists no view the warehouse lacks', async () => {
    const result = await warehouse.client.query({
      query: "SELECT name FROM system.tables WHERE database = {db:String} AND match(name, '_v[0-9]+$') ORDER BY name",
      query_params: { db: warehouse.database },
      format: 'JSONEachRow',
    });
    const views = (await result.json<{ name: string }>()).map((r) => r.name);
    expect(views).toEqual(Object.keys(CONTRACT).sort());
    const guide = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
    for (const view of views) expect(guide, view).toContain(`\`${view}\``);
  });
});
