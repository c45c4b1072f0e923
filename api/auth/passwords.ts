// Password hashing with scrypt (memory-hard, in node:crypto), stored as scrypt$N$r$p$salt$hash.
// Each hash costs ~100 ms of CPU and 32 MiB: at most two run at once and a bounded number wait,
// so a flood of logins cannot take the process's CPU and memory (the rest get PasswordsBusyError).
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import PQueue from 'p-queue';
import { AppError } from '../../core/errors.ts';

const N = 2 ** 15;
const R = 8;
const P = 1;
const KEY_LENGTH = 64;

const hashing = new PQueue({ concurrency: 2 });
const MAX_WAITING = 32;

class PasswordsBusyError extends AppError {
  constructor() {
    super('unavailable', 'Too many sign-ins at once: try again in a few seconds.', { retryAfterS: 5 });
  }
}

function scrypt(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  if (hashing.size >= MAX_WAITING) return Promise.reject(new PasswordsBusyError());
  return hashing.add(
    () =>
      new Promise<Buffer>((resolve, reject) =>
        scryptCallback(
          password,
          salt,
          KEY_LENGTH,
          { ...options, maxmem: 128 * options.N! * options.r! * 2 },
          (err, key) => (err ? reject(err) : resolve(key)),
        ),
      ),
  );
}

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password, salt, { N, r: R, p: P });
  return ['scrypt', N, R, P, salt.toString('base64'), key.toString('base64')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const [scheme, n, r, p, salt, hash] = stored.split('$');
  if (scheme !== 'scrypt' || !salt || !hash) return false;
  const expected = Buffer.from(hash, 'base64');
  const actual = await scrypt(password, Buffer.from(salt, 'base64'), { N: Number(n), r: Number(r), p: Number(p) });
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
