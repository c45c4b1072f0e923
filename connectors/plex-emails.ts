// The e-mail addresses of Plex accounts, by account key, for suggesting which accounts are one
// person: a Plex server's sessions carry no e-mail, but plex.tv knows the server owner's (the
// server calls its owner user 1) and those of the friends the owner shares with. Read with each
// Plex server's token and kept an hour; a server whose token plex.tv refuses, or plex.tv being
// unreachable, leaves that server out (logged), never the suggestions as a whole.
import { setTimeout as delay } from 'node:timers/promises';
import type { Logger } from '../core/logger.ts';
import type { ServerConfig } from './config.ts';
import type { PlexTv } from './plex-tv.ts';

/** The user id a Plex server gives its owner in sessions and /accounts. */
const OWNER_USER_ID = '1';

export class PlexEmails {
  private readonly cache = new Map<string, { until: number; emails: Map<string, string> }>();
  private readonly reading = new Map<string, Promise<Map<string, string>>>();

  constructor(
    private readonly options: {
      plexTv: PlexTv;
      servers: () => Promise<ServerConfig[]>;
      logger: Logger;
      ttlMs?: number;
      /** How long a page waits for plex.tv before it is answered with what is known (default 2 s). */
      waitMs?: number;
    },
  ) {}

  /** Lower-cased e-mail by account key ("<server id>:<plex account id>"), for every enabled Plex server. */
  async byAccount(now = Date.now()): Promise<Map<string, string>> {
    const servers = (await this.options.servers()).filter((s) => s.type === 'plex' && s.enabled);
    const each = await Promise.all(servers.map((server) => this.ofServer(server, now)));
    return new Map(each.flatMap((emails) => [...emails]));
  }

  /** The server's e-mails: read afresh when an hour old, waiting for plex.tv at most `waitMs`. */
  private async ofServer(server: ServerConfig, now: number): Promise<Map<string, string>> {
    // Keyed by the token too: a server given another owner's token reads afresh.
    const cacheKey = `${server.id}\u0000${server.token}`;
    const cached = this.cache.get(cacheKey);
    if (cached && cached.until > now) return cached.emails;
    let reading = this.reading.get(cacheKey);
    if (!reading) {
      reading = this.read(server, cacheKey, now).finally(() => this.reading.delete(cacheKey));
      this.reading.set(cacheKey, reading);
    }
    const waited = new AbortController();
    const late = delay(this.options.waitMs ?? 2000, undefined, { signal: waited.signal }).catch(() => undefined);
    const read = await Promise.race([reading, late]);
    waited.abort();
    return read ?? cached?.emails ?? new Map<string, string>();
  }

  private async read(server: ServerConfig, cacheKey: string, now: number): Promise<Map<string, string>> {
    const emails = new Map<string, string>();
    let ttl = this.options.ttlMs ?? 3_600_000;
    try {
      const [owner, friends] = await Promise.all([
        this.options.plexTv.account(server.token),
        this.options.plexTv.friends(server.token),
      ]);
      if (owner.email) emails.set(`${server.id}:${OWNER_USER_ID}`, owner.email.toLowerCase());
      for (const f of friends) if (f.email) emails.set(`${server.id}:${f.id}`, f.email.toLowerCase());
    } catch (err) {
      this.options.logger.warn({ server: server.id, err: (err as Error).message }, 'Plex e-mails not read');
      ttl = Math.min(ttl, 300_000); // tried again in 5 minutes
    }
    this.cache.set(cacheKey, { until: now + ttl, emails });
    return emails;
  }
}
