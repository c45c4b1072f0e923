// Choices shared by the pages that filter: the users and servers to pick from.
import { api } from './api.ts';
import type { MediaServer } from './types.ts';

export interface UserChoice {
  accountKey: string;
  userName: string;
  serverId: string;
}

let users: Promise<UserChoice[]> | null = null;
let servers: Promise<MediaServer[]> | null = null;

export function userChoices(): Promise<UserChoice[]> {
  users ??= api<{ users: UserChoice[] }>('/api/v1/users').then((r) => r.users);
  return users;
}

export function serverChoices(): Promise<MediaServer[]> {
  servers ??= api<{ servers: MediaServer[] }>('/api/v1/servers').then((r) => r.servers);
  return servers;
}

/** [from, to) of the last `days` days, in ms. */
export function lastDays(days: number): { from: number; to: number } {
  const to = Date.now() + 1;
  return { from: to - days * 86_400_000, to };
}
