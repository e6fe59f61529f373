/**
 * Where a webhook may be sent (SSRF protection). Outside development only public unicast addresses:
 * never loopback, private, link-local (the cloud metadata address 169.254.169.254 among them),
 * carrier-grade NAT, multicast, reserved, or an IPv6 form that embeds an IPv4 address. The check runs
 * on the address the connection is made to, at send time (services/webhook/src/sender.ts), so a name that resolved to a
 * public address at registration and to 127.0.0.1 now (DNS rebinding) is refused.
 */
import ipaddr from 'ipaddr.js';

/** Why an address is refused (its range, as ipaddr.js names it), or undefined when it is public unicast. */
export function refusedRange(address: string): string | undefined {
  if (!ipaddr.isValid(address)) return 'not an address';
  let ip = ipaddr.parse(address);
  if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress()) ip = (ip as ipaddr.IPv6).toIPv4Address();
  const range = ip.range();
  return range === 'unicast' ? undefined : range;
}

export interface DestinationPolicy {
  /** development only: loopback and private addresses, and http, are allowed */
  allowPrivate: boolean;
}

/** Why a URL may not be a webhook endpoint, before any address is known: its scheme, its form. */
export function webhookUrlProblem(url: string, policy: DestinationPolicy): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a URL';
  }
  if (parsed.username || parsed.password) return 'a URL with credentials';
  if (parsed.protocol !== 'https:' && !(policy.allowPrivate && parsed.protocol === 'http:')) return 'only https';
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (!policy.allowPrivate && ipaddr.isValid(host)) {
    const range = refusedRange(host);
    if (range) return `a ${range} address`;
  }
  return undefined;
}
