import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bundledNetworks, Networks, networkType } from './networks.ts';

describe('network data', () => {
  it('names the network of IPv4 and IPv6 addresses from the bundled data, and knows when it does not know', () => {
    const networks = bundledNetworks();
    expect(networks.lookup('8.8.8.8')).toEqual({ asn: 15169, organization: 'Google LLC', type: 'hosting' });
    expect(networks.lookup('81.2.69.142')).toMatchObject({ asn: 20712, type: 'access' });
    expect(networks.lookup('2001:4860:4860::8888')).toMatchObject({ asn: 15169, type: 'hosting' });
    expect(networks.lookup('185.65.134.1')).toMatchObject({ organization: '31173 Services AB', type: 'hosting' });
    expect(networks.lookup('10.0.0.1')).toBeNull();
    expect(networks.lookup('not an address')).toBeNull();
    expect(bundledNetworks()).toBe(networks);
  });

  it('tells hosting and VPN operators and mobile carriers from access networks by name', () => {
    expect(networkType('Amazon.com, Inc.')).toBe('hosting');
    expect(networkType('M247 Europe SRL')).toBe('hosting');
    expect(networkType('Hetzner Online GmbH')).toBe('hosting');
    expect(networkType('T-Mobile USA, Inc.')).toBe('mobile');
    expect(networkType('Verizon Wireless')).toBe('mobile');
    expect(networkType('Deutsche Telekom AG')).toBe('access');
    expect(networkType('Comcast Cable Communications, LLC')).toBe('access');
  });
});

describe('network data in memory', () => {
  it("keeps the organisations' names, not the 31 MB of text they were read from", () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const networks = Networks.load();
    gc();
    const grown = process.memoryUsage().heapUsed - before;
    expect(networks.lookup('1.1.1.1')?.organization).toBe('Cloudflare, Inc.');
    // About 4 MiB of names; the CSV files' text is 31 MiB.
    expect(grown).toBeLessThan(15 * 2 ** 20);
  });
});
