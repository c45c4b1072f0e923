// What the dashboard edits, in one bundle every role opens the same way: media servers, rules,
// general settings, alert channels and automation rules, stored as config documents in the warehouse.
import { ChannelStore } from '../alerts/channels.ts';
import { AutomationStore } from '../alerts/automations.ts';
import { ServerRegistry } from '../connectors/server-registry.ts';
import { RuleStore } from '../pipeline/rules/rule-store.ts';
import { FalseAlarmStore } from '../pipeline/false-alarms.ts';
import { TrustAdjustmentStore } from '../pipeline/trust-adjustments.ts';
import { PeopleStore } from '../pipeline/people-store.ts';
import type { Warehouse } from '../warehouse/client.ts';
import { ConfigDocuments } from '../warehouse/config-documents.ts';
import { SettingsStore } from '../warehouse/settings-store.ts';
import type { SecretBox } from '../core/secret-box.ts';

export interface Configuration {
  documents: ConfigDocuments;
  rules: RuleStore;
  falseAlarms: FalseAlarmStore;
  trustAdjustments: TrustAdjustmentStore;
  people: PeopleStore;
  settings: SettingsStore;
  servers: ServerRegistry;
  channels: ChannelStore;
  automations: AutomationStore;
  /** The install's secret key, for what must be sealed (tokens, sign-in transactions). */
  secrets: SecretBox;
  close(): void;
}

export function openConfiguration(
  warehouse: Warehouse,
  options: {
    secrets: SecretBox;
    serversFile?: string;
    rulesFile?: string;
    pollMs?: number;
    /** Who sends web pushes, for push services to contact: the app's https: address, or a mailto:. */
    pushSubject?: string;
  },
): Configuration {
  const documents = new ConfigDocuments(warehouse, options.pollMs);
  return {
    documents,
    rules: new RuleStore({ documents, file: options.rulesFile }),
    falseAlarms: new FalseAlarmStore(documents),
    trustAdjustments: new TrustAdjustmentStore(documents),
    people: new PeopleStore(documents),
    settings: new SettingsStore(documents),
    servers: new ServerRegistry({ documents, secrets: options.secrets, warehouse, file: options.serversFile }),
    channels: new ChannelStore({ documents, secrets: options.secrets, pushSubject: options.pushSubject }),
    automations: new AutomationStore(documents),
    secrets: options.secrets,
    close: () => documents.close(),
  };
}
