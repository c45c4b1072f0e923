// A new install's first administrator, signed in: the session cookie for API calls in tests.
export const TEST_ADMIN = { username: 'admin', password: 'a long enough password' };

export async function setupAndSignIn(base: string): Promise<string> {
  const json = { 'content-type': 'application/json' };
  const setup = await fetch(`${base}/api/v1/setup`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(TEST_ADMIN),
  });
  if (setup.status !== 201) throw new Error(`setup answered ${setup.status}: ${await setup.text()}`);
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify(TEST_ADMIN),
  });
  if (!login.ok) throw new Error(`login answered ${login.status}: ${await login.text()}`);
  return login.headers.get('set-cookie')!.split(';')[0]!;
}

/** Signs `username` in: the session cookie. */
export async function signIn(base: string, username: string, password: string): Promise<string> {
  const login = await fetch(`${base}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!login.ok) throw new Error(`login of ${username} answered ${login.status}: ${await login.text()}`);
  return login.headers.get('set-cookie')!.split(';')[0]!;
}
