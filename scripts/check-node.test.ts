import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

const { nodeProblem } = createRequire(import.meta.url)('./check-node.cjs') as {
  nodeProblem: (version: string) => string | null;
};

describe('the Node.js version check of every entry script', () => {
  it('refuses versions before 22.12 with what to do, and accepts the rest', () => {
    expect(nodeProblem('20.20.2')).toContain('needs Node.js 22.12 or later');
    expect(nodeProblem('v18.19.1')).toContain('this is Node.js v18.19.1');
    expect(nodeProblem('22.11.0')).toContain('nvm install 24');
    expect(nodeProblem('22.12.0')).toBeNull();
    expect(nodeProblem('24.11.1')).toBeNull();
    expect(nodeProblem('25.0.0')).toBeNull();
  });

  it('runs first in start, demo, import, bench and test', async () => {
    const { scripts } = (await import('../package.json', { with: { type: 'json' } })).default as {
      scripts: Record<string, string>;
    };
    for (const name of ['prestart', 'predemo', 'import', 'bench', 'test'])
      expect(scripts[name], name).toMatch(/^node scripts\/check-node\.cjs && /);
  });

  // Debian's and Ubuntu's own Node.js, where the machine has one older than 22.12.
  const system = '/usr/bin/node';
  const old =
    existsSync(system) &&
    nodeProblem(spawnSync(system, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim()) !== null;
  it.skipIf(!old)("says so, with no stack trace, on the machine's older Node.js", () => {
    const run = spawnSync(system, ['scripts/check-node.cjs'], { encoding: 'utf8' });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('needs Node.js 22.12 or later');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });
});
