// Who is signed in and the install's settings, shared by every page.
import { api } from './api.ts';
import { applyDefaultLanguage, type Language } from './i18n/index.svelte.ts';

export interface InstallSettings {
  instanceName: string;
  distanceUnit: 'km' | 'mi';
  defaultLanguage: Language;
  terminateMessage: string;
}

export const session = $state<{ username: string | null; settings: InstallSettings | null; geoip: string | null }>({ username: null, settings: null, geoip: null });

export async function loadInstallSettings(): Promise<void> {
  const result = await api<{ settings: InstallSettings; geoip: string | null }>('/api/v1/settings');
  session.settings = result.settings;
  session.geoip = result.geoip;
  applyDefaultLanguage(result.settings.defaultLanguage);
}
