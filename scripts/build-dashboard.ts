// Builds the dashboard (SvelteKit, static) into dashboard/app/build when its sources changed since
// the last build, so `npm start` and `npm test` on a fresh clone serve the current app without a
// separate step. `--force` always builds.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const app = join(root, 'dashboard', 'app');
const stamp = join(app, 'build', '.source-hash');

function files(dir: string): string[] {
  return readdirSync(dir)
    .sort()
    .flatMap((name) => {
      const path = join(dir, name);
      return statSync(path).isDirectory() ? files(path) : [path];
    });
}

function sourceHash(): string {
  const hash = createHash('sha256');
  for (const file of [
    ...files(join(app, 'src')),
    ...files(join(app, 'static')),
    join(app, 'svelte.config.js'),
    join(app, 'vite.config.ts'),
    join(root, 'package-lock.json'),
  ]) {
    hash.update(file.slice(root.length)).update(readFileSync(file));
  }
  return hash.digest('hex');
}

const wanted = sourceHash();
if (!process.argv.includes('--force') && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) {
  console.log('dashboard: build is up to date');
  process.exit(0);
}
console.log('dashboard: building dashboard/app (SvelteKit) …');
const vite = join(dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js');
const result = spawnSync(process.execPath, [vite, 'build', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit' });
if (result.status !== 0) {
  console.error('dashboard: build failed');
  process.exit(result.status ?? 1);
}
writeFileSync(stamp, wanted);
console.log('dashboard: built into dashboard/app/build');
