// Revocations reach every API process at once. Each process caches valid sessions and tokens for
// a minute (every request needs one); without this, a session signed out or a token deleted on
// one process stayed valid on the others until their cache expired. The revoking process
// publishes on streamwarden.auth-revocations before it answers; every process (itself too)
// consumes the topic from its end and drops the credential from its cache.
import { randomUUID } from 'node:crypto';
import { consumeTopic, publish } from '../../bus/typed.ts';
import type { Bus, BusConsumer, BusProducer } from '../../bus/types.ts';
import type { Logger } from '../../core/logger.ts';
import { topics, type AuthRevocation } from '../../schemas/index.ts';
import type { AuthStore } from './store.ts';

export class RevocationFeed {
  private consumer?: BusConsumer;
  private producer?: BusProducer;

  constructor(private readonly deps: { bus: Bus; store: AuthStore; logger: Logger }) {}

  async start(): Promise<void> {
    const { bus, store, logger } = this.deps;
    this.producer = await bus.producer();
    this.consumer = await consumeTopic(bus, {
      groupId: `api-auth-${randomUUID()}`,
      spec: topics.authRevocations,
      deadLetters: this.producer,
      logger,
      fromBeginning: false,
      ephemeral: true,
      handle: async (records) => {
        for (const { value } of records) store.forget(value.kind, value.credentialId);
      },
    });
    await this.consumer.ready;
    store.onRevoke((kind, credentialId, username) =>
      this.publish({ revocationId: randomUUID(), kind, credentialId, username, revokedAt: Date.now() }),
    );
  }

  private async publish(revocation: AuthRevocation): Promise<void> {
    if (this.producer) await publish(this.producer, topics.authRevocations, [revocation]);
  }

  async stop(): Promise<void> {
    if (!this.consumer) return;
    await this.consumer.stop();
    await this.deps.bus
      .deleteGroup(this.consumer.groupId)
      .catch((err: unknown) =>
        this.deps.logger.warn({ err: (err as Error).message }, 'revocation feed group not deleted'),
      );
  }
}
