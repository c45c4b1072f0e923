// Delivering one alert to one channel. Errors say whether trying again can help: a refused
// request (bad URL, wrong token) will not get better, a timeout or a 5xx/429 may.
import nodemailer from 'nodemailer';
import { AppError } from '../core/errors.ts';
import type { Channel, ChannelSettings } from './channels.ts';
import type { WebPushStore } from './web-push.ts';
import { DEFAULT_BODY, DEFAULT_TITLE, html, jsonString, render, type AlertContext } from './templates.ts';

export class DeliveryError extends AppError {
  constructor(
    message: string,
    readonly retryable: boolean,
    /** Seconds the receiver asked us to wait (429 Retry-After). */
    retryAfterS?: number,
  ) {
    super('upstream', message, { retryAfterS });
  }
}

const COLOURS: Record<string, number> = { LOW: 0x3b82f6, MEDIUM: 0xf59e0b, HIGH: 0xef4444, CRITICAL: 0x991b1b };
/** Gotify's priorities (0-10; its apps alert from 4, and loudly from 8). */
const SEVERITY_PRIORITY: Record<string, number> = { LOW: 4, MEDIUM: 6, HIGH: 8, CRITICAL: 10 };

/**
 * Text for Slack's mrkdwn: its three control characters escaped, so that a name from a media
 * server cannot become a link or a mention (<!channel>, <@U123>).
 */
const slack = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

async function post(
  url: string,
  init: { method?: string; headers?: Record<string, string>; body: string },
  what: string,
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: init.method ?? 'POST',
      headers: init.headers,
      body: init.body,
      signal: AbortSignal.timeout(15_000),
      redirect: 'error',
    });
  } catch (err) {
    throw new DeliveryError(
      `${what}: ${(err as Error).cause ? String((err as Error).cause) : (err as Error).message}`,
      true,
    );
  }
  if (response.ok) return response;
  const detail = (await response.text().catch(() => '')).slice(0, 300);
  const retryAfter = Number(response.headers.get('retry-after')) || undefined;
  throw new DeliveryError(
    `${what} answered ${response.status}${detail ? `: ${detail}` : ''}`,
    response.status === 429 || response.status >= 500,
    retryAfter,
  );
}

/** An image an e-mail's page shows by its content id (a digest's posters). */
export interface InlineImage {
  cid: string;
  filename: string;
  content: Buffer;
  contentType: string;
}

/**
 * Sends one message. `templates` replace the channel's own (which are for findings): events and
 * groups of them come with theirs.
 */
export async function deliver(
  channel: Channel,
  context: AlertContext,
  templates?: { title: string; body: string; html?: string; attachments?: InlineImage[] },
  push?: WebPushStore,
): Promise<void> {
  const title = render(templates?.title ?? (channel.titleTemplate || DEFAULT_TITLE), context);
  const body = render(templates?.body ?? (channel.bodyTemplate || DEFAULT_BODY), context);
  switch (channel.type) {
    case 'discord': {
      const s = channel.settings as ChannelSettings['discord'];
      await post(
        s.webhookUrl,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            username: 'Streamwarden',
            // Names from media servers must not ping anyone.
            allowed_mentions: { parse: [] },
            embeds: [
              {
                title: title.slice(0, 256),
                description: body.slice(0, 4000),
                color: COLOURS[context.severity] ?? COLOURS.LOW,
                timestamp: context.time,
                fields: [
                  { name: 'User', value: context.user.slice(0, 1024) || '-', inline: true },
                  { name: 'Server', value: context.server.slice(0, 1024) || '-', inline: true },
                  { name: 'Severity', value: context.severity, inline: true },
                ],
                footer: { text: `Streamwarden · ${context.violationId}` },
              },
            ],
          }),
        },
        'Discord',
      );
      return;
    }
    case 'webhook': {
      const s = channel.settings as ChannelSettings['webhook'];
      const payload = s.bodyTemplate
        ? render(s.bodyTemplate, context, jsonString)
        : JSON.stringify({
            event: 'violation',
            title,
            message: body,
            violation: {
              id: context.violationId,
              rule: context.ruleId,
              severity: context.severity,
              user: context.user,
              accountKey: context.accountKey,
              server: context.server,
              summary: context.summary,
              device: context.device,
              location: context.location,
              title: context.title,
              detectedAt: context.time,
              trustPenalty: Number(context.trustPenalty),
            },
          });
      await post(
        s.url,
        {
          method: s.method,
          headers: { 'content-type': 'application/json', 'user-agent': 'Streamwarden', ...s.headers },
          body: payload,
        },
        'webhook',
      );
      return;
    }
    case 'ntfy': {
      const s = channel.settings as ChannelSettings['ntfy'];
      // JSON publishing (to the server root) carries any characters in the title, unlike headers.
      const priority =
        s.priority || ({ LOW: 3, MEDIUM: 4, HIGH: 5, CRITICAL: 5 } as Record<string, number>)[context.severity] || 3;
      await post(
        s.serverUrl.replace(/\/+$/, '') + '/',
        {
          headers: { 'content-type': 'application/json', ...(s.token ? { authorization: `Bearer ${s.token}` } : {}) },
          body: JSON.stringify({
            topic: s.topic,
            title,
            message: body,
            priority,
            tags: ['warning', context.ruleId.toLowerCase()],
          }),
        },
        'ntfy',
      );
      return;
    }
    case 'apprise': {
      const s = channel.settings as ChannelSettings['apprise'];
      const type = context.severity === 'LOW' ? 'info' : context.severity === 'MEDIUM' ? 'warning' : 'failure';
      await post(
        s.url,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            title,
            body,
            type,
            format: 'text',
            ...(s.urls ? { urls: s.urls } : {}),
            ...(s.tag ? { tag: s.tag } : {}),
          }),
        },
        'Apprise',
      );
      return;
    }
    case 'telegram': {
      const s = channel.settings as ChannelSettings['telegram'];
      const text = `<b>${html(title)}</b>\n${html(body)}`;
      const response = await post(
        `${s.apiBase.replace(/\/+$/, '')}/bot${s.botToken}/sendMessage`,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ chat_id: s.chatId, text, parse_mode: 'HTML', disable_web_page_preview: true }),
        },
        'Telegram',
      ).catch((err: unknown) => {
        // The token is part of the URL: never let it reach a log or the dashboard.
        if (err instanceof DeliveryError)
          throw new DeliveryError(err.message.replaceAll(s.botToken, '<token>'), err.retryable, err.retryAfterS);
        throw err;
      });
      const answer = (await response.json().catch(() => null)) as { ok?: boolean; description?: string } | null;
      if (!answer?.ok) throw new DeliveryError(`Telegram refused: ${answer?.description ?? 'no answer'}`, false);
      return;
    }
    case 'gotify': {
      const s = channel.settings as ChannelSettings['gotify'];
      const priority = s.priority || SEVERITY_PRIORITY[context.severity] || 5;
      await post(
        `${s.serverUrl.replace(/\/+$/, '')}/message`,
        {
          // The token in a header, not the query string, so that it reaches no access log.
          headers: { 'content-type': 'application/json', 'x-gotify-key': s.token },
          body: JSON.stringify({
            title,
            message: body,
            priority,
            extras: { 'client::display': { contentType: 'text/plain' } },
          }),
        },
        'Gotify',
      );
      return;
    }
    case 'pushover': {
      const s = channel.settings as ChannelSettings['pushover'];
      await post(
        `${s.apiBase.replace(/\/+$/, '')}/1/messages.json`,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            token: s.appToken,
            user: s.userKey,
            title: title.slice(0, 250),
            message: body.slice(0, 1024),
            // High priority (bypasses quiet hours) for HIGH and CRITICAL; 2 would need retries set.
            priority: context.severity === 'HIGH' || context.severity === 'CRITICAL' ? 1 : 0,
            timestamp: Math.floor(Date.parse(context.time) / 1000),
          }),
        },
        'Pushover',
      );
      return;
    }
    case 'slack': {
      const s = channel.settings as ChannelSettings['slack'];
      await post(
        s.webhookUrl,
        {
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            text: slack(title),
            blocks: [
              { type: 'section', text: { type: 'mrkdwn', text: `*${slack(title)}*\n${slack(body)}`.slice(0, 3000) } },
              {
                type: 'context',
                elements: [
                  {
                    type: 'mrkdwn',
                    text: `${context.severity} · ${slack(context.server)} · ${slack(context.user)} · ${context.violationId}`,
                  },
                ],
              },
            ],
          }),
        },
        'Slack',
      );
      return;
    }
    case 'webpush': {
      const s = channel.settings as ChannelSettings['webpush'];
      if (!push) throw new DeliveryError('web push: not available in this process', false);
      const outcome = await push.send(s.users, {
        title,
        body,
        tag: context.violationId,
        // A finding opens the findings; an event, the activity page.
        url: templates ? '/' : '/violations',
        urgent: context.severity === 'HIGH' || context.severity === 'CRITICAL',
      });
      // Sent to one browser or more: trying again would tell those twice.
      if (outcome.sent > 0) return;
      if (outcome.failures.length === 0)
        throw new DeliveryError(
          outcome.expired > 0
            ? 'web push: every subscribed browser has left (their subscriptions are removed)'
            : `web push: no browser is subscribed${s.users.length ? ` by ${s.users.join(', ')}` : ''}`,
          false,
        );
      throw new DeliveryError(
        `web push: ${outcome.failures.map((f) => f.error).join('; ')}`,
        outcome.failures.some((f) => f.retryable),
      );
    }
    case 'email': {
      const s = channel.settings as ChannelSettings['email'];
      const transport = nodemailer.createTransport({
        host: s.host,
        port: s.port,
        secure: s.secure,
        auth: s.username ? { user: s.username, pass: s.password } : undefined,
        connectionTimeout: 15_000,
        greetingTimeout: 15_000,
        socketTimeout: 30_000,
      });
      try {
        await transport.sendMail({
          from: s.from,
          to: s.to,
          subject: title,
          text: body,
          // A digest comes as a page too; its text part stays for mail readers without HTML.
          ...(templates?.html ? { html: templates.html } : {}),
          // Images the page shows (cid:), carried in the message: mail readers load no remote images.
          ...(templates?.attachments?.length
            ? {
                attachments: templates.attachments.map((a) => ({
                  cid: a.cid,
                  filename: a.filename,
                  content: a.content,
                  contentType: a.contentType,
                  contentDisposition: 'inline' as const,
                })),
              }
            : {}),
          headers: { 'X-Streamwarden-Violation': context.violationId },
        });
      } catch (err) {
        const code = (err as { responseCode?: number }).responseCode;
        // 4xx SMTP replies are temporary by definition; 5xx are permanent.
        throw new DeliveryError(
          `SMTP ${s.host}:${s.port}: ${(err as Error).message}`,
          code === undefined || (code >= 400 && code < 500),
        );
      } finally {
        transport.close();
      }
      return;
    }
  }
}
