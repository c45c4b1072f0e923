// Administrators, login sessions and API tokens in the warehouse. Only hashes of secrets are kept;
// a session id or a token is shown once, to its owner.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Warehouse } from '../../../warehouse/client.ts';
import { chTime } from '../../../warehouse/rows.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const SESSION_MS = 30 * 86_400_000;
/** Verified against when the user does not exist, so that costs a full scrypt too. */
const DUMMY_HASH = [
  'scrypt',
  2 ** 15,
  8,
  1,
  Buffer.alloc(16).toString('base64'),
  Buffer.alloc(64).toString('base64'),
].join('$');

export interface TokenInfo {
  tokenId: string;
  name: string;
  createdAt: string;
}

type Revoked = (kind: 'SESSION' | 'TOKEN', credentialId: string, username: string) => Promise<void>;

export class AuthStore {
  /**
   * Validated sessions and tokens, for a minute: every request needs one. Keyed by the hash of a
   * session id ("s:<sha256>") or a token's id ("t:<id>"), the names revocations use.
   */
  private readonly cache = new Map<string, { username: string; until: number }>();
  private revoked: Revoked = async () => undefined;

  constructor(private readonly w: Warehouse) {}

  private async rows<T>(query: string, params: Record<string, unknown>): Promise<T[]> {
    const result = await this.w.client.query({ query, query_params: params, format: 'JSONEachRow' });
    return result.json<T>();
  }

  async hasAdmin(): Promise<boolean> {
    const [row] = await this.rows<{ n: string }>(
      `SELECT count() AS n FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted`,
      {},
    );
    return Number(row?.n ?? 0) > 0;
  }

  /**
   * The first administrator of a new install: true when this call created it, false when another
   * one exists. ClickHouse has no unique constraint, so concurrent setups (also from several API
   * processes) each insert, wait until every insert begun before theirs is visible, then keep only
   * the earliest row and withdraw their own otherwise: all contenders elect the same winner.
   */
  async createFirstAdmin(username: string, password: string, settleMs = 1000): Promise<boolean> {
    if (await this.hasAdmin()) return false;
    const hash = await hashPassword(password);
    const now = chTime(Date.now());
    const row = { username, password_hash: hash, created_at: now, updated_at: now };
    await this.w.client.insert({ table: this.w.table('admin_users'), values: [row], format: 'JSONEachRow' });
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const [first] = await this.rows<{ username: string; password_hash: string }>(
      `SELECT username, password_hash FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted ORDER BY created_at, password_hash LIMIT 1`,
      {},
    );
    if (first?.password_hash === row.password_hash) return true;
    // Another setup won. Withdraw ours unless it shares the winner's name (then the winner's row
    // replaced it already, being the same key).
    if (first?.username !== username) {
      await this.w.client.insert({
        table: this.w.table('admin_users'),
        values: [{ ...row, updated_at: chTime(Date.now() + 1), deleted: true }],
        format: 'JSONEachRow',
      });
    }
    return false;
  }

  /** The user's name when the password is right; null otherwise (same time either way). */
  async checkPassword(username: string, password: string): Promise<string | null> {
    const [user] = await this.rows<{ password_hash: string }>(
      `SELECT password_hash FROM ${this.w.table('admin_users')} FINAL WHERE username = {u:String} AND NOT deleted`,
      { u: username },
    );
    // A missing user costs a hash too, so response times do not reveal which names exist.
    const ok = await verifyPassword(password, user?.password_hash ?? DUMMY_HASH);
    return ok && user ? username : null;
  }

  async createSession(username: string): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + SESSION_MS;
    await this.w.client.insert({
      table: this.w.table('auth_sessions'),
      values: [
        {
          session_hash: sha256(id),
          username,
          created_at: chTime(now),
          expires_at: chTime(expiresAt),
          updated_at: chTime(now),
        },
      ],
      format: 'JSONEachRow',
    });
    return { id, expiresAt };
  }

  /** Called with each revocation before it is confirmed (RevocationFeed tells the other processes). */
  onRevoke(listener: Revoked): void {
    this.revoked = listener;
  }

  /** Drops a revoked credential from the cache (a revocation made by any process). */
  forget(kind: string, credentialId: string): void {
    if (kind === 'SESSION') this.cache.delete(`s:${credentialId}`);
    else if (kind === 'TOKEN')
      for (const key of [...this.cache.keys()]) if (key.startsWith(`t:${credentialId}:`)) this.cache.delete(key);
  }

  async sessionUser(id: string): Promise<string | null> {
    return this.cached(`s:${sha256(id)}`, async () => {
      const [row] = await this.rows<{ username: string }>(
        `SELECT username FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String} AND NOT revoked AND expires_at > now64(3)`,
        { h: sha256(id) },
      );
      return row?.username ?? null;
    });
  }

  async revokeSession(id: string): Promise<void> {
    const hash = sha256(id);
    this.cache.delete(`s:${hash}`);
    const [row] = await this.rows<{ username: string }>(
      `SELECT username FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String}`,
      { h: hash },
    );
    await this.w.client.command({
      query: `INSERT INTO ${this.w.table('auth_sessions')} SELECT session_hash, username, created_at, expires_at, true, now64(3) FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String}`,
      query_params: { h: hash },
    });
    if (row) await this.revoked('SESSION', hash, row.username);
  }

  /** A new token; its full value is returned once and never stored. */
  async createToken(username: string, name: string): Promise<{ token: string; info: TokenInfo }> {
    const tokenId = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const now = chTime(Date.now());
    await this.w.client.insert({
      table: this.w.table('api_tokens'),
      values: [{ token_id: tokenId, name, token_hash: sha256(secret), username, created_at: now, updated_at: now }],
      format: 'JSONEachRow',
    });
    return { token: `sw_${tokenId}_${secret}`, info: { tokenId, name, createdAt: now } };
  }

  async tokenUser(token: string): Promise<string | null> {
    const match = /^sw_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!match) return null;
    // The secret is part of the key: a wrong secret for a known id must not hit a cached success.
    return this.cached(`t:${match[1]}:${sha256(match[2]!)}`, async () => {
      const [row] = await this.rows<{ token_hash: string; username: string }>(
        `SELECT token_hash, username FROM ${this.w.table('api_tokens')} FINAL WHERE token_id = {id:String} AND NOT revoked`,
        { id: match[1] },
      );
      if (!row) return null;
      const expected = Buffer.from(row.token_hash, 'hex');
      const actual = Buffer.from(sha256(match[2]!), 'hex');
      return timingSafeEqual(expected, actual) ? row.username : null;
    });
  }

  async listTokens(username: string): Promise<TokenInfo[]> {
    const list = await this.rows<{ token_id: string; name: string; created_at: string }>(
      `SELECT token_id, name, toString(created_at) AS created_at FROM ${this.w.table('api_tokens')} FINAL WHERE username = {u:String} AND NOT revoked ORDER BY created_at`,
      { u: username },
    );
    return list.map((t) => ({ tokenId: t.token_id, name: t.name, createdAt: t.created_at }));
  }

  async revokeToken(username: string, tokenId: string): Promise<boolean> {
    this.forget('TOKEN', tokenId);
    const before = (await this.listTokens(username)).length;
    await this.w.client.command({
      query: `INSERT INTO ${this.w.table('api_tokens')} SELECT token_id, name, token_hash, username, created_at, true, now64(3) FROM ${this.w.table('api_tokens')} FINAL WHERE token_id = {id:String} AND username = {u:String}`,
      query_params: { id: tokenId, u: username },
    });
    const revoked = (await this.listTokens(username)).length < before;
    if (revoked) await this.revoked('TOKEN', tokenId, username);
    return revoked;
  }

  private async cached(key: string, load: () => Promise<string | null>): Promise<string | null> {
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.username;
    const username = await load();
    if (username) this.cache.set(key, { username, until: Date.now() + 60_000 });
    else this.cache.delete(key);
    return username;
  }
}
