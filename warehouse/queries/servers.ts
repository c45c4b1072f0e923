// The media servers' non-secret settings mirrored into `servers`, the table analysts join against.
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';

export interface ServerMirror {
  serverId: string;
  name: string;
  type: string;
  url: string;
  enabled: boolean;
}

export class ServerQueries {
  constructor(private readonly w: Warehouse) {}

  async mirror(changed: ServerMirror[], removed: ServerMirror[], at: number): Promise<void> {
    const updated = chTime(at);
    const row = (s: ServerMirror, deleted: boolean) => ({
      server_id: s.serverId,
      name: s.name,
      server_type: s.type,
      url: s.url,
      enabled: s.enabled,
      deleted,
      updated_at: updated,
    });
    await this.w.client.insert({
      table: this.w.table('servers'),
      values: [...changed.map((s) => row(s, false)), ...removed.map((s) => row(s, true))],
      format: 'JSONEachRow',
    });
  }
}
