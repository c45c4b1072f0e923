// `npm run demo`: Streamwarden (the same process as `npm start`) watching three fake media
// servers (Plex, Jellyfin, Emby) and a scripted fleet of viewers, so the dashboard is alive within
// a minute. Data goes to ./data-demo unless STREAMWARDEN_DATA_DIR says otherwise.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { FakeMediaBrowserServer } from '../connectors/fakes/fake-mediabrowser.ts';
import { FakePlexServer } from '../connectors/fakes/fake-plex.ts';
import { GeoIp } from '../core/geoip.ts';
import { freePort } from '../runtime/free-port.ts';
import { DemoFleet } from './fleet.ts';
import { samplePlaces, seeded } from './places.ts';
import { productArgs } from '../runtime/node-flags.ts';

const USERNAME = 'admin';
const PASSWORD = process.env.DEMO_PASSWORD ?? 'streamwarden-demo';
const USERS = Number(process.env.DEMO_USERS ?? 300);
const SEED = Number(process.env.DEMO_SEED ?? 7);

async function main(): Promise<void> {
  const port = process.env.PORT === '0' ? await freePort() : Number(process.env.PORT ?? 3000);
  const base = `http://127.0.0.1:${port}`;
  const random = seeded(SEED);
  const geo = await GeoIp.open();
  const places = samplePlaces(geo, 150, random);

  const servers = [
    {
      id: 'demo-plex',
      name: 'Plex (Frankfurt)',
      type: 'plex',
      fake: new FakePlexServer(randomBytes(12).toString('hex'), 'Demo Plex'),
      latitude: 50.11,
      longitude: 8.68,
    },
    {
      id: 'demo-jellyfin',
      name: 'Jellyfin (Virginia)',
      type: 'jellyfin',
      fake: new FakeMediaBrowserServer('JELLYFIN', randomBytes(16).toString('hex'), 'Demo Jellyfin'),
      latitude: 39.04,
      longitude: -77.49,
    },
    {
      id: 'demo-emby',
      name: 'Emby (Singapore)',
      type: 'emby',
      fake: new FakeMediaBrowserServer('EMBY', randomBytes(16).toString('hex'), 'Demo Emby'),
      latitude: 1.35,
      longitude: 103.82,
    },
  ] as const;
  for (const server of servers) await server.fake.start();

  const product = spawn(process.execPath, productArgs(), {
    env: {
      ...process.env,
      PORT: String(port),
      STREAMWARDEN_DATA_DIR: process.env.STREAMWARDEN_DATA_DIR ?? './data-demo',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
      KAFKA_BROKERS: process.env.KAFKA_BROKERS ?? '',
      CLICKHOUSE_URL: process.env.CLICKHOUSE_URL ?? '',
    },
    stdio: 'inherit',
    // Its own process group: Ctrl+C reaches the demo only, which stops the viewers first.
    detached: true,
  });
  process.on('exit', () => product.exitCode === null && product.kill('SIGTERM'));
  const until = Date.now() + 120_000;
  while (
    !(await fetch(`${base}/health`).then(
      (r) => r.ok,
      () => false,
    ))
  ) {
    if (product.exitCode !== null) throw new Error('Streamwarden exited during start-up (see above)');
    if (Date.now() > until) throw new Error('Streamwarden did not answer within 2 minutes');
    await new Promise((r) => setTimeout(r, 250));
  }

  const json = { 'content-type': 'application/json' };
  const { needsSetup } = (await (await fetch(`${base}/api/v1/setup`)).json()) as { needsSetup: boolean };
  if (needsSetup)
    await fetch(`${base}/api/v1/setup`, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
    });
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ username: USERNAME, password: PASSWORD }),
  });
  if (!login.ok)
    throw new Error(
      `cannot sign in as ${USERNAME} to add the demo servers: this data folder has another administrator password (set DEMO_PASSWORD)`,
    );
  const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
  // The fakes get new ports and tokens every run: update the servers, or add them the first time.
  for (const { id, name, type, fake, latitude, longitude } of servers) {
    const body = { name, type, url: fake.url, token: fake.token, latitude, longitude };
    const updated = await fetch(`${base}/api/v1/servers/${id}`, {
      method: 'PUT',
      headers: { ...json, cookie },
      body: JSON.stringify(body),
    });
    if (updated.status === 404)
      await fetch(`${base}/api/v1/servers`, {
        method: 'POST',
        headers: { ...json, cookie },
        body: JSON.stringify({ id, ...body }),
      });
  }

  const fleet = new DemoFleet({ servers: servers.map((s) => s.fake), places, users: USERS, random });
  fleet.start();
  const habits = fleet.viewers.reduce<Record<string, number>>((n, v) => ((n[v.habit] = (n[v.habit] ?? 0) + 1), n), {});
  console.log(`\nStreamwarden demo: ${base}  (sign in as ${USERNAME} / ${PASSWORD})`);
  console.log(
    `  ${USERS} viewers in ${new Set(places.map((p) => p.countryCode)).size} countries on Plex, Jellyfin and Emby; ${habits.sharer ?? 0} share their account, ${habits.traveller ?? 0} travel impossibly fast, ${habits.binger ?? 0} stream four at once.`,
  );
  console.log('  Ctrl+C stops it.\n');

  let stopping = false;
  const shutdown = async () => {
    if (stopping) return;
    stopping = true;
    fleet.stop();
    // Lets the connectors report the stops before Streamwarden shuts down.
    await new Promise((r) => setTimeout(r, 3000));
    product.kill('SIGTERM');
    await new Promise((resolve) => (product.exitCode !== null ? resolve(null) : product.once('exit', resolve)));
    for (const server of servers) await server.fake.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  product.once('exit', (code) => {
    if (!stopping) {
      console.error(`Streamwarden exited (${code}); stopping the demo`);
      void shutdown();
    }
  });
}

main().catch((err: unknown) => {
  console.error(`demo: ${(err as Error).message}`);
  process.exit(1);
});
