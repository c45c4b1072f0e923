// Starts the stream processor role: detection rules over the playback events, per account and per
// person (accounts linked across servers), with the rule parameters, the links and the trust
// changes by hand the dashboard saves applied as they change.
import type { GeoIp } from '../core/geoip.ts';
import { bundledNetworks } from '../core/networks.ts';
import { StreamProcessor } from '../pipeline/processor.ts';
import { PersonStage } from '../pipeline/person-stage.ts';
import { OperatorEventStage } from '../pipeline/operator-event-stage.ts';
import { AccountHistoryQueries } from '../warehouse/queries/account-history.ts';
import { MultiAccountCheck } from '../pipeline/multi-account.ts';
import type { RuleStore } from '../pipeline/rules/rule-store.ts';
import type { FalseAlarmStore } from '../pipeline/false-alarms.ts';
import type { TrustAdjustmentStore } from '../pipeline/trust-adjustments.ts';
import { linksOf, personOfAccount, type PeopleStore } from '../pipeline/people-store.ts';
import type { Logger } from '../core/logger.ts';
import type { Platform } from './platform.ts';

export async function startProcessor(
  platform: Platform,
  geo: GeoIp,
  store: RuleStore,
  byHand: { falseAlarms: FalseAlarmStore; trustAdjustments: TrustAdjustmentStore; people: PeopleStore },
  logger: Logger,
): Promise<{ processor: StreamProcessor; people: PersonStage; drain(): Promise<void>; stop(): Promise<void> }> {
  const { rules, accounts } = await store.get();
  const networks = bundledNetworks();
  const links = await byHand.people.get();
  const overrides = (accountKey: string) => accounts[accountKey];
  const processor = new StreamProcessor({ bus: platform.bus, geo, logger, rules, networks, overrides });
  const people = new PersonStage({
    bus: platform.bus,
    geo,
    logger,
    rules,
    networks,
    overrides,
    people: linksOf(links),
  });
  processor.updatePeople(personOfAccount(links));
  // Plays and servers as events operators can be told of (streamwarden.events).
  const accountHistory = new AccountHistoryQueries(platform.warehouse);
  const operatorEvents = new OperatorEventStage({
    bus: platform.bus,
    logger,
    history: (accountKeys, before) => accountHistory.before(accountKeys, before),
  });
  operatorEvents.updatePeople(links);
  await people.start();
  await processor.start();
  await operatorEvents.start();
  let current = { settings: rules, overrides };
  let linked = links;
  const multiAccount = new MultiAccountCheck({
    bus: platform.bus,
    warehouse: platform.warehouse,
    logger,
    rules: () => current,
    people: () => linked,
    runsHere: () => processor.owns(0),
  });
  multiAccount.start();
  let first = true;
  const unwatch = await store.watch(
    (config) => {
      if (first) return void (first = false);
      const overridesNow = (accountKey: string) => config.accounts[accountKey];
      current = { settings: config.rules, overrides: overridesNow };
      processor.updateRules(config.rules, overridesNow);
      people.updateRules(config.rules, overridesNow);
      logger.info({ accountsWithOverrides: Object.keys(config.accounts).length }, 'rule parameters updated');
    },
    (err) => logger.error({ err: err.message }, 'saved rule parameters not applied; keeping the running ones'),
  );
  const unwatchPeople = await byHand.people.watch(
    (now) => {
      // The person stage first: a copy made under the new links must find them there.
      linked = now;
      people.updatePeople(linksOf(now));
      processor.updatePeople(personOfAccount(now));
      operatorEvents.updatePeople(now);
    },
    (err) => logger.error({ err: err.message }, 'people links not read; keeping the running ones'),
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
    people,
    // The processor first: what it copies to the person stage is then drained there too.
    drain: async () => {
      await processor.drain();
      await people.drain();
      await operatorEvents.drain();
    },
    stop: async () => {
      unwatchMarks();
      unwatchAdjustments();
      unwatchPeople();
      unwatch();
      await multiAccount.stop();
      await processor.stop();
      await people.stop();
      await operatorEvents.stop();
    },
  };
}
