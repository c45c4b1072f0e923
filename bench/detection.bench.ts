// `npm run bench` suite "detection": how right account-sharing detection is on the labelled fleet
// (testing/labelled-fleet.ts), with Streamwarden's default rules beside Tracearr's published
// defaults in the same run, and how precision and recall move with each location rule's main
// threshold. BENCH_FLEET_ACCOUNTS sizes the fleet (default 2,000), BENCH_FLEET_SEED picks it.
import { GeoIp } from '../core/geoip.ts';
import { bundledNetworks } from '../core/networks.ts';
import { DEFAULT_RULES, type RuleSettings } from '../pipeline/rules/settings.ts';
import type { RuleId } from '../schemas/index.ts';
import { labelledFleet } from '../testing/labelled-fleet.ts';
import {
  measureDetection,
  TRACEARR_DEFAULTS,
  TRUST_THRESHOLDS,
  type DetectionResult,
  type Score,
} from './detection.ts';
import type { Figure } from './report.ts';

const RULE_ROWS: RuleId[] = [
  'IMPOSSIBLE_TRAVEL',
  'SIMULTANEOUS_LOCATIONS',
  'DEVICE_VELOCITY',
  'CONCURRENT_STREAMS',
  'SECOND_HOUSEHOLD',
];
/** The combined verdict the figures and the README quote: trust fell below 70. */
export const VERDICT_THRESHOLD = 70;

const cell = (s: Score | undefined) =>
  s
    ? `${s.precision.toFixed(2).padStart(9)} ${s.recall.toFixed(2).padStart(6)} ${s.falseAlarmsPer1000.toFixed(1).padStart(8)}`
    : `${'-'.padStart(9)} ${'-'.padStart(6)} ${'-'.padStart(8)}`;

function table(ours: DetectionResult, baseline: DetectionResult): string[] {
  const head = `${'verdict'.padEnd(28)}  ${'Streamwarden defaults'.padEnd(25)}  Tracearr defaults`;
  const sub = `${''.padEnd(28)}  precision recall FA/1000    precision recall FA/1000`;
  const rows = [
    ...RULE_ROWS.map((r) => `${r.padEnd(28)}  ${cell(ours.byRule[r])}    ${cell(baseline.byRule[r])}`),
    ...TRUST_THRESHOLDS.map(
      (t) =>
        `${`trust below ${t}${t === VERDICT_THRESHOLD ? ' (verdict)' : ''}`.padEnd(28)}  ${cell(ours.combined[t])}    ${cell(baseline.combined[t])}`,
    ),
  ];
  return [head, sub, ...rows];
}

function curve(
  fleet: ReturnType<typeof labelledFleet>,
  label: string,
  values: number[],
  settings: (v: number) => RuleSettings,
  rule: RuleId,
): string {
  const points = values.map((v) => {
    const s = measureDetection(fleet, settings(v), bundledNetworks()).byRule[rule];
    return `${v}: ${s ? `P ${s.precision.toFixed(2)} R ${s.recall.toFixed(2)}` : 'nothing flagged'}`;
  });
  return `  ${label.padEnd(34)} ${points.join(' | ')}`;
}

export async function detectionBench(): Promise<Figure[]> {
  const geo = await GeoIp.open();
  const accounts = Number(process.env.BENCH_FLEET_ACCOUNTS ?? 2000);
  const networks = bundledNetworks();
  const fleet = labelledFleet(geo, {
    accounts,
    seed: Number(process.env.BENCH_FLEET_SEED ?? 2026),
    days: 30,
    networks,
  });
  const shared = fleet.accounts.filter((a) => a.shared).length;
  const ours = measureDetection(fleet, DEFAULT_RULES, networks);
  const baseline = measureDetection(fleet, TRACEARR_DEFAULTS, undefined, true);
  console.log(
    `\ndetection on a labelled fleet: ${accounts.toLocaleString('en-US')} accounts (${shared} shared), ${fleet.days} days, ${fleet.events.length.toLocaleString('en-US')} events`,
  );
  for (const line of table(ours, baseline)) console.log(`  ${line}`);
  console.log(`  false alarms by kind (Streamwarden, verdict): ${JSON.stringify(ours.falseAlarmsByKind)}`);
  console.log(`  shared accounts missed by kind (Streamwarden, verdict): ${JSON.stringify(ours.missedByKind)}`);
  console.log('  trade-off of the main thresholds (Streamwarden defaults otherwise):');
  console.log(
    curve(
      fleet,
      'impossible travel, max km/h',
      [300, 500, 1000, 2000],
      (v) => ({ ...DEFAULT_RULES, impossibleTravel: { ...DEFAULT_RULES.impossibleTravel, maxSpeedKmh: v } }),
      'IMPOSSIBLE_TRAVEL',
    ),
  );
  console.log(
    curve(
      fleet,
      'simultaneous locations, min km',
      [50, 100, 300, 800],
      (v) => ({
        ...DEFAULT_RULES,
        simultaneousLocations: { ...DEFAULT_RULES.simultaneousLocations, minDistanceKm: v },
      }),
      'SIMULTANEOUS_LOCATIONS',
    ),
  );
  const verdict = ours.combined[VERDICT_THRESHOLD]!;
  const base = baseline.combined[VERDICT_THRESHOLD]!;
  return [
    {
      suite: 'detection',
      name: 'verdict precision (Streamwarden defaults)',
      value: round(verdict.precision),
      unit: '',
      note: `Tracearr defaults ${round(base.precision)}`,
    },
    {
      suite: 'detection',
      name: 'verdict recall (Streamwarden defaults)',
      value: round(verdict.recall),
      unit: '',
      note: `Tracearr defaults ${round(base.recall)}`,
    },
    {
      suite: 'detection',
      name: 'verdict false alarms per 1,000 legitimate accounts per month',
      value: Math.round(verdict.falseAlarmsPer1000 * 10) / 10,
      unit: '',
      note: `Tracearr defaults ${Math.round(base.falseAlarmsPer1000 * 10) / 10}`,
    },
  ];
}

const round = (x: number) => Math.round(x * 100) / 100;
