/// <reference lib="dom" />
// The dashboard end to end: `npm start`'s process (embedded bus and ClickHouse, connectors,
// pipeline, API serving the built app) watching a fake Plex server, driven in headless Chromium.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../testing/bus-contract.ts';
import { DEVICES, episode, movie, user } from '../connectors/fakes/catalog.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { FakePlexTv } from '../connectors/fakes/fake-plex-tv.ts';
import { freePort } from '../runtime/free-port.ts';
import { collectErrors, distinctColours, launchBrowser, pixelsOfColour } from '../testing/browser.ts';
import { createTautulliHistory } from '../testing/tautulli-history.ts';
import { en } from './app/src/lib/i18n/en.ts';
import { zhHans } from './app/src/lib/i18n/zh-Hans.ts';
import { productArgs } from '../runtime/node-flags.ts';

const HOSTILE = '<img src=x onerror="window.__pwned=1">Den TV';
const plex = new FakePlexServer('plex-e2e-token', 'E2E Plex');
const plexTv = new FakePlexTv();
/** Every page a signed-in owner reaches from the navigation and the settings tabs. */
const PAGES = [
  '/welcome',
  '/map',
  '/history',
  '/users',
  '/violations',
  '/analytics',
  '/settings?tab=servers',
  '/settings?tab=rules',
  '/settings?tab=general',
  '/settings?tab=tokens',
  '/settings?tab=notifications',
  '/settings?tab=automations',
  '/settings?tab=import',
  '/settings?tab=team',
  '/settings?tab=backup',
  '/account',
  '/audit',
  '/people',
];
/** Where every page is photographed at both sizes for people to look at (git-ignored). */
const SCREENSHOTS = join(import.meta.dirname, 'screenshots');

async function screenshot(on: Page, size: 'desktop' | 'phone', path: string): Promise<void> {
  const name =
    path === '/'
      ? 'overview'
      : path
          .replace(/^\//, '')
          .replace(/[/?=&]+/g, '-')
          .replace(/-tab-/, '-');
  mkdirSync(SCREENSHOTS, { recursive: true });
  await on.screenshot({ path: join(SCREENSHOTS, `${size}-${name}.png`), fullPage: true });
}

let product: ChildProcess;
let output = '';
let base: string;
let browser: Browser;
let page: Page;
let errors: string[];

beforeAll(async () => {
  // The app as `npm start` serves it: built now if its sources changed since the last build.
  const build = spawnSync(process.execPath, ['--import', 'tsx', 'scripts/build-dashboard.ts'], { encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`dashboard build failed:\n${build.stdout}${build.stderr}`);
  await plex.start();
  // plex.tv, asked for e-mails when the people page suggests links: a stand-in, never the real one.
  await plexTv.start();
  plexTv.tokenFor({ id: 1, username: 'e2e-owner', email: 'owner@example.org', owns: [] }, 'plex-e2e-token');
  const port = await freePort();
  base = `http://127.0.0.1:${port}`;
  const env = {
    ...process.env,
    STREAMWARDEN_DATA_DIR: mkdtempSync(join(tmpdir(), 'sw-e2e-')),
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    KAFKA_BROKERS: '',
    CLICKHOUSE_URL: '',
    STREAMWARDEN_PLEX_TV_URL: plexTv.url,
  };
  product = spawn(process.execPath, productArgs(), {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  product.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  product.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const until = Date.now() + 90_000;
  while (
    !(await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (product.exitCode !== null || Date.now() > until) throw new Error(`npm start did not come up:\n${output}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  browser = await launchBrowser();
  page = await browser.newPage({ viewport: { width: 1440, height: 900 } });
  errors = collectErrors(page);
}, 300_000);

afterAll(async () => {
  await browser?.close();
  product?.kill('SIGTERM');
  await new Promise((resolve) => (product?.exitCode !== null ? resolve(null) : product.once('exit', resolve)));
  await plex.stop();
  await plexTv.stop();
});

describe('dashboard in Chromium', () => {
  it('creates the administrator on first visit, signs out and in, and adds a media server after testing the connection', async () => {
    await page.goto(base);
    await page.waitForURL(`${base}/setup`);
    await page.fill('input[name=password]', 'a long enough password');
    await page.fill('input[name=repeat]', 'a long enough password');
    await page.click('button[type=submit]');
    // After setup: the guided first run, its first step open, saying where a Plex token is found.
    await page.waitForURL(`${base}/welcome`);
    await page.waitForSelector('[data-testid=step-server] [data-testid=server-form]');
    expect(await page.textContent('[data-testid=server-help]')).toContain('X-Plex-Token');
    await page.selectOption('[data-testid=server-form] select[name=type]', 'jellyfin');
    expect(await page.textContent('[data-testid=server-help]')).toContain('API Keys');
    expect(await page.locator('[data-testid=step-live]').textContent()).toContain('Add a server first');

    // Signing out and in again through the login form.
    await page.click('nav >> text=Sign out');
    await page.waitForURL(`${base}/login`);
    await page.fill('input[name=username]', 'admin');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    await expect.poll(() => page.textContent('[role=alert]')).toContain('Wrong user name or password');
    await page.fill('input[name=password]', 'a long enough password');
    await page.click('button[type=submit]');
    await page.waitForURL(`${base}/`);
    // The refused password answered 401, which the browser logs: expected here, not later.
    expect(errors.every((e) => e.includes('401'))).toBe(true);
    errors.length = 0;
    await page.goto(`${base}/welcome`);

    // A wrong token: the test says so, styled as a failure.
    await page.fill('input[name=id]', 'plex-home');
    await page.fill('input[name=url]', plex.url);
    await page.fill('input[name=token]', 'not the token');
    await page.click('[data-testid=test-connection]');
    await page.waitForSelector('[data-testid=test-result].failed');
    errors.length = 0;
    await page.fill('input[name=name]', 'Home Plex');
    await page.fill('input[name=url]', plex.url);
    await page.fill('input[name=token]', 'plex-e2e-token');
    await page.click('[data-testid=test-connection]');
    await expect.poll(() => page.textContent('[data-testid=test-result]')).toContain('E2E Plex');
    await page.waitForSelector('[data-testid=test-result].ok');
    await page.click('[data-testid=save-server]');
    await expect.poll(() => page.textContent('[data-testid=servers-added]')).toContain('Home Plex');
    // The next step waits for a stream on that server.
    expect(await page.textContent('[data-testid=waiting]')).toContain('Home Plex');
    await page.goto(`${base}/settings?tab=servers`);
    await page.waitForSelector('text=Home Plex');
  });

  it('shows a stream started on the server live on the overview, renders the globe, and stops it from the UI', async () => {
    await page.click('nav >> text=Overview');
    await page.waitForSelector('[data-testid=no-sessions]');
    const session = plex.startSession({
      user: user('7', 'carol'),
      item: movie('9001', 'Arrival'),
      device: { ...DEVICES.tv(), name: HOSTILE },
      ip: '81.2.69.142',
      directStream: true,
    });

    // No reload: the card arrives over the WebSocket.
    const card = page.locator(`[data-testid=session-card][data-session-key="${session.key}"]`);
    await card.waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-testid=device-name]').textContent()).toContain(HOSTILE);
    // A remux is a direct stream, not a direct play; the card says where the viewer is on the network.
    expect(await card.locator('[data-testid=decision]').textContent()).toBe('Direct stream');
    expect(await card.locator('[data-testid=location]').textContent()).toContain('WAN');
    // The user's trust score beside the play (a new account has 100).
    expect(await card.locator('[data-testid=card-trust]').textContent()).toBe('100');
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    // The only picture on the card is the poster, fetched through the API's proxy and drawn.
    expect(await page.locator('[data-testid=session-card] img:not([data-testid=poster])').count()).toBe(0);
    const poster = card.locator('[data-testid=poster]');
    expect(await poster.getAttribute('src')).toMatch(
      /^\/api\/v1\/servers\/[\w-]+\/image\?ref=%2Flibrary%2Fmetadata%2F9001%2Fthumb%2F\d+&width=160$/,
    );
    await expect
      .poll(() => poster.evaluate((img: HTMLImageElement) => (img.complete ? img.naturalWidth : 0)), {
        timeout: 10_000,
      })
      .toBe(160);
    await expect.poll(() => page.textContent('[data-testid=stat-streams]')).toContain('1');

    // A second play starts: the first card stays where it was (the new one joins the end).
    const second = plex.startSession({
      user: user('10', 'frank'),
      item: movie('9004', 'Sicario'),
      device: DEVICES.phone('frank-phone'),
      ip: '89.160.20.112',
    });
    await page.locator(`[data-testid=session-card][data-session-key="${second.key}"]`).waitFor({ timeout: 30_000 });
    const keys = () =>
      page.$$eval('[data-testid=session-card]', (cards) => cards.map((c) => c.getAttribute('data-session-key')));
    expect(await keys()).toEqual([session.key, second.key]);
    // The compact table (offered first from 100 streams): sorted, filtered and searched.
    await page.selectOption('[data-testid=session-view]', 'table');
    const rowKeys = () =>
      page.$$eval('[data-testid=live-row]', (rows) => rows.map((r) => r.getAttribute('data-session-key')));
    await expect.poll(rowKeys).toHaveLength(2);
    await page.click('[data-testid=sort-user]');
    expect(await rowKeys()).toEqual([session.key, second.key]);
    await page.click('[data-testid=sort-user]');
    expect(await rowKeys()).toEqual([second.key, session.key]);
    await page.selectOption('[data-testid=live-decision]', 'DIRECT_STREAM');
    expect(await rowKeys()).toEqual([session.key]);
    await page.selectOption('[data-testid=live-decision]', '');
    await page.fill('[data-testid=live-search]', 'sicario');
    expect(await rowKeys()).toEqual([second.key]);
    await page.selectOption('[data-testid=session-view]', 'cards');
    await card.waitFor();

    // Stopped on the server: its card leaves after the grace period (60 s), not awaited here.
    second.stop();

    await page.waitForSelector('[data-testid=globe] canvas');
    await expect.poll(() => distinctColours(page, '[data-testid=globe]'), { timeout: 20_000 }).toBeGreaterThan(20);
    // The globe turns by itself for its first 20 s until someone takes hold of it; then it stays
    // where it was left. A fresh page, so the 20 s are not spent by a slow machine above.
    await page.reload();
    await page.waitForSelector('[data-testid=globe] canvas');
    const globe = page.locator('[data-testid=globe]');
    const facing = () => globe.getAttribute('data-longitude');
    expect(await globe.getAttribute('data-turning')).toBe('true');
    const before = await facing();
    // Software WebGL at full size draws slowly: the turn shows within a few seconds.
    await expect.poll(facing, { timeout: 5_000 }).not.toBe(before);
    const box = (await globe.boundingBox())!;
    await page.mouse.move(box.x + box.width / 2, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, box.y + box.height / 2, { steps: 4 });
    await page.mouse.up();
    await page.mouse.move(box.x + 2, box.y + 2);
    expect(await globe.getAttribute('data-turning')).toBe('false');
    await page.waitForTimeout(300);
    const held = await facing();
    await page.waitForTimeout(600);
    expect(await facing()).toBe(held);

    await card.locator('[data-testid=stop-button]').click();
    await page.fill('[data-testid=stop-message]', 'Account sharing is not allowed');
    await page.click('[data-testid=stop-confirm]');
    await waitFor(() => plex.terminations.length === 1, 'the fake server to record the stop', 15_000);
    expect(plex.terminations[0]).toMatchObject({ sessionId: session.id, reason: 'Account sharing is not allowed' });
    await card.waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('explains a violation with its networks and what would have made it innocent; a false alarm gives the points back', async () => {
    // The violations page open first: the violation arrives live (pushed from the bus, possibly
    // before the warehouse has stored it). One account playing in London and in Cambridge,
    // Massachusetts at once, on two devices.
    await page.click('nav >> text=Violations');
    await page.waitForSelector('.tabs');
    const erin = user('9', 'erin');
    const london = plex.startSession({
      user: erin,
      item: movie('9002', 'Heat'),
      device: DEVICES.tv('erin-tv'),
      ip: '81.2.69.142',
    });
    const boston = plex.startSession({
      user: erin,
      item: movie('9003', 'Ronin'),
      device: DEVICES.phone('erin-phone'),
      ip: '18.9.22.69',
    });
    const card = page.locator('[data-testid=violation]', { hasText: 'erin' }).first();
    await card.waitFor({ timeout: 30_000 });
    expect(await card.locator('[data-testid=network]').first().textContent()).toMatch(/AS\d+/);
    await card.locator('[data-testid=innocent-if] summary').click();
    expect(await card.locator('[data-testid=innocent-if]').textContent()).toContain('belong to one household');
    const trust = () =>
      page.evaluate(async () => {
        const { users } = (await (await fetch('/api/v1/users')).json()) as {
          users: Array<{ userName: string; trustScore: number }>;
        };
        return users.find((u) => u.userName === 'erin')?.trustScore;
      });
    await expect.poll(trust, { timeout: 30_000 }).toBeLessThan(100);
    await card.locator('button', { hasText: 'False alarm' }).click();
    // The processor gives the points back; the score comes back to 100.
    await expect.poll(trust, { timeout: 30_000 }).toBe(100);
    await page.click('.tabs >> text=False alarms');
    await page.locator('[data-testid=violation]', { hasText: 'erin' }).first().waitFor();
    // The profile lists why the score moved, and takes an adjustment by hand with its reason.
    await page
      .locator('[data-testid=violation]', { hasText: 'erin' })
      .first()
      .locator('a', { hasText: 'erin' })
      .click();
    await page.waitForSelector('[data-testid=trust-changes]');
    expect(await page.textContent('[data-testid=trust-changes]')).toContain('False alarm: points given back');
    await page.fill('[data-testid=trust-adjust] input[type=number]', '-5');
    await page.fill('[data-testid=trust-adjust] input[type=text]', 'watched from a hotel, told us');
    await page.click('[data-testid=trust-adjust] button[type=submit]');
    await expect.poll(trust, { timeout: 30_000 }).toBe(95);
    await page.reload();
    expect(await page.textContent('[data-testid=trust-changes]')).toContain('watched from a hotel, told us (admin)');
    // In bulk: every false alarm shown, reopened at once; the points are taken again.
    await page.click('nav >> text=Violations');
    await page.click('.tabs >> text=False alarms');
    await page.locator('[data-testid=violation]', { hasText: 'erin' }).first().waitFor();
    await page.check('[data-testid=select-all]');
    await page.click('[data-testid=violation-filters] button >> text=Reopen');
    await expect.poll(trust, { timeout: 30_000 }).toBe(80);
    london.stop();
    boston.stop();
    await page.click('nav >> text=Overview');
  });

  // A dozen pages, each waited for until idle, and an import: more than the default minute on a
  // busy 2-core machine.
  it('adds a channel that hears of servers going down, with quiet hours, and lists what it hears', async () => {
    await page.goto(`${base}/settings?tab=notifications`);
    await page.click('[data-testid=add-channel]');
    const form = page.locator('[data-testid=channel-form]');
    await form.locator('input[name=webhookUrl]').fill('http://127.0.0.1:9/discord-hook');
    await form.locator('input[name=event-SERVER_DOWN]').check();
    await form.locator('input[name=event-SERVER_UP]').check();
    await form.locator('input[name=quiet]').check();
    await form.locator('input[name=groupMinutes]').fill('10');
    await form.locator('button[type=submit]').click();
    await page.waitForSelector('text=Server down', { timeout: 10_000 });
    // "Server down" is also the form's own label: the saved channel is waited for in the API,
    // which a busy machine may answer before the save is done.
    const lastChannel = async () =>
      (
        (await page.evaluate(() => fetch('/api/v1/notifications/channels').then((r) => r.json()))) as {
          channels: Array<{ events: string[]; quietHours: unknown; groupMinutes: number }>;
        }
      ).channels.at(-1);
    await expect.poll(lastChannel, { timeout: 10_000 }).toMatchObject({
      events: ['VIOLATION', 'SERVER_DOWN', 'SERVER_UP'],
      quietHours: { from: '23:00', to: '07:00' },
      groupMinutes: 10,
    });

    // Automations: a preset tried on the history, then saved as a dry run.
    await page.goto(`${base}/settings?tab=automations`);
    await page.click('[data-testid="backtest-preset-refuse-4k-transcodes"]');
    expect(await page.locator('[data-testid=backtest-result]').textContent()).toMatch(
      /Would have fired \d+ times over \d+ plays/,
    );
    await page
      .locator('tr', { hasText: 'Refuse 4K transcodes' })
      .locator('label', { hasText: 'Dry run' })
      .locator('input')
      .check();
    await expect
      .poll(async () =>
        (
          (await page.evaluate(() => fetch('/api/v1/automations').then((r) => r.json()))) as {
            automations: Array<{ id: string; dryRun: boolean; enabled: boolean }>;
          }
        ).automations.find((a) => a.id === 'preset-refuse-4k-transcodes'),
      )
      .toMatchObject({ dryRun: true, enabled: false });
    await page.goto(base);
  });

  it('opens every page without a console error', async () => {
    plex.startSession({
      user: user('8', 'dave'),
      item: episode('7001', 'Severance', 1, 1, 'Good News About Hell'),
      device: DEVICES.phone(),
      ip: '8.8.8.8',
    });
    await page.waitForSelector('[data-testid=session-card]', { timeout: 30_000 });
    await page.waitForTimeout(1000);
    // Every page under the Content-Security-Policy: a violation would also be a console error;
    // this records them by the browser's own event, with what was refused.
    await page.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (e) =>
        ((window as unknown as { cspViolations: string[] }).cspViolations ??= []).push(
          `${e.violatedDirective} ${e.blockedURI}`,
        ),
      );
    });
    for (const path of ['/', ...PAGES]) {
      const response = await page.goto(base + path);
      expect(response!.headers()['content-security-policy'], path).toMatch(/script-src 'self' 'sha256-/);
      await page.waitForLoadState('networkidle');
      await page.waitForSelector('main h1');
      await screenshot(page, 'desktop', path);
      expect(
        await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? []),
        path,
      ).toEqual([]);
    }
    // History at full size: a title keeps room for its words whatever the other cells hold (a
    // long device name squeezed it to one letter a line), and each play shows its poster.
    await page.goto(`${base}/history`);
    const historyTitle = page.locator('[data-testid=history-title]').first();
    await historyTitle.waitFor();
    expect(await historyTitle.evaluate((td) => td.clientWidth)).toBeGreaterThan(200);
    expect(await historyTitle.locator('[data-testid=poster]').count()).toBe(1);
    // The remux stopped earlier is a direct stream in history too, as its card said while it ran.
    const arrival = page.locator('[data-testid=history-table] tr', { hasText: 'Arrival' }).first();
    expect(await arrival.locator('[data-testid=delivery]').textContent()).toBe('Direct stream');
    // The page's export is the same list as a file, with the page's filters.
    const exported = await page.request.get(base + (await page.getAttribute('[data-testid=export-csv]', 'href'))!);
    expect(exported.headers()['content-disposition']).toMatch(/attachment; filename="streamwarden-history-/);
    expect(await exported.text()).toContain('Arrival');
    // The first day of an install: the concurrency chart has one point and draws it (a line
    // without symbols drew nothing), in its series colour inside the plot area.
    await page.goto(`${base}/analytics`);
    const peak = '[role=img][aria-label="Concurrent streams peak"]';
    await page.waitForSelector(`${peak} canvas`);
    // Its data can take a while on a loaded machine (CI runs other test files beside this one).
    await expect.poll(() => pixelsOfColour(page, peak, [59, 130, 246]), { timeout: 30_000 }).toBeGreaterThan(20);
    // The panels for what the API knew but the page did not show: each has data to draw.
    for (const panel of ['Cities', 'Audio codecs', 'Client applications', 'Players', 'Data streamed per day']) {
      await page.waitForSelector(`[role=img][aria-label="${panel}"] canvas`);
      expect(await page.locator(`.frame:has([aria-label="${panel}"]) [data-testid=chart-empty]`).count(), panel).toBe(
        0,
      );
    }
    // The library half loads on its own (LibraryPanels.svelte) and draws its tables.
    await page.waitForSelector('[data-testid=several-servers] table');
    // A panel's bar opens the history of the plays it counts: the top user's bar, the first from the
    // top, found by clicking down the chart until the page changes.
    const topUsers = page.locator('[role=img][aria-label="Top users"]');
    const box = (await topUsers.boundingBox())!;
    for (let y = 34; y < box.height - 40 && !page.url().includes('/history'); y += 6) {
      await page.mouse.click(box.x + box.width * 0.55, box.y + y);
      await page.waitForTimeout(50);
    }
    await page.waitForURL(/\/history\?.*accounts=/);
    const chip = page.locator('[data-testid=narrowing-chip]');
    await chip.waitFor();
    const chosen = (await chip.textContent())!.replace(/^User: /, '').replace(/ ×$/, '');
    await page.locator('[data-testid=history-table] td.user').first().waitFor();
    const users = await page.locator('[data-testid=history-table] td.user').allTextContents();
    expect(new Set(users)).toEqual(new Set([chosen]));
    // Removing the narrowing shows every play again.
    await chip.click();
    await page.waitForURL((url) => !url.search.includes('accounts='));
    await expect.poll(() => page.locator('[data-testid=narrowing-chip]').count()).toBe(0);
    // The API documentation renders under the same policy.
    await page.goto(`${base}/api-docs`);
    await page.waitForSelector('.swagger-ui .info .title');
    expect(await page.evaluate(() => (window as unknown as { cspViolations?: string[] }).cspViolations ?? [])).toEqual(
      [],
    );
    // The heatmap says what its colours mean.
    await page.goto(`${base}/map`);
    await page.waitForSelector('[data-testid=heat-legend] >> text=More plays');
    await page.goto(`${base}/history`);
    await page.locator('[data-testid=history-table] tr.clickable').first().click();
    await page.waitForURL(/\/history\/plex-home\//);
    await page.waitForSelector('text=Timeline');
    // Words, not the contract's enum values.
    const RAW = /\b(DIRECT_PLAY|DIRECT_STREAM|TRANSCODE|STARTED|PROGRESS|PLAYING|PAUSED|STOPPED|AUTH_FAILED)\b/;
    expect(await page.textContent('main')).not.toMatch(RAW);
    expect(await page.locator('main table:not(:has(thead th))').count()).toBe(0);
    await page.goto(`${base}/users`);
    await page.locator('[data-testid=users-table] tr.clickable').first().click();
    await page.waitForURL(/\/users\/plex-home/);
    await page.waitForSelector('[data-testid=overrides]');
    // When they watch, by weekday and hour, from their plays (a chart with data, not the empty note).
    await page.waitForSelector('[data-testid=user-heatmap] canvas');
    await expect.poll(() => page.locator('[data-testid=user-heatmap] [data-testid=chart-empty]').count()).toBe(0);
    await expect
      .poll(() => distinctColours(page, '[data-testid=user-heatmap]'), { timeout: 10_000 })
      .toBeGreaterThan(3);
    // This account's own rule settings in the rules' form: only what differs is saved.
    const accountKey = decodeURIComponent(page.url().split('/users/')[1]!);
    await page.click('[data-testid=override-toggle-concurrentStreams]');
    await page.fill('[data-testid=override-concurrentStreams] input[name="concurrentStreams.maxStreams"]', '5');
    await page.click('[data-testid=overrides] button[type=submit]');
    await expect.poll(() => page.textContent('[data-testid=overrides-note]')).toBe('Saved');
    const saved = await page.evaluate(
      (key) =>
        fetch('/api/v1/rules')
          .then((r) => r.json())
          .then((r: { accounts: Record<string, unknown> }) => r.accounts[key]),
      accountKey,
    );
    expect(saved).toEqual({ concurrentStreams: { maxStreams: 5 } });
    // A profile reads as one: no two sections of one name, every table with its column headings.
    const headings = await page.locator('main h2').allTextContents();
    expect(new Set(headings).size, headings.join(' | ')).toBe(headings.length);
    expect(await page.locator('main table:not(:has(thead th))').count()).toBe(0);
    await page.goto(`${base}/settings?tab=servers`);
    await page.waitForSelector('text=Home Plex');
    expect(await page.textContent('main')).not.toMatch(/\b(UP|DOWN|AUTH_FAILED)\b/);
    await page.goto(`${base}/settings?tab=rules`);
    // The form is built from the rules' definitions: their names, every severity, allowed actions,
    // settings in the units people think in (the device window in hours, stored in ms).
    await page.waitForSelector('[data-testid=rules-form] legend >> text=Impossible travel');
    expect(
      await page
        .locator('select[name="impossibleTravel.severity"] option')
        .evaluateAll((os) => os.map((o) => o.textContent)),
    ).toEqual(['Low', 'Medium', 'High', 'Critical']);
    expect(await page.locator('select[name="inactivity.action"]').isDisabled()).toBe(true);
    const windowField = page.locator('input[name="deviceVelocity.windowMs"]');
    expect(await windowField.inputValue()).toBe('24');
    await windowField.fill('48');
    await page.click('[data-testid=rules-form] button[type=submit]');
    await page.waitForSelector('[data-testid=rules-form] [role=status] >> text=Saved');
    const savedRules = await page.evaluate(async () => (await fetch('/api/v1/rules')).json());
    expect(savedRules.rules.deviceVelocity.windowMs).toBe(48 * 3_600_000);
    await page.click('[data-testid=backtest-run]');
    await page.waitForSelector('[data-testid=backtest-result]');

    // History import from the dashboard, with its progress and its account of the source's rows.
    const tautulli = join(mkdtempSync(join(tmpdir(), 'sw-e2e-import-')), 'tautulli.db');
    const history = createTautulliHistory(tautulli);
    await page.goto(`${base}/settings?tab=import`);
    await page.fill('input[name=serverId]', 'plex-home');
    await page.setInputFiles('input[name=file]', tautulli);
    await page.click('[data-testid=import-start]');
    await page.waitForSelector('[data-testid=import-job][data-status=done]', { timeout: 30_000 });
    expect(await page.textContent('[data-testid=import-job]')).toContain(`${history.plays.length} plays added`);
    expect(await page.textContent('[data-testid=import-summary]')).toMatch(
      new RegExp(
        `${history.sessions} source rows became ${history.plays.length} plays\\s*·\\s*${history.sessions - history.plays.length} resumed sessions joined the play they continue`,
      ),
    );
    expect(errors).toEqual([]);
    // Twenty-six pages and the analytics checks: 70-85 s alone, over 120 s once beside CI's other test files.
  }, 240_000);

  it('lets the owner add a viewer, who sees no stop button, settings only read-only, and changes their password; the audit log shows it', async () => {
    await page.goto(`${base}/settings?tab=team`);
    const add = page.locator('[data-testid=team-add]');
    await add.locator('input').nth(0).fill('vera');
    await add.locator('input[type=password]').fill('vera has a long password');
    await add.locator('select[aria-label=Role]').selectOption('viewer');
    await add.locator('button[type=submit]').click();
    await page.waitForSelector('[data-testid=team] tr[data-user=vera]');

    const viewer = await browser.newContext();
    const vPage = await viewer.newPage();
    const viewerErrors = collectErrors(vPage);
    await vPage.goto(`${base}/login`);
    await vPage.fill('input[name=username]', 'vera');
    await vPage.fill('input[name=password]', 'vera has a long password');
    await vPage.click('button[type=submit]');
    await vPage.waitForURL(`${base}/`);
    await vPage.waitForSelector('[data-testid=session-card]', { timeout: 30_000 });
    expect(await vPage.locator('[data-testid=stop-button]').count()).toBe(0);
    expect(await vPage.textContent('[data-testid=account-link]')).toContain('vera · Viewer');
    expect(await vPage.locator('nav >> text=Audit log').count()).toBe(0);
    // Tokens and the team are not offered; what is shown cannot be changed.
    await vPage.goto(`${base}/settings?tab=tokens`);
    await vPage.waitForSelector('[data-testid=read-only]');
    const tabs = await vPage.locator('.tabs button').allTextContents();
    expect(tabs).not.toContain('API tokens');
    expect(tabs).not.toContain('Team');
    expect(await vPage.locator('fieldset[disabled]').count()).toBe(1);

    await vPage.goto(`${base}/account`);
    await vPage.fill('input[name=current]', 'vera has a long password');
    await vPage.fill('input[name=new]', 'vera chose a new password');
    await vPage.fill('input[name=repeat]', 'vera chose a new password');
    await vPage.click('[data-testid=change-password] button[type=submit]');
    await vPage.waitForSelector('[data-testid=account-notice]');
    expect(await vPage.locator('[data-testid=sessions] tbody tr').count()).toBe(1);
    expect(viewerErrors).toEqual([]);
    await viewer.close();

    await page.goto(`${base}/audit`);
    await page.waitForSelector('[data-testid=audit] >> text=auth.password-change');
    const rows = await page.locator('[data-testid=audit] tbody tr').allTextContents();
    expect(rows.some((r) => r.includes('dashboard-user.add') && r.includes('vera'))).toBe(true);
    expect(rows.join('\n')).not.toContain('vera chose a new password');
  });

  it('speaks Simplified and Traditional Chinese and fits a phone screen', async () => {
    await page.goto(base);
    await page.selectOption('[data-testid=language]', 'zh-Hans');
    await page.waitForSelector('nav >> text=概览');
    // Every page in Simplified Chinese says nothing in English: no text on it is a string of the
    // English file that has a Chinese translation (names, titles and figures are data, not words).
    const english = new Set<string>(
      (Object.keys(en) as Array<keyof typeof en>)
        .filter((key) => en[key] !== zhHans[key] && !en[key].includes('{'))
        .map((key) => en[key]),
    );
    for (const path of ['/', ...PAGES]) {
      await page.goto(base + path);
      await page.waitForSelector('main h1');
      await page.waitForLoadState('networkidle');
      const texts = await page.evaluate(() => {
        const found: string[] = [];
        const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
        for (let node = walker.nextNode(); node; node = walker.nextNode()) {
          const text = node.textContent?.trim();
          if (text) found.push(text);
        }
        for (const el of Array.from(document.querySelectorAll('[placeholder], [aria-label], [title]')))
          for (const name of ['placeholder', 'aria-label', 'title']) {
            const value = el.getAttribute(name)?.trim();
            if (value) found.push(value);
          }
        return found;
      });
      expect(
        texts.filter((text) => english.has(text)),
        path,
      ).toEqual([]);
      // Every finding's summary is written from its evidence in the viewer's language.
      if (path === '/violations') {
        const summaries = await page.locator('[data-testid=finding-summary]').allTextContents();
        expect(summaries.length).toBeGreaterThan(0);
        expect(summaries.filter((s) => !/[\u4e00-\u9fff]/.test(s))).toEqual([]);
        // And what would have made each innocent, from the reasons' codes and figures.
        const reasons = await page.locator('[data-testid=innocent-if] li').allTextContents();
        expect(reasons.length).toBeGreaterThan(0);
        expect(reasons.filter((s) => !/[\u4e00-\u9fff]/.test(s))).toEqual([]);
      }
    }
    await page.selectOption('[data-testid=language]', 'zh-Hant');
    await page.waitForSelector('nav >> text=總覽');
    await page.selectOption('[data-testid=language]', 'en');

    // A still globe (reduced motion): this is about layout, and the headless browser draws WebGL
    // without a GPU, slowly.
    const phone = await browser.newPage({
      viewport: { width: 390, height: 844 },
      isMobile: true,
      hasTouch: true,
      reducedMotion: 'reduce',
    });
    const phoneErrors = collectErrors(phone);
    await phone.context().addCookies(await page.context().cookies());
    await phone.goto(base);
    await phone.waitForSelector('[data-testid=session-card]', { timeout: 30_000 }).catch(async (err: Error) => {
      throw new Error(`${err.message}\nerrors: ${phoneErrors.join('\n')}\npage: ${await phone.textContent('main')}`);
    });
    const overflow = () => phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(await overflow()).toBeLessThanOrEqual(0);
    await screenshot(phone, 'phone', '/');
    // Every page: nothing wider than the screen.
    for (const path of PAGES) {
      await phone.goto(base + path);
      await phone.waitForSelector('main h1');
      await phone.waitForLoadState('networkidle');
      expect(await overflow(), path).toBeLessThanOrEqual(0);
      await screenshot(phone, 'phone', path);
    }
    // History: a play's title gets the width of the screen, not a few letters a line.
    await phone.goto(`${base}/history`);
    const title = phone.locator('[data-testid=history-title]').first();
    await title.waitFor();
    const box = await title.evaluate((td) => ({ width: td.clientWidth, overflows: td.scrollWidth > td.clientWidth }));
    expect(box.width).toBeGreaterThan(300);
    expect(box.overflows).toBe(false);
    expect(phoneErrors).toEqual([]);
    await phone.close();
  }, 240_000);

  it('installs as an app (manifest, icons, service worker) and opens offline with a plain word', async () => {
    const manifest = (await (await fetch(`${base}/manifest.webmanifest`)).json()) as {
      start_url: string;
      display: string;
      icons: Array<{ src: string; sizes: string; type: string; purpose: string }>;
    };
    expect(manifest).toMatchObject({ start_url: '/', display: 'standalone' });
    // Each PNG icon is a PNG of the size it declares (browsers want 192 and 512, and a maskable one).
    for (const icon of manifest.icons.filter((i) => i.type === 'image/png')) {
      const bytes = Buffer.from(await (await fetch(base + icon.src)).arrayBuffer());
      expect(bytes.subarray(1, 4).toString('latin1'), icon.src).toBe('PNG');
      expect(`${bytes.readUInt32BE(16)}x${bytes.readUInt32BE(20)}`, icon.src).toBe(icon.sizes);
    }
    expect(manifest.icons.some((i) => i.purpose === 'maskable')).toBe(true);

    const app = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await app.addCookies(await page.context().cookies());
    const tab = await app.newPage();
    await tab.goto(base);
    await tab.waitForSelector('main h1');
    // `ready` resolves once a worker is active, which may still be activating then (failed 1 run in 5).
    await tab.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, {
      timeout: 15_000,
    });
    // Controlled from the next load on; then the network goes away.
    await tab.reload();
    await tab.waitForSelector('main h1');
    await app.setOffline(true);
    await tab.reload();
    await tab.waitForSelector('[data-testid=offline]');
    expect(await tab.textContent('[data-testid=offline]')).toContain('offline');
    // Back online: the figures return without a reload.
    await app.setOffline(false);
    await tab.evaluate(() => window.dispatchEvent(new Event('online')));
    await tab.waitForSelector('[data-testid=stat-streams]');
    await app.close();
  });

  it('shows a web push as a notification from the service worker; the account page offers push on this browser', async () => {
    const app = await browser.newContext({ viewport: { width: 1440, height: 900 } });
    await app.addCookies(await page.context().cookies());
    await app.grantPermissions(['notifications'], { origin: base });
    const tab = await app.newPage();
    const tabErrors = collectErrors(tab);
    await tab.goto(`${base}/account`);
    await tab.waitForSelector('[data-testid=push-browsers] button.primary');
    await tab.waitForFunction(async () => (await navigator.serviceWorker.ready).active?.state === 'activated', null, {
      timeout: 15_000,
    });
    // A push service cannot be reached from here: the message goes to the worker through DevTools,
    // as a push service's would, and the worker must show it.
    const cdp = await app.newCDPSession(tab);
    const registrations: Array<{ registrationId: string; scopeURL: string; isDeleted: boolean }> = [];
    cdp.on('ServiceWorker.workerRegistrationUpdated', (e: { registrations: typeof registrations }) =>
      registrations.push(...e.registrations),
    );
    await cdp.send('ServiceWorker.enable');
    await waitFor(
      () => registrations.some((r) => r.scopeURL === `${base}/` && !r.isDeleted),
      "the app's service worker registration",
      10_000,
    );
    const registration = registrations.find((r) => r.scopeURL === `${base}/` && !r.isDeleted)!;
    // Polled from here: waitForFunction takes a promise for a truthy answer at once.
    const notifications = () =>
      tab.evaluate(async () =>
        (await (await navigator.serviceWorker.ready).getNotifications()).map((n) => ({
          title: n.title,
          body: n.body,
          tag: n.tag,
          data: n.data as unknown,
          sticky: n.requireInteraction,
        })),
      );
    // DevTools drops a delivery now and then (1 CI run in 4, the worker idle): sent again until
    // shown; the tag makes a repeat replace the notification, so one is ever listed.
    const deliver = () =>
      cdp.send('ServiceWorker.deliverPushMessage', {
        origin: base,
        registrationId: registration.registrationId,
        data: JSON.stringify({
          title: 'Impossible travel: alice',
          body: 'Boston -> London, 5,265 km in 30 min',
          tag: 'v-e2e',
          url: '/violations',
          urgent: true,
        }),
      });
    await waitFor(
      async () => {
        await deliver();
        const until = Date.now() + 2000;
        while (Date.now() < until) {
          if ((await notifications()).length > 0) return true;
          await new Promise((r) => setTimeout(r, 100));
        }
        return false;
      },
      'the notification',
      30_000,
    );
    expect(await notifications()).toEqual([
      {
        title: 'Impossible travel: alice',
        body: 'Boston -> London, 5,265 km in 30 min',
        tag: 'v-e2e',
        data: { url: '/violations' },
        sticky: true,
      },
    ]);
    expect(tabErrors).toEqual([]);
    await app.close();
  });
});
