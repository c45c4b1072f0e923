// The dashboard's languages. The choice is remembered in the browser; a first visit follows the
// browser's languages, then the install's default.
import { en, type MessageKey } from './en.ts';
import { zhHans } from './zh-Hans.ts';
import { zhHant } from './zh-Hant.ts';

export const LANGUAGES = [
  { code: 'en', label: 'English' },
  { code: 'zh-Hans', label: '简体中文' },
  { code: 'zh-Hant', label: '繁體中文' },
] as const;
export type Language = (typeof LANGUAGES)[number]['code'];

const DICTIONARIES: Record<Language, Record<MessageKey, string>> = { en, 'zh-Hans': zhHans, 'zh-Hant': zhHant };
const STORAGE_KEY = 'streamwarden.language';

function fromBrowser(): Language | null {
  for (const tag of navigator.languages ?? []) {
    const lower = tag.toLowerCase();
    if (lower.startsWith('zh')) return /hant|tw|hk|mo/.test(lower) ? 'zh-Hant' : 'zh-Hans';
    if (lower.startsWith('en')) return 'en';
  }
  return null;
}

function initial(): Language {
  const stored = typeof localStorage !== 'undefined' ? localStorage.getItem(STORAGE_KEY) : null;
  if (stored && stored in DICTIONARIES) return stored as Language;
  return (typeof navigator !== 'undefined' && fromBrowser()) || 'en';
}

export const i18n = $state({ language: initial() });

export function setLanguage(language: Language, remember = true): void {
  i18n.language = language;
  document.documentElement.lang = language;
  if (remember) localStorage.setItem(STORAGE_KEY, language);
}

/** Falls back to the install's default when the visitor never chose and the browser says nothing. */
export function applyDefaultLanguage(language: Language): void {
  if (!localStorage.getItem(STORAGE_KEY) && !fromBrowser()) setLanguage(language, false);
}

export function t(key: MessageKey, vars: Record<string, string | number> = {}): string {
  // A key the app does not know (e.g. a rule added on the server later) shows as itself.
  const text: string = DICTIONARIES[i18n.language][key] ?? en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name: string) => (name in vars ? String(vars[name]) : `{${name}}`));
}

/** Whether the dashboard has words for this key (a code from a newer server may have none yet). */
export function hasMessage(key: string): key is MessageKey {
  return key in en;
}

export function locale(): string {
  return i18n.language;
}

export type { MessageKey };
