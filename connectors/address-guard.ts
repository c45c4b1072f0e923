// Where a media server may not be: link-local addresses, which include the cloud metadata
// services (169.254.169.254 and fd00:ec2::254 hand out credentials to whoever asks from the
// host). A server URL is checked, by every address its name resolves to, before a connection
// test and before it is saved, so the dashboard cannot be used to reach them with or without a
// stored token. STREAMWARDEN_ALLOW_LINK_LOCAL_SERVERS=true lifts it for a server really there.
import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import { normalizeIp } from '../core/network.ts';
import { AppError } from '../core/errors.ts';

const BLOCKED = new BlockList();
BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4');
BLOCKED.addSubnet('fe80::', 10, 'ipv6');
BLOCKED.addAddress('fd00:ec2::254', 'ipv6');
// Alibaba Cloud's metadata service sits outside link-local.
BLOCKED.addAddress('100.100.100.200', 'ipv4');

export class BlockedAddressError extends AppError {
  constructor(readonly host: string) {
    super(
      'invalid',
      `${host} is a link-local or cloud metadata address, refused for media servers (set STREAMWARDEN_ALLOW_LINK_LOCAL_SERVERS=true if a server really is there)`,
    );
  }
}

function isBlockedAddress(address: string): boolean {
  // normalizeIp takes off brackets and the IPv4-mapped prefix; a zone (fe80::1%eth0) goes first.
  const ip = normalizeIp(address.replace(/%.*$/, ''));
  return ip !== '' && BLOCKED.check(ip, isIP(ip) === 6 ? 'ipv6' : 'ipv4');
}

/** Throws BlockedAddressError when the URL's host is, or resolves to, a refused address. */
export async function checkServerAddress(
  url: string,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  if (env.STREAMWARDEN_ALLOW_LINK_LOCAL_SERVERS === 'true') return;
  let host: string;
  try {
    host = new URL(url).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return; // the server config's own validation explains a malformed URL
  }
  const addresses = isIP(host)
    ? [host]
    : await lookup(host, { all: true, verbatim: true }).then(
        (list) => list.map((a) => a.address),
        () => [],
      );
  if (addresses.some(isBlockedAddress)) throw new BlockedAddressError(host);
}
