// `npm run admin` as a locked-out owner runs it: real processes on one embedded data folder.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);

/** Runs code with Streamwarden's modules in a process of its own, on the data folder. */
async function script(env: NodeJS.ProcessEnv, code: string): Promise<string> {
  const { stdout } = await run(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', code], { env });
  return stdout.trim();
}

function admin(
  env: NodeJS.ProcessEnv,
  args: string[],
  stdin?: string,
): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'runtime/admin-cli.ts', ...args], { env });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, out, err }));
    child.stdin.end(stdin ?? '');
  });
}

/** Checks a password against the data folder, as the sign-in form would. */
const check = (env: NodeJS.ProcessEnv, user: string, password: string) =>
  script(
    env,
    `const { openCliWarehouse } = await import('./runtime/cli-warehouse.ts');
     const { AuthStore } = await import('./api/auth/store.ts');
     const { warehouse } = await openCliWarehouse('check', (m) => { throw new Error(m); });
     const store = new AuthStore(warehouse);
     if (process.env.CREATE) await store.createFirstAdmin(${JSON.stringify(user)}, ${JSON.stringify(password)}, 10);
     console.log(JSON.stringify({ ok: (await store.checkPassword(${JSON.stringify(user)}, ${JSON.stringify(password)})) !== null }));
     await warehouse.close();`,
  );

it("resets a locked-out owner's password, from standard input or as a new random one, and names the users when one is wrong", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'sw-admin-cli-'));
  const env = { ...process.env, STREAMWARDEN_DATA_DIR: join(dir, 'data'), KAFKA_BROKERS: '', CLICKHOUSE_URL: '' };
  expect(await check({ ...env, CREATE: '1' }, 'olivia', 'forgotten password')).toBe('{"ok":true}');

  const listed = await admin(env, ['list-users']);
  expect(listed.out).toMatch(/^olivia\towner\tsince /);

  const fromStdin = await admin(env, ['reset-password', 'olivia', '--password-stdin'], 'a brand new password\n');
  expect(fromStdin.code).toBe(0);
  expect(fromStdin.out).toContain('The password of olivia is reset.');
  expect(await check(env, 'olivia', 'forgotten password')).toBe('{"ok":false}');
  expect(await check(env, 'olivia', 'a brand new password')).toBe('{"ok":true}');

  const random = await admin(env, ['reset-password', 'olivia']);
  const password = /New password for olivia: (\S+)/.exec(random.out)?.[1];
  expect(password?.length).toBe(20);
  expect(await check(env, 'olivia', password!)).toBe('{"ok":true}');

  const unknown = await admin(env, ['reset-password', 'oliver']);
  expect(unknown.code).toBe(1);
  expect(unknown.err).toContain('There is no user named oliver. Users: olivia.');
  expect((await admin(env, ['reset-password', 'olivia', '--password-stdin'], 'short\n')).code).toBe(2);
  expect((await admin(env, ['frobnicate'])).code).toBe(2);
}, 180_000);
