// Administrators, sign-in sessions and API tokens as stored: only hashes of secrets (the API's
// auth store decides what they mean). Rows are replaced by newer versions (ReplacingMergeTree on
// updated_at), so a revocation or withdrawal is an insert of the changed row.
import type { Warehouse } from '../client.ts';
import { chTime } from '../rows.ts';
import { rows } from './filters.ts';

export interface AdminRow {
  username: string;
  passwordHash: string;
  createdAt: string;
}

export interface TokenRow {
  tokenId: string;
  name: string;
  createdAt: string;
}

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

  /** Stores an administrator; returns the row as written. */
  async insertAdmin(username: string, passwordHash: string, at: number): Promise<AdminRow> {
    const createdAt = chTime(at);
    await this.w.client.insert({
      table: this.w.table('admin_users'),
      values: [{ username, password_hash: passwordHash, created_at: createdAt, updated_at: createdAt }],
      format: 'JSONEachRow',
    });
    return { username, passwordHash, createdAt };
  }

  /** The administrator created first (ties broken by hash): the one a setup race elects. */
  async firstAdmin(): Promise<{ username: string; passwordHash: string } | undefined> {
    const [row] = await rows<{ username: string; password_hash: string }>(
      this.w,
      `SELECT username, password_hash FROM ${this.w.table('admin_users')} FINAL WHERE NOT deleted ORDER BY created_at, password_hash LIMIT 1`,
      {},
    );
    return row && { username: row.username, passwordHash: row.password_hash };
  }

  async withdrawAdmin(admin: AdminRow, at: number): Promise<void> {
    await this.w.client.insert({
      table: this.w.table('admin_users'),
      values: [
        {
          username: admin.username,
          password_hash: admin.passwordHash,
          created_at: admin.createdAt,
          updated_at: chTime(at),
          deleted: true,
        },
      ],
      format: 'JSONEachRow',
    });
  }

  async passwordHash(username: string): Promise<string | undefined> {
    const [row] = await rows<{ password_hash: string }>(
      this.w,
      `SELECT password_hash FROM ${this.w.table('admin_users')} FINAL WHERE username = {u:String} AND NOT deleted`,
      { u: username },
    );
    return row?.password_hash;
  }

  async insertSession(sessionHash: string, username: string, at: number, expiresAt: number): Promise<void> {
    await this.w.client.insert({
      table: this.w.table('auth_sessions'),
      values: [
        {
          session_hash: sessionHash,
          username,
          created_at: chTime(at),
          expires_at: chTime(expiresAt),
          updated_at: chTime(at),
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

  /** Revokes a session; its owner, or undefined when there is no such session. */
  async revokeSession(sessionHash: string): Promise<string | undefined> {
    const [row] = await rows<{ username: string }>(
      this.w,
      `SELECT username FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String}`,
      { h: sessionHash },
    );
    await this.w.client.command({
      query: `INSERT INTO ${this.w.table('auth_sessions')} SELECT session_hash, username, created_at, expires_at, true, now64(3) FROM ${this.w.table('auth_sessions')} FINAL WHERE session_hash = {h:String}`,
      query_params: { h: sessionHash },
    });
    return row?.username;
  }

  async insertToken(tokenId: string, name: string, tokenHash: string, username: string, at: number): Promise<string> {
    const createdAt = chTime(at);
    await this.w.client.insert({
      table: this.w.table('api_tokens'),
      values: [
        { token_id: tokenId, name, token_hash: tokenHash, username, created_at: createdAt, updated_at: createdAt },
      ],
      format: 'JSONEachRow',
    });
    return createdAt;
  }

  /** A token that is not revoked: its hash and owner. */
  async activeToken(tokenId: string): Promise<{ tokenHash: string; username: string } | undefined> {
    const [row] = await rows<{ token_hash: string; username: string }>(
      this.w,
      `SELECT token_hash, username FROM ${this.w.table('api_tokens')} FINAL WHERE token_id = {id:String} AND NOT revoked`,
      { id: tokenId },
    );
    return row && { tokenHash: row.token_hash, username: row.username };
  }

  async tokensOf(username: string): Promise<TokenRow[]> {
    const list = await rows<{ token_id: string; name: string; created_at: string }>(
      this.w,
      `SELECT token_id, name, toString(created_at) AS created_at FROM ${this.w.table('api_tokens')} FINAL WHERE username = {u:String} AND NOT revoked ORDER BY created_at`,
      { u: username },
    );
    return list.map((t) => ({ tokenId: t.token_id, name: t.name, createdAt: t.created_at }));
  }

  async revokeToken(tokenId: string, username: string): Promise<void> {
    await this.w.client.command({
      query: `INSERT INTO ${this.w.table('api_tokens')} SELECT token_id, name, token_hash, username, created_at, true, now64(3) FROM ${this.w.table('api_tokens')} FINAL WHERE token_id = {id:String} AND username = {u:String}`,
      query_params: { id: tokenId, u: username },
    });
  }
}
