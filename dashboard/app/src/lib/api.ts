// Calls to the Streamwarden API from the browser: JSON in and out, the API's message on errors,
// and a signed-out visitor sent to the login page.
import { goto } from '$app/navigation';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; body?: unknown; signal?: AbortSignal } = {},
): Promise<T> {
  const response = await fetch(path, {
    method: init.method ?? 'GET',
    credentials: 'same-origin',
    headers: init.body !== undefined ? { 'content-type': 'application/json' } : {},
    body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
    signal: init.signal,
  });
  if (response.status === 204) return undefined as T;
  const text = await response.text();
  let json: unknown = null;
  try {
    json = text ? JSON.parse(text) : null;
  } catch {
    throw new ApiError(response.status, `Unexpected answer from the server (${response.status})`);
  }
  if (!response.ok) {
    const message = (json as { message?: string } | null)?.message ?? `Request failed (${response.status})`;
    if (response.status === 401 && !path.startsWith('/api/v1/auth/login')) await goto('/login');
    throw new ApiError(response.status, message);
  }
  return json as T;
}

/** Query string from defined values. */
export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [key, value] of Object.entries(params))
    if (value !== undefined && value !== null && value !== '') search.set(key, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** Rows of an analytics or library answer, as the charts and tables read them. */
export type Rows = Array<Record<string, string | number | null | string[]>>;
