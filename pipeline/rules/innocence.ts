// What would have made a violation innocent: the lines an admin reads beside the evidence to
// judge it (Tracearr users ask for violations they can judge, #375). Each rule says its own; the
// network and household lines are common to the location rules. The network fields are filled in
// by the detector from the bundled ASN data before a rule explains itself.
//
// Each line is a reason: its English words (evidence.innocentIf, what alerts and older readers
// show) and the same as a code with its figures (evidence.innocentReasons), which the dashboard
// words in the viewer's language and distance unit (dashboard/app/src/lib/summaries.ts).
import type { EvidenceLocation, InnocentReason } from '../../schemas/index.ts';
import { km } from './violation.ts';

/** Every line a rule may give; the dashboard has words for each in every language (a test checks). */
export const INNOCENCE_CODES = [
  'concurrent.limit',
  'concurrent.oneAddress',
  'velocity.addresses',
  'velocity.devices',
  'velocity.mobile',
  'geo.allow',
  'geo.hosting',
  'travel.later',
  'inactivity.played',
  'multi.link',
  'multi.trustDevice',
  'household.oneDevice',
  'household.secondHome',
  'household.closer',
  'household.devices',
  'simultaneous.closer',
  'network.same',
  'network.mobile',
  'network.hosting',
  'precision.country',
  'precision.radius',
] as const;
type InnocenceCode = (typeof INNOCENCE_CODES)[number];

/** One line: its code and figures, and its English words. */
export interface Reason extends InnocentReason {
  text: string;
}

/** A reason; figures are kept as text (a name ending in Km is kilometres, Kmh km/h, Ms milliseconds). */
export function reason(code: InnocenceCode, text: string, params: Record<string, string | number> = {}): Reason {
  return { code, text, params: Object.fromEntries(Object.entries(params).map(([k, v]) => [k, String(v)])) };
}

/** The evidence's two fields from a rule's reasons, one for one. */
export function explained(reasons: readonly Reason[]): { innocentIf: string[]; innocentReasons: InnocentReason[] } {
  return {
    innocentIf: reasons.map((r) => r.text),
    innocentReasons: reasons.map(({ code, params }) => ({ code, params })),
  };
}

const TYPE_NAMES: Record<string, string> = {
  mobile: 'a mobile carrier',
  hosting: 'a data centre or VPN',
  access: 'home broadband',
};

const networkOf = (l: EvidenceLocation) => (l.asn === null ? null : `AS${l.asn}${l.network ? ` (${l.network})` : ''}`);

/** The lines about networks: one operator for every address, or an address off home broadband. */
export function networkLines(locations: readonly EvidenceLocation[]): Reason[] {
  const lines: Reason[] = [];
  const networks = [...new Set(locations.map(networkOf))];
  const [only] = networks;
  if (locations.length > 1 && networks.length === 1 && only)
    lines.push(
      reason(
        'network.same',
        `Every address is on the same network, ${only}: if this operator places its addresses loosely, the places may be one; trust its range if so`,
        { network: only },
      ),
    );
  for (const l of locations)
    if (l.networkType === 'mobile' || l.networkType === 'hosting')
      lines.push(
        reason(
          l.networkType === 'mobile' ? 'network.mobile' : 'network.hosting',
          `${l.ip} is on ${TYPE_NAMES[l.networkType]} network${networkOf(l) ? `, ${networkOf(l)}` : ''}: its place is the operator's, not the viewer's`,
          { ip: l.ip, network: networkOf(l) ?? '' },
        ),
      );
  return lines;
}

/** The line about the devices: two of one household apart are two members of it, not a sharer. */
export function householdLine(locations: readonly EvidenceLocation[], householdWindowMs = 30 * 86_400_000): Reason[] {
  const byId = new Map(locations.map((l) => [l.deviceId || l.ip, l.deviceName || l.deviceId || l.ip]));
  if (byId.size < 2) return [];
  const names = [...byId.values()];
  // Two devices of one model share a name: the id tells them apart.
  const devices = [...byId].map(([id, name]) =>
    names.indexOf(name) !== names.lastIndexOf(name) ? `${name} (${id})` : name,
  );
  return [
    reason(
      'household.devices',
      `Innocent if ${devices.slice(0, -1).join(', ')} and ${devices.at(-1)} belong to one household: once each has played at one place (the home) within ${days(householdWindowMs)}, they are no longer compared; or trust a device`,
      { devices: devices.join('\n'), windowMs: householdWindowMs },
    ),
  ];
}

/** The line about GeoIP precision: places known only roughly. */
export function precisionLines(locations: readonly EvidenceLocation[], distanceKm: number | null): Reason[] {
  const radii = locations.map((l) => l.accuracyRadiusKm ?? 0);
  const rough = locations.filter((l) => !l.city);
  const lines: Reason[] = [];
  if (rough.length > 0) {
    const ips = rough.map((l) => l.ip).join(', ');
    lines.push(reason('precision.country', `${ips} is placed only to a country: its distance is a guess`, { ips }));
  }
  const margin = radii.reduce((a, b) => a + b, 0);
  if (distanceKm !== null && margin > 0)
    lines.push(
      reason('precision.radius', `The distance is net of the database's accuracy radii (${km(margin)} together)`, {
        radiusKm: Math.round(margin),
      }),
    );
  return lines;
}

const days = (ms: number) => {
  const n = Math.round(ms / 86_400_000);
  return n === 1 ? '1 day' : `${n} days`;
};
