// `npm run admin -- <command>`: looks after the dashboard's users from the command line, for an
// owner locked out of the dashboard (same environment variables as `npm start`).
//   npm run admin -- list-users
//   npm run admin -- reset-password <user>                 prints a new random password once
//   npm run admin -- reset-password <user> --password-stdin reads it from standard input
// Resetting signs the user out everywhere. With the embedded ClickHouse, stop Streamwarden first.
import { randomBytes } from 'node:crypto';
import { text } from 'node:stream/consumers';
import { AuthStore } from '../api/auth/store.ts';
import { AppError } from '../core/errors.ts';
import { AuditQueries } from '../warehouse/queries/audit.ts';
import { openCliWarehouse } from './cli-warehouse.ts';

function usage(message?: string): never {
  if (message) console.error(`admin: ${message}\n`);
  console.error('usage: npm run admin -- list-users\n       npm run admin -- reset-password <user> [--password-stdin]');
  process.exit(2);
}

async function main(): Promise<void> {
  const [command, username, ...flags] = process.argv.slice(2);
  if (command !== 'list-users' && !(command === 'reset-password' && username)) usage();
  const fromStdin = flags.includes('--password-stdin');
  // Read before opening the warehouse, so a piped password is not left waiting.
  const given = fromStdin ? (await text(process.stdin)).replace(/\r?\n$/, '') : undefined;
  if (given !== undefined && given.length < 10) usage('the password must be at least 10 characters long');
  const { warehouse } = await openCliWarehouse('admin', usage);
  const store = new AuthStore(warehouse);
  try {
    const users = await store.users();
    if (command === 'list-users') {
      if (users.length === 0) console.log('No users yet: open the dashboard to set Streamwarden up.');
      for (const u of users) console.log(`${u.username}\t${u.role}\tsince ${u.createdAt} UTC`);
      return;
    }
    const password = given ?? randomBytes(15).toString('base64url');
    await store.setPassword(username!, password);
    await new AuditQueries(warehouse).record({
      at: Date.now(),
      actor: 'command line',
      actorRole: '',
      via: 'cli',
      action: 'dashboard-user.password-reset',
      target: `username=${username}`,
      outcome: 'ok',
      statusCode: 200,
      detail: '{}',
      clientIp: '',
    });
    console.log(
      given === undefined
        ? `New password for ${username}: ${password}\nShown once. Sign in with it and change it (your name > Change password). Their sessions are signed out.`
        : `The password of ${username} is reset. Their sessions are signed out.`,
    );
  } catch (err) {
    if (err instanceof AppError && err.kind === 'not-found') {
      const names = (await store.users()).map((u) => u.username).join(', ');
      console.error(`admin: ${err.message} Users: ${names || 'none'}.`);
      process.exitCode = 1;
      return;
    }
    throw err;
  } finally {
    await warehouse.close();
  }
}

void main();
