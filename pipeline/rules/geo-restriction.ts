// A session from a denied country, or from outside the allowed ones.
import { defineRule, notifyOnly, type RuleBase } from './rule.ts';
import { evidenceLocation, placeName, violation } from './violation.ts';
import { reason } from './innocence.ts';

export interface GeoRestrictionSettings extends RuleBase {
  denyCountries: string[];
  allowCountries: string[];
}

export const geoRestriction = defineRule<'geoRestriction', GeoRestrictionSettings>({
  id: 'GEO_RESTRICTION',
  settingsKey: 'geoRestriction',
  runsOn: 'arrival',
  actions: ['notify', 'terminate'],
  defaults: { ...notifyOnly, severity: 'HIGH', trustPenalty: 25, denyCountries: [], allowCountries: [] },
  parameters: { denyCountries: { kind: 'countries' }, allowCountries: { kind: 'countries' } },
  evaluate({ state, now }, s) {
    const country = now?.geo?.countryCode;
    if (!s.enabled || !now || !country) return [];
    const deniedOutright = s.denyCountries.includes(country);
    if (!deniedOutright && (s.allowCountries.length === 0 || s.allowCountries.includes(country))) return [];
    return [
      violation('GEO_RESTRICTION', s, state, {
        detectedAt: now.at,
        sessionKeys: [now.sessionKey],
        summary: `Playing from ${placeName(now)} (${country}), ${deniedOutright ? 'a denied country' : 'outside the allowed countries'}`,
        idParts: [now.sessionKey, country],
        evidence: {
          locations: [evidenceLocation(now)],
          countryCode: country,
          ips: [now.ip],
          deviceIds: [now.deviceId],
        },
      }),
    ];
  },
  innocentIf(e) {
    return [
      reason('geo.allow', `Innocent if ${e.countryCode ?? 'this country'} were allowed`, {
        country: e.countryCode ?? '',
      }),
      ...(e.locations.some((l) => l.networkType === 'hosting')
        ? [reason('geo.hosting', 'The address is on a data centre or VPN network: the viewer may be elsewhere')]
        : []),
    ];
  },
});
