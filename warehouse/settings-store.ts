// Install-wide preferences the dashboard and alerts use, kept as a config document beside the
// rules (RuleStore), the media servers (ServerRegistry) and the alert channels (ChannelStore).
import type { ConfigDocuments } from './config-documents.ts';

const SETTINGS_DOCUMENT = 'settings';

export interface GeneralSettings {
  /** Shown in the title bar and in alerts. */
  instanceName: string;
  distanceUnit: 'km' | 'mi';
  /** Language for visitors whose browser asks for none we have. */
  defaultLanguage: 'en' | 'zh-Hans' | 'zh-Hant';
  /** Shown to a viewer whose stream is stopped, unless the admin types another. */
  terminateMessage: string;
  /**
   * The install's time zone (IANA name): every time the dashboard shows, and the days of its
   * figures, are in it. Empty: each viewer's own.
   */
  timeZone: string;
}

export const DEFAULT_SETTINGS: GeneralSettings = {
  instanceName: 'Streamwarden',
  distanceUnit: 'km',
  defaultLanguage: 'en',
  terminateMessage: 'This stream was stopped by the server administrator.',
  timeZone: '',
};

export class SettingsStore {
  constructor(private readonly documents: ConfigDocuments) {}

  /** The saved settings over the defaults. */
  async read(): Promise<GeneralSettings> {
    const doc = await this.documents.get<Partial<GeneralSettings>>(SETTINGS_DOCUMENT);
    return { ...DEFAULT_SETTINGS, ...doc?.body };
  }

  /** Saves the given settings over the current ones; returns the result. */
  async save(changes: Partial<GeneralSettings>, updatedBy: string): Promise<GeneralSettings> {
    const next = { ...(await this.read()), ...changes };
    await this.documents.put(SETTINGS_DOCUMENT, next, updatedBy);
    return next;
  }
}
