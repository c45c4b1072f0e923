// Stop commands through the bus: carried out once however often they are read, and remembered only
// until they expire, so a connectors process running for months keeps no id of every stop.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedBus } from '../bus/embedded/embedded-bus.ts';
import { createLogger } from '../core/logger.ts';
import { allTopics } from '../schemas/index.ts';
import { waitFor } from '../testing/bus-contract.ts';
import { CommandExecutor, remoteControl } from './commands.ts';
import { DEVICES, movie, user } from './fakes/catalog.ts';
import { FakePlexServer } from './fakes/fake-plex.ts';
import { ConnectorRunner } from './runner.ts';

const logger = createLogger('test');
const plex = new FakePlexServer('commands-token');
let bus: EmbeddedBus;
let runner: ConnectorRunner;

beforeAll(async () => {
  await plex.start();
  bus = new EmbeddedBus({ dir: mkdtempSync(join(tmpdir(), 'sw-commands-')), logger });
  await bus.ensureTopics(allTopics.map((t) => ({ name: t.name })));
  runner = new ConnectorRunner({
    producer: await bus.producer(),
    logger,
    clientId: 'sw-test',
    timing: { pollIntervalMs: 100, feedPollIntervalMs: 100, metricsIntervalMs: 60_000 },
    librarySync: null,
  });
  await runner.apply([
    { id: 'plex-home', name: 'Home', type: 'plex', url: plex.url, token: 'commands-token', enabled: true },
  ]);
});

afterAll(async () => {
  await runner?.stop();
  await bus?.close();
  await plex.stop();
});

describe('stream commands', () => {
  it('stops a stream once, and forgets each command once it has expired', async () => {
    let clock = Date.now();
    const executor = new CommandExecutor({ bus, runner, logger, groupId: 'commands-test', now: () => clock });
    await executor.start();
    try {
      const session = plex.startSession({
        user: user('7', 'gus'),
        item: movie('70', 'Ran'),
        device: DEVICES.tv(),
        ip: '81.2.69.142',
      });
      await waitFor(() => runner.statuses()[0]?.activeSessions === 1, 'the session seen');
      const control = remoteControl(await bus.producer());
      await control.terminate('plex-home', session.key, 'Not here');
      await waitFor(() => executor.stats.executed === 1, 'the stop carried out');
      expect(plex.terminations).toEqual([expect.objectContaining({ sessionId: session.id, reason: 'Not here' })]);
      expect(executor.remembered).toBe(1);

      // Three minutes on, the first command has expired: the next one finds it forgotten.
      clock += 3 * 60_000;
      await control.terminate('plex-home', 'gone', 'Not here either');
      await waitFor(() => executor.stats.expired + executor.stats.failed === 1, 'the second command handled');
      expect(executor.remembered).toBe(1);
      expect(plex.terminations).toHaveLength(1);
    } finally {
      await executor.stop();
    }
  });
});
