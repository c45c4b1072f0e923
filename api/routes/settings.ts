// Install-wide preferences the dashboard and alerts use.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import { checkTimeZone } from '../../core/time-zone.ts';
import { errors, SettingsAnswer } from '../contract.ts';
import type { GeneralSettings, SettingsStore } from '../../warehouse/settings-store.ts';

const properties = {
  instanceName: { type: 'string', minLength: 1, maxLength: 80 },
  distanceUnit: { type: 'string', enum: ['km', 'mi'] },
  defaultLanguage: { type: 'string', enum: ['en', 'zh-Hans', 'zh-Hant'] },
  terminateMessage: { type: 'string', minLength: 1, maxLength: 500 },
  timeZone: {
    type: 'string',
    maxLength: 64,
    description:
      "The install's time zone (IANA name, e.g. Europe/Berlin) for every time shown; empty for each viewer's own",
  },
} as const;

export async function settingsRoutes(
  app: FastifyInstance,
  { settings, geoipSource }: { settings: SettingsStore; geoipSource?: string },
): Promise<void> {
  app.get(
    '/api/v1/settings',
    { ...can('view'), schema: { response: { 200: SettingsAnswer, ...errors } } },
    async () => ({
      settings: await settings.read(),
      geoip: geoipSource ?? null,
    }),
  );

  app.put<{ Body: Partial<GeneralSettings> }>(
    '/api/v1/settings',
    {
      ...can('manage', 'settings.change'),
      schema: {
        body: { type: 'object', additionalProperties: false, minProperties: 1, properties },
        response: { 200: SettingsAnswer, ...errors },
      },
    },
    async (request) => {
      if (request.body.timeZone) checkTimeZone(request.body.timeZone);
      return { settings: await settings.save(request.body, request.user ?? 'api'), geoip: geoipSource ?? null };
    },
  );
}
