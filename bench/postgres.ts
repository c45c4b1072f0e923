// A throw-away PostgreSQL server for the warehouse comparison: Debian's postgresql package
// (installed if missing), a fresh cluster in a temporary folder, run as the postgres user.
import { execFileSync, spawnSync } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Postgres {
  port: number;
  socketDir: string;
  stop(): void;
}

function binDir(): string {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root) || readdirSync(root).length === 0) {
    console.log('installing Debian postgresql ...');
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    execFileSync('apt-get', ['install', '-y', '-qq', 'postgresql'], {
      stdio: 'inherit',
      env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
    });
  }
  const version = readdirSync(root).sort((a, b) => Number(b) - Number(a))[0]!;
  return join(root, version, 'bin');
}

function asPostgres(command: string, args: string[]): void {
  const run =
    process.getuid?.() === 0
      ? spawnSync('runuser', ['-u', 'postgres', '--', command, ...args], { encoding: 'utf8' })
      : spawnSync(command, args, { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`${command} failed: ${run.stderr || run.stdout}`);
}

export function startPostgres(port = 55_433): Postgres {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), 'sw-pg-'));
  const data = join(dir, 'data');
  if (process.getuid?.() === 0)
    chownSync(
      dir,
      Number(execFileSync('id', ['-u', 'postgres']).toString()),
      Number(execFileSync('id', ['-g', 'postgres']).toString()),
    );
  asPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C']);
  // Settings a peer would tune for analytics on this machine (24 GB, 2 cores).
  const options = [
    '-p',
    String(port),
    '-k',
    dir,
    '-c',
    'listen_addresses=',
    '-c',
    'shared_buffers=4GB',
    '-c',
    'work_mem=256MB',
    '-c',
    'maintenance_work_mem=1GB',
    '-c',
    'effective_cache_size=16GB',
    '-c',
    'max_parallel_workers_per_gather=2',
    '-c',
    'max_wal_size=8GB',
    '-c',
    'synchronous_commit=off',
    '-c',
    'jit=off',
    '-c',
    'timezone=UTC',
  ];
  asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-l', join(dir, 'server.log'), '-w', '-o', options.join(' '), 'start']);
  return {
    port,
    socketDir: dir,
    stop: () => {
      try {
        asPostgres(join(bin, 'pg_ctl'), ['-D', data, '-m', 'fast', '-w', 'stop']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
