// Applies one playback event to an account's state and runs the rules on it. Deterministic: the
// same events in the same order give the same violations and trust changes, so a processor that
// rebuilds an account's state by replaying its events raises nothing twice.
import type { PlaybackEvent, TrustScoreChange, Violation } from '../schemas/index.ts';
import { MAX_RAISED, newAccountState, type AccountState, type Observation } from './account-state.ts';
import type { GeoLocation } from '../core/geoip.ts';
import { RULES } from './rules/registry.ts';
import type { RuleBase, RuleContext, RuleDefinition, RulePhase } from './rules/rule.ts';
import { trustedRanges, type RuleSettings } from './rules/settings.ts';
import { haversineKm } from '../core/geo-math.ts';
import { isPrivateAddress } from '../core/network.ts';
import type { NetworkLookup } from '../core/networks.ts';
import { penalize, recover } from './trust.ts';
import { oneHousehold, recordPlace } from './places.ts';
import { located } from './rules/distance.ts';
import { explained } from './rules/innocence.ts';

export interface Findings {
  violations: Violation[];
  trustChanges: TrustScoreChange[];
}

/** A session not reported for this long has ended even if its stop was never seen. */
const SESSION_EXPIRY_MS = 10 * 60_000;

/** How long a device whose address jumped stays one whose places are no evidence. */
const WANDERING_MS = 30 * 86_400_000;

export interface DetectorOptions {
  /**
   * false: no model of devices and households (no wandering addresses, no household members
   * apart), every pair of places compared as monitors without one do: the bench's baseline.
   */
  devices?: boolean;
}

export class Detector {
  private readonly trustedIp: (ip: string) => boolean;
  private readonly devices: boolean;

  /** `networks` tells hosting/VPN and mobile networks from home access networks, when at hand. */
  constructor(
    readonly settings: RuleSettings,
    private readonly networks?: NetworkLookup,
    options: DetectorOptions = {},
  ) {
    this.trustedIp = trustedRanges(settings.exemptions.trustedCidrs);
    this.devices = options.devices ?? true;
  }

  private trusted = (o: Observation): boolean =>
    this.trustedIp(o.ip) || this.settings.exemptions.trustedDeviceIds.includes(o.deviceId);

  /**
   * Notes a device whose address moved faster than anyone travels: the device did not move, its
   * address's geolocation did (carrier NAT, a VPN). So does a move to or from a hosting or mobile
   * network, whatever its speed: a VPN exit or a carrier gateway is not where the person went.
   * Travel and distance are then measured between people's devices, not along one device's addresses.
   */
  private followDevice(state: AccountState, now: Observation): void {
    if (!now.deviceId || now.geo?.latitude == null || now.geo.longitude == null) return;
    const places = (state.devicePlaces ??= {});
    const wandering = (state.wandering ??= {});
    const before = places[now.deviceId];
    places[now.deviceId] = { at: now.at, ip: now.ip, latitude: now.geo.latitude, longitude: now.geo.longitude };
    if (!before) {
      // First seen on a VPN exit or a carrier gateway: its place says nothing of where anyone is.
      if (this.offHome(now.ip)) wandering[now.deviceId] = now.at + WANDERING_MS;
      return;
    }
    const km = haversineKm(before.latitude, before.longitude, now.geo.latitude, now.geo.longitude);
    if (km <= this.settings.impossibleTravel.minDistanceKm) return;
    const hours = Math.max(now.at - before.at, 60_000) / 3_600_000;
    // The network data is asked only when a device is new or moved: not on every event.
    if (km / hours > this.settings.impossibleTravel.maxSpeedKmh || this.offHome(now.ip) || this.offHome(before.ip))
      wandering[now.deviceId] = now.at + WANDERING_MS;
  }

  private offHome(ip: string): boolean {
    const type = this.networks?.lookup(ip)?.type;
    return type === 'hosting' || type === 'mobile';
  }

  private wandering = (state: AccountState) => (o: Observation) =>
    o.deviceId !== '' && (state.wandering?.[o.deviceId] ?? 0) > o.at;

  static stateFor(event: PlaybackEvent): AccountState {
    return newAccountState(event.accountKey, event.serverId, event.userId, event.userName, event.observedAt);
  }

  /**
   * `geo` is the place of event.clientIp, or null (local or unknown address). `endsAt`, when a
   * replay knows it, is when the event's play stopped: the play counts as going on until then
   * even with no event in between (imported plays have only a start and a stop).
   */
  observe(state: AccountState, event: PlaybackEvent, geo: GeoLocation | null, endsAt?: number): Findings {
    const s = this.settings;
    const at = event.observedAt;
    const findings: Findings = { violations: [], trustChanges: [] };
    const recovery = recover(state, at, s.trust.recoveryPerCleanDay);
    if (recovery) findings.trustChanges.push(recovery);
    state.userName = event.userName;
    state.lastActivityAt = Math.max(state.lastActivityAt, at);
    for (const [key, session] of Object.entries(state.active))
      if (at - session.at > SESSION_EXPIRY_MS && !(session.endsAt !== undefined && session.endsAt > at))
        delete state.active[key];

    const local = event.networkLocation === 'LAN' || !event.clientIp || isPrivateAddress(event.clientIp);
    const now: Observation = {
      at,
      sessionKey: event.sessionKey,
      ip: event.clientIp,
      geo: local ? null : geo,
      deviceId: event.device.deviceId,
      deviceName: event.device.deviceName,
      ...(endsAt === undefined ? {} : { endsAt }),
    };
    const trusted = this.trusted(now);
    if (event.eventType === 'STOPPED') {
      delete state.active[event.sessionKey];
      // The account was there until the stop: travel is measured from then.
      if (now.geo?.latitude != null && !trusted && state.lastLocated?.sessionKey === now.sessionKey)
        state.lastLocated = now;
      this.run('streams', { state, at, now, trusted: this.trusted }, findings);
      return findings;
    }

    if (!trusted && !local && this.devices) this.followDevice(state, now);
    const householdWindow = s.secondHousehold.windowMs;
    const context: RuleContext = {
      state,
      at,
      now,
      trusted: this.trusted,
      ...(this.devices && {
        wandering: this.wandering(state),
        household: (a: Observation, b: Observation) => oneHousehold(state, a, b, householdWindow),
      }),
    };
    if (!trusted) {
      this.run('arrival', context, findings);
      const wanders = context.wandering?.(now) ?? false;
      // A device whose address wanders counts as one place, however many addresses it is given.
      if (!local) state.ips[wanders ? `device ${now.deviceId}` : now.ip] = at;
      state.devices[now.deviceId] = at;
      if (located(now) && !wanders && now.deviceId) recordPlace(state, now, householdWindow);
      this.run('recorded', context, findings);
    }
    const previous = state.active[now.sessionKey];
    state.active[now.sessionKey] = { ...now, startedAt: previous?.startedAt ?? at };
    this.run('streams', context, findings);
    if (now.geo?.latitude != null && !trusted) state.lastLocated = now;
    this.prune(state, at);
    return findings;
  }

  /** The scheduled inactivity check of one account. */
  checkInactivity(state: AccountState, now: number): Findings {
    const findings: Findings = { violations: [], trustChanges: [] };
    this.run('schedule', { state, at: now, now: null, trusted: this.trusted }, findings);
    return findings;
  }

  /** The rules of one phase, in the registry's order (the order is part of determinism). */
  private run(phase: RulePhase, context: RuleContext, findings: Findings): void {
    const all = this.settings as unknown as Record<string, RuleBase>;
    for (const rule of RULES) {
      if (rule.runsOn !== phase) continue;
      const settings = all[rule.settingsKey]!;
      for (const found of rule.evaluate?.(context, settings) ?? []) {
        const state = context.state;
        if (state.raised.includes(found.violationId)) continue;
        state.raised.push(found.violationId);
        if (state.raised.length > MAX_RAISED) state.raised.shift();
        const v = this.explain(found, rule, settings);
        findings.violations.push(v);
        const penalty = penalize(state, v);
        if (penalty) findings.trustChanges.push(penalty);
      }
    }
  }

  /** The evidence's networks (looked up only for what is raised) and what would have made it innocent. */
  private explain(v: Violation, rule: RuleDefinition, settings: RuleBase): Violation {
    const locations = v.evidence.locations.map((l) => {
      const network = this.networks?.lookup(l.ip);
      return network ? { ...l, asn: network.asn, network: network.organization, networkType: network.type } : l;
    });
    const evidence = { ...v.evidence, locations };
    const install = { householdWindowMs: this.settings.secondHousehold.windowMs };
    return { ...v, evidence: { ...evidence, ...explained(rule.innocentIf(evidence, settings, install)) } };
  }

  /** Forgets addresses and devices older than the longest window a rule looks at. */
  private prune(state: AccountState, at: number): void {
    const horizon = at - this.settings.deviceVelocity.windowMs;
    for (const seen of [state.ips, state.devices])
      for (const [key, when] of Object.entries(seen)) if (when < horizon) delete seen[key];
    for (const [device, until] of Object.entries(state.wandering ?? {}))
      if (until < at) delete state.wandering![device];
    for (const [device, place] of Object.entries(state.devicePlaces ?? {}))
      if (place.at < at - WANDERING_MS) delete state.devicePlaces![device];
  }
}
