// The dashboard-edited configuration over a test warehouse, with a fixed secret key.
import { openConfiguration, type Configuration } from '../api/configuration.ts';
import { SecretBox } from '../core/secret-box.ts';
import type { Warehouse } from '../warehouse/client.ts';

export const TEST_SECRET = 'streamwarden-test-secret-key';

export function testConfiguration(
  warehouse: Warehouse,
  options: { serversFile?: string; rulesFile?: string; pollMs?: number } = {},
): Configuration {
  return openConfiguration(warehouse, { secrets: new SecretBox(TEST_SECRET), pollMs: 0, ...options });
}
