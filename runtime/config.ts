// Configuration comes from environment variables only (12-factor); README.md lists them.
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { AppError } from '../core/errors.ts';
import { ROLES, type Role } from '../core/roles.ts';
import type { OidcSettings } from '../api/auth/oidc.ts';

export interface Config {
  dataDir: string;
  logLevel: string;
  kafka: {
    brokers: string[];
    clientId: string;
    partitions: number;
    /** Put before every topic and consumer group name on the broker (KAFKA_TOPIC_PREFIX). */
    topicPrefix: string;
    /** How long a silent process keeps its partitions before the others take them over. */
    sessionTimeoutMs: number;
  };
  clickhouse: { url?: string; username?: string; password?: string; database: string; embeddedMemoryMiB: number };
  http: {
    host: string;
    port: number;
    /** Reverse proxies (addresses or CIDR ranges) whose X-Forwarded-For is believed. */
    trustedProxies: string[];
    /** Origins besides the app's own allowed to open the live WebSocket. */
    allowedOrigins: string[];
  };
  /** JSON list of media servers to watch (connectors/config.ts). */
  serversFile?: string;
  /** Days raw playback events are kept; undefined keeps them for good. */
  rawEventsTtlDays?: number;
  /** Minutes between two reads of each media server's libraries (titles added are told after one). */
  librarySyncMinutes: number;
  analyticsCacheSeconds: number;
  /** A MaxMind GeoLite2/GeoIP2 City .mmdb; undefined uses the bundled DB-IP Lite database. */
  geoipDatabase?: string;
  /** JSON file of rule parameters and per-account overrides (pipeline/rules/rules-file.ts). */
  rulesFile?: string;
  /** Confluent-compatible schema registry to publish the topic schemas to (Redpanda's :8081). */
  schemaRegistryUrl?: string;
  /** Where people reach the app (STREAMWARDEN_PUBLIC_URL): OIDC's redirect, web push's contact. */
  publicUrl?: string;
  /** Sign-in with an OpenID Connect provider, when STREAMWARDEN_OIDC_ISSUER is set. */
  oidc?: OidcSettings;
  /** Sign-in with Plex accounts through plex.tv (on unless STREAMWARDEN_PLEX_SIGN_IN=false). */
  plexSignIn: boolean;
  /** plex.tv's address (STREAMWARDEN_PLEX_TV_URL): a stand-in for tests; https://plex.tv otherwise. */
  plexTvUrl?: string;
}

export class ConfigError extends AppError {
  constructor(message: string) {
    super('invalid', message);
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(`${name} must be a whole number from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return value;
}

/** Kafka's own rule for topic names, less the room the longest of ours takes. */
function topicPrefix(env: Env): string {
  const raw = text(env, 'KAFKA_TOPIC_PREFIX') ?? '';
  if (!/^[A-Za-z0-9._-]{0,150}$/.test(raw))
    throw new ConfigError(
      `KAFKA_TOPIC_PREFIX may hold only letters, digits, '.', '_' and '-' (at most 150), got ${JSON.stringify(raw)}`,
    );
  return raw;
}

function brokers(env: Env): string[] {
  const raw = text(env, 'KAFKA_BROKERS');
  if (!raw) return [];
  const list = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const broker of list) {
    if (!/^[A-Za-z0-9.\-_[\]:]+:\d{1,5}$/.test(broker)) {
      throw new ConfigError(`KAFKA_BROKERS must be a comma-separated list of host:port, got ${JSON.stringify(broker)}`);
    }
  }
  return list;
}

function clickhouseUrl(env: Env): string | undefined {
  const raw = text(env, 'CLICKHOUSE_URL');
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      `CLICKHOUSE_URL must be an http(s) URL such as http://localhost:8123, got ${JSON.stringify(raw)}`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new ConfigError(`CLICKHOUSE_URL must use http or https (ClickHouse's HTTP interface), got ${url.protocol}`);
  }
  return raw;
}

function trustedProxies(env: Env): string[] {
  const list = (text(env, 'STREAMWARDEN_TRUSTED_PROXIES') ?? '')
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  for (const entry of list) {
    const [address, bits, ...rest] = entry.split('/');
    const family = isIP(address ?? '');
    const max = family === 6 ? 128 : 32;
    if (!family || rest.length > 0 || (bits !== undefined && !(/^\d+$/.test(bits) && Number(bits) <= max))) {
      throw new ConfigError(
        `STREAMWARDEN_TRUSTED_PROXIES must be a comma-separated list of IP addresses or CIDR ranges (e.g. 10.0.0.5,172.18.0.0/16), got ${JSON.stringify(entry)}`,
      );
    }
  }
  return list;
}

function allowedOrigins(env: Env): string[] {
  const list = (text(env, 'STREAMWARDEN_ALLOWED_ORIGINS') ?? '')
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean);
  return list.map((entry) => {
    let url: URL | undefined;
    try {
      url = new URL(entry);
    } catch {
      url = undefined;
    }
    if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== entry.replace(/\/$/, '')) {
      throw new ConfigError(
        `STREAMWARDEN_ALLOWED_ORIGINS must be a comma-separated list of origins such as https://grafana.example.org, got ${JSON.stringify(entry)}`,
      );
    }
    return url.origin;
  });
}

const list = (env: Env, name: string): string[] =>
  (text(env, name) ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);

/** An http(s) address; `keepSlash` leaves a trailing slash (an OIDC issuer must match to the letter). */
function httpUrl(env: Env, name: string, keepSlash = false): string | undefined {
  const raw = text(env, name);
  if (raw === undefined) return undefined;
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:'))
    throw new ConfigError(
      `${name} must be an http(s) address such as https://auth.example.org, got ${JSON.stringify(raw)}`,
    );
  return keepSlash ? raw : raw.replace(/\/$/, '');
}

function oidc(env: Env): OidcSettings | undefined {
  const issuer = httpUrl(env, 'STREAMWARDEN_OIDC_ISSUER', true);
  if (!issuer) return undefined;
  const clientId = text(env, 'STREAMWARDEN_OIDC_CLIENT_ID');
  if (!clientId) throw new ConfigError('STREAMWARDEN_OIDC_CLIENT_ID is required with STREAMWARDEN_OIDC_ISSUER');
  const defaultRole = text(env, 'STREAMWARDEN_OIDC_DEFAULT_ROLE');
  if (defaultRole !== undefined && defaultRole !== 'none' && !(ROLES as readonly string[]).includes(defaultRole))
    throw new ConfigError(
      `STREAMWARDEN_OIDC_DEFAULT_ROLE must be owner, admin, viewer or none, got ${JSON.stringify(defaultRole)}`,
    );
  const roleValues = {
    owner: list(env, 'STREAMWARDEN_OIDC_OWNER_VALUES'),
    admin: list(env, 'STREAMWARDEN_OIDC_ADMIN_VALUES'),
    viewer: list(env, 'STREAMWARDEN_OIDC_VIEWER_VALUES'),
  };
  if (!defaultRole && !Object.values(roleValues).some((v) => v.length))
    throw new ConfigError(
      'Say who gets which role: STREAMWARDEN_OIDC_OWNER_VALUES, _ADMIN_VALUES or _VIEWER_VALUES (values of the role claim), or STREAMWARDEN_OIDC_DEFAULT_ROLE',
    );
  return {
    issuer,
    clientId,
    clientSecret: text(env, 'STREAMWARDEN_OIDC_CLIENT_SECRET'),
    name: text(env, 'STREAMWARDEN_OIDC_NAME') ?? 'OpenID Connect',
    scopes: text(env, 'STREAMWARDEN_OIDC_SCOPES') ?? 'openid profile email groups',
    roleClaim: text(env, 'STREAMWARDEN_OIDC_ROLE_CLAIM') ?? 'groups',
    roleValues,
    defaultRole: defaultRole === 'none' ? undefined : (defaultRole as Role | undefined),
    only: text(env, 'STREAMWARDEN_OIDC_ONLY') === 'true',
    publicUrl: httpUrl(env, 'STREAMWARDEN_PUBLIC_URL'),
  };
}

export function loadConfig(env: Env = process.env): Config {
  const database = text(env, 'CLICKHOUSE_DATABASE') ?? 'streamwarden';
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(database)) {
    throw new ConfigError(
      `CLICKHOUSE_DATABASE must be letters, digits and underscores, got ${JSON.stringify(database)}`,
    );
  }
  return {
    dataDir: resolve(text(env, 'STREAMWARDEN_DATA_DIR') ?? './data'),
    logLevel: text(env, 'LOG_LEVEL') ?? 'info',
    kafka: {
      brokers: brokers(env),
      clientId: text(env, 'KAFKA_CLIENT_ID') ?? 'streamwarden',
      partitions: integer(env, 'KAFKA_PARTITIONS', 12, 1, 1024),
      topicPrefix: topicPrefix(env),
      // Kafka's group.min/max.session.timeout.ms defaults bound it.
      sessionTimeoutMs: integer(env, 'KAFKA_SESSION_TIMEOUT_MS', 30_000, 6_000, 1_800_000),
    },
    clickhouse: {
      url: clickhouseUrl(env),
      username: text(env, 'CLICKHOUSE_USER'),
      password: env.CLICKHOUSE_PASSWORD,
      database,
      embeddedMemoryMiB: integer(env, 'STREAMWARDEN_EMBEDDED_MEMORY_MB', 1024, 256, 1_048_576),
    },
    http: {
      host: text(env, 'HOST') ?? '0.0.0.0',
      port: integer(env, 'PORT', 3000, 0, 65_535) /* 0: any free port */,
      trustedProxies: trustedProxies(env),
      allowedOrigins: allowedOrigins(env),
    },
    serversFile: text(env, 'STREAMWARDEN_SERVERS_FILE') ? resolve(text(env, 'STREAMWARDEN_SERVERS_FILE')!) : undefined,
    rulesFile: text(env, 'STREAMWARDEN_RULES_FILE') ? resolve(text(env, 'STREAMWARDEN_RULES_FILE')!) : undefined,
    geoipDatabase: text(env, 'GEOIP_DATABASE') ? resolve(text(env, 'GEOIP_DATABASE')!) : undefined,
    schemaRegistryUrl: text(env, 'SCHEMA_REGISTRY_URL'),
    publicUrl: httpUrl(env, 'STREAMWARDEN_PUBLIC_URL'),
    oidc: oidc(env),
    plexSignIn: text(env, 'STREAMWARDEN_PLEX_SIGN_IN') !== 'false',
    plexTvUrl: text(env, 'STREAMWARDEN_PLEX_TV_URL'),
    rawEventsTtlDays: text(env, 'STREAMWARDEN_RAW_EVENTS_TTL_DAYS')
      ? integer(env, 'STREAMWARDEN_RAW_EVENTS_TTL_DAYS', 0, 1, 36_500)
      : undefined,
    librarySyncMinutes: integer(env, 'STREAMWARDEN_LIBRARY_SYNC_MINUTES', 360, 5, 10_080),
    analyticsCacheSeconds: integer(env, 'STREAMWARDEN_ANALYTICS_CACHE_SECONDS', 10, 0, 300),
  };
}
