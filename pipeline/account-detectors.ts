// Which detector judges an account: everyone shares one built from the rule settings, and an
// account with overrides of its own (rules/settings.ts) gets a detector of its own, made when its
// first event arrives and dropped when the rules change. Accounts with overrides are the few an
// administrator set by hand, so the map stays small; /metrics shows its size.
import type { NetworkLookup } from '../core/networks.ts';
import { Detector } from './detector.ts';
import { settingsFor, type RuleOverrides, type RuleSettings } from './rules/settings.ts';

export type OverridesOf = (accountKey: string) => RuleOverrides | undefined;

export class AccountDetectors {
  private readonly own = new Map<string, Detector>();
  private shared: Detector;
  private settings: RuleSettings;
  private overrides: OverridesOf | undefined;

  constructor(
    settings: RuleSettings,
    overrides: OverridesOf | undefined,
    private readonly networks: NetworkLookup | undefined,
  ) {
    this.settings = settings;
    this.overrides = overrides;
    this.shared = new Detector(settings, networks);
  }

  /** Accounts with a detector of their own. */
  get size(): number {
    return this.own.size;
  }

  of(accountKey: string): Detector {
    const overrides = this.overrides?.(accountKey);
    if (!overrides) return this.shared;
    let detector = this.own.get(accountKey);
    if (!detector) {
      detector = new Detector(settingsFor(this.settings, overrides), this.networks);
      this.own.set(accountKey, detector);
    }
    return detector;
  }

  /** New settings and overrides; every account's detector is made again from them. */
  update(settings: RuleSettings, overrides: OverridesOf | undefined): void {
    this.settings = settings;
    this.overrides = overrides;
    this.shared = new Detector(settings, this.networks);
    this.own.clear();
  }
}
