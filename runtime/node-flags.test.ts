import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { missingNodeFlags, NODE_FLAGS, productArgs } from './node-flags.ts';

const packageJson = JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> };

describe('the node flags every Streamwarden process starts with', () => {
  it('are on npm start and on the image, before the entry point', () => {
    const start = packageJson.scripts.start!.split(' ');
    const entrypoint = JSON.parse(/^ENTRYPOINT (.+)$/m.exec(readFileSync('Dockerfile', 'utf8'))![1]!) as string[];
    for (const command of [start, entrypoint]) {
      expect(command[0]).toBe('node');
      const main = command.indexOf('runtime/main.ts');
      for (const flag of NODE_FLAGS) {
        expect(command).toContain(flag);
        expect(command.indexOf(flag)).toBeLessThan(main);
      }
      // The demo, benches and tests start the product with productArgs: the same command.
      expect(command.slice(1)).toEqual(productArgs());
    }
  });

  it('are missing unless given on the command line or in NODE_OPTIONS, whatever their value', () => {
    expect(missingNodeFlags([], '')).toEqual([...NODE_FLAGS]);
    expect(missingNodeFlags([...NODE_FLAGS], '')).toEqual([]);
    expect(missingNodeFlags(['--import', 'tsx'], ` ${NODE_FLAGS.join(' ')} --trace-warnings`)).toEqual([]);
    // An operator's own size for the young generation is theirs to choose.
    expect(missingNodeFlags(['--max-semi-space-size=64'], '')).toEqual([]);
  });
});
