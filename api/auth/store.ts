// Dashboard users, sign-in sessions and API tokens: passwords checked, users and their roles kept,
// sessions and tokens issued, validated (cached for a minute) and revoked. Only hashes of secrets
// are stored (warehouse/queries/auth.ts); a session id or a token is shown once, to its owner.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { AppError } from '../../core/errors.ts';
import { lowerRole, type Role } from '../../core/roles.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { AuthQueries, type SessionRow, type TokenRow, type UserRow } from '../../warehouse/queries/auth.ts';
import { hashPassword, verifyPassword } from './passwords.ts';

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');
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
export type UserInfo = Omit<UserRow, 'passwordHash' | 'externalId'>;

/** Who an outside sign-in (OIDC, Plex) vouches for. */
export interface ExternalAccount {
  source: 'oidc' | 'plex';
  /** oidc: issuer|subject; plex: the plex.tv account id. Names the person whatever their user name. */
  externalId: string;
  username: string;
  /** The role the outside says (OIDC claims); undefined keeps the stored one (Plex, set by the owner). */
  role?: Role;
}

const info = ({ passwordHash: _, externalId: __, ...user }: UserRow): UserInfo => user;

/** An outside sign-in whose name another dashboard user has: refused, never taken over. */
const nameTaken = (username: string) =>
  new AppError(
    'conflict',
    `The name ${username} belongs to another user of this dashboard: the owner can remove or rename that user first.`,
  );
export type SessionInfo = SessionRow & { current: boolean };

/** Who a request acts as. */
export interface Identity {
  username: string;
  role: Role;
  via: 'session' | 'token';
  /** SHA-256 of the session cookie, for sessions. */
  sessionHash?: string;
}

type RevocationKind = 'SESSION' | 'TOKEN' | 'USER';
type Revoked = (kind: RevocationKind, credentialId: string, username: string) => Promise<void>;

export class AuthStore {
  /**
   * Validated sessions and tokens, for a minute: every request needs one. Keyed by the hash of a
   * session id ("s:<sha256>") or a token's id and secret hash ("t:<id>:<sha256>").
   */
  private readonly cache = new Map<string, { identity: Identity; until: number }>();
  private revoked: Revoked = async () => undefined;
  private readonly db: AuthQueries;

  constructor(warehouse: Warehouse) {
    this.db = new AuthQueries(warehouse);
  }

  async hasAdmin(): Promise<boolean> {
    return (await this.db.adminCount()) > 0;
  }

  /**
   * The first user of a new install, its owner: true when this call created it, false when another
   * one exists. ClickHouse has no unique constraint, so concurrent setups (also from several API
   * processes) each insert, wait until every insert begun before theirs is visible, then keep only
   * the earliest row and withdraw their own otherwise: all contenders elect the same winner.
   */
  async createFirstAdmin(username: string, password: string, settleMs = 1000): Promise<boolean> {
    if (await this.hasAdmin()) return false;
    const hash = await hashPassword(password);
    const mine = await this.db.saveUser({ username, passwordHash: hash, role: 'owner' }, Date.now());
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    const first = await this.db.firstAdmin();
    if (first?.passwordHash === mine.passwordHash) return true;
    // Another setup won. Withdraw ours unless it shares the winner's name (then the winner's row
    // replaced it already, being the same key).
    if (first?.username !== username) await this.db.saveUser(mine, Date.now() + 1, true);
    return false;
  }

  /** The user's name when the password is right; null otherwise (same time either way). */
  async checkPassword(username: string, password: string): Promise<string | null> {
    // Users who sign in elsewhere have no password here.
    const stored = (await this.db.user(username))?.passwordHash || undefined;
    // A missing user costs a hash too, so response times do not reveal which names exist.
    const ok = await verifyPassword(password, stored ?? DUMMY_HASH);
    return ok && stored ? username : null;
  }

  async users(): Promise<UserInfo[]> {
    return (await this.db.users()).map(info);
  }

  /**
   * Adds a user: with a password, or (no password) a Plex account invited by its plex.tv user
   * name or e-mail, bound to that account at its first Plex sign-in.
   */
  async createUser(username: string, password: string | undefined, role: Role): Promise<UserInfo> {
    if (await this.db.user(username)) throw new AppError('conflict', `There is a user named ${username} already.`);
    if (password === undefined)
      return info(await this.db.saveUser({ username, passwordHash: '', role, source: 'plex' }, Date.now()));
    return info(await this.db.saveUser({ username, passwordHash: await hashPassword(password), role }, Date.now()));
  }

  /**
   * The dashboard user a Plex account signs in as: the one bound to it; else the one the owner
   * invited by its Plex user name or e-mail (bound now); else, for the owner of a watched Plex
   * server, a new owner. Anyone else is refused.
   */
  async signInPlex(account: { id: string; username: string; email: string }, ownsServer: boolean): Promise<UserInfo> {
    const users = await this.db.users();
    const plexUsers = users.filter((u) => u.source === 'plex');
    const names = [account.username, account.email].filter(Boolean).map((n) => n.toLowerCase());
    const user =
      plexUsers.find((u) => u.externalId === account.id) ??
      plexUsers.find((u) => !u.externalId && names.includes(u.username.toLowerCase()));
    if (user) {
      const role = ownsServer ? 'owner' : user.role;
      if (user.externalId === account.id && role === user.role) return info(user);
      const saved = await this.db.saveUser({ ...user, externalId: account.id, role }, Date.now());
      await this.changed(user.username);
      return info(saved);
    }
    if (!ownsServer)
      throw new AppError(
        'forbidden',
        `The Plex account ${account.username} is not a user of this dashboard: the owner adds Plex accounts under Settings > Team.`,
      );
    if (users.some((u) => u.username === account.username)) throw nameTaken(account.username);
    return info(
      await this.db.saveUser(
        { username: account.username, passwordHash: '', role: 'owner', source: 'plex', externalId: account.id },
        Date.now(),
      ),
    );
  }

  /** Changes a user's role; the last owner cannot be demoted, so the install is never left without one. */
  async setRole(username: string, role: Role): Promise<UserInfo> {
    const user = await this.existing(username);
    if (user.role === 'owner' && role !== 'owner') await this.keepAnOwner(username);
    const saved = await this.db.saveUser({ ...user, role }, Date.now());
    await this.changed(username);
    return info(saved);
  }

  /** Removes a user, their sessions and their tokens. */
  async deleteUser(username: string): Promise<void> {
    const user = await this.existing(username);
    if (user.role === 'owner') await this.keepAnOwner(username);
    await this.db.saveUser(user, Date.now(), true);
    await this.db.revokeTokens(username);
    await this.db.revokeSessions(
      username,
      (await this.db.sessionsOf(username)).map((s) => s.sessionHash),
    );
    await this.changed(username);
  }

  /**
   * Sets a new password and signs the user out everywhere, but for the session `keepSessionHash`
   * (the one changing its own password stays signed in). Tokens stay: they are not passwords.
   */
  async setPassword(username: string, password: string, keepSessionHash?: string): Promise<void> {
    const user = await this.existing(username);
    if (user.source !== 'password')
      throw new AppError(
        'conflict',
        `${username} signs in with ${user.source === 'oidc' ? 'OIDC' : 'Plex'} and has no password here.`,
      );
    await this.db.saveUser({ ...user, passwordHash: await hashPassword(password) }, Date.now());
    await this.signOutEverywhere(username, keepSessionHash);
  }

  /**
   * The dashboard user an outside sign-in stands for, created on first sign-in. A name already
   * used by someone else (a password user, or another outside account) is refused rather than
   * taken over. The role follows the outside when it says one, but never leaves the install
   * without an owner.
   */
  async signInExternal(account: ExternalAccount): Promise<UserInfo> {
    const existing = await this.db.user(account.username);
    if (!existing) {
      if (!account.role) throw new AppError('forbidden', `${account.username} is not a user of this dashboard.`);
      return info(await this.db.saveUser({ ...account, role: account.role, passwordHash: '' }, Date.now()));
    }
    if (existing.source !== account.source || existing.externalId !== account.externalId)
      throw nameTaken(account.username);
    if (!account.role || account.role === existing.role) return info(existing);
    if (existing.role === 'owner') {
      try {
        await this.keepAnOwner(existing.username);
      } catch {
        return info(existing);
      }
    }
    const saved = await this.db.saveUser({ ...existing, role: account.role }, Date.now());
    await this.changed(existing.username);
    return info(saved);
  }

  async createSession(
    username: string,
    client: { userAgent: string; clientIp: string } = { userAgent: '', clientIp: '' },
  ): Promise<{ id: string; expiresAt: number }> {
    const id = randomBytes(32).toString('base64url');
    const now = Date.now();
    const expiresAt = now + SESSION_MS;
    await this.db.insertSession({ sessionHash: sha256(id), username, ...client }, now, expiresAt);
    return { id, expiresAt };
  }

  /** Called with each revocation before it is confirmed (RevocationFeed tells the other processes). */
  onRevoke(listener: Revoked): void {
    this.revoked = listener;
  }

  /** Drops a revoked credential, or every credential of a changed user, from the cache (any process). */
  forget(kind: string, credentialId: string): void {
    if (kind === 'SESSION') this.cache.delete(`s:${credentialId}`);
    else if (kind === 'TOKEN') this.dropWhere((key) => key.startsWith(`t:${credentialId}:`));
    else if (kind === 'USER') this.dropWhere((_, identity) => identity.username === credentialId);
  }

  /** Who a session cookie belongs to, with their current role; null when it is not valid. */
  async sessionIdentity(id: string): Promise<Identity | null> {
    const hash = sha256(id);
    return this.cached(`s:${hash}`, async () => {
      const username = await this.db.activeSessionUser(hash);
      const user = username === undefined ? undefined : await this.db.user(username);
      return user ? { username: user.username, role: user.role, via: 'session', sessionHash: hash } : null;
    });
  }

  /** Who a token belongs to, acting with its role capped by its creator's current one. */
  async tokenIdentity(token: string): Promise<Identity | null> {
    const match = /^sw_([0-9a-f]{12})_([A-Za-z0-9_-]{32})$/.exec(token);
    if (!match) return null;
    // The secret is part of the key: a wrong secret for a known id must not hit a cached success.
    return this.cached(`t:${match[1]}:${sha256(match[2]!)}`, async () => {
      const row = await this.db.activeToken(match[1]!);
      if (!row) return null;
      const expected = Buffer.from(row.tokenHash, 'hex');
      const actual = Buffer.from(sha256(match[2]!), 'hex');
      if (!timingSafeEqual(expected, actual)) return null;
      const user = await this.db.user(row.username);
      return user ? { username: user.username, role: lowerRole(row.role, user.role), via: 'token' } : null;
    });
  }

  /** The user's sessions, the one asking marked as current. */
  async sessions(username: string, currentHash?: string): Promise<SessionInfo[]> {
    return (await this.db.sessionsOf(username)).map((s) => ({ ...s, current: s.sessionHash === currentHash }));
  }

  /** Signs out the session with this cookie. */
  async revokeSession(id: string): Promise<void> {
    const hash = sha256(id);
    const owner = await this.db.sessionOwner(hash);
    if (owner) await this.revokeSessionsOf(owner, [hash]);
  }

  /** Signs out one of a user's sessions, named by its hash; false when the user has no such session. */
  async revokeUserSession(username: string, sessionHash: string): Promise<boolean> {
    if (!(await this.db.sessionsOf(username)).some((s) => s.sessionHash === sessionHash)) return false;
    await this.revokeSessionsOf(username, [sessionHash]);
    return true;
  }

  /** Signs out every session of a user but `keepSessionHash`; the number signed out. */
  async signOutEverywhere(username: string, keepSessionHash?: string): Promise<number> {
    const hashes = (await this.db.sessionsOf(username)).map((s) => s.sessionHash).filter((h) => h !== keepSessionHash);
    await this.revokeSessionsOf(username, hashes);
    return hashes.length;
  }

  /** A new token acting with `role` at most; its full value is returned once and never stored. */
  async createToken(creator: Identity, name: string, role: Role): Promise<{ token: string; info: TokenInfo }> {
    if (lowerRole(role, creator.role) !== role)
      throw new AppError('forbidden', `A ${creator.role} cannot make a token with the ${role} role.`);
    const tokenId = randomBytes(6).toString('hex');
    const secret = randomBytes(24).toString('base64url');
    const createdAt = await this.db.insertToken(
      { tokenId, name, tokenHash: sha256(secret), username: creator.username, role },
      Date.now(),
    );
    return { token: `sw_${tokenId}_${secret}`, info: { tokenId, name, role, createdAt } };
  }

  async listTokens(username: string): Promise<TokenInfo[]> {
    return this.db.tokensOf(username);
  }

  async revokeToken(username: string, tokenId: string): Promise<boolean> {
    if (!(await this.listTokens(username)).some((t) => t.tokenId === tokenId)) return false;
    this.forget('TOKEN', tokenId);
    await this.db.revokeTokens(username, [tokenId]);
    await this.revoked('TOKEN', tokenId, username);
    return true;
  }

  private async revokeSessionsOf(username: string, hashes: string[]): Promise<void> {
    for (const hash of hashes) this.cache.delete(`s:${hash}`);
    await this.db.revokeSessions(username, hashes);
    for (const hash of hashes) await this.revoked('SESSION', hash, username);
  }

  private async existing(username: string): Promise<UserRow> {
    const user = await this.db.user(username);
    if (!user) throw new AppError('not-found', `There is no user named ${username}.`);
    return user;
  }

  private async keepAnOwner(leaving: string): Promise<void> {
    const owners = (await this.db.users()).filter((u) => u.role === 'owner' && u.username !== leaving);
    if (owners.length === 0)
      throw new AppError('conflict', `${leaving} is the last owner: make another user owner first.`);
  }

  /** Every process re-reads the user's role and existence on its next request. */
  private async changed(username: string): Promise<void> {
    this.forget('USER', username);
    await this.revoked('USER', username, username);
  }

  private dropWhere(test: (key: string, identity: Identity) => boolean): void {
    for (const [key, entry] of [...this.cache]) if (test(key, entry.identity)) this.cache.delete(key);
  }

  private async cached(key: string, load: () => Promise<Identity | null>): Promise<Identity | null> {
    const hit = this.cache.get(key);
    if (hit && hit.until > Date.now()) return hit.identity;
    const identity = await load();
    if (identity) this.cache.set(key, { identity, until: Date.now() + 60_000 });
    else this.cache.delete(key);
    return identity;
  }
}
