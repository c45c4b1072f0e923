// Starts the API role on HOST:PORT.
import type { FastifyInstance } from 'fastify';
import { buildApi } from '../dashboard/server/app.ts';
import type { Config } from './config.ts';
import type { Logger } from './logger.ts';
import type { Platform } from './platform.ts';

export async function startApi(config: Config, platform: Platform, logger: Logger): Promise<FastifyInstance> {
  const app = await buildApi({ warehouse: platform.warehouse, bus: platform.bus, logger, secureCookies: process.env.STREAMWARDEN_SECURE_COOKIES === 'true' });
  const address = await app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ address }, 'API listening');
  return app;
}
