import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ServerConfigError, loadServerConfigs, parseServerConfigs } from './config.ts';

describe('server list', () => {
  it('reads servers of every kind with defaults', () => {
    expect(
      parseServerConfigs([
        { id: 'plex-home', type: 'Plex', url: 'http://192.168.1.10:32400/', token: ' abc ' },
        {
          id: 'jf',
          name: 'Jellyfin',
          type: 'jellyfin',
          url: 'https://jf.example.org',
          token: 'k',
          enabled: false,
          pollIntervalMs: 2000,
        },
      ]),
    ).toEqual([
      {
        id: 'plex-home',
        name: 'plex-home',
        type: 'plex',
        url: 'http://192.168.1.10:32400',
        token: 'abc',
        enabled: true,
        pollIntervalMs: undefined,
        limits: undefined,
      },
      {
        id: 'jf',
        name: 'Jellyfin',
        type: 'jellyfin',
        url: 'https://jf.example.org',
        token: 'k',
        enabled: false,
        pollIntervalMs: 2000,
        limits: undefined,
      },
    ]);
  });

  it.each([
    [{}, /expected a JSON list/],
    [[{ id: 'a', type: 'plex', url: 'http://x', token: 't', stopGraceMs: -5 }], /"stopGraceMs" must be a whole number/],
    [[{ id: 'Bad Id', type: 'plex', url: 'http://x', token: 't' }], /"id" must be 1-64 lowercase letters/],
    [
      [{ id: 'a', type: 'kodi', url: 'http://x', token: 't' }],
      /\(a\): "type" must be one of plex, jellyfin, emby, got "kodi"/,
    ],
    [[{ id: 'a', type: 'plex', url: 'ftp://x', token: 't' }], /"url" must use http or https/],
    [[{ id: 'a', type: 'plex', url: 'nope', token: 't' }], /"url" must be an http\(s\) URL/],
    [[{ id: 'a', type: 'plex', url: 'http://x' }], /"token" .* is required/],
    [
      [{ id: 'a', type: 'plex', url: 'http://x', token: 't', pollIntervalMs: 10 }],
      /"pollIntervalMs" must be a whole number/,
    ],
    [
      [
        { id: 'a', type: 'plex', url: 'http://x', token: 't' },
        { id: 'a', type: 'emby', url: 'http://y', token: 't' },
      ],
      /id "a" is used twice/,
    ],
  ])('explains what is wrong: %j', (input, message) => {
    expect(() => parseServerConfigs(input)).toThrow(ServerConfigError);
    expect(() => parseServerConfigs(input)).toThrow(message);
  });

  it('names the file when it is missing or not JSON', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sw-servers-'));
    expect(() => loadServerConfigs(join(dir, 'none.json'))).toThrow(/cannot read the server list .*none.json/);
    writeFileSync(join(dir, 'bad.json'), '[{');
    expect(() => loadServerConfigs(join(dir, 'bad.json'))).toThrow(/bad.json is not valid JSON/);
  });
});
