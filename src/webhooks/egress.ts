// Where a webhook delivery may connect. The URL check when an endpoint is saved sees only the host
// name; a public-looking name can resolve to a loopback, private or cloud-metadata address, or change
// its answer between a check and the connection (DNS rebinding). So the check runs inside the lookup the
// connection itself uses: the address that was checked is the address that is dialled.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent } from 'undici';

export const REFUSED_CODE = 'WEBHOOK_URL_NOT_ALLOWED';

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['169.254.0.0', 16], // link-local, cloud metadata
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  blocked.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['64:ff9b::', 96], // NAT64 reaches IPv4 addresses, private ones included
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  blocked.addSubnet(net, prefix, 'ipv6');

const loopbacks = new BlockList();
loopbacks.addSubnet('127.0.0.0', 8, 'ipv4');
loopbacks.addAddress('::1', 'ipv6');

/** IPv4-mapped IPv6 (`::ffff:10.0.0.1`) is judged as the IPv4 address it carries. */
function unmapped(address: string): string {
  const bare = address.replace(/^\[|\]$/g, '').toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(bare);
  if (mapped) return mapped[1]!;
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(bare);
  if (hex) {
    const n = (Number.parseInt(hex[1]!, 16) << 16) | Number.parseInt(hex[2]!, 16);
    return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  }
  return bare;
}

/** Whether a delivery may connect to this IP address. */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  const ip = unmapped(address);
  const family = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
  if (isIP(ip) === 0) return false;
  if (loopbacks.check(ip, family)) return allowLoopback;
  return !blocked.check(ip, family);
}

export class EgressRefused extends Error {
  readonly code = REFUSED_CODE;
}

function refusal(host: string, address: string): EgressRefused {
  return new EgressRefused(
    `${host} resolves to ${address}, a loopback, private, link-local or otherwise internal address; deliveries go to public addresses only`,
  );
}

/** The shape of dns.lookup the connection uses (tests pass one that maps names of their own). */
export type Resolver = (
  hostname: string,
  options: LookupOptions & { all: true },
  callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
) => void;

const systemResolver: Resolver = (hostname, options, callback) => dnsLookup(hostname, options, callback);

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for net/tls connect: resolves every address of the name and refuses the name if any of them
 * is internal (a round-robin answer must not smuggle one in), then hands over exactly what it checked.
 */
export function checkedLookup(allowLoopback: boolean, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback) => {
    resolve(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, options.all ? [] : '');
      const bad = addresses.find((a) => !addressAllowed(a.address, allowLoopback));
      if (bad || addresses.length === 0) {
        const error = bad ? refusal(hostname, bad.address) : new EgressRefused(`${hostname} has no address`);
        return callback(error as NodeJS.ErrnoException, options.all ? [] : '');
      }
      if (options.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}

/**
 * Refuses a URL whose host is an IP literal outside what deliveries may reach (connect skips the lookup
 * for those). Answers the refusal, or null when the connection may go ahead.
 */
export function literalRefusal(url: URL, allowLoopback: boolean): EgressRefused | null {
  const host = url.hostname.replace(/^\[|\]$/g, '');
  if (isIP(host) === 0) return null;
  return addressAllowed(host, allowLoopback) ? null : refusal(host, host);
}

/** The dispatcher deliveries are sent through: every connection it opens goes through checkedLookup. */
export function egressAgent(allowLoopback: boolean, resolve?: Resolver): Agent {
  return new Agent({ connect: { lookup: checkedLookup(allowLoopback, resolve) } });
}
