// Logs for people at a terminal, JSON for everything else, and LOG_FORMAT decides when set.
import { describe, expect, it } from 'vitest';
import { prettyLogs } from './logger.ts';

describe('log format', () => {
  it('is pretty on a terminal and JSON otherwise, unless LOG_FORMAT says', () => {
    expect(prettyLogs({}, true)).toBe(true);
    expect(prettyLogs({}, false)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'json' }, true)).toBe(false);
    expect(prettyLogs({ LOG_FORMAT: 'pretty' }, false)).toBe(true);
  });
});
