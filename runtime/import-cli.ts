// `npm run import -- <source> ...`: imports Tautulli or Jellystat history into the warehouse
// Streamwarden is configured with (same environment variables as `npm start`).
//   npm run import -- tautulli-db  <tautulli.db>   --server <server id>
//   npm run import -- tautulli-api <url> <api key> --server <server id>
//   npm run import -- jellystat    <backup.json>   --server <server id> [--emby]
//   npm run import -- playback-reporting <playback_reporting.db> --server <server id> [--time-zone <IANA>]
//     (the Jellyfin server's zone: the plugin writes local times; default this machine's)
// With the embedded ClickHouse, stop Streamwarden first (one process owns ./data), or import
// from the dashboard (Settings > Import) while it runs.
import { GeoIp } from '../core/geoip.ts';
import { openCliWarehouse } from './cli-warehouse.ts';
import { importHistory, ImportFormatError, type ImportSource } from '../importers/import-history.ts';
import { describeImport } from '../importers/summary.ts';
import type { ImportProgress } from '../importers/writer.ts';

function usage(message?: string): never {
  if (message) console.error(`import: ${message}\n`);
  console.error(
    'usage: npm run import -- tautulli-db <tautulli.db> --server <id>\n       npm run import -- tautulli-api <url> <api key> --server <id>\n       npm run import -- jellystat <backup.json> --server <id> [--emby]\n       npm run import -- playback-reporting <playback_reporting.db> --server <id> [--time-zone Europe/Berlin]',
  );
  process.exit(2);
}

function parse(argv: string[]): ImportSource {
  const flags = new Map<string, string | true>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--emby') flags.set('emby', true);
    else if (arg.startsWith('--')) flags.set(arg.slice(2), argv[++i] ?? '');
    else positional.push(arg);
  }
  const serverId = flags.get('server');
  if (typeof serverId !== 'string' || !serverId)
    usage('--server <id> is required: the id of the media server in Streamwarden this history belongs to');
  const [kind, a, b] = positional;
  if (kind === 'tautulli-db' && a) return { kind, path: a, serverId };
  if (kind === 'tautulli-api' && a && b) return { kind, url: a, apiKey: b, serverId };
  if (kind === 'jellystat' && a)
    return { kind, path: a, serverId, serverType: flags.has('emby') ? 'EMBY' : 'JELLYFIN' };
  if (kind === 'playback-reporting' && a) {
    const zone = flags.get('time-zone');
    return {
      kind,
      path: a,
      serverId,
      timeZone: typeof zone === 'string' && zone ? zone : Intl.DateTimeFormat().resolvedOptions().timeZone,
    };
  }
  usage();
}

/** A bar on a terminal; a line every few seconds otherwise (logs, CI). */
function progressPrinter(): (p: ImportProgress) => void {
  let lastLine = 0;
  let lastText = '';
  return (p) => {
    const share = p.total ? Math.min(1, p.read / p.total) : 0;
    const text = `${p.read.toLocaleString('en-US')}${p.total ? ` / ${p.total.toLocaleString('en-US')}` : ''} plays read, ${p.added.toLocaleString('en-US')} added, ${p.skipped.toLocaleString('en-US')} already there`;
    if (process.stderr.isTTY) {
      const width = 30;
      const done = Math.round(share * width);
      process.stderr.write(`\r[${'#'.repeat(done)}${'.'.repeat(width - done)}] ${Math.round(share * 100)}% ${text}   `);
    } else if ((Date.now() - lastLine > 5000 || share === 1) && text !== lastText) {
      lastLine = Date.now();
      lastText = text;
      console.error(text);
    }
  };
}

async function main(): Promise<void> {
  const source = parse(process.argv.slice(2));
  const { warehouse, config } = await openCliWarehouse('import', usage, 'or import from the dashboard');
  const geo = await GeoIp.open({ databasePath: config.geoipDatabase });
  try {
    const result = await importHistory(source, warehouse, {
      geo,
      onProgress: progressPrinter(),
    });
    if (process.stderr.isTTY) process.stderr.write('\n');
    console.log(`imported into ${warehouse.description}: ${describeImport(result)}`);
  } catch (err) {
    if (process.stderr.isTTY) process.stderr.write('\n');
    if (err instanceof ImportFormatError) {
      console.error(`import: ${err.message}`);
      process.exit(1);
    }
    throw err;
  } finally {
    await warehouse.close();
  }
}

void main();
