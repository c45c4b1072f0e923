// What an account used before a moment: its devices and places, so that a play on a device or
// from a place it never used can be told as new (pipeline/operator-events.ts).
import type { Warehouse } from '../client.ts';
import { rows } from './filters.ts';

export interface AccountHistory {
  plays: number;
  devices: string[];
  /** "country|city" of each place it played from. */
  places: string[];
}

export class AccountHistoryQueries {
  constructor(private readonly w: Warehouse) {}

  /** The accounts' plays started before `before` (ms): how many, on which devices, from where. */
  async before(accountKeys: string[], before: number): Promise<AccountHistory> {
    const [row] = await rows<{ plays: string; devices: string[]; places: string[] }>(
      this.w,
      `SELECT count() AS plays, groupUniqArray(device_id) AS devices,
              groupUniqArrayIf(concat(country_code, '|', city), country_code != '') AS places
       FROM ${this.w.table('sessions_by_account')} FINAL
       WHERE account_key IN {accounts:Array(String)} AND started_at < fromUnixTimestamp64Milli({before:Int64})`,
      { accounts: accountKeys, before },
    );
    return { plays: Number(row?.plays ?? 0), devices: row?.devices ?? [], places: row?.places ?? [] };
  }
}
