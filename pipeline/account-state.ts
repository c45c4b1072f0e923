// What the processor remembers about one account between events: the sessions going on, the
// last place it was seen, the addresses and devices of the recent past, its trust score.
import type { GeoLocation } from '../core/geoip.ts';

export interface Observation {
  at: number;
  sessionKey: string;
  ip: string;
  /** Null for local addresses and addresses the database does not know. */
  geo: GeoLocation | null;
  deviceId: string;
  deviceName: string;
  /** When the play is known to stop (a replay of stored history knows it); absent live. */
  endsAt?: number;
}

/** A place an account is used from (within 50 km of where it was first seen): `places.ts`. */
export interface Household {
  latitude: number;
  longitude: number;
  /** The place's first observation, for the evidence. */
  first: Observation;
  /** Day numbers (UTC) it was used on. */
  days: number[];
  /** Devices seen there, with the last time. */
  devices: Record<string, number>;
}

export interface AccountState {
  accountKey: string;
  serverId: string;
  userId: string;
  userName: string;
  /** Sessions going on: their latest observation. */
  active: Record<string, Observation & { startedAt: number }>;
  /** Latest observation with a known place (any session). */
  lastLocated: Observation | null;
  /** Public addresses and devices seen, with the last time each was seen. */
  ips: Record<string, number>;
  devices: Record<string, number>;
  /** Each device's last located observation: where it was, to tell a moving address from a move. */
  devicePlaces?: Record<string, { at: number; ip: string; latitude: number; longitude: number }>;
  /**
   * Devices whose address was placed in two places no one travels between (a phone on carrier NAT,
   * a VPN switched on and off), until when: their places are no evidence of where a person is.
   */
  wandering?: Record<string, number>;
  /** Places the account is used from, with the days and devices seen at each (`places.ts`). */
  households?: Record<string, Household>;
  /** The key of the place the account was last seen at (checked first). */
  lastPlace?: string;
  lastActivityAt: number;
  trust: {
    score: number;
    lastViolationAt: number | null;
    recoveredThrough: number;
    /** Violations marked false alarms whose points were given back, by id (false-alarms.ts). */
    forgiven?: Record<string, { markedAt: number; points: number; rule: string }>;
    /** Ids of the adjustments by hand already applied (trust-adjustments.ts). */
    adjusted?: string[];
  };
  /** Whether a threshold rule is currently over its limit (it fires when crossing, not on every event). */
  over: { concurrentStreams: boolean; deviceVelocity: boolean };
  /** Ids of the violations already raised (bounded), so replays never raise one twice. */
  raised: string[];
}

export function newAccountState(
  accountKey: string,
  serverId: string,
  userId: string,
  userName: string,
  at: number,
): AccountState {
  return {
    accountKey,
    serverId,
    userId,
    userName,
    active: {},
    lastLocated: null,
    ips: {},
    devices: {},
    devicePlaces: {},
    wandering: {},
    lastActivityAt: at,
    trust: { score: 100, lastViolationAt: null, recoveredThrough: at },
    over: { concurrentStreams: false, deviceVelocity: false },
    raised: [],
  };
}

export const MAX_RAISED = 500;
