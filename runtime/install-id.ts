import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A random id for this installation, kept in the data folder: how media servers tell it apart. */
export function installId(dataDir: string): string {
  const path = join(dataDir, 'install-id');
  try {
    const id = readFileSync(path, 'utf8').trim();
    if (id) return id;
  } catch {
    // first start
  }
  mkdirSync(dataDir, { recursive: true });
  const id = `streamwarden-${randomUUID()}`;
  writeFileSync(path, id);
  return id;
}
