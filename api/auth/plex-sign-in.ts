// Sign-in with a Plex account through plex.tv's PIN flow. The browser gets a PIN to approve in the
// Plex app and polls; this side asks plex.tv whether the PIN carries a token yet, and once it does
// reads the account and the servers it owns. The owner of a watched Plex server is let in as an
// owner; other Plex accounts only when the owner invited them (AuthStore.signInPlex). The PIN id
// travels in a sealed cookie (sealed-transaction.ts), so only the browser that asked can finish.
import { AppError } from '../../core/errors.ts';
import type { SecretBox } from '../../core/secret-box.ts';
import type { ServerConfig } from '../../connectors/config.ts';
import { PlexTv, type PlexTvOptions } from '../../connectors/plex-tv.ts';
import { createClient } from '../../connectors/runner.ts';
import type { AuthStore, UserInfo } from './store.ts';
import { openTransaction, sealTransaction } from './sealed-transaction.ts';

const TRANSACTION_MS = 30 * 60_000;
const IDENTITY_MS = 10 * 60_000;

export interface PlexSignInOptions extends Omit<PlexTvOptions, 'clientId'> {
  clientId: string;
  secrets: SecretBox;
  /** The media servers Streamwarden watches (their Plex ones decide who owns a server). */
  servers: () => Promise<ServerConfig[]>;
}

export class PlexSignIn {
  private readonly plexTv: PlexTv;
  /** Machine identifiers of the watched Plex servers, by id and address, for ten minutes. */
  private readonly machines = new Map<string, { machineId: string; until: number }>();

  constructor(private readonly options: PlexSignInOptions) {
    this.plexTv = new PlexTv(options);
  }

  /** Whether any Plex server is watched: without one, no Plex account can be let in. */
  async available(): Promise<boolean> {
    return (await this.options.servers()).some((s) => s.type === 'plex');
  }

  async start(): Promise<{ code: string; authUrl: string; expiresAt: string; transaction: string }> {
    if (!(await this.available())) throw new AppError('conflict', 'Sign-in with Plex needs a Plex server added first.');
    const pin = await this.plexTv.createPin();
    return {
      code: pin.code,
      authUrl: this.plexTv.authUrl(pin.code),
      expiresAt: pin.expiresAt,
      transaction: sealTransaction(this.options.secrets, { pinId: pin.id }),
    };
  }

  /** null while the PIN waits for approval; the signed-in user once it is approved. */
  async check(sealed: string | undefined, store: AuthStore): Promise<UserInfo | null> {
    const pinId = this.open(sealed);
    const token = await this.plexTv.pinToken(pinId);
    if (!token) return null;
    const [account, owned, watched] = await Promise.all([
      this.plexTv.account(token),
      this.plexTv.ownedServers(token),
      this.watchedMachineIds(),
    ]);
    const ownsServer = owned.some((m) => watched.includes(m));
    return store.signInPlex(
      { id: String(account.id), username: account.username || account.email, email: account.email },
      ownsServer,
    );
  }

  private open(sealed: string | undefined): number {
    const opened = openTransaction<{ pinId: number }>(this.options.secrets, sealed);
    if (typeof opened?.value.pinId !== 'number')
      throw new AppError('unauthorized', 'This Plex sign-in was not started in this browser: start again.');
    if (opened.ageMs > TRANSACTION_MS)
      throw new AppError('not-found', 'This Plex PIN expired or was not found: start the sign-in again.');
    return opened.value.pinId;
  }

  /** Asks each watched Plex server who it is (its machine identifier), remembered for ten minutes. */
  private async watchedMachineIds(): Promise<string[]> {
    const plexServers = (await this.options.servers()).filter((s) => s.type === 'plex');
    const ids = await Promise.all(
      plexServers.map(async (server) => {
        const key = `${server.id}|${server.url}`;
        const known = this.machines.get(key);
        if (known && known.until > Date.now()) return known.machineId;
        const { client, feed } = createClient(
          { ...server, limits: { timeoutMs: 8000, ...server.limits } },
          this.options.clientId,
        );
        try {
          const { machineId } = await client.identity();
          this.machines.set(key, { machineId, until: Date.now() + IDENTITY_MS });
          return machineId;
        } catch {
          // A server down cannot vouch for its owner now; an invited account still gets in.
          return undefined;
        } finally {
          feed?.close();
          client.close();
        }
      }),
    );
    return ids.filter((id): id is string => Boolean(id));
  }
}
