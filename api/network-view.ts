// The network of a play's address (operator, AS number, and whether it is home broadband, a mobile
// carrier or a data centre/VPN), added to every play the API shows: a VPN or a phone on a carrier
// explains a surprising place. Looked up when read (a binary search in the bundled ASN data,
// loaded once per process), so plays stored before networks were known show theirs too.
import { bundledNetworks, type NetworkLookup } from '../core/networks.ts';
import { isPrivateAddress } from '../core/network.ts';

export interface NetworkFields {
  asn: number | null;
  network: string;
  networkType: string;
}

export function withNetwork<T extends { clientIp: string }>(
  play: T,
  networks: NetworkLookup = bundledNetworks(),
): T & NetworkFields {
  const found = play.clientIp && !isPrivateAddress(play.clientIp) ? networks.lookup(play.clientIp) : null;
  return { ...play, asn: found?.asn ?? null, network: found?.organization ?? '', networkType: found?.type ?? '' };
}
