// Notification channels (add, change, remove, send a test) and the delivery log, failures first.
import type { FastifyInstance } from 'fastify';
import { can } from '../auth/plugin.ts';
import {
  CHANNEL_EVENTS,
  CHANNEL_TYPES,
  SEVERITIES,
  UnknownChannelError,
  type ChannelEvent,
  type ChannelStore,
} from '../../alerts/channels.ts';
import { deliver } from '../../alerts/senders.ts';
import { sampleAlert, sampleEvent } from '../../alerts/sample.ts';
import { eventMessage } from '../../alerts/event-notifier.ts';
import { DEFAULT_BODY, DEFAULT_TITLE, render } from '../../alerts/templates.ts';
import type { Warehouse } from '../../warehouse/client.ts';
import { DEFAULT_SETTINGS, type SettingsStore } from '../../warehouse/settings-store.ts';
import { NotificationQueries } from '../../warehouse/queries/notifications.ts';
import Type from 'typebox';
import {
  Channel,
  ChannelSettingsBody,
  Channels,
  ChannelTest,
  Deliveries,
  errors,
  MessagePreview,
} from '../contract.ts';

const channelBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 100 },
    type: { type: 'string', enum: [...CHANNEL_TYPES] },
    enabled: { type: 'boolean' },
    rules: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Z_]+$' },
      maxItems: 20,
      description: 'Rule ids; empty: every rule',
    },
    minSeverity: { type: 'string', enum: [...SEVERITIES] },
    events: {
      type: 'array',
      items: { type: 'string', enum: [...CHANNEL_EVENTS] },
      minItems: 1,
      uniqueItems: true,
      description: "What it hears about: the rules' findings (VIOLATION) and event types",
    },
    servers: { type: 'array', items: { type: 'string', maxLength: 64 }, maxItems: 100 },
    libraries: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 200 },
    accounts: { type: 'array', items: { type: 'string', maxLength: 200 }, maxItems: 500 },
    quietHours: {
      anyOf: [
        {
          type: 'object',
          required: ['from', 'to'],
          additionalProperties: false,
          properties: { from: { type: 'string' }, to: { type: 'string' } },
        },
        { type: 'null' },
      ],
    },
    groupMinutes: { type: 'integer', minimum: 0, maximum: 1440 },
    digest: { type: 'string', enum: ['off', 'daily', 'weekly'] },
    titleTemplate: {
      type: 'string',
      maxLength: 500,
      description:
        'With {{user}}, {{rule}}, {{severity}}, {{summary}}, {{evidence}}, {{server}}, {{title}}, {{device}}, {{location}}, {{time}}',
    },
    bodyTemplate: { type: 'string', maxLength: 4000 },
    settings: ChannelSettingsBody,
  },
} as const;

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', format: 'uuid' } } } as const;

export async function notificationRoutes(
  app: FastifyInstance,
  {
    channels,
    settings: settingsStore,
    warehouse,
  }: { channels: ChannelStore; settings: SettingsStore; warehouse: Warehouse },
): Promise<void> {
  const settings = () => settingsStore.read().catch(() => DEFAULT_SETTINGS);
  app.get(
    '/api/v1/notifications/channels',
    { ...can('view'), schema: { response: { 200: Channels, ...errors } } },
    async () => ({ channels: await channels.listPublic() }),
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/notifications/channels',
    {
      ...can('manage', 'channel.add'),
      schema: { body: { ...channelBody, required: ['type', 'settings'] }, response: { 201: Channel, ...errors } },
    },
    async (request, reply) => reply.code(201).send(await channels.save(request.body, request.user ?? 'api')),
  );

  app.put<{ Params: { id: string }; Body: Record<string, unknown> }>(
    '/api/v1/notifications/channels/:id',
    {
      ...can('manage', 'channel.change'),
      schema: { params: idParam, body: channelBody, response: { 200: Channel, ...errors } },
    },
    async (request) => channels.save({ ...request.body, id: request.params.id }, request.user ?? 'api'),
  );

  app.delete<{ Params: { id: string } }>(
    '/api/v1/notifications/channels/:id',
    {
      ...can('manage', 'channel.remove'),
      schema: { params: idParam, response: { 204: Type.Null({ description: 'Removed' }), ...errors } },
    },
    async (request, reply) => {
      if (!(await channels.remove(request.params.id, request.user ?? 'api')))
        throw new UnknownChannelError(request.params.id);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: { id: string }; Querystring: { event?: ChannelEvent } }>(
    '/api/v1/notifications/channels/:id/test',
    {
      ...can('manage', 'channel.test'),
      schema: {
        params: idParam,
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            event: {
              type: 'string',
              enum: [...CHANNEL_EVENTS],
              description: 'What the test message is like: a finding (VIOLATION, the default) or an event of the type',
            },
          },
        },
        response: { 200: ChannelTest, ...errors },
      },
    },
    async (request) => {
      const channel = (await channels.list()).find((c) => c.id === request.params.id);
      if (!channel) throw new UnknownChannelError(request.params.id);
      const event = request.query.event ?? 'VIOLATION';
      const now = Date.now();
      const message =
        event === 'VIOLATION'
          ? {
              context: sampleAlert(now, {
                summary: 'This is a test alert from Streamwarden: the channel works.',
                userName: 'Test user',
              }),
              templates: undefined,
            }
          : eventMessage(sampleEvent(event, now), 'Home Plex', (await settings()).defaultLanguage);
      try {
        await deliver(channel, message.context, message.templates, channels.push);
        return { ok: true };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
  );

  // What a channel's messages would say, from its templates and a made-up finding.
  app.post<{ Body: { titleTemplate?: string; bodyTemplate?: string; event?: ChannelEvent } }>(
    '/api/v1/notifications/preview',
    {
      ...can('manage', 'channel.preview'),
      schema: {
        body: {
          type: 'object',
          additionalProperties: false,
          properties: {
            titleTemplate: channelBody.properties.titleTemplate,
            bodyTemplate: channelBody.properties.bodyTemplate,
            event: {
              type: 'string',
              enum: [...CHANNEL_EVENTS],
              description:
                "VIOLATION (the default): a made-up finding in the templates given; an event type: that event's message in the install's language (templates apply to findings only)",
            },
          },
        },
        response: { 200: MessagePreview, ...errors },
      },
    },
    async (request) => {
      // Nothing changes: a preview is no event for the audit log.
      request.auditSkip = true;
      const event = request.body.event ?? 'VIOLATION';
      if (event !== 'VIOLATION') {
        const message = eventMessage(sampleEvent(event, Date.now()), 'Home Plex', (await settings()).defaultLanguage);
        return {
          title: render(message.templates.title, message.context),
          body: render(message.templates.body, message.context),
        };
      }
      const context = sampleAlert(Date.now());
      return {
        title: render(request.body.titleTemplate || DEFAULT_TITLE, context),
        body: render(request.body.bodyTemplate || DEFAULT_BODY, context),
      };
    },
  );

  app.get<{ Querystring: { status?: 'SENT' | 'FAILED'; limit?: number } }>(
    '/api/v1/notifications/deliveries',
    {
      ...can('view'),
      schema: {
        querystring: {
          type: 'object',
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['SENT', 'FAILED'] },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: Deliveries, ...errors },
      },
    },
    async (request) => {
      return {
        deliveries: await new NotificationQueries(warehouse).deliveries({
          status: request.query.status,
          limit: request.query.limit ?? 100,
        }),
      };
    },
  );
}
