// An install of the release before roles (migrations up to 0009: one kind of administrator,
// sessions and tokens without roles) opened by this one: its administrator becomes the owner,
// signed-in sessions and tokens keep working with the owner's rights and can still be revoked.
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.ts';
import { openTestWarehouse } from '../../testing/warehouse.ts';
import { chTime } from '../../warehouse/rows.ts';
import { loadMigrations, migrate, MIGRATIONS_DIR } from '../../warehouse/migrations.ts';
import { hashPassword } from './passwords.ts';
import { AuthStore, sha256 } from './store.ts';

const logger = createLogger('test');
const PREVIOUS_RELEASE = 9;
let warehouse: Awaited<ReturnType<typeof openTestWarehouse>>;

beforeAll(async () => {
  warehouse = await openTestWarehouse();
  const dir = `${mkdtempSync(join(tmpdir(), 'sw-previous-auth-'))}/`;
  for (const m of loadMigrations().filter((m) => m.version <= PREVIOUS_RELEASE))
    copyFileSync(MIGRATIONS_DIR + m.file, dir + m.file);
  await migrate(warehouse, logger, dir);
  // Rows as the previous release wrote them: only the columns it knew.
  const now = Date.now();
  const insert = (table: string, row: Record<string, unknown>) =>
    warehouse.client.insert({ table: warehouse.table(table), values: [row], format: 'JSONEachRow' });
  await insert('admin_users', {
    username: 'old-admin',
    password_hash: await hashPassword('the old password'),
    created_at: chTime(now),
    updated_at: chTime(now),
  });
  await insert('auth_sessions', {
    session_hash: sha256('old-session-cookie'),
    username: 'old-admin',
    created_at: chTime(now),
    expires_at: chTime(now + 86_400_000),
    updated_at: chTime(now),
  });
  await insert('api_tokens', {
    token_id: '0123456789ab',
    name: 'grafana',
    token_hash: sha256('s'.repeat(32)),
    username: 'old-admin',
    created_at: chTime(now),
    updated_at: chTime(now),
  });
  await migrate(warehouse, logger);
}, 60_000);

afterAll(async () => {
  await warehouse?.drop();
});

it('makes the administrator the owner, keeps their session and token working, and still revokes them', async () => {
  const store = new AuthStore(warehouse);
  expect(await store.users()).toMatchObject([{ username: 'old-admin', role: 'owner' }]);
  expect(await store.checkPassword('old-admin', 'the old password')).toBe('old-admin');
  expect(await store.sessionIdentity('old-session-cookie')).toMatchObject({ username: 'old-admin', role: 'owner' });
  const token = `sw_0123456789ab_${'s'.repeat(32)}`;
  expect(await store.tokenIdentity(token)).toMatchObject({ username: 'old-admin', role: 'owner', via: 'token' });
  expect(await store.listTokens('old-admin')).toMatchObject([{ tokenId: '0123456789ab', role: 'owner' }]);

  await store.revokeSession('old-session-cookie');
  expect(await store.sessionIdentity('old-session-cookie')).toBeNull();
  expect(await store.revokeToken('old-admin', '0123456789ab')).toBe(true);
  expect(await store.tokenIdentity(token)).toBeNull();
});
