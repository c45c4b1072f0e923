// Who is signed in and the install's settings, shared by every page.
import { allows, type Permission, type Role } from '../../../../core/roles.ts';
import { api } from './api.ts';
import { applyDefaultLanguage, type Language } from './i18n/index.svelte.ts';

export interface InstallSettings {
  instanceName: string;
  distanceUnit: 'km' | 'mi';
  defaultLanguage: Language;
  terminateMessage: string;
  timeZone: string;
}

export const session = $state<{
  username: string | null;
  role: Role | null;
  settings: InstallSettings | null;
  geoip: string | null;
}>({
  username: null,
  role: null,
  settings: null,
  geoip: null,
});

/**
 * Whether the signed-in user's role holds a permission: controls they may not use are not shown.
 * The API checks every request itself; this only spares a viewer buttons that would be refused.
 */
export const can = (permission: Permission): boolean => session.role !== null && allows(session.role, permission);

/** Who is signed in, with their role (after a reload, or a sign-in). */
export async function loadMe(): Promise<void> {
  const me = await api<{ username: string; role: Role }>('/api/v1/auth/me');
  session.role = me.role;
  session.username = me.username;
}

/** Signs in (the cookie is set by the server); the layout then starts the live feed. */
export async function signIn(username: string, password: string): Promise<void> {
  await api('/api/v1/auth/login', { method: 'POST', body: { username, password } });
  await loadMe();
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

const browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/** The time zone every time is shown in: the install's when it has one, else the viewer's. */
export const displayZone = (): string => session.settings?.timeZone || browserZone;
