// A channel that keeps failing gets one attempt a message until one gets through, so the
// notifiers, which wait for every delivery of a batch, are not held up by its back-off; a
// working channel keeps the whole back-off for a passing failure.
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../core/logger.ts';
import { ChannelHealth } from './channel-health.ts';
import type { Channel } from './channels.ts';
import { sendWithRetry } from './retry.ts';
import { sampleAlert } from './sample.ts';

let answer = 503;
let requests = 0;
let http: Server;
let channel: Channel;

beforeAll(async () => {
  http = createServer((_req, res) => {
    requests++;
    res.writeHead(answer).end('{}');
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  channel = {
    id: 'c1',
    name: 'Hook',
    type: 'webhook',
    enabled: true,
    events: ['VIOLATION'],
    rules: [],
    minSeverity: 'LOW',
    servers: [],
    libraries: [],
    accounts: [],
    quietHours: null,
    groupMinutes: 0,
    digest: 'off',
    titleTemplate: '',
    bodyTemplate: '',
    settings: {
      url: `http://127.0.0.1:${(http.address() as { port: number }).port}/`,
      method: 'POST',
      headers: {},
      bodyTemplate: '',
    },
  };
});

afterAll(async () => {
  await new Promise((resolve) => http.close(resolve));
});

describe('a failing channel', () => {
  it('gets one attempt a message until one gets through, then the whole back-off again', async () => {
    const logger = createLogger('test');
    const health = new ChannelHealth();
    const send = () =>
      sendWithRetry(channel, sampleAlert(Date.now()), undefined, { attempts: 3, baseMs: 20 }, logger, { health });

    expect(await send()).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(requests).toBe(3);
    expect(health.failingSince('c1')).toBeTypeOf('number');
    // Still down: one attempt, no waiting.
    expect(await send()).toMatchObject({ status: 'FAILED', attempts: 1 });
    expect(requests).toBe(4);
    answer = 200;
    expect(await send()).toMatchObject({ status: 'SENT', attempts: 1 });
    expect(health.failingSince('c1')).toBeUndefined();
    // Working again: a passing failure gets every attempt.
    answer = 503;
    expect(await send()).toMatchObject({ status: 'FAILED', attempts: 3 });
    expect(requests).toBe(8);
  });
});
