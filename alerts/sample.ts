// A finding to show what an alert looks like before one happens: the message preview in the
// channel form and the test message a channel sends. Made up, but shaped like a real one (two
// places, two devices, a title), so that every template variable has something to show.
import type { OperatorEvent, Violation } from '../schemas/index.ts';
import { EMPTY_EVIDENCE } from '../pipeline/rules/violation.ts';
import { alertContext, type AlertContext } from './templates.ts';

export function sampleAlert(now: number, test?: { summary: string; userName: string }): AlertContext {
  const place = (city: string, countryCode: string, ip: string, deviceName: string, minutesAgo: number) => ({
    sessionKey: `sample-${minutesAgo}`,
    observedAt: now - minutesAgo * 60_000,
    ip,
    city,
    region: null,
    countryCode,
    latitude: null,
    longitude: null,
    accuracyRadiusKm: null,
    deviceId: null,
    deviceName,
    asn: null,
    network: null,
    networkType: null,
    serverId: null,
    accountKey: null,
  });
  const finding: Violation = {
    violationId: 'sample',
    rule: 'IMPOSSIBLE_TRAVEL',
    severity: 'HIGH',
    accountKey: 'sample:0',
    serverId: 'sample',
    userId: '0',
    userName: test?.userName ?? 'alice',
    detectedAt: now,
    sessionKeys: ['sample-30', 'sample-0'],
    trustPenalty: 20,
    personId: null,
    summary: test?.summary ?? 'Boston -> London, 5,265 km in 30 min = 10,530 km/h',
    evidence: {
      ...EMPTY_EVIDENCE,
      locations: [
        place('Boston', 'US', '18.9.22.69', 'Living Room TV', 30),
        place('London', 'GB', '81.2.69.142', 'iPhone', 0),
      ],
      distanceKm: 5265,
      elapsedMs: 30 * 60_000,
      speedKmh: 10530,
    },
  };
  return alertContext(finding, { serverName: 'Home Plex', titles: ['Severance — S01E02 — Half Loop'] });
}

/** A made-up event of the type, for the test button: a play in Berlin, or the server itself. */
export function sampleEvent(type: Exclude<OperatorEvent['type'], 'UNKNOWN'>, now: number): OperatorEvent {
  const server = type.startsWith('SERVER_');
  return {
    eventId: `sample:${type}:${now}`,
    type,
    occurredAt: now,
    serverId: 'sample',
    accountKey: server ? null : 'sample:0',
    userName: server ? null : 'Test user',
    personId: null,
    sessionKey: server ? null : 'sample-0',
    severity: type === 'SERVER_DOWN' || type === 'SERVER_AUTH_FAILED' ? 'HIGH' : 'INFO',
    summary: `A test of ${type} from Streamwarden: the channel works.`,
    details: server
      ? { status: type === 'SERVER_UP' ? 'UP' : type === 'SERVER_DOWN' ? 'DOWN' : 'AUTH_FAILED', statusDetail: 'test' }
      : {
          title: 'Severance · Half Loop',
          device: 'Living Room TV',
          player: 'Plex for Android (TV)',
          platform: 'Android',
          place: 'Berlin, DE',
          ip: '203.0.113.7',
          decision: type === 'TRANSCODE_STARTED' ? 'TRANSCODE' : 'DIRECT_PLAY',
          sourceResolution: '4k',
          streamResolution: '1080',
          reasons: 'video bitrate exceeds limit',
        },
  };
}
