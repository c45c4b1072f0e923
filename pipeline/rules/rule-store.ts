// Rule parameters and per-account overrides as the dashboard saves them (a config document), or
// from STREAMWARDEN_RULES_FILE, which then makes them read-only here.
import type { ConfigDocuments } from '../../warehouse/config-documents.ts';
import { loadRuleConfig, parseRuleConfig, type RuleConfig } from './rules-file.ts';
import type { RuleOverrides } from './settings.ts';
import { AppError } from '../../core/errors.ts';

const RULES_DOCUMENT = 'rules';

class ReadOnlyRulesError extends AppError {
  constructor(file: string) {
    super(
      'conflict',
      `rule parameters come from STREAMWARDEN_RULES_FILE (${file}); edit that file, or unset it to manage rules here`,
    );
  }
}

export class RuleStore {
  constructor(private readonly deps: { documents: ConfigDocuments; file?: string }) {}

  get readOnlySource(): string | undefined {
    return this.deps.file;
  }

  async get(): Promise<RuleConfig & { version: number }> {
    if (this.deps.file) return { ...loadRuleConfig(this.deps.file), version: 0 };
    const doc = await this.deps.documents.get<unknown>(RULES_DOCUMENT);
    // Stored documents are re-validated: a rule removed in a later release must not break start-up.
    return { ...parseRuleConfig(doc?.body ?? {}, 'stored rules'), version: doc?.version ?? 0 };
  }

  /** Replaces the rule parameters (validated like the rules file; throws with the reason). */
  async saveRules(
    overrides: RuleOverrides,
    updatedBy: string,
    expectedVersion?: number,
  ): Promise<RuleConfig & { version: number }> {
    const current = await this.writable();
    parseRuleConfig({ rules: overrides }, 'rules');
    // Per rule, settings not sent keep their current value.
    const rules: Record<string, unknown> = { ...current.rules };
    for (const [rule, values] of Object.entries(overrides ?? {}))
      rules[rule] = { ...(rules[rule] as object), ...(values as object) };
    const next = parseRuleConfig({ rules, accounts: current.accounts }, 'rules');
    const saved = await this.deps.documents.put(RULES_DOCUMENT, next, updatedBy, expectedVersion);
    return { ...next, version: saved.version };
  }

  /** Sets (or with null clears) one account's overrides. */
  async saveAccount(
    accountKey: string,
    overrides: RuleOverrides | null,
    updatedBy: string,
  ): Promise<RuleConfig & { version: number }> {
    const current = await this.writable();
    const accounts = { ...current.accounts };
    if (overrides && Object.keys(overrides).length > 0) accounts[accountKey] = overrides;
    else delete accounts[accountKey];
    const next = parseRuleConfig({ rules: current.rules, accounts }, 'rules');
    const saved = await this.deps.documents.put(RULES_DOCUMENT, next, updatedBy);
    return { ...next, version: saved.version };
  }

  /**
   * Changes several accounts' overrides in one save (bulk actions): `change` gets each account's
   * overrides now and returns the new ones (null or empty: none).
   */
  async changeAccounts(
    accountKeys: readonly string[],
    change: (overrides: RuleOverrides | undefined) => RuleOverrides | null,
    updatedBy: string,
  ): Promise<RuleConfig & { version: number }> {
    const current = await this.writable();
    const accounts = { ...current.accounts };
    for (const key of accountKeys) {
      const next = change(accounts[key]);
      if (next && Object.keys(next).length > 0) accounts[key] = next;
      else delete accounts[key];
    }
    const next = parseRuleConfig({ rules: current.rules, accounts }, 'rules');
    const saved = await this.deps.documents.put(RULES_DOCUMENT, next, updatedBy);
    return { ...next, version: saved.version };
  }

  /** Calls `apply` with the rules now and whenever they are saved (here or by another process). */
  async watch(apply: (config: RuleConfig) => void, onError: (err: Error) => void): Promise<() => void> {
    if (this.deps.file) {
      apply(await this.get());
      return () => undefined;
    }
    return this.deps.documents.watch(RULES_DOCUMENT, () => this.get(), apply, onError);
  }

  private async writable(): Promise<RuleConfig> {
    if (this.deps.file) throw new ReadOnlyRulesError(this.deps.file);
    return this.get();
  }
}
