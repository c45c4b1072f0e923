import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('configuration from the environment', () => {
  it('defaults to the embedded mode with data in ./data and port 3000', () => {
    const config = loadConfig({});
    expect(config.kafka.brokers).toEqual([]);
    expect(config.clickhouse.url).toBeUndefined();
    expect(config.dataDir).toBe(`${process.cwd()}/data`);
    expect(config.http.port).toBe(3000);
    expect(config.clickhouse.database).toBe('streamwarden');
    expect(config.librarySyncMinutes).toBe(360);
    expect(loadConfig({ STREAMWARDEN_LIBRARY_SYNC_MINUTES: '60' }).librarySyncMinutes).toBe(60);
    expect(config.analyticsCacheSeconds).toBe(10);
    expect(loadConfig({ STREAMWARDEN_ANALYTICS_CACHE_SECONDS: '0' }).analyticsCacheSeconds).toBe(0);
  });

  it('reads the scale-out settings', () => {
    const config = loadConfig({
      KAFKA_BROKERS: ' kafka-1:9092, kafka-2:9092 ',
      CLICKHOUSE_URL: 'http://ch:8123',
      CLICKHOUSE_USER: 'sw',
      CLICKHOUSE_PASSWORD: 'pw',
      KAFKA_PARTITIONS: '24',
      KAFKA_TOPIC_PREFIX: 'tv.',
      PORT: '8080',
    });
    expect(config.kafka.topicPrefix).toBe('tv.');
    expect(config.kafka.sessionTimeoutMs).toBe(30_000);
    expect(loadConfig({ KAFKA_SESSION_TIMEOUT_MS: '6000' }).kafka.sessionTimeoutMs).toBe(6000);
    expect(loadConfig({}).kafka.topicPrefix).toBe('');
    expect(config.kafka.brokers).toEqual(['kafka-1:9092', 'kafka-2:9092']);
    expect(config.clickhouse).toMatchObject({ url: 'http://ch:8123', username: 'sw', password: 'pw' });
    expect(config.kafka.partitions).toBe(24);
    expect(config.http.port).toBe(8080);
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT must be a whole number from 0 to 65535, got "eighty"/],
    [
      { STREAMWARDEN_LIBRARY_SYNC_MINUTES: '1' },
      /STREAMWARDEN_LIBRARY_SYNC_MINUTES must be a whole number from 5 to 10080/,
    ],
    [{ KAFKA_BROKERS: 'kafka-1' }, /KAFKA_BROKERS must be a comma-separated list of host:port, got "kafka-1"/],
    [{ KAFKA_TOPIC_PREFIX: 'tv/' }, /KAFKA_TOPIC_PREFIX may hold only letters, digits/],
    [{ KAFKA_SESSION_TIMEOUT_MS: '1000' }, /KAFKA_SESSION_TIMEOUT_MS must be a whole number from 6000 to 1800000/],
    [{ CLICKHOUSE_URL: 'tcp://ch:9000' }, /CLICKHOUSE_URL must use http or https/],
    [{ CLICKHOUSE_URL: 'not a url' }, /CLICKHOUSE_URL must be an http\(s\) URL/],
    [{ CLICKHOUSE_DATABASE: 'sw; DROP' }, /CLICKHOUSE_DATABASE must be letters, digits and underscores/],
    [{ STREAMWARDEN_OIDC_ISSUER: 'auth.example.org' }, /STREAMWARDEN_OIDC_ISSUER must be an http\(s\) address/],
    [{ STREAMWARDEN_OIDC_ISSUER: 'https://auth.example.org' }, /STREAMWARDEN_OIDC_CLIENT_ID is required/],
    [
      { STREAMWARDEN_OIDC_ISSUER: 'https://auth.example.org', STREAMWARDEN_OIDC_CLIENT_ID: 'sw' },
      /Say who gets which role: STREAMWARDEN_OIDC_OWNER_VALUES/,
    ],
    [
      {
        STREAMWARDEN_OIDC_ISSUER: 'https://auth.example.org',
        STREAMWARDEN_OIDC_CLIENT_ID: 'sw',
        STREAMWARDEN_OIDC_DEFAULT_ROLE: 'superuser',
      },
      /STREAMWARDEN_OIDC_DEFAULT_ROLE must be owner, admin, viewer or none/,
    ],
  ])('explains a bad value: %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });

  it('reads the OIDC sign-in settings', () => {
    const config = loadConfig({
      STREAMWARDEN_OIDC_ISSUER: 'https://auth.example.org/application/o/streamwarden/',
      STREAMWARDEN_OIDC_CLIENT_ID: 'sw',
      STREAMWARDEN_OIDC_OWNER_VALUES: 'sw-owners, ops',
      STREAMWARDEN_OIDC_VIEWER_VALUES: 'family',
      STREAMWARDEN_OIDC_ONLY: 'true',
      STREAMWARDEN_PUBLIC_URL: 'https://streams.example.org/',
    });
    expect(config.oidc).toMatchObject({
      issuer: 'https://auth.example.org/application/o/streamwarden/',
      roleClaim: 'groups',
      roleValues: { owner: ['sw-owners', 'ops'], admin: [], viewer: ['family'] },
      defaultRole: undefined,
      only: true,
      publicUrl: 'https://streams.example.org',
    });
    expect(loadConfig({}).oidc).toBeUndefined();
  });
});
