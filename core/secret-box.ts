// Encrypts the secrets Streamwarden must be able to read back (media-server tokens) with
// AES-256-GCM. The key comes from STREAMWARDEN_SECRET_KEY (every process of a scale-out install
// needs the same one) or, embedded, from a file created once in the data folder.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const PREFIX = 'v1';

export class SecretBox {
  private readonly key: Buffer;

  /** Any passphrase works: it is hashed to the 32-byte key. */
  constructor(secret: string | Buffer) {
    if (secret.length < 16) throw new Error('the secret key must be at least 16 characters');
    this.key = createHash('sha256').update(secret).digest();
  }

  seal(plain: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const data = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return [
      PREFIX,
      iv.toString('base64url'),
      data.toString('base64url'),
      cipher.getAuthTag().toString('base64url'),
    ].join('.');
  }

  open(sealed: string): string {
    const [prefix, iv, data, tag] = sealed.split('.');
    if (prefix !== PREFIX || !iv || data === undefined || !tag) throw new Error('not a sealed secret');
    const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    try {
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new Error(
        'a stored secret cannot be decrypted: STREAMWARDEN_SECRET_KEY differs from the key it was saved with',
      );
    }
  }
}

/** Where the embedded install keeps its key. */
export const secretKeyFile = (dataDir: string): string => join(dataDir, 'secret.key');

/** The install's key as it stands (the environment's, else the data folder's), without creating one. */
export function storedSecretKey(dataDir: string, fromEnv = process.env.STREAMWARDEN_SECRET_KEY): string | undefined {
  if (fromEnv) return fromEnv;
  const file = secretKeyFile(dataDir);
  return existsSync(file) ? readFileSync(file, 'utf8').trim() : undefined;
}

export function loadSecretBox(dataDir: string, fromEnv = process.env.STREAMWARDEN_SECRET_KEY): SecretBox {
  if (fromEnv) return new SecretBox(fromEnv);
  const file = secretKeyFile(dataDir);
  if (!existsSync(file)) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, randomBytes(32).toString('base64'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(file, 0o600);
  return new SecretBox(storedSecretKey(dataDir, undefined)!);
}
