// What suggests that accounts are one person or one household, for the admin to confirm: the same
// user name on different servers, one device id used by several accounts, or one home address
// (not a mobile carrier's or a VPN's, which many strangers share) used by several accounts within
// the same hour. E-mail is not among them: the servers' session feeds do not carry it.
import { isPrivateAddress } from '../../core/network.ts';
import { bundledNetworks, type NetworkLookup } from '../../core/networks.ts';
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface LinkEvidence {
  accountKeys: string[];
  /** Why, in words: "the same user name "sam" on plex-home and jf". */
  reasons: string[];
}

export class PeopleLinkQueries {
  constructor(
    private readonly w: Warehouse,
    private readonly networks: NetworkLookup = bundledNetworks(),
  ) {}

  /**
   * Groups of accounts that may be one person, each with its reasons (one group per set of
   * accounts). Devices known to be shared (a family TV, the rules' trusted device ids) are left out.
   */
  async candidates(sinceMs: number, sharedDeviceIds: readonly string[] = []): Promise<LinkEvidence[]> {
    const w = this.w;
    const [names, devices, addresses] = await Promise.all([
      rows<{ name: string; accounts: string[]; servers: string[] }>(
        w,
        `SELECT lowerUTF8(trimBoth(user_name)) AS name, groupUniqArray(account_key) AS accounts, groupUniqArray(server_id) AS servers
         FROM (SELECT account_key, any(server_id) AS server_id, anyLast(user_name) AS user_name FROM ${w.table('accounts')} GROUP BY account_key)
         WHERE name != ''
         GROUP BY name HAVING length(servers) > 1
         ORDER BY name LIMIT 500`,
        {},
      ),
      rows<{ device_id: string; device_name: string; accounts: string[] }>(
        w,
        `SELECT device_id, any(device_name) AS device_name, groupUniqArray(account_key) AS accounts
         FROM ${w.table('sessions')} FINAL
         WHERE device_id != '' AND device_id NOT IN {shared:Array(String)}
           AND started_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
         GROUP BY device_id HAVING length(accounts) BETWEEN 2 AND 5
         ORDER BY device_id LIMIT 500`,
        { since: Math.floor(sinceMs), shared: [...sharedDeviceIds] },
      ),
      rows<{ client_ip: string; accounts: string[]; hours: string }>(
        w,
        `SELECT client_ip, accounts, count() AS hours FROM (
           SELECT client_ip, toStartOfHour(started_at) AS hour, arraySort(groupUniqArray(account_key)) AS accounts
           FROM ${w.table('sessions')} FINAL
           WHERE client_ip != '' AND started_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
           GROUP BY client_ip, hour HAVING length(accounts) BETWEEN 2 AND 5)
         GROUP BY client_ip, accounts ORDER BY client_ip LIMIT 1000`,
        { since: Math.floor(sinceMs) },
      ),
    ]);
    const byKey = new Map<string, LinkEvidence>();
    const add = (accountKeys: string[], reason: string) => {
      const sorted = [...accountKeys].sort();
      const key = sorted.join('+');
      const entry = byKey.get(key) ?? { accountKeys: sorted, reasons: [] };
      entry.reasons.push(reason);
      byKey.set(key, entry);
    };
    for (const n of names) add(n.accounts, `the same user name "${n.name}" on ${[...n.servers].sort().join(' and ')}`);
    for (const d of devices)
      add(d.accounts, `one device, ${d.device_name || 'unnamed'} (${d.device_id}), played for each`);
    for (const a of addresses) {
      if (isPrivateAddress(a.client_ip)) continue;
      const network = this.networks.lookup(a.client_ip);
      // Carriers' and data centres' addresses are shared by strangers: no evidence of a household.
      if (network && network.type !== 'access') continue;
      const times = Number(a.hours);
      add(
        a.accounts,
        `one home address, ${a.client_ip}${network ? ` (${network.organization})` : ''}, used by each within the same hour${times > 1 ? ` (${times} times)` : ''}`,
      );
    }
    return [...byKey.values()];
  }
}
