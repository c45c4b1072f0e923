import { describe, expect, it } from 'vitest';
import { DEFAULT_RULES } from './settings.ts';
import { loadRuleConfig, parseRuleConfig } from './rules-file.ts';

describe('rules file', () => {
  it('overrides defaults globally and per account', () => {
    const config = parseRuleConfig({
      rules: { concurrentStreams: { maxStreams: 2 }, geoRestriction: { denyCountries: ['RU'] } },
      accounts: { 'plex:1': { concurrentStreams: { maxStreams: 6 } } },
    });
    expect(config.rules.concurrentStreams).toEqual({ ...DEFAULT_RULES.concurrentStreams, maxStreams: 2 });
    expect(config.rules.geoRestriction.denyCountries).toEqual(['RU']);
    expect(config.rules.impossibleTravel).toEqual(DEFAULT_RULES.impossibleTravel);
    expect(config.accounts['plex:1']).toEqual({ concurrentStreams: { maxStreams: 6 } });
    expect(loadRuleConfig(undefined).rules).toBe(DEFAULT_RULES);
  });

  it('takes every severity of the contract, CRITICAL too', () => {
    expect(parseRuleConfig({ rules: { geoRestriction: { severity: 'CRITICAL' } } }).rules.geoRestriction.severity).toBe(
      'CRITICAL',
    );
  });

  it.each([
    [{ rules: { teleport: {} } }, /unknown rule "teleport"/],
    [{ rules: { concurrentStreams: { max: 2 } } }, /concurrentStreams: unknown setting "max"/],
    [
      { rules: { concurrentStreams: { maxStreams: '2' } } },
      /concurrentStreams.maxStreams: expected number, got string/,
    ],
    [{ rules: { exemptions: { trustedCidrs: ['10.0.0.0/8', 'home'] } } }, /not an IP range: "home"/],
    [
      { accounts: { 'plex:1': { geoRestriction: { denyCountries: 'RU' } } } },
      /accounts.plex:1.geoRestriction.denyCountries: expected array, got string/,
    ],
    [{ rules: { concurrentStreams: { maxStreams: 0 } } }, /concurrentStreams.maxStreams: expected 1 to 100, got 0/],
    [{ rules: { concurrentStreams: { maxStreams: 2.5 } } }, /maxStreams: expected a whole number, got 2.5/],
    [{ rules: { impossibleTravel: { severity: 'URGENT' } } }, /severity: expected LOW, MEDIUM, HIGH, CRITICAL/],
    [{ rules: { inactivity: { action: 'terminate' } } }, /inactivity.action: this rule has no stream to stop/],
    [{ rules: { geoRestriction: { allowCountries: ['de'] } } }, /allowCountries: expected two-letter country codes/],
    [{ rules: { impossibleTravel: { trustPenalty: 1000 } } }, /trustPenalty: expected 0 to 100 points/],
    [{ rules: { multiAccount: { trustPenalty: 5 } } }, /several accounts together and takes no trust points/],
  ])('explains a mistake: %j', (json, message) => {
    expect(() => parseRuleConfig(json)).toThrow(message);
  });
});
