import { describe, expect, it } from 'vitest';
import { samplePlaybackEvent } from '../testing/fixtures.ts';
import type { ObservedSession } from './model.ts';
import { diffSessions, eventId, stopAll, type TrackerState } from './session-tracker.ts';

const server = { id: 'plex-home', type: 'PLEX' as const };

function observed(overrides: Partial<ObservedSession> = {}): ObservedSession {
  const {
    eventId: _e,
    eventType: _t,
    observedAt: _o,
    serverId: _s,
    serverType: _st,
    accountKey: _a,
    ...rest
  } = samplePlaybackEvent();
  return { ...rest, terminateId: 'term-1', ...overrides };
}

function run(steps: Array<ObservedSession[]>, start = 1_000) {
  let state: TrackerState = {};
  return steps.map((sessions, i) => {
    const { events, next } = diffSessions(server, state, sessions, start + i * 1000);
    state = next;
    return events.map((e) => `${e.eventType}:${e.sessionKey}`);
  });
}

describe('session tracker', () => {
  it('emits the lifecycle: started, progress, paused, resumed, stopped exactly once', () => {
    const playing = observed({ sessionKey: 'a' });
    expect(
      run([
        [playing],
        [{ ...playing, positionMs: 5000 }],
        [{ ...playing, playState: 'PAUSED' }],
        [{ ...playing, playState: 'PAUSED' }],
        [{ ...playing, playState: 'PLAYING' }],
        [],
        [],
        [],
      ]),
    ).toEqual([['STARTED:a'], ['PROGRESS:a'], ['PAUSED:a'], ['PROGRESS:a'], ['RESUMED:a'], ['STOPPED:a'], [], []]);
  });

  it('treats buffering as playing, not as a pause', () => {
    const s = observed({ sessionKey: 'b' });
    expect(run([[s], [{ ...s, playState: 'BUFFERING' }], [s]])).toEqual([
      ['STARTED:b'],
      ['PROGRESS:b'],
      ['PROGRESS:b'],
    ]);
  });

  it('splits a session that moves to another item into two plays', () => {
    const s = observed({ sessionKey: 'c' });
    const next = { ...s, media: { ...s.media, itemId: 'next-episode' } };
    expect(run([[s], [next]])).toEqual([['STARTED:c'], ['STOPPED:c', 'STARTED:c']]);
  });

  it('keeps a session whose entry was unreadable this time instead of stopping it', () => {
    const s = observed({ sessionKey: 'd' });
    let { next: state } = diffSessions(server, {}, [s], 1000);
    const unreadable = diffSessions(server, state, [], 2000, new Set(['d']));
    expect(unreadable.events).toEqual([]);
    state = unreadable.next;
    expect(diffSessions(server, state, [s], 3000).events.map((e) => e.eventType)).toEqual(['PROGRESS']);
  });

  it('carries the new address of a client that changed network', () => {
    const s = observed({ sessionKey: 'e', clientIp: '198.51.100.1' });
    const { next } = diffSessions(server, {}, [s], 1000);
    const { events } = diffSessions(server, next, [{ ...s, clientIp: '203.0.113.99' }], 2000);
    expect(events.map((e) => [e.eventType, e.clientIp])).toEqual([['PROGRESS', '203.0.113.99']]);
  });

  it('stops with the last known state and keys events by account', () => {
    const s = observed({ sessionKey: 'f', userId: '7', positionMs: 42_000 });
    const { next } = diffSessions(server, {}, [s], 1000);
    const [stop] = diffSessions(server, next, [], 9000).events;
    expect(stop).toMatchObject({
      eventType: 'STOPPED',
      playState: 'STOPPED',
      positionMs: 42_000,
      observedAt: 9000,
      accountKey: 'plex-home:7',
      serverType: 'PLEX',
    });
    expect(stopAll(next).map((e) => [e.eventType, e.observedAt])).toEqual([['STOPPED', 1000]]);
  });

  it('counts played and paused time per play and keeps the play start on every event', () => {
    const s = observed({ sessionKey: 'g' });
    const paused = { ...s, playState: 'PAUSED' as const };
    let state: TrackerState = {};
    const seen: Array<[string, number | null, number | null, number | null]> = [];
    for (const [at, sessions] of [
      [1000, [s]],
      [2000, [s]],
      [3000, [paused]],
      [4000, [paused]],
      [5000, [s]],
      [6000, []],
    ] as const) {
      const { events, next } = diffSessions(server, state, [...sessions], at);
      state = next;
      for (const e of events) seen.push([e.eventType, e.playStartedAt, e.playedMs, e.pausedMs]);
    }
    expect(seen).toEqual([
      ['STARTED', 1000, 0, 0],
      ['PROGRESS', 1000, 1000, 0],
      ['PAUSED', 1000, 2000, 0],
      ['PROGRESS', 1000, 2000, 1000],
      ['RESUMED', 1000, 2000, 2000],
      ['STOPPED', 1000, 3000, 2000],
    ]);
  });

  it('gives the same observation the same event id, and different observations different ids', () => {
    expect(eventId('p', 's', 'i', 'STARTED', 1)).toBe(eventId('p', 's', 'i', 'STARTED', 1));
    const ids = new Set([
      eventId('p', 's', 'i', 'STARTED', 1),
      eventId('p', 's', 'i', 'STOPPED', 1),
      eventId('p', 's', 'i', 'STARTED', 2),
      eventId('q', 's', 'i', 'STARTED', 1),
    ]);
    expect(ids.size).toBe(4);
  });

  describe('grace period for a session the server leaves out', () => {
    const grace = 60_000;
    const a = observed({ sessionKey: 'a' });
    const step = (state: TrackerState, sessions: ObservedSession[], at: number, ended?: Set<string>) =>
      diffSessions(server, state, sessions, at, new Set(), grace, ended);

    it('keeps it open, then continues the same play when it comes back with the same item', () => {
      const first = step({}, [a], 0);
      const gap = step(first.next, [], 10_000);
      expect(gap.events).toEqual([]);
      const back = step(gap.next, [{ ...a, positionMs: 30_000 }], 40_000);
      expect(back.events.map((e) => e.eventType)).toEqual(['PROGRESS']);
      expect(back.events[0]!.playStartedAt).toBe(0);
      expect(back.next.a!.missingSince).toBeUndefined();
    });

    it('stops it when it was last listed once the grace period is over', () => {
      const first = step({}, [a], 0);
      const second = step(first.next, [a], 5_000);
      let state = second.next;
      for (const at of [10_000, 30_000, 60_000]) {
        const { events, next } = step(state, [], at);
        expect(events, `at ${at}`).toEqual([]);
        state = next;
      }
      const { events, next } = step(state, [], 70_000);
      expect(events.map((e) => [e.eventType, e.observedAt])).toEqual([['STOPPED', 5_000]]);
      expect(next).toEqual({});
    });

    it('takes a different item after a gap for two plays, the first stopped when last listed', () => {
      const first = step({}, [a], 0);
      const gap = step(first.next, [], 10_000);
      const other = { ...a, media: { ...a.media, itemId: 'other-item' } };
      const { events } = step(gap.next, [other], 20_000);
      expect(events.map((e) => [e.eventType, e.observedAt])).toEqual([
        ['STOPPED', 0],
        ['STARTED', 20_000],
      ]);
    });

    it('needs no grace for a session stopped on request', () => {
      const first = step({}, [a], 0);
      const { events } = step(first.next, [], 3_000, new Set(['a']));
      expect(events.map((e) => [e.eventType, e.observedAt])).toEqual([['STOPPED', 3_000]]);
    });
  });
});
