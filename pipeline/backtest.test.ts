import { describe, expect, it } from 'vitest';
import type { Violation } from '../schemas/index.ts';
import { generateHistory, historyGeolocate } from '../testing/history.ts';
import { warehouseWithHistory, type TestWarehouse } from '../testing/load-history.ts';
import type { AccountState } from './account-state.ts';
import { backtest } from './backtest.ts';
import { Detector } from './detector.ts';
import { DEFAULT_RULES, settingsFor } from './rules/settings.ts';

const history = generateHistory({ seed: 21, plays: 260, accounts: 6, livePlays: 0 });
const range = { from: Date.UTC(2026, 9, 1), to: history.end };
let warehouse: TestWarehouse;
warehouseWithHistory(history, (w) => (warehouse = w));

/** What the live processor raises over the same events in topic order. */
function live(rules = DEFAULT_RULES): Violation[] {
  const detector = new Detector(rules);
  const states = new Map<string, AccountState>();
  const out: Violation[] = [];
  for (const event of history.events) {
    let state = states.get(event.accountKey);
    if (!state) states.set(event.accountKey, (state = Detector.stateFor(event)));
    const place = historyGeolocate(event.clientIp);
    out.push(...detector.observe(state, event, place && { ...place, accuracyRadiusKm: null }).violations);
  }
  for (const state of states.values()) out.push(...detector.checkInactivity(state, range.to).violations);
  return out;
}

describe('rule backtest over stored history', () => {
  it('finds what live detection found, from the warehouse alone', async () => {
    const report = await backtest(warehouse, { ...range, rules: DEFAULT_RULES });
    const expected = live();
    expect(expected.length).toBeGreaterThan(0);
    expect(report.events).toBe(history.events.length);
    expect(report.accounts).toBe(new Set(history.events.map((e) => e.accountKey)).size);
    expect(report.violations.map((v) => v.violationId).sort()).toEqual(expected.map((v) => v.violationId).sort());
    expect(Object.values(report.byRule).reduce((a, b) => a + b, 0)).toBe(expected.length);
    expect(report.trust.every((t, i, all) => i === 0 || all[i - 1]!.score <= t.score)).toBe(true);
  });

  it('reports what stricter parameters would have flagged', async () => {
    const strict = settingsFor(DEFAULT_RULES, {
      concurrentStreams: { maxStreams: 1 },
      simultaneousLocations: { enabled: false },
    });
    const report = await backtest(warehouse, { ...range, rules: strict });
    expect(report.byRule.SIMULTANEOUS_LOCATIONS).toBeUndefined();
    expect(report.byRule.CONCURRENT_STREAMS).toBe(live(strict).filter((v) => v.rule === 'CONCURRENT_STREAMS').length);
    expect(report.byRule.CONCURRENT_STREAMS ?? 0).toBeGreaterThan(
      (await backtest(warehouse, { ...range, rules: DEFAULT_RULES })).byRule.CONCURRENT_STREAMS ?? 0,
    );
  });

  it('says when it lists fewer violations than it found, and counts them all', async () => {
    const all = await backtest(warehouse, { ...range, rules: DEFAULT_RULES });
    expect(all.truncated).toBe(false);
    expect(all.violationCount).toBe(all.violations.length);
    expect(all.violationCount).toBeGreaterThan(1);
    const cut = await backtest(warehouse, { ...range, rules: DEFAULT_RULES, limit: 1 });
    expect(cut).toMatchObject({ truncated: true, violationCount: all.violationCount });
    expect(cut.violations).toHaveLength(1);
  });

  it('looks only at the range asked for', async () => {
    const report = await backtest(warehouse, { from: range.from, to: range.from + 86_400_000, rules: DEFAULT_RULES });
    expect(report.events).toBe(history.events.filter((e) => e.observedAt < range.from + 86_400_000).length);
    await expect(backtest(warehouse, { from: range.to, to: range.from, rules: DEFAULT_RULES })).rejects.toThrow(
      /"from" must be before "to"/,
    );
  });
});
