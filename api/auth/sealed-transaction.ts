// What a sign-in must remember between the browser's requests (OIDC's state, nonce and PKCE
// verifier; Plex's PIN id), sealed with the install's key into a cookie: only this install can
// read or forge it, and any API process can finish a sign-in another one began.
import type { SecretBox } from '../../core/secret-box.ts';

/** Seals `value` with the time it was sealed. */
export function sealTransaction(secrets: SecretBox, value: object): string {
  return secrets.seal(JSON.stringify({ ...value, sealedAt: Date.now() }));
}

/** The sealed value and its age; undefined when absent, or not sealed by this install. */
export function openTransaction<T>(
  secrets: SecretBox,
  sealed: string | undefined,
): { value: Partial<T>; ageMs: number } | undefined {
  if (!sealed) return undefined;
  try {
    const { sealedAt, ...value } = JSON.parse(secrets.open(sealed)) as Partial<T> & { sealedAt?: unknown };
    return typeof sealedAt === 'number' ? { value: value as Partial<T>, ageMs: Date.now() - sealedAt } : undefined;
  } catch {
    return undefined;
  }
}
