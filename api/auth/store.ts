// Administrators, sign-in sessions and API tokens: passwords checked, sessions and tokens issued,
// validated (cached for a minute) and revoked. Only hashes of secrets are stored (warehouse/queries/
// auth.ts); a session id or a token is shown once, to its owner.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Warehouse } from '../../warehouse/client.ts';
import { AuthQueries, type TokenRow } from '../../warehouse/queries/auth.ts';
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

export type TokenInfo = TokenRow;

type Revoked = (kind: 'SESSION' | 'TOKEN', credentialId: string, username: string) => Promise<void>;

export class AuthStore {
  /**
   * Validated sessions and tokens, for a minute: every request needs one. Keyed by the hash of a
   * session id ("s:<sha256>") or a token's id ("t:<id>"), the names revocations use.
   */
  private readonly cache = new Map<string, { username: string; until: number }>();
  private revoked: Revoked = async () => undefined;
  private readonly db: AuthQueries;

  constructor(warehouse: Warehouse) {
    this.db = new AuthQueries(warehouse);
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.db.adminCount()) > 0;
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
    const mine = await this.db.insertAdmin(username, hash, Date.now());
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const first = await this.db.firstAdmin();
    if (first?.passwordHash === mine.passwordHash) return true;
    // Another setup won. Withdraw ours unless it shares the winner's name (then the winner's row
    // replaced it already, being the same key).
    if (first?.username !== username) await this.db.withdrawAdmin(mine, Date.now() + 1);
    return false;
  }

  /** The user's name when the password is right; null otherwise (same time either way). */
  async checkPassword(username: string, password: string): Promise<string | null> {
    const stored = await this.db.passwordHash(username);
    // A missing user costs a hash too, so response times do not reveal which names exist.
    const ok = await verifyPassword(password, stored ?? DUMMY_HASH);
    return ok && stored ? username : null;
  }

  async createSession(username: string): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + SESSION_MS;
    await this.db.insertSession(sha256(id), username, now, expiresAt);
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
    const hash = sha256(id);
    return this.cached(`s:${hash}`, async () => (await this.db.activeSessionUser(hash)) ?? null);
  }

  async revokeSession(id: string): Promise<void> {
    const hash = sha256(id);
    this.cache.delete(`s:${hash}`);
    const owner = await this.db.revokeSession(hash);
    if (owner) await this.revoked('SESSION', hash, owner);
  }

  /** A new token; its full value is returned once and never stored. */
  async createToken(username: string, name: string): Promise<{ token: string; info: TokenInfo }> {
    const tokenId = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const createdAt = await this.db.insertToken(tokenId, name, sha256(secret), username, Date.now());
    return { token: `sw_${tokenId}_${secret}`, info: { tokenId, name, createdAt } };
  }

  async tokenUser(token: string): Promise<string | null> {
    const match = /^sw_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!match) return null;
    // The secret is part of the key: a wrong secret for a known id must not hit a cached success.
    return this.cached(`t:${match[1]}:${sha256(match[2]!)}`, async () => {
      const row = await this.db.activeToken(match[1]!);
      if (!row) return null;
      const expected = Buffer.from(row.tokenHash, 'hex');
      const actual = Buffer.from(sha256(match[2]!), 'hex');
      return timingSafeEqual(expected, actual) ? row.username : null;
    });
  }

  async listTokens(username: string): Promise<TokenInfo[]> {
    return this.db.tokensOf(username);
  }

  async revokeToken(username: string, tokenId: string): Promise<boolean> {
    this.forget('TOKEN', tokenId);
    const before = (await this.listTokens(username)).length;
    await this.db.revokeToken(tokenId, username);
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
