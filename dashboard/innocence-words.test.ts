// Every line a rule may give on what would have made a finding innocent has words in each of the
// dashboard's languages, and every figure the line carries has a place in them: a code the
// dashboard could not word would fall back to English in a Chinese page.
import { describe, expect, it } from 'vitest';
import { INNOCENCE_CODES } from '../pipeline/rules/innocence.ts';
import { en } from './app/src/lib/i18n/en.ts';
import { zhHans } from './app/src/lib/i18n/zh-Hans.ts';
import { zhHant } from './app/src/lib/i18n/zh-Hant.ts';

const placeholders = (text: string) => [...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('words for the reasons a finding would have been innocent', () => {
  it.each([
    ['en', en],
    ['zh-Hans', zhHans],
    ['zh-Hant', zhHant],
  ] as const)('%s has each code, with the same figures as English', (_, words) => {
    const table = words as Record<string, string>;
    const missing = INNOCENCE_CODES.filter((code) => !table[`innocent.${code}`]);
    expect(missing).toEqual([]);
    for (const code of INNOCENCE_CODES)
      expect(placeholders(table[`innocent.${code}`]!), code).toEqual(
        placeholders((en as Record<string, string>)[`innocent.${code}`]!),
      );
  });
});
