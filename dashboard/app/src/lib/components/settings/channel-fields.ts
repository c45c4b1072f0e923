// Each channel type's settings as the form shows them (alerts/channels.ts checks them).
export type Type =
  'discord' | 'webhook' | 'ntfy' | 'apprise' | 'telegram' | 'email' | 'gotify' | 'pushover' | 'slack' | 'webpush';

export interface Field {
  key: string;
  label: string;
  kind: 'text' | 'secret' | 'number' | 'bool' | 'list' | 'json' | 'method';
  placeholder?: string;
}

export const FIELDS: Record<Type, Field[]> = {
  discord: [
    { key: 'webhookUrl', label: 'Webhook URL', kind: 'secret', placeholder: 'https://discord.com/api/webhooks/…' },
  ],
  webhook: [
    { key: 'url', label: 'URL', kind: 'secret', placeholder: 'https://example.org/hook' },
    { key: 'method', label: 'Method', kind: 'method' },
    { key: 'headers', label: 'Headers (JSON)', kind: 'json', placeholder: '{"Authorization": "Bearer …"}' },
    {
      key: 'bodyTemplate',
      label: 'Body template (JSON with {{variables}})',
      kind: 'text',
      placeholder: '{"text": "{{user}}: {{summary}}"}',
    },
  ],
  ntfy: [
    { key: 'serverUrl', label: 'Server', kind: 'text', placeholder: 'https://ntfy.sh' },
    { key: 'topic', label: 'Topic', kind: 'text' },
    { key: 'token', label: 'Access token', kind: 'secret' },
    { key: 'priority', label: 'Priority (0: by severity)', kind: 'number' },
  ],
  apprise: [
    { key: 'url', label: 'Apprise API URL', kind: 'text', placeholder: 'http://apprise:8000/notify/streamwarden' },
    { key: 'urls', label: 'Apprise URLs (stateless)', kind: 'secret', placeholder: 'mailto://…, pover://…' },
    { key: 'tag', label: 'Tag', kind: 'text' },
  ],
  telegram: [
    { key: 'botToken', label: 'Bot token', kind: 'secret', placeholder: '123456:ABC…' },
    { key: 'chatId', label: 'Chat id', kind: 'text', placeholder: '-100123456 or @channel' },
    { key: 'apiBase', label: 'API base', kind: 'text', placeholder: 'https://api.telegram.org' },
  ],
  gotify: [
    { key: 'serverUrl', label: 'Server', kind: 'text', placeholder: 'https://gotify.example.org' },
    { key: 'token', label: 'Application token', kind: 'secret' },
    { key: 'priority', label: 'Priority (0: by severity)', kind: 'number' },
  ],
  pushover: [
    { key: 'userKey', label: 'User key', kind: 'secret' },
    { key: 'appToken', label: 'Application API token', kind: 'secret' },
    { key: 'apiBase', label: 'API base', kind: 'text', placeholder: 'https://api.pushover.net' },
  ],
  slack: [
    {
      key: 'webhookUrl',
      label: 'Incoming webhook URL',
      kind: 'secret',
      placeholder: 'https://hooks.slack.com/services/…',
    },
  ],
  webpush: [
    {
      key: 'users',
      label: 'Dashboard users whose browsers hear it (comma-separated; empty: every subscribed browser)',
      kind: 'list',
    },
  ],
  email: [
    { key: 'host', label: 'SMTP server', kind: 'text' },
    { key: 'port', label: 'Port', kind: 'number' },
    { key: 'secure', label: 'TLS from the start (port 465)', kind: 'bool' },
    { key: 'username', label: 'User name', kind: 'text' },
    { key: 'password', label: 'Password', kind: 'secret' },
    { key: 'from', label: 'From', kind: 'text', placeholder: 'Streamwarden <alerts@example.org>' },
    { key: 'to', label: 'To (comma-separated)', kind: 'list' },
  ],
};
