import { createHash } from 'node:crypto';
import { GeoIp } from './core/geoip.ts';
import { bundledNetworks } from './core/networks.ts';
import { labelledFleet } from './testing/labelled-fleet.ts';
const geo = await GeoIp.open();
const f = labelledFleet(geo, { accounts: 400, days: 20, networks: bundledNetworks() });
console.log(createHash('sha256').update(JSON.stringify([f.accounts, f.events])).digest('hex'));
