// Security headers on every response, through @fastify/helmet: a Content-Security-Policy the
// SvelteKit app runs under, nosniff, a strict referrer policy, and no framing.
//
// The static app boots from one inline <script> in index.html; rather than allowing inline
// scripts, the policy names that script by its SHA-256 (read from the built file at start), so an
// injected script cannot run even if some escaping fails.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';

/** 'sha256-...' sources of the inline scripts of the built index.html. */
function inlineScriptHashes(dashboardDir: string): string[] {
  const index = join(dashboardDir, 'index.html');
  if (!existsSync(index)) return [];
  const html = readFileSync(index, 'utf8');
  const hashes: string[] = [];
  for (const match of html.matchAll(/<script(?![^>]*\ssrc=)[^>]*>([\s\S]*?)<\/script>/gi)) {
    hashes.push(`'sha256-${createHash('sha256').update(match[1]!, 'utf8').digest('base64')}'`);
  }
  return hashes;
}

function contentSecurityPolicy(dashboardDir: string): Record<string, string[]> {
  return {
    defaultSrc: ["'self'"],
    scriptSrc: ["'self'", ...inlineScriptHashes(dashboardDir)],
    // Svelte and echarts set style attributes; styles cannot run code.
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    // deck.gl may decode in workers built from blobs.
    workerSrc: ["'self'", 'blob:'],
    connectSrc: ["'self'"],
    objectSrc: ["'none'"],
    baseUri: ["'self'"],
    formAction: ["'self'"],
    frameAncestors: ["'none'"],
  };
}

export async function securityHeaders(app: FastifyInstance, dashboardDir: string): Promise<void> {
  await app.register(helmet, {
    global: true,
    contentSecurityPolicy: { useDefaults: false, directives: contentSecurityPolicy(dashboardDir) },
    referrerPolicy: { policy: 'same-origin' },
    frameguard: { action: 'deny' },
    // The API is same-origin only; cross-origin isolation headers would block nothing more here
    // and break opening a shared link in some browsers.
    crossOriginEmbedderPolicy: false,
    // HSTS belongs to the TLS-terminating proxy, which knows whether HTTPS is in use.
    strictTransportSecurity: false,
  });
}
