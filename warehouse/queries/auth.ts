// Dashboard users, sign-in sessions and API tokens as stored: only hashes of secrets (the API's
// auth store decides what they mean). Rows are replaced by newer versions (ReplacingMergeTree on
// updated_at), so a change, a revocation or a removal is an insert of the changed row; inserts
// name their columns, so columns added later keep their defaults.
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';
import { readRole, type Role } from '../../core/roles.ts';

export type AuthSource = 'password' | 'oidc' | 'plex';

export interface UserRow {
  username: string;
  /** Empty for users who sign in elsewhere (OIDC, Plex). */
  passwordHash: string;
  role: Role;
  source: AuthSource;
  /** oidc: issuer|subject; plex: the plex.tv account id. */
  externalId: string;
  createdAt: string;
  updatedAt: string;
}

export interface TokenRow {
  tokenId: string;
  name: string;
  role: Role;
  createdAt: string;
}

export interface SessionRow {
  /** SHA-256 of the session cookie: names the session without granting it. */
  sessionHash: string;
  createdAt: string;
  expiresAt: string;
  userAgent: string;
  clientIp: string;
}

interface StoredUser {
  username: string;
  password_hash: string;
  role: string;
  auth_source: string;
  external_id: string;
  created: string;
  updated: string;
}

const USER_COLUMNS =
  'username, password_hash, role, auth_source, external_id, created_at AS created, updated_at AS updated';
const toUser = (r: StoredUser): UserRow => ({
  username: r.username,
  passwordHash: r.password_hash,
  role: readRole(r.role),
  source: r.auth_source === 'oidc' || r.auth_source === 'plex' ? r.auth_source : 'password',
  externalId: r.external_id,
  createdAt: r.created,
  updatedAt: r.updated,
});

export class AuthQueries {
  constructor(private readonly w: Warehouse) {}

  async adminCount(): Promise<number> {
    const [row] = await rows<{ n: string }>(
      this.w,
      `SELECT count() AS n FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted`,
      {},
    );
    return Number(row?.n ?? 0);
  }

  async users(): Promise<UserRow[]> {
    const list = await rows<StoredUser>(
      this.w,
      `SELECT ${USER_COLUMNS} FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted ORDER BY created_at, username`,
      {},
    );
    return list.map(toUser);
  }

  async user(username: string): Promise<UserRow | undefined> {
    const [row] = await rows<StoredUser>(
      this.w,
      `SELECT ${USER_COLUMNS} FROM ${this.w.table('admin_users')} FINAL WHERE username = {u:String} AND NOT deleted`,
      { u: username },
    );
    return row && toUser(row);
  }

  /** Writes a user as given (a new one, or a new version of one); returns the row as written. */
  async saveUser(
    user: {
      username: string;
      passwordHash: string;
      role: Role;
      source?: AuthSource;
      externalId?: string;
      createdAt?: string;
    },
    at: number,
    deleted = false,
  ): Promise<UserRow> {
    const source = user.source ?? 'password';
    const externalId = user.externalId ?? '';
    const updatedAt = chTime(at);
    const createdAt = user.createdAt ?? updatedAt;
    await this.w.client.insert({
      table: this.w.table('admin_users'),
      values: [
        {
          username: user.username,
          password_hash: user.passwordHash,
          role: user.role,
          auth_source: source,
          external_id: externalId,
          created_at: createdAt,
          updated_at: updatedAt,
          deleted,
        },
      ],
      format: 'JSONEachRow',
    });
    return {
      username: user.username,
      passwordHash: user.passwordHash,
      role: user.role,
      source,
      externalId,
      createdAt,
      updatedAt,
    };
  }

  /** The user created first (ties broken by hash): the one a setup race elects. */
  async firstAdmin(): Promise<{ username: string; passwordHash: string } | undefined> {
    const [row] = await rows<{ username: string; password_hash: string }>(
      this.w,
      `SELECT username, password_hash FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted ORDER BY created_at, password_hash LIMIT 1`,
      {},
    );
    return row && { username: row.username, passwordHash: row.password_hash };
  }

  async insertSession(
    session: { sessionHash: string; username: string; userAgent: string; clientIp: string },
    at: number,
    expiresAt: number,
  ): Promise<void> {
    await this.w.client.insert({
      table: this.w.table('auth_sessions'),
      values: [
        {
          session_hash: session.sessionHash,
          username: session.username,
          created_at: chTime(at),
          expires_at: chTime(expiresAt),
          updated_at: chTime(at),
          user_agent: session.userAgent.slice(0, 300),
          client_ip: session.clientIp,
        },
      ],
      format: 'JSONEachRow',
    });
  }

  /** The owner of a session that is neither revoked nor expired. */
  async activeSessionUser(sessionHash: string): Promise<string | undefined> {
    const [row] = await rows<{ username: string }>(
      this.w,
      `SELECT username FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String} AND NOT revoked AND expires_at > now64(3)`,
      { h: sessionHash },
    );
    return row?.username;
  }

  /** A user's sessions that are neither revoked nor expired, newest first. */
  async sessionsOf(username: string): Promise<SessionRow[]> {
    const list = await rows<{
      session_hash: string;
      created: string;
      expires: string;
      user_agent: string;
      client_ip: string;
    }>(
      this.w,
      `SELECT session_hash, created_at AS created, expires_at AS expires, user_agent, client_ip
       FROM ${this.w.table('auth_sessions')} FINAL
       WHERE username = {u:String} AND NOT revoked AND expires_at > now64(3) ORDER BY created_at DESC`,
      { u: username },
    );
    return list.map((s) => ({
      sessionHash: s.session_hash,
      createdAt: s.created,
      expiresAt: s.expires,
      userAgent: s.user_agent,
      clientIp: s.client_ip,
    }));
  }

  /** Revokes the given sessions of a user (a hash of another user's session is left alone). */
  async revokeSessions(username: string, sessionHashes: string[]): Promise<void> {
    if (sessionHashes.length === 0) return;
    const t = this.w.table('auth_sessions');
    await this.w.client.command({
      query: `INSERT INTO ${t} (session_hash, username, created_at, expires_at, revoked, updated_at, user_agent, client_ip)
              SELECT session_hash, username, created_at, expires_at, true, now64(3), user_agent, client_ip
              FROM ${t} FINAL WHERE username = {u:String} AND session_hash IN {h:Array(String)} AND NOT revoked`,
      query_params: { u: username, h: sessionHashes },
    });
  }

  /** The user a session belongs to, revoked or not. */
  async sessionOwner(sessionHash: string): Promise<string | undefined> {
    const [row] = await rows<{ username: string }>(
      this.w,
      `SELECT username FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String}`,
      { h: sessionHash },
    );
    return row?.username;
  }

  async insertToken(
    token: { tokenId: string; name: string; tokenHash: string; username: string; role: Role },
    at: number,
  ): Promise<string> {
    const createdAt = chTime(at);
    await this.w.client.insert({
      table: this.w.table('api_tokens'),
      values: [
        {
          token_id: token.tokenId,
          name: token.name,
          token_hash: token.tokenHash,
          username: token.username,
          role: token.role,
          created_at: createdAt,
          updated_at: createdAt,
        },
      ],
      format: 'JSONEachRow',
    });
    return createdAt;
  }

  /** A token that is not revoked: its hash, owner and role. */
  async activeToken(tokenId: string): Promise<{ tokenHash: string; username: string; role: Role } | undefined> {
    const [row] = await rows<{ token_hash: string; username: string; role: string }>(
      this.w,
      `SELECT token_hash, username, role FROM ${this.w.table('api_tokens')} FINAL WHERE token_id = {id:String} AND NOT revoked`,
      { id: tokenId },
    );
    return row && { tokenHash: row.token_hash, username: row.username, role: readRole(row.role) };
  }

  async tokensOf(username: string): Promise<TokenRow[]> {
    const list = await rows<{ token_id: string; name: string; role: string; created_at: string }>(
      this.w,
      `SELECT token_id, name, role, created_at AS created_at FROM ${this.w.table('api_tokens')} FINAL WHERE username = {u:String} AND NOT revoked ORDER BY created_at`,
      { u: username },
    );
    return list.map((t) => ({ tokenId: t.token_id, name: t.name, role: readRole(t.role), createdAt: t.created_at }));
  }

  /** Revokes tokens of a user: the ones named, or all of them. */
  async revokeTokens(username: string, tokenIds?: string[]): Promise<void> {
    const t = this.w.table('api_tokens');
    await this.w.client.command({
      query: `INSERT INTO ${t} (token_id, name, token_hash, username, role, created_at, revoked, updated_at)
              SELECT token_id, name, token_hash, username, role, created_at, true, now64(3)
              FROM ${t} FINAL WHERE username = {u:String} AND NOT revoked ${tokenIds ? 'AND token_id IN {ids:Array(String)}' : ''}`,
      query_params: { u: username, ids: tokenIds ?? [] },
    });
  }
}
