// What suggests that accounts are one person, for the admin to confirm: the same user name on
// different servers, or one device id used by several accounts. E-mail is not among them: the
// servers' session feeds do not carry it.
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface LinkEvidence {
  accountKeys: string[];
  /** Why, in words: "the same user name "sam" on plex-home and jf". */
  reasons: string[];
}

export class PeopleLinkQueries {
  constructor(private readonly w: Warehouse) {}

  /**
   * Groups of accounts that may be one person, each with its reasons (one group per set of
   * accounts). Devices known to be shared (a family TV, the rules' trusted device ids) are left out.
   */
  async candidates(sinceMs: number, sharedDeviceIds: readonly string[] = []): Promise<LinkEvidence[]> {
    const w = this.w;
    const [names, devices] = await Promise.all([
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
    return [...byKey.values()];
  }
}
