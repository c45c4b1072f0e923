// Who is signed in and the install's settings, shared by every page.
import { api } from './api.ts';
import { applyDefaultLanguage, type Language } from './i18n/index.svelte.ts';

export interface InstallSettings {
  instanceName: string;
  distanceUnit: 'km' | 'mi';
  defaultLanguage: Language;
  terminateMessage: string;
}

export const session = $state<{ username: string | null; settings: InstallSettings | null; geoip: string | null }>({
  username: null,
  settings: null,
  geoip: null,
});

/** Signs in (the cookie is set by the server); the layout then starts the live feed. */
export async function signIn(username: string, password: string): Promise<void> {
  session.username = (
    await api<{ username: string }>('/api/v1/auth/login', { method: 'POST', body: { username, password } })
  ).username;
}

/** Runs a form's action with its busy flag and error message. */
export async function submitting(state: { busy: boolean; error: string }, action: () => Promise<void>): Promise<void> {
  state.busy = true;
  state.error = '';
  try {
    await action();
  } catch (err) {
    state.error = (err as Error).message;
  } finally {
    state.busy = false;
  }
}

export async function loadInstallSettings(): Promise<void> {
  const result = await api<{ settings: InstallSettings; geoip: string | null }>('/api/v1/settings');
  session.settings = result.settings;
  session.geoip = result.geoip;
  applyDefaultLanguage(result.settings.defaultLanguage);
}
