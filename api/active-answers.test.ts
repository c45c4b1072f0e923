// sessions/active's answer is made once for everyone asking within a short while, gzipped once,
// and never older than ANSWER_MAX_AGE_MS while plays change.
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { ActiveAnswers, ANSWER_MAX_AGE_MS } from './active-answers.ts';

function fleet() {
  const state = { plays: ['a', 'b'], changes: 0, made: 0 };
  const answers = new ActiveAnswers(
    (serverIds) => {
      state.made++;
      const plays = state.plays.filter((p) => serverIds.length === 0 || serverIds.includes(p));
      return { json: Buffer.from(JSON.stringify({ sessions: plays })), plays: plays.length };
    },
    () => state.changes,
  );
  const change = (plays: string[]) => {
    state.plays = plays;
    state.changes++;
  };
  return { state, answers, change };
}

const text = (json: Buffer) => JSON.parse(json.toString('utf8')) as unknown;

describe('the answers of sessions/active', () => {
  it('makes an answer once for everyone who asks while nothing changes, and gzips it once', async () => {
    const { state, answers } = fleet();
    const t = Date.now();
    const first = answers.answer([], t);
    expect(text(first.json)).toEqual({ sessions: ['a', 'b'] });
    await waitFor(() => answers.answer([], t + 10).gzipped !== undefined, 'the gzipped answer');
    const later = answers.answer([], t + 4_000);
    expect(state.made).toBe(1);
    expect(later.etag).toBe(first.etag);
    expect(text(gunzipSync(later.gzipped!))).toEqual({ sessions: ['a', 'b'] });
    // Unchanged for long, it is made again: plays that stop reporting leave the list by time.
    answers.answer([], t + 6_000);
    expect(state.made).toBe(2);
  });

  it('gives a list at most ANSWER_MAX_AGE_MS old while plays change, the old one until the new is gzipped', async () => {
    const { state, answers, change } = fleet();
    const t = Date.now();
    const first = answers.answer([], t);
    await waitFor(() => answers.answer([], t).gzipped !== undefined, 'the gzipped answer');
    change(['a', 'b', 'c']);
    expect(answers.answer([], t + ANSWER_MAX_AGE_MS - 1)).toBe(first);
    expect(state.made).toBe(1);
    // Due for a new one: the old is still given while the new one is compressed, then the new.
    expect(answers.answer([], t + ANSWER_MAX_AGE_MS)).toBe(first);
    expect(state.made).toBe(2);
    await waitFor(() => answers.answer([], t + ANSWER_MAX_AGE_MS + 1) !== first, 'the new answer');
    const next = answers.answer([], t + ANSWER_MAX_AGE_MS + 1);
    expect(text(next.json)).toEqual({ sessions: ['a', 'b', 'c'] });
    expect(text(gunzipSync(next.gzipped!))).toEqual({ sessions: ['a', 'b', 'c'] });
    expect(next.etag).not.toBe(first.etag);
    expect(state.made).toBe(2);
  });

  it('keeps one answer per set of servers, whatever their order, and at most 32', () => {
    const { state, answers } = fleet();
    const t = Date.now();
    expect(text(answers.answer(['b'], t).json)).toEqual({ sessions: ['b'] });
    expect(text(answers.answer(['b', 'a'], t).json)).toEqual({ sessions: ['a', 'b'] });
    expect(answers.answer(['a', 'b'], t)).toBe(answers.answer(['b', 'a'], t));
    expect(state.made).toBe(2);
    for (let i = 0; i < 40; i++) answers.answer([`s${i}`], t);
    expect(answers.size).toBe(32);
  });
});
