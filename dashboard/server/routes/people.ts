// Users (accounts) with their trust score and profile; acknowledging or dismissing violations;
// media server status.
import type { FastifyInstance } from 'fastify';
import type { ConnectorStatus } from '../../../connectors/server-connector.ts';
import type { Warehouse } from '../../../warehouse/client.ts';

export interface PeopleOptions {
  warehouse: Warehouse;
  /** Live connector status, when the connectors run in this process. */
  serverStatus?: () => ConnectorStatus[];
}

export const accountParam = {
  type: 'object',
  properties: { accountKey: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,63}:[^\\s/]{1,200}$' } },
} as const;

export async function peopleRoutes(app: FastifyInstance, { warehouse: w, serverStatus }: PeopleOptions): Promise<void> {
  const rows = async <T>(query: string, params: Record<string, unknown> = {}) =>
    (await w.client.query({ query, query_params: params, format: 'JSONEachRow' })).json<T>();

  app.get('/api/v1/users', async () => {
    const list = await rows<Record<string, string | number | null>>(
      `SELECT a.account_key AS account_key, a.server_id AS server_id, a.user_id AS user_id, a.user_name AS user_name,
              toString(a.first_seen_at) AS first_seen, toString(a.last_seen_at) AS last_seen,
              ifNull(t.score, 100) AS trust_score, ifNull(v.open, 0) AS open_violations
       FROM (SELECT account_key, any(server_id) AS server_id, any(user_id) AS user_id, anyLast(user_name) AS user_name, min(first_seen_at) AS first_seen_at, max(last_seen_at) AS last_seen_at
             FROM ${w.table('accounts')} GROUP BY account_key) AS a
       LEFT JOIN (SELECT account_key, argMax(new_score, changed_at) AS score FROM ${w.table('trust_score_history')} GROUP BY account_key) AS t ON t.account_key = a.account_key
       LEFT JOIN (SELECT account_key, countIf(status = 'OPEN') AS open FROM ${w.table('violations')} FINAL GROUP BY account_key) AS v ON v.account_key = a.account_key
       ORDER BY trust_score, a.account_key
       SETTINGS join_use_nulls = 1`,
    );
    return {
      users: list.map((r) => ({
        accountKey: r.account_key,
        serverId: r.server_id,
        userId: r.user_id,
        userName: r.user_name,
        firstSeenAt: r.first_seen,
        lastSeenAt: r.last_seen,
        trustScore: Number(r.trust_score),
        openViolations: Number(r.open_violations),
      })),
    };
  });

  app.get<{ Params: { accountKey: string } }>(
    '/api/v1/users/:accountKey',
    { schema: { params: accountParam } },
    async (request, reply) => {
      const account = { account: request.params.accountKey };
      const [user] = await rows<Record<string, string>>(
        `SELECT account_key, anyLast(user_name) AS user_name, toString(min(first_seen_at)) AS first_seen, toString(max(last_seen_at)) AS last_seen FROM ${w.table('accounts')} WHERE account_key = {account:String} GROUP BY account_key`,
        account,
      );
      if (!user)
        return reply
          .code(404)
          .send({ statusCode: 404, error: 'Not Found', message: `No user "${request.params.accountKey}".` });
      const [devices, locations, violations, trust] = await Promise.all([
        rows(
          `SELECT device_id AS deviceId, anyLast(device_name) AS deviceName, anyLast(platform) AS platform, anyLast(product) AS product, count() AS plays, toString(max(started_at)) AS lastSeenAt
            FROM ${w.table('sessions')} FINAL WHERE account_key = {account:String} GROUP BY device_id ORDER BY max(started_at) DESC LIMIT 100`,
          account,
        ),
        rows(
          `SELECT client_ip AS ip, anyLast(country_code) AS countryCode, anyLast(city) AS city, anyLast(latitude) AS latitude, anyLast(longitude) AS longitude, count() AS observations, toString(max(observed_at)) AS lastSeenAt
            FROM ${w.table('playback_events')} WHERE account_key = {account:String} GROUP BY client_ip ORDER BY max(observed_at) DESC LIMIT 200`,
          account,
        ),
        rows(
          `SELECT violation_id AS violationId, rule, severity, summary, status, toString(detected_at) AS detectedAt FROM ${w.table('violations')} FINAL WHERE account_key = {account:String} ORDER BY detected_at DESC LIMIT 200`,
          account,
        ),
        rows(
          `SELECT toString(changed_at) AS changedAt, previous_score AS previousScore, new_score AS newScore, reason, rule, note FROM ${w.table('trust_score_history')} FINAL WHERE account_key = {account:String} ORDER BY changed_at`,
          account,
        ),
      ]);
      const history = trust as Array<{ newScore: number }>;
      return {
        accountKey: user.account_key,
        userName: user.user_name,
        firstSeenAt: user.first_seen,
        lastSeenAt: user.last_seen,
        trustScore: history.at(-1)?.newScore ?? 100,
        devices,
        locations,
        violations,
        trustHistory: trust,
      };
    },
  );

  app.post<{ Params: { id: string }; Body: { status: 'ACKNOWLEDGED' | 'DISMISSED' | 'OPEN'; note?: string } }>(
    '/api/v1/violations/:id/status',
    {
      schema: {
        params: { type: 'object', properties: { id: { type: 'string', pattern: '^[0-9a-f]{32}$' } } },
        body: {
          type: 'object',
          required: ['status'],
          additionalProperties: false,
          properties: {
            status: { type: 'string', enum: ['ACKNOWLEDGED', 'DISMISSED', 'OPEN'] },
            note: { type: 'string', maxLength: 1000 },
          },
        },
      },
    },
    async (request, reply) => {
      // A new version of the row, later updated_at: the Replacing engine keeps it as the current one.
      await w.client.command({
        query: `INSERT INTO ${w.table('violations')} SELECT * REPLACE ({status:String} AS status, {note:String} AS status_note, now64(3) AS updated_at)
                FROM ${w.table('violations')} FINAL WHERE violation_id = {id:String}`,
        query_params: {
          id: request.params.id,
          status: request.body.status,
          note: request.body.note ?? `${request.body.status.toLowerCase()} by ${request.user}`,
        },
      });
      const [row] = await rows<{ status: string }>(
        `SELECT status FROM ${w.table('violations')} FINAL WHERE violation_id = {id:String}`,
        { id: request.params.id },
      );
      if (!row) return reply.code(404).send({ statusCode: 404, error: 'Not Found', message: 'No such violation.' });
      return { violationId: request.params.id, status: row.status };
    },
  );

  app.get('/api/v1/servers/status', async () => ({ servers: serverStatus?.() ?? [] }));
}
