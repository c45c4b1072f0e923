// Which network an address belongs to (its autonomous system and operator), and what kind of
// network that is: a hosting/VPN provider, a mobile carrier, or an access network. Detection needs
// it: a home broadband address is where a household is, while a VPN exit or a carrier's NAT
// gateway says little about where the person is.
//
// Data: @ip-location-db/asn (RouteViews, DB-IP and NRO data, CC BY 4.0), bundled as CSV ranges.
// Its IPv4 ranges are read into sorted typed arrays (about 410,000 ranges) and IPv6 ranges by
// their upper 64 bits, which is where their boundaries lie; lookups are binary searches.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isIP } from 'node:net';
import { dirname, join } from 'node:path';
import { ipv4ToInt } from './network.ts';

export type NetworkType = 'hosting' | 'mobile' | 'access';

export interface Network {
  asn: number;
  organization: string;
  type: NetworkType;
}

/** What detection needs of the network data (a stand-in in tests). */
export interface NetworkLookup {
  lookup(ip: string): Network | null;
}

export const NETWORK_CREDIT = 'Network data by RouteViews, DB-IP and NRO (ip-location-db), CC BY 4.0';

/**
 * Operators of data centres, clouds and VPN exits, by name. An address there is a server or a
 * VPN, not a home. Names as the registries spell them (organisation field of the ASN data).
 */
const HOSTING =
  /\b(amazon|aws|google cloud|google llc|microsoft|azure|digitalocean|linode|akamai connected cloud|ovh|hetzner|vultr|choopa|the constant company|m247|datacamp|leaseweb|contabo|oracle|alibaba|tencent|ionos|scaleway|online s\.a\.s|cloudflare|zenlayer|g-core|gcore|hostroyale|packethub|clouvider|tzulo|performive|31173 services|nordvpn|expressvpn|private internet access|proton|hostwinds|hosting|data ?cent(er|re)|datacenter|colocation|servers?\b|vps|cloud)\b/i;

/** Mobile carriers, by name: their addresses are shared NAT gateways placed far from the phone. */
const MOBILE = /\b(mobile|wireless|cellular|lte|5g|t-mobile|mobility|moviles|mobilfunk|jio|airtel|telcel|movistar)\b/i;

let shared: Networks | undefined;

/** The bundled data, read once per process whoever asks first (the processor, a backtest). */
export function bundledNetworks(): Networks {
  return (shared ??= Networks.load());
}

export function networkType(organization: string): NetworkType {
  if (HOSTING.test(organization)) return 'hosting';
  if (MOBILE.test(organization)) return 'mobile';
  return 'access';
}

const MASK64 = (1n << 64n) - 1n;

/** The upper 64 bits of an IPv6 address. */
function ipv6High(ip: string): bigint {
  const [head, tail = ''] = ip.split('::') as [string, string?];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  if (right.at(-1)?.includes('.')) right.splice(-1, 1, '0', '0');
  if (left.at(-1)?.includes('.')) left.splice(-1, 1, '0', '0');
  const groups = ip.includes('::') ? [...left, ...Array(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).reduce((n, g) => (n << 16n) + BigInt(parseInt(g || '0', 16)), 0n);
}

interface Ranges<T extends number | bigint> {
  starts: T[] | Uint32Array | BigUint64Array;
  ends: T[] | Uint32Array | BigUint64Array;
  orgs: Uint32Array;
  asns: Uint32Array;
}

function search<T extends number | bigint>(r: Ranges<T>, value: T): number {
  let lo = 0;
  let hi = r.starts.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if ((r.starts[mid] as T) <= value) lo = mid + 1;
    else hi = mid - 1;
  }
  return hi >= 0 && value <= (r.ends[hi] as T) ? hi : -1;
}

export class Networks {
  private constructor(
    private readonly v4: Ranges<number>,
    private readonly v6: Ranges<bigint>,
    private readonly names: string[],
    private readonly types: NetworkType[],
  ) {}

  /** Reads the bundled data (about half a second); `dir` for another copy of the CSV files. */
  static load(dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/asn/package.json'))): Networks {
    const names: string[] = [];
    const index = new Map<string, number>();
    const org = (name: string) => {
      let i = index.get(name);
      // A copy of its own: a slice of the file's text would keep all 31 MB of it alive.
      if (i === undefined) index.set(name, (i = names.push(Buffer.from(name, 'utf8').toString('utf8')) - 1));
      return i;
    };
    const read = <T extends number | bigint>(file: string, parse: (text: string) => T) => {
      const lines = readFileSync(join(dir, file), 'utf8').split('\n');
      const starts: T[] = [];
      const ends: T[] = [];
      const orgs: number[] = [];
      const asns: number[] = [];
      for (const line of lines) {
        if (!line) continue;
        const first = line.indexOf(',');
        const second = line.indexOf(',', first + 1);
        const third = line.indexOf(',', second + 1);
        let name = line.slice(third + 1);
        if (name.startsWith('"')) name = name.slice(1, -1).replaceAll('""', '"');
        starts.push(parse(line.slice(0, first)));
        ends.push(parse(line.slice(first + 1, second)));
        asns.push(Number(line.slice(second + 1, third)));
        orgs.push(org(name));
      }
      return { starts, ends, orgs: Uint32Array.from(orgs), asns: Uint32Array.from(asns) };
    };
    const v4 = read('asn-ipv4-num.csv', Number);
    const v6 = read('asn-ipv6-num.csv', (text) => BigInt(text) >> 64n);
    return new Networks(
      { ...v4, starts: Uint32Array.from(v4.starts), ends: Uint32Array.from(v4.ends) },
      {
        ...v6,
        starts: BigUint64Array.from(v6.starts.map((x) => x & MASK64)),
        ends: BigUint64Array.from(v6.ends.map((x) => x & MASK64)),
      },
      names,
      names.map(networkType),
    );
  }

  /** The network of a public address; null when the data does not know it. */
  lookup(ip: string): Network | null {
    const kind = isIP(ip);
    const i = kind === 4 ? search(this.v4, ipv4ToInt(ip)) : kind === 6 ? search(this.v6, ipv6High(ip)) : -1;
    if (i < 0) return null;
    const ranges = kind === 4 ? this.v4 : this.v6;
    const name = ranges.orgs[i]!;
    return { asn: ranges.asns[i]!, organization: this.names[name]!, type: this.types[name]! };
  }
}
