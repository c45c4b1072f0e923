// Choices shared by the pages that filter: the users and servers to pick from.
import { api } from './api.ts';
import type { MediaServer } from './types.ts';

export interface UserChoice {
  accountKey: string;
  userName: string;
  serverId: string;
}

/** Lists fetched once a minute at most, shared by the pages that open one after another. */
function cached<T>(load: () => Promise<T>): () => Promise<T> {
  let value: { at: number; promise: Promise<T> } | null = null;
  return () => {
    if (!value || Date.now() - value.at > 60_000)
      value = { at: Date.now(), promise: load().catch((err: unknown) => ((value = null), Promise.reject(err))) };
    return value.promise;
  };
}

export const userChoices = cached(() => api<{ users: UserChoice[] }>('/api/v1/users').then((r) => r.users));
export const serverChoices = cached(() => api<{ servers: MediaServer[] }>('/api/v1/servers').then((r) => r.servers));

/** [from, to) of the last `days` calendar days in the viewer's zone, today included, in ms. */
export function lastDays(days: number): { from: number; to: number } {
  const start = new Date();
  start.setHours(0, 0, 0, 0);
  start.setDate(start.getDate() - (days - 1));
  return { from: start.getTime(), to: Date.now() + 1 };
}
