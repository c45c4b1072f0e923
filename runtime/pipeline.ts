// Starts the stream processor role: detection rules over the playback events, with the rule
// parameters the dashboard saves applied as they change.
import type { GeoIp } from '../core/geoip.ts';
import { bundledNetworks } from '../core/networks.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import type { RuleStore } from '../pipeline/rules/rule-store.ts';
import type { FalseAlarmStore } from '../pipeline/false-alarms.ts';
import type { TrustAdjustmentStore } from '../pipeline/trust-adjustments.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export async function startProcessor(
  platform: Platform,
  geo: GeoIp,
  store: RuleStore,
  byHand: { falseAlarms: FalseAlarmStore; trustAdjustments: TrustAdjustmentStore },
  logger: Logger,
): Promise<{ processor: StreamProcessor; stop(): Promise<void> }> {
  const { rules, accounts } = await store.get();
  const processor = new StreamProcessor({
    bus: platform.bus,
    geo,
    logger,
    rules,
    networks: bundledNetworks(),
    overrides: (accountKey) => accounts[accountKey],
  });
  await processor.start();
  let first = true;
  const unwatch = await store.watch(
    (config) => {
      if (first) return void (first = false);
      processor.updateRules(config.rules, (accountKey) => config.accounts[accountKey]);
      logger.info({ accountsWithOverrides: Object.keys(config.accounts).length }, 'rule parameters updated');
    },
    (err) => logger.error({ err: err.message }, 'saved rule parameters not applied; keeping the running ones'),
  );
  // Trust changed by hand: applied as its documents change; a failure is logged and retried on
  // the next change.
  const follow = <T>(
    what: string,
    store: { watch(apply: (value: T) => void, onError: (err: Error) => void): Promise<() => void> },
    update: (value: T) => Promise<void>,
  ) =>
    store.watch(
      (value) =>
        void update(value).catch((err: unknown) =>
          logger.error({ err }, `${what} not applied; retried on the next change`),
        ),
      (err) => logger.error({ err: err.message }, `${what} not read`),
    );
  const unwatchMarks = await follow('false-alarm marks', byHand.falseAlarms, (marks) =>
    processor.updateFalseAlarms(marks),
  );
  const unwatchAdjustments = await follow('trust adjustments', byHand.trustAdjustments, (adjustments) =>
    processor.updateAdjustments(adjustments),
  );
  return {
    processor,
    stop: async () => {
      unwatchMarks();
      unwatchAdjustments();
      unwatch();
      await processor.stop();
    },
  };
}
