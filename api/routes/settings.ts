// Install-wide preferences the dashboard and alerts use.
import type { FastifyInstance } from 'fastify';
import type { ConfigDocuments } from '../../warehouse/config-documents.ts';

export const SETTINGS_DOCUMENT = 'settings';

export interface GeneralSettings {
  /** Shown in the title bar and in alerts. */
  instanceName: string;
  distanceUnit: 'km' | 'mi';
  /** Language for visitors whose browser asks for none we have. */
  defaultLanguage: 'en' | 'zh-Hans' | 'zh-Hant';
  /** Shown to a viewer whose stream is stopped, unless the admin types another. */
  terminateMessage: string;
}

export const DEFAULT_SETTINGS: GeneralSettings = {
  instanceName: 'Streamwarden',
  distanceUnit: 'km',
  defaultLanguage: 'en',
  terminateMessage: 'This stream was stopped by the server administrator.',
};

const properties = {
  instanceName: { type: 'string', minLength: 1, maxLength: 80 },
  distanceUnit: { type: 'string', enum: ['km', 'mi'] },
  defaultLanguage: { type: 'string', enum: ['en', 'zh-Hans', 'zh-Hant'] },
  terminateMessage: { type: 'string', minLength: 1, maxLength: 500 },
} as const;

export async function readSettings(documents: ConfigDocuments): Promise<GeneralSettings> {
  const doc = await documents.get<Partial<GeneralSettings>>(SETTINGS_DOCUMENT);
  return { ...DEFAULT_SETTINGS, ...doc?.body };
}

export async function settingsRoutes(
  app: FastifyInstance,
  { documents, geoipSource }: { documents: ConfigDocuments; geoipSource?: string },
): Promise<void> {
  app.get('/api/v1/settings', async () => ({ settings: await readSettings(documents), geoip: geoipSource ?? null }));

  app.put<{ Body: Partial<GeneralSettings> }>(
    '/api/v1/settings',
    { schema: { body: { type: 'object', additionalProperties: false, minProperties: 1, properties } } },
    async (request) => {
      const next = { ...(await readSettings(documents)), ...request.body };
      await documents.put(SETTINGS_DOCUMENT, next, request.user ?? 'api');
      return { settings: next, geoip: geoipSource ?? null };
    },
  );
}
