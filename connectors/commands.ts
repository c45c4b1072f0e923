// Stopping streams when the API and the connectors run in different processes: the API publishes
// a command, and each connectors process carries out the ones for the servers it watches.
import { randomUUID } from 'node:crypto';
import type { Bus, BusConsumer, BusProducer } from '../bus/types.ts';
import { consumeTopic, publish } from '../bus/typed.ts';
import type { Logger } from '../core/logger.ts';
import { topics, type StreamCommand } from '../schemas/index.ts';
import type { ConnectorRunner } from './runner.ts';

/** How long a command stays worth carrying out. */
const COMMAND_TTL_MS = 2 * 60_000;

type ControlResult = 'done' | 'requested';

export interface StreamControl {
  terminate(serverId: string, sessionKey: string, message: string, requestedBy?: string): Promise<ControlResult>;
  /** Shows the viewer a message and stops nothing (Jellyfin and Emby; a Plex server refuses). */
  message?(serverId: string, sessionKey: string, text: string, requestedBy?: string): Promise<ControlResult>;
}

/** The connectors of this process do it at once. */
export function localControl(runner: ConnectorRunner): StreamControl {
  return {
    terminate: async (serverId, sessionKey, message) => {
      await runner.terminate(serverId, sessionKey, message);
      return 'done';
    },
    message: async (serverId, sessionKey, text) => {
      await runner.message(serverId, sessionKey, text);
      return 'done';
    },
  };
}

/** Another process does it: the command goes on the bus. */
export function remoteControl(producer: BusProducer): StreamControl {
  const send = async (
    kind: StreamCommand['kind'],
    serverId: string,
    sessionKey: string,
    message: string,
    requestedBy: string,
  ) => {
    const now = Date.now();
    await publish(producer, topics.streamCommands, [
      {
        commandId: randomUUID(),
        kind,
        serverId,
        sessionKey,
        message,
        requestedBy,
        requestedAt: now,
        expiresAt: now + COMMAND_TTL_MS,
      },
    ]);
    return 'requested' as const;
  };
  return {
    terminate: (serverId, sessionKey, message, requestedBy = 'api') =>
      send('TERMINATE', serverId, sessionKey, message, requestedBy),
    message: (serverId, sessionKey, text, requestedBy = 'api') =>
      send('MESSAGE', serverId, sessionKey, text, requestedBy),
  };
}

/**
 * Carries out commands for the servers this process watches. The group is this install's own
 * (one per connectors process, kept across restarts), so every connectors process sees every
 * command and none is lost while one restarts; expired commands are dropped.
 */
export class CommandExecutor {
  private consumer: BusConsumer | undefined;
  /**
   * Commands carried out or skipped, until they expire: a command read again after that is skipped
   * as expired anyway, so the ids are forgotten then and the set does not grow with every stop.
   */
  private readonly done = new Map<string, number>();
  readonly stats = { executed: 0, expired: 0, failed: 0, notMine: 0 };

  constructor(
    private readonly options: {
      bus: Bus;
      runner: ConnectorRunner;
      logger: Logger;
      groupId: string;
      now?: () => number;
    },
  ) {}

  /** Commands remembered as handled (for tests and /metrics). */
  get remembered(): number {
    return this.done.size;
  }

  async start(): Promise<void> {
    const { bus, logger, groupId } = this.options;
    this.consumer = await consumeTopic(bus, {
      groupId,
      spec: topics.streamCommands,
      deadLetters: await bus.producer(),
      logger,
      fromBeginning: false,
      handle: async (records) => {
        for (const { value } of records) await this.execute(value);
      },
    });
    await this.consumer.ready;
  }

  private async execute(command: StreamCommand): Promise<void> {
    const { runner, logger } = this.options;
    const now = (this.options.now ?? Date.now)();
    if (this.done.has(command.commandId)) return;
    for (const [id, expiresAt] of this.done) if (expiresAt < now) this.done.delete(id);
    this.done.set(command.commandId, command.expiresAt);
    const context = {
      commandId: command.commandId,
      serverId: command.serverId,
      sessionKey: command.sessionKey,
      requestedBy: command.requestedBy,
    };
    if (command.kind !== 'TERMINATE' && command.kind !== 'MESSAGE')
      return void logger.warn({ ...context, kind: command.kind }, 'unknown stream command skipped');
    if (!runner.statuses().some((s) => s.serverId === command.serverId)) return void this.stats.notMine++;
    if (command.expiresAt < now) {
      this.stats.expired++;
      return void logger.warn(
        { ...context, ageMs: now - command.requestedAt },
        'stop request expired before it could be carried out',
      );
    }
    try {
      if (command.kind === 'MESSAGE') await runner.message(command.serverId, command.sessionKey, command.message);
      else await runner.terminate(command.serverId, command.sessionKey, command.message);
      this.stats.executed++;
      logger.info(
        { ...context, kind: command.kind },
        command.kind === 'MESSAGE' ? 'message shown on request' : 'stream stopped on request',
      );
    } catch (err) {
      // A refused stop is reported, not retried: the session may be gone, and a retry could
      // stop a stream the admin no longer means.
      this.stats.failed++;
      logger.error({ ...context, kind: command.kind, err: (err as Error).message }, 'stream command failed');
    }
  }

  async stop(): Promise<void> {
    await this.consumer?.stop();
  }
}
