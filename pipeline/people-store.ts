// People: one human's accounts on any servers (the same person on Plex and Jellyfin, or on two Plex
// servers), linked by an admin, never silently. Kept as a config document so every process reads
// the same links; each change names the version it was made against, and a change made against an
// older version is refused (409), so two admins cannot undo each other unknowingly.
import { randomUUID } from 'node:crypto';
import { AppError } from '../core/errors.ts';
import type { ConfigDocuments } from '../warehouse/config-documents.ts';

export interface Person {
  personId: string;
  name: string;
  accountKeys: string[];
  createdAt: number;
  updatedAt: number;
  updatedBy: string;
  /** Words an admin or an automation put on the person (family, trial...), for rules on groups. */
  tags?: string[];
}

/** A tag: a word or two, letters, digits, spaces, '-' and '_' (1 to 40 characters). */
export const TAG = /^[\p{L}\p{N}][\p{L}\p{N} _-]{0,39}$/u;

/** The tags as kept: trimmed, each once, in the order given; at most 20. */
function cleanTags(tags: readonly string[]): string[] {
  const out = [...new Set(tags.map((t) => t.trim()))];
  const wrong = out.find((t) => !TAG.test(t));
  if (wrong !== undefined)
    throw new AppError(
      'invalid',
      `tag "${wrong}": 1 to 40 letters, digits, spaces, '-' or '_', starting with a letter or digit`,
    );
  if (out.length > 20) throw new AppError('invalid', 'a person has at most 20 tags');
  return out;
}

interface PeopleBody {
  people: Record<string, Person>;
  /** Keys of suggestions an admin said are not one person. */
  dismissed: string[];
}

export interface People extends PeopleBody {
  version: number;
}

const DOCUMENT = 'people';

/** Each person's accounts, by person id. */
export function linksOf(people: People): Map<string, ReadonlySet<string>> {
  return new Map(Object.values(people.people).map((p) => [p.personId, new Set(p.accountKeys)]));
}

/** The person of each linked account. */
export function personOfAccount(people: People): (accountKey: string) => string | undefined {
  const byAccount = new Map(Object.values(people.people).flatMap((p) => p.accountKeys.map((a) => [a, p.personId])));
  return (accountKey) => byAccount.get(accountKey);
}

/** The key of a suggestion: its accounts, sorted. */
export const suggestionKey = (accountKeys: readonly string[]): string => [...accountKeys].sort().join('+');

export class PeopleStore {
  constructor(private readonly documents: ConfigDocuments) {}

  async get(): Promise<People> {
    const doc = await this.documents.get<PeopleBody>(DOCUMENT);
    return { people: doc?.body.people ?? {}, dismissed: doc?.body.dismissed ?? [], version: doc?.version ?? 0 };
  }

  /**
   * Links accounts into one person: a new one, or the one some of them already belong to. Accounts
   * of two different people are refused (merge those people instead).
   */
  async link(accountKeys: string[], by: string, version: number, name?: string): Promise<Person> {
    return this.change(version, by, (body) => {
      const unique = [...new Set(accountKeys)];
      const owners = new Set(unique.map((a) => this.personOf(body, a)?.personId).filter(Boolean));
      if (owners.size > 1)
        throw new AppError(
          'conflict',
          'These accounts belong to different people already: merge those people instead.',
        );
      const [existingId] = owners;
      const now = Date.now();
      const person: Person = existingId
        ? { ...body.people[existingId!]!, updatedAt: now, updatedBy: by }
        : { personId: randomUUID(), name: name ?? '', accountKeys: [], createdAt: now, updatedAt: now, updatedBy: by };
      const added = unique.filter((a) => !person.accountKeys.includes(a));
      if (existingId && added.length === 0)
        throw new AppError('conflict', 'These accounts are linked to this person already.');
      if (!existingId && unique.length < 2) throw new AppError('invalid', 'A person links two accounts or more.');
      person.accountKeys = [...person.accountKeys, ...added].sort();
      if (name !== undefined) person.name = name;
      body.people[person.personId] = person;
      return person;
    });
  }

  /** Moves every account of `fromId` into `intoId`; `fromId` is gone afterwards. */
  async merge(intoId: string, fromId: string, by: string, version: number): Promise<Person> {
    if (intoId === fromId) throw new AppError('invalid', 'A person cannot be merged into itself.');
    return this.change(version, by, (body) => {
      const into = this.existing(body, intoId);
      const from = this.existing(body, fromId);
      const merged = {
        ...into,
        accountKeys: [...new Set([...into.accountKeys, ...from.accountKeys])].sort(),
        updatedAt: Date.now(),
        updatedBy: by,
      };
      body.people[intoId] = merged;
      delete body.people[fromId];
      return merged;
    });
  }

  /** Takes one account out of a person; a person left with fewer than two accounts is dissolved. */
  async unlink(personId: string, accountKey: string, by: string, version: number): Promise<Person | null> {
    return this.change(version, by, (body) => {
      const person = this.existing(body, personId);
      if (!person.accountKeys.includes(accountKey))
        throw new AppError('not-found', `${accountKey} is not linked to this person.`);
      const rest = person.accountKeys.filter((a) => a !== accountKey);
      if (rest.length < 2) {
        delete body.people[personId];
        return null;
      }
      const changed = { ...person, accountKeys: rest, updatedAt: Date.now(), updatedBy: by };
      body.people[personId] = changed;
      return changed;
    });
  }

  async rename(personId: string, name: string, by: string, version: number): Promise<Person> {
    return this.change(version, by, (body) => {
      const person = { ...this.existing(body, personId), name, updatedAt: Date.now(), updatedBy: by };
      body.people[personId] = person;
      return person;
    });
  }

  /** Replaces the person's tags. */
  async setTags(personId: string, tags: readonly string[], by: string, version: number): Promise<Person> {
    const clean = cleanTags(tags);
    return this.change(version, by, (body) => {
      const person = { ...this.existing(body, personId), tags: clean, updatedAt: Date.now(), updatedBy: by };
      body.people[personId] = person;
      return person;
    });
  }

  /**
   * Adds a tag to the person, on whatever version is current (an automation has no version to
   * name; a change made meanwhile by an admin is read again, not undone). False when it was there.
   */
  async addTag(personId: string, tag: string, by: string): Promise<boolean> {
    const clean = cleanTags([tag])[0]!;
    let added = false;
    await this.documents.update<PeopleBody>(DOCUMENT, by, (body) => {
      const person = this.existing(body ?? { people: {}, dismissed: [] }, personId);
      added = !(person.tags ?? []).includes(clean);
      if (!added) return null;
      const tagged = { ...person, tags: [...(person.tags ?? []), clean], updatedAt: Date.now(), updatedBy: by };
      return { ...body!, people: { ...body!.people, [personId]: tagged } };
    });
    return added;
  }

  /** Splits a person back into separate accounts. */
  async dissolve(personId: string, by: string, version: number): Promise<void> {
    await this.change(version, by, (body) => {
      this.existing(body, personId);
      delete body.people[personId];
      return null;
    });
  }

  /** Calls `apply` with the people now and whenever they change, here or in another process. */
  watch(apply: (people: People) => void, onError: (err: Error) => void): Promise<() => void> {
    return this.documents.watch(DOCUMENT, () => this.get(), apply, onError);
  }

  /** Says a suggestion is not one person: it is not offered again. */
  async dismiss(key: string, by: string): Promise<void> {
    await this.documents.update<PeopleBody>(DOCUMENT, by, (body) => {
      const dismissed = body?.dismissed ?? [];
      return dismissed.includes(key) ? null : { people: body?.people ?? {}, dismissed: [...dismissed, key] };
    });
  }

  private personOf(body: PeopleBody, accountKey: string): Person | undefined {
    return Object.values(body.people).find((p) => p.accountKeys.includes(accountKey));
  }

  private existing(body: PeopleBody, personId: string): Person {
    const person = body.people[personId];
    if (!person) throw new AppError('not-found', 'No such person.');
    return person;
  }

  /** One change against the version the admin saw; a newer version refuses it (409). */
  private async change<T>(version: number, by: string, apply: (body: PeopleBody) => T): Promise<T> {
    const current = await this.get();
    const body: PeopleBody = { people: structuredClone(current.people), dismissed: current.dismissed };
    const result = apply(body);
    await this.documents.put(DOCUMENT, body, by, version);
    return result;
  }
}
