// What suggests that accounts are one person or one household, for the admin to confirm: the same
// user name on different servers, one device id used by several accounts, or one home address
// (not a mobile carrier's or a VPN's, which many strangers share) used by several accounts within
// the same hour; and one e-mail address, where the caller knows accounts' addresses (plex.tv's, for
// Plex accounts: connectors/plex-emails.ts).
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
  async candidates(
    sinceMs: number,
    sharedDeviceIds: readonly string[] = [],
    emails: ReadonlyMap<string, string> = new Map(),
  ): Promise<LinkEvidence[]> {
    const w = this.w;
    const [names, shared, known] = await Promise.all([
      rows<{ name: string; accounts: string[]; servers: string[] }>(
        w,
        `SELECT lowerUTF8(trimBoth(user_name)) AS name, groupUniqArray(account_key) AS accounts, groupUniqArray(server_id) AS servers
         FROM (SELECT account_key, any(server_id) AS server_id, anyLast(user_name) AS user_name FROM ${w.table('accounts')} GROUP BY account_key)
         WHERE name != ''
         GROUP BY name HAVING length(servers) > 1
         ORDER BY name LIMIT 500`,
        {},
      ),
      this.sharedUse(sinceMs, sharedDeviceIds),
      emails.size > 0 ? this.accounts([...emails.keys()]) : new Map(),
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
    for (const use of shared) add(use.accountKeys, describeSharedUse(use));
    // One e-mail address on accounts that have played (an address alone is no account here).
    const byEmail = new Map<string, string[]>();
    for (const [account, email] of emails)
      if (known.has(account)) byEmail.set(email, [...(byEmail.get(email) ?? []), account]);
    for (const [email, accounts] of byEmail)
      if (accounts.length > 1) add(accounts, `the same e-mail address, ${email}, on each (from plex.tv)`);
    return [...byKey.values()];
  }

  /**
   * One device id, or one home broadband address within the same hour, used by several accounts
   * (2 to 5: more is a public device or a shared gateway) since `sinceMs`. Carriers' and data
   * centres' addresses are left out, since strangers share them, and so are the devices known to
   * be shared.
   */
  async sharedUse(sinceMs: number, sharedDeviceIds: readonly string[] = []): Promise<SharedUse[]> {
    const w = this.w;
    const [devices, addresses] = await Promise.all([
      rows<{ device_id: string; device_name: string; accounts: string[]; last: string }>(
        w,
        `SELECT device_id, any(device_name) AS device_name, arraySort(groupUniqArray(account_key)) AS accounts,
                toUnixTimestamp64Milli(max(started_at)) AS last
         FROM ${w.table('sessions')} FINAL
         WHERE device_id != '' AND device_id NOT IN {shared:Array(String)}
           AND started_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
         GROUP BY device_id HAVING length(accounts) BETWEEN 2 AND 5
         ORDER BY device_id LIMIT 500`,
        { since: Math.floor(sinceMs), shared: [...sharedDeviceIds] },
      ),
      rows<{ client_ip: string; accounts: string[]; hours: string; last: string }>(
        w,
        `SELECT client_ip, accounts, count() AS hours, toUnixTimestamp64Milli(max(last)) AS last FROM (
           SELECT client_ip, toStartOfHour(started_at) AS hour, arraySort(groupUniqArray(account_key)) AS accounts, max(started_at) AS last
           FROM ${w.table('sessions')} FINAL
           WHERE client_ip != '' AND started_at >= fromUnixTimestamp64Milli({since:Int64}, 'UTC')
           GROUP BY client_ip, hour HAVING length(accounts) BETWEEN 2 AND 5)
         GROUP BY client_ip, accounts ORDER BY client_ip LIMIT 1000`,
        { since: Math.floor(sinceMs) },
      ),
    ]);
    const out: SharedUse[] = devices.map((d) => ({
      kind: 'device',
      id: d.device_id,
      name: d.device_name,
      accountKeys: d.accounts,
      times: 1,
      lastAt: Number(d.last),
    }));
    for (const a of addresses) {
      if (isPrivateAddress(a.client_ip)) continue;
      const network = this.networks.lookup(a.client_ip);
      // Carriers' and data centres' addresses are shared by strangers: no evidence of a household.
      if (network && network.type !== 'access') continue;
      out.push({
        kind: 'address',
        id: a.client_ip,
        name: network?.organization ?? '',
        accountKeys: a.accounts,
        times: Number(a.hours),
        lastAt: Number(a.last),
      });
    }
    return out;
  }

  /** Server, user id and latest name of each account. */
  async accounts(
    accountKeys: readonly string[],
  ): Promise<Map<string, { serverId: string; userId: string; userName: string }>> {
    const list = await rows<{ account_key: string; server_id: string; user_id: string; user_name: string }>(
      this.w,
      `SELECT account_key, any(server_id) AS server_id, any(user_id) AS user_id, anyLast(user_name) AS user_name
       FROM ${this.w.table('accounts')} WHERE account_key IN {keys:Array(String)} GROUP BY account_key`,
      { keys: [...accountKeys] },
    );
    return new Map(
      list.map((a) => [a.account_key, { serverId: a.server_id, userId: a.user_id, userName: a.user_name }]),
    );
  }
}

/** One device, or one home address, several accounts used. */
export interface SharedUse {
  kind: 'device' | 'address';
  /** The device id or the address. */
  id: string;
  /** The device's name, or the address's network operator. */
  name: string;
  accountKeys: string[];
  /** Hours the address was shared in (1 for a device). */
  times: number;
  /** The latest play start among them, ms since the epoch. */
  lastAt: number;
}

/** In words: "one device, Living Room TV (dev-1), played for each". */
export function describeSharedUse(use: SharedUse): string {
  return use.kind === 'device'
    ? `one device, ${use.name || 'unnamed'} (${use.id}), played for each`
    : `one home address, ${use.id}${use.name ? ` (${use.name})` : ''}, used by each within the same hour${use.times > 1 ? ` (${use.times} times)` : ''}`;
}
