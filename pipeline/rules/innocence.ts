// What would have made a violation innocent: the lines an admin reads beside the evidence to
// judge it (Tracearr users ask for violations they can judge, #375). Each rule says its own; the
// network and household lines are common to the location rules. The network fields are filled in
// by the detector from the bundled ASN data before a rule explains itself.
import type { EvidenceLocation } from '../../schemas/index.ts';
import { km } from './violation.ts';

const TYPE_NAMES: Record<string, string> = {
  mobile: 'a mobile carrier',
  hosting: 'a data centre or VPN',
  access: 'home broadband',
};

const networkOf = (l: EvidenceLocation) => (l.asn === null ? null : `AS${l.asn}${l.network ? ` (${l.network})` : ''}`);

/** The lines about networks: one operator for every address, or an address off home broadband. */
export function networkLines(locations: readonly EvidenceLocation[]): string[] {
  const lines: string[] = [];
  const networks = [...new Set(locations.map(networkOf))];
  if (locations.length > 1 && networks.length === 1 && networks[0] !== null)
    lines.push(
      `Every address is on the same network, ${networks[0]}: if this operator places its addresses loosely, the places may be one; trust its range if so`,
    );
  for (const l of locations)
    if (l.networkType === 'mobile' || l.networkType === 'hosting')
      lines.push(
        `${l.ip} is on ${TYPE_NAMES[l.networkType]} network${networkOf(l) ? `, ${networkOf(l)}` : ''}: its place is the operator's, not the viewer's`,
      );
  return lines;
}

/** The line about the devices: two of one household apart are two members of it, not a sharer. */
export function householdLine(locations: readonly EvidenceLocation[], householdWindowMs = 30 * 86_400_000): string[] {
  const byId = new Map(locations.map((l) => [l.deviceId || l.ip, l.deviceName || l.deviceId || l.ip]));
  if (byId.size < 2) return [];
  const names = [...byId.values()];
  // Two devices of one model share a name: the id tells them apart.
  const devices = [...byId].map(([id, name]) =>
    names.indexOf(name) !== names.lastIndexOf(name) ? `${name} (${id})` : name,
  );
  return [
    `Innocent if ${devices.slice(0, -1).join(', ')} and ${devices.at(-1)} belong to one household: once each has played at one place (the home) within ${days(householdWindowMs)}, they are no longer compared; or trust a device`,
  ];
}

/** The line about GeoIP precision: places known only roughly. */
export function precisionLines(locations: readonly EvidenceLocation[], distanceKm: number | null): string[] {
  const radii = locations.map((l) => l.accuracyRadiusKm ?? 0);
  const rough = locations.filter((l) => !l.city);
  const lines: string[] = [];
  if (rough.length > 0)
    lines.push(`${rough.map((l) => l.ip).join(', ')} is placed only to a country: its distance is a guess`);
  const margin = radii.reduce((a, b) => a + b, 0);
  if (distanceKm !== null && margin > 0)
    lines.push(`The distance is net of the database's accuracy radii (${km(margin)} together)`);
  return lines;
}

const days = (ms: number) => {
  const n = Math.round(ms / 86_400_000);
  return n === 1 ? '1 day' : `${n} days`;
};
