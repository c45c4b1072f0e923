// GET sessions/active's answer, made once for everyone who asks within a short while rather than
// once per request: at 2,000 plays it is 2.5 MB of JSON, and while every play reports every few
// seconds the list changes hundreds of times a second, so an answer made per change would be an
// answer made per request. An answer is kept ANSWER_MAX_AGE_MS while plays change (the connectors
// see a server only every few seconds, so the list is never fresher than that anyway) and until
// the next change otherwise. Each kept answer is gzipped once, off the main thread, for clients
// that accept it (a tenth of the bytes), and carries an ETag so a poller's unchanged list costs a
// 304.
import { randomBytes } from 'node:crypto';
import { gzip } from 'node:zlib';

export const ANSWER_MAX_AGE_MS = 500;
/** An unchanged list is still made again after this long: plays that stop reporting go stale by time. */
const UNCHANGED_MAX_AGE_MS = 5_000;
/** Answers kept, one per set of servers asked for; the oldest goes first. */
const MAX_ANSWERS = 32;

export interface ActiveAnswer {
  /** `{"sessions":[…]}` as UTF-8. */
  json: Buffer;
  /** The same, gzipped, once the compression (started when the answer was made) is done. */
  gzipped?: Buffer;
  etag: string;
}

interface Made extends ActiveAnswer {
  madeAt: number;
  version: number;
}

/** The answer given for one set of servers, and the one that replaces it once gzipped. */
interface Slot {
  current?: Made;
  next?: Made;
}

export class ActiveAnswers {
  private readonly slots = new Map<string, Slot>();
  /** Tells this process's answers from another API process's behind the same address. */
  private readonly epoch = randomBytes(6).toString('base64url');

  constructor(
    private readonly make: (serverIds: readonly string[], now: number) => { json: Buffer; plays: number },
    private readonly version: () => number,
  ) {}

  answer(serverIds: readonly string[], now = Date.now()): ActiveAnswer {
    const key = [...serverIds].sort().join(',');
    const slot = this.slots.get(key) ?? this.open(key);
    const { current, next } = slot;
    const version = this.version();
    if (current && now - current.madeAt < (current.version === version ? UNCHANGED_MAX_AGE_MS : ANSWER_MAX_AGE_MS))
      return current;
    // A replacement being gzipped: the answer it replaces stays (a few ms more) rather than sending
    // the whole text to everyone meanwhile, unless the compression is somehow long overdue.
    if (next) return current && now - next.madeAt < ANSWER_MAX_AGE_MS ? current : next;
    const { json, plays } = this.make(serverIds, now);
    // The same version and number of plays is the same list: with no change, plays only leave it by time.
    const made: Made = { json, etag: `"${this.epoch}.${version}.${plays}"`, madeAt: now, version };
    slot.next = made;
    gzip(json, { level: 4 }, (err, gzipped) => {
      if (!err) made.gzipped = gzipped;
      if (slot.next === made) {
        slot.current = made;
        slot.next = undefined;
      }
    });
    return current ?? made;
  }

  /** A new set of servers' slot; past MAX_ANSWERS the oldest set's goes. */
  private open(key: string): Slot {
    const slot: Slot = {};
    this.slots.set(key, slot);
    if (this.slots.size > MAX_ANSWERS) this.slots.delete(this.slots.keys().next().value!);
    return slot;
  }

  get size(): number {
    return this.slots.size;
  }
}
