// People: accounts on any servers linked as one human, suggested from evidence and confirmed by an
// admin. A person's trust is the lowest of its accounts' scores (the account most likely shared
// decides), shown with each account's score beside it.
import type { FastifyInstance } from 'fastify';
import { AppError } from '../../core/errors.ts';
import { type Person, type PeopleStore, suggestionKey } from '../../pipeline/people-store.ts';
import type { RuleStore } from '../../pipeline/rules/rule-store.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { PeopleLinkQueries } from '../../warehouse/queries/people-links.ts';
import { PeopleQueries, type UserListEntry } from '../../warehouse/queries/people.ts';
import { Analytics } from '../../warehouse/queries/analytics.ts';
import { ViolationQueries } from '../../warehouse/queries/violations.ts';
import { can } from '../auth/plugin.ts';
import type { PlexEmails } from '../../connectors/plex-emails.ts';
import { accountParam } from './users.ts';
import {
  Dismissed,
  Dissolved,
  errors,
  PeopleList,
  PeopleSuggestions,
  Person as PersonAnswer,
  PersonDetail,
  PersonOrDissolved,
} from '../contract.ts';

const ACCOUNT_KEY = accountParam.properties.accountKey;
const VERSION = {
  type: 'integer',
  minimum: 0,
  description: 'The version of the people list this change was made against',
} as const;
const idParam = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', pattern: '^[0-9a-f-]{36}$' } },
} as const;
const SUGGESTION_DAYS = 90;

export async function peopleRoutes(
  app: FastifyInstance,
  {
    warehouse,
    people,
    rules,
    emails,
  }: { warehouse: Warehouse; people: PeopleStore; rules: RuleStore; emails?: PlexEmails },
): Promise<void> {
  const accounts = new PeopleQueries(warehouse);
  const links = new PeopleLinkQueries(warehouse);
  const analytics = new Analytics(warehouse);
  const violations = new ViolationQueries(warehouse);

  /** A person with its accounts as the users list has them, and its trust with the reason. */
  const view = (person: Person, byKey: Map<string, UserListEntry>) => {
    const members = person.accountKeys.map(
      (key) =>
        byKey.get(key) ?? {
          accountKey: key,
          serverId: key.split(':')[0]!,
          userName: '',
          trustScore: 100,
          openViolations: 0,
        },
    );
    const worst = members.reduce((a, b) => (b.trustScore < a.trustScore ? b : a));
    return {
      ...person,
      tags: person.tags ?? [],
      name: person.name || members.map((m) => m.userName.trim()).find(Boolean) || person.accountKeys[0]!,
      accounts: members,
      servers: [...new Set(members.map((m) => m.serverId))].sort(),
      trustScore: worst.trustScore,
      trustExplanation: `The lowest of its accounts' scores: ${worst.accountKey} (${worst.trustScore}).`,
      openViolations: members.reduce((n, m) => n + m.openViolations, 0),
    };
  };
  const userMap = async () => new Map((await accounts.users()).map((u) => [u.accountKey, u]));

  app.get('/api/v1/people', { ...can('view'), schema: { response: { 200: PeopleList, ...errors } } }, async () => {
    const [{ people: all, version }, byKey] = await Promise.all([people.get(), userMap()]);
    return {
      version,
      people: Object.values(all)
        .map((p) => view(p, byKey))
        .sort((a, b) => a.trustScore - b.trustScore || a.name.localeCompare(b.name)),
    };
  });

  app.get(
    '/api/v1/people/suggestions',
    { ...can('view'), schema: { response: { 200: PeopleSuggestions, ...errors } } },
    async () => {
      const shared = (await rules.get()).rules.exemptions?.trustedDeviceIds ?? [];
      const [{ people: all, dismissed, version }, candidates, byKey] = await Promise.all([
        people.get(),
        links.candidates(Date.now() - SUGGESTION_DAYS * 86_400_000, shared, await emails?.byAccount()),
        userMap(),
      ]);
      const personOf = new Map(Object.values(all).flatMap((p) => p.accountKeys.map((a) => [a, p.personId] as const)));
      return {
        version,
        suggestions: candidates
          .filter((c) => !dismissed.includes(suggestionKey(c.accountKeys)))
          // Already one person: nothing to suggest.
          .filter((c) => new Set(c.accountKeys.map((a) => personOf.get(a) ?? a)).size > 1)
          .map((c) => ({
            key: suggestionKey(c.accountKeys),
            accounts: c.accountKeys.map((a) => ({
              ...(byKey.get(a) ?? { accountKey: a }),
              personId: personOf.get(a) ?? null,
            })),
            reasons: c.reasons,
          })),
      };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/api/v1/people/:id',
    { ...can('view'), schema: { params: idParam, response: { 200: PersonDetail, ...errors } } },
    async (request) => {
      const { people: all, version } = await people.get();
      const person = all[request.params.id];
      if (!person) throw new AppError('not-found', 'No such person.');
      const [byKey, profiles, watched, together] = await Promise.all([
        userMap(),
        Promise.all(person.accountKeys.map(async (key) => ({ key, profile: await accounts.profile(key) }))),
        // The plays the analytics count, so the person page and the analytics agree.
        analytics.topUsers(
          { from: 0, to: Date.now() + 60_000, accountKeys: person.accountKeys },
          person.accountKeys.length,
        ),
        // The rules' findings over the person's accounts together (pipeline/person-stage.ts).
        violations.list({ personId: person.personId }, 200),
      ]);
      const tagged = (pick: 'devices' | 'locations' | 'violations' | 'trustHistory') =>
        profiles.flatMap(({ key, profile }) =>
          (profile?.[pick] ?? []).map((row) => ({ accountKey: key, ...(row as object) })),
        );
      return {
        version,
        ...view(person, byKey),
        devices: tagged('devices'),
        locations: tagged('locations'),
        violations: tagged('violations'),
        acrossAccounts: together.map((v) => ({
          violationId: v.violation_id,
          rule: v.rule,
          severity: v.severity,
          status: v.status,
          summary: v.summary,
          detectedAt: v.detectedAt,
        })),
        trustHistory: tagged('trustHistory'),
        watch: {
          plays: watched.reduce((n, w) => n + w.plays, 0),
          watchMs: watched.reduce((n, w) => n + w.watchMs, 0),
          byAccount: watched.map(({ accountKey, plays, watchMs }) => ({ accountKey, plays, watchMs })),
        },
      };
    },
  );

  app.post<{ Body: { accountKeys: string[]; name?: string; version: number } }>(
    '/api/v1/people',
    {
      ...can('manage', 'person.link'),
      schema: {
        description: 'Links accounts as one person: a new person, or the one some of them belong to already.',
        body: {
          type: 'object',
          required: ['accountKeys', 'version'],
          additionalProperties: false,
          properties: {
            accountKeys: { type: 'array', minItems: 1, maxItems: 50, items: ACCOUNT_KEY },
            name: { type: 'string', maxLength: 100 },
            version: VERSION,
          },
        },
        response: { 201: PersonAnswer, ...errors },
      },
    },
    async (request, reply) => {
      const byKey = await userMap();
      const unknown = request.body.accountKeys.filter((k) => !byKey.has(k));
      if (unknown.length) throw new AppError('not-found', `No such account: ${unknown.join(', ')}.`);
      const person = await people.link(
        request.body.accountKeys,
        request.user!,
        request.body.version,
        request.body.name,
      );
      return reply.code(201).send(view(person, byKey));
    },
  );

  app.post<{ Params: { id: string }; Body: { from: string; version: number } }>(
    '/api/v1/people/:id/merge',
    {
      ...can('manage', 'person.merge'),
      schema: {
        params: idParam,
        body: {
          type: 'object',
          required: ['from', 'version'],
          additionalProperties: false,
          properties: { from: idParam.properties.id, version: VERSION },
        },
        response: { 200: PersonAnswer, ...errors },
      },
    },
    async (request) =>
      view(
        await people.merge(request.params.id, request.body.from, request.user!, request.body.version),
        await userMap(),
      ),
  );

  app.put<{ Params: { id: string }; Body: { name: string; version: number } }>(
    '/api/v1/people/:id',
    {
      ...can('manage', 'person.rename'),
      schema: {
        params: idParam,
        body: {
          type: 'object',
          required: ['name', 'version'],
          additionalProperties: false,
          properties: { name: { type: 'string', maxLength: 100 }, version: VERSION },
        },
        response: { 200: PersonAnswer, ...errors },
      },
    },
    async (request) =>
      view(
        await people.rename(request.params.id, request.body.name, request.user!, request.body.version),
        await userMap(),
      ),
  );

  app.put<{ Params: { id: string }; Body: { tags: string[]; version: number } }>(
    '/api/v1/people/:id/tags',
    {
      ...can('manage', 'person.tags'),
      schema: {
        params: idParam,
        body: {
          type: 'object',
          required: ['tags', 'version'],
          additionalProperties: false,
          properties: {
            tags: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 40 } },
            version: VERSION,
          },
        },
        response: { 200: PersonAnswer, ...errors },
      },
    },
    async (request) =>
      view(
        await people.setTags(request.params.id, request.body.tags, request.user!, request.body.version),
        await userMap(),
      ),
  );

  app.delete<{ Params: { id: string; accountKey: string }; Querystring: { version: number } }>(
    '/api/v1/people/:id/accounts/:accountKey',
    {
      ...can('manage', 'person.unlink'),
      schema: {
        params: { ...idParam, properties: { ...idParam.properties, accountKey: ACCOUNT_KEY } },
        querystring: { type: 'object', required: ['version'], properties: { version: VERSION } },
        response: { 200: PersonOrDissolved, ...errors },
      },
    },
    async (request) => {
      const person = await people.unlink(
        request.params.id,
        request.params.accountKey,
        request.user!,
        request.query.version,
      );
      return person ? view(person, await userMap()) : { dissolved: request.params.id };
    },
  );

  app.delete<{ Params: { id: string }; Querystring: { version: number } }>(
    '/api/v1/people/:id',
    {
      ...can('manage', 'person.dissolve'),
      schema: {
        params: idParam,
        querystring: { type: 'object', required: ['version'], properties: { version: VERSION } },
        response: { 200: Dissolved, ...errors },
      },
    },
    async (request) => {
      await people.dissolve(request.params.id, request.user!, request.query.version);
      return { dissolved: request.params.id };
    },
  );

  app.post<{ Body: { key: string } }>(
    '/api/v1/people/suggestions/dismiss',
    {
      ...can('manage', 'person.dismiss-suggestion'),
      schema: {
        body: {
          type: 'object',
          required: ['key'],
          additionalProperties: false,
          properties: { key: { type: 'string', minLength: 3, maxLength: 5000 } },
        },
        response: { 200: Dismissed, ...errors },
      },
    },
    async (request) => {
      await people.dismiss(request.body.key, request.user!);
      return { dismissed: request.body.key };
    },
  );
}
