// How many streams a person (or an account that is no one's) plays at the moment of an event, for
// the streamsNow condition. Two sources, joined by stream: the warehouse's plays going on (which
// know long plays begun before this process started, but lag the bus by the sink's batch), and the
// stream events this engine has just read (which know the starts of the last seconds: four streams
// started together must count as four). A stop seen on the bus removes a stream the warehouse may
// still list.
import type { OperatorEvent } from '../schemas/index.ts';

/** A stream read from the bus counts this long without another event; by then the warehouse has it. */
const REMEMBER_MS = 10 * 60_000;
/** Stops remembered, for plays the warehouse has not yet closed. */
const STOPS_KEPT = 10_000;

const OPEN_TYPES = new Set([
  'STREAM_STARTED',
  'STREAM_RESUMED',
  'STREAM_PAUSED',
  'STREAM_STILL_PAUSED',
  'TRANSCODE_STARTED',
]);

export interface StreamsNowDeps {
  /** server:session keys of these accounts' plays going on now and begun by `at`, from the warehouse. */
  activeStreams(accountKeys: string[], at: number, now: number): Promise<string[]>;
  /** The accounts linked as the person. */
  accountsOf(personId: string): Promise<string[]>;
}

export class StreamsNow {
  private readonly open = new Map<string, { accountKey: string; since: number; seenAt: number }>();
  private readonly stopped = new Set<string>();

  constructor(private readonly deps: StreamsNowDeps) {}

  /**
   * Takes in each event read, in order, just before it is judged: a start later in the same batch
   * must not count at an earlier one.
   */
  observe(e: OperatorEvent): void {
    if (!e.sessionKey || !e.accountKey) return;
    const stream = `${e.serverId}:${e.sessionKey}`;
    if (e.type === 'STREAM_STOPPED') {
      this.open.delete(stream);
      this.stopped.add(stream);
      if (this.stopped.size > STOPS_KEPT) this.stopped.delete(this.stopped.values().next().value!);
    } else if (OPEN_TYPES.has(e.type) && !this.stopped.has(stream)) {
      const since = this.open.get(stream)?.since ?? e.occurredAt;
      this.open.set(stream, { accountKey: e.accountKey, since, seenAt: e.occurredAt });
    }
  }

  /** Streams of the event's person (or account) going on at the event, its own included. */
  async count(e: OperatorEvent, now: number): Promise<number> {
    if (!e.accountKey) return 0;
    const accounts = new Set([e.accountKey, ...(e.personId ? await this.deps.accountsOf(e.personId) : [])]);
    const streams = new Set(
      (await this.deps.activeStreams([...accounts], e.occurredAt, now)).filter((stream) => !this.stopped.has(stream)),
    );
    for (const [stream, entry] of this.open) {
      if (now - entry.seenAt > REMEMBER_MS) this.open.delete(stream);
      else if (accounts.has(entry.accountKey) && entry.since <= e.occurredAt) streams.add(stream);
    }
    if (e.sessionKey) streams.add(`${e.serverId}:${e.sessionKey}`);
    return streams.size;
  }
}
