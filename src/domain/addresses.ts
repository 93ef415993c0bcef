// Which IP addresses the service may connect to on a user's behalf (webhook receivers, the Klaviyo API
// URL): one rule, used when a URL is saved and again when a connection is made (docs/security.md, SSRF).
// IPv6 text has many spellings of one address (`::127.0.0.1` is `::7f00:1`, `::ffff:10.0.0.1` is
// `::ffff:a00:1`), so addresses are parsed to their 16 bytes and judged on those, never on the text;
// an IPv6 form that carries an IPv4 address (mapped, compatible, 6to4) is judged by the address it
// carries.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

export type AddressKind = 'public' | 'loopback' | 'internal' | 'invalid';

type V4 = [number, number, number, number];

function v4Bytes(text: string): V4 | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^\d{1,3}$/.test(p) ? Number(p) : Number.NaN));
  return bytes.every((b) => b >= 0 && b <= 255) ? (bytes as V4) : undefined;
}

/** An IPv6 address in any spelling as 8 numbers of 16 bits, or undefined when it is not one. */
export function v6Words(text: string): number[] | undefined {
  let s = text.toLowerCase();
  if (s.includes('%')) s = s.slice(0, s.indexOf('%')); // a zone (fe80::1%eth0) names an interface
  if (isIP(s) !== 6) return undefined;
  // A trailing dotted quad (`::ffff:1.2.3.4`) is two 16-bit words written another way.
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    const v4 = v4Bytes(s.slice(lastColon + 1));
    if (!v4) return undefined;
    s = `${s.slice(0, lastColon + 1)}${((v4[0] << 8) | v4[1]).toString(16)}:${((v4[2] << 8) | v4[3]).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const words = (part: string) => (part === '' ? [] : part.split(':').map((w) => Number.parseInt(w, 16)));
  const front = words(halves[0]!);
  const back = halves.length === 2 ? words(halves[1]!) : [];
  const missing = 8 - front.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...front, ...Array<number>(halves.length === 2 ? missing : 0).fill(0), ...back];
  return all.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffff) ? all : undefined;
}

function kindOfV4([a, b, c]: V4): AddressKind {
  if (a === 127) return 'loopback';
  if (
    a === 0 || // "this network"
    a === 10 ||
    (a === 100 && b >= 64 && b <= 127) || // carrier-grade NAT
    (a === 169 && b === 254) || // link-local, cloud metadata
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 0 && c === 0) || // IETF protocol assignments
    (a === 192 && b === 168) ||
    (a === 198 && (b === 18 || b === 19)) || // benchmarking
    a >= 224 // multicast, reserved, broadcast
  )
    return 'internal';
  return 'public';
}

function kindOfV6(w: number[]): AddressKind {
  const zeroTo = (n: number) => w.slice(0, n).every((x) => x === 0);
  const carried = (hi: number, lo: number): V4 => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  if (zeroTo(7) && w[7] === 1) return 'loopback'; // ::1
  if (zeroTo(8)) return 'internal'; // ::
  // IPv4-mapped ::ffff:a.b.c.d — the IPv4 address is what a dual-stack socket dials.
  if (zeroTo(5) && w[5] === 0xffff) return kindOfV4(carried(w[6]!, w[7]!));
  // IPv4-compatible ::a.b.c.d (deprecated; `::127.0.0.1`): judged by what it carries, and never public.
  if (zeroTo(6)) {
    const inner = kindOfV4(carried(w[6]!, w[7]!));
    return inner === 'loopback' ? 'loopback' : 'internal';
  }
  if (w[0] === 0x64 && w[1] === 0xff9b) return 'internal'; // NAT64 reaches IPv4 hosts, private ones too
  if (w[0] === 0x2002) return kindOfV4(carried(w[1]!, w[2]!)) === 'public' ? 'public' : 'internal'; // 6to4
  if (w[0] === 0x2001 && w[1] === 0) return 'internal'; // Teredo tunnels to an IPv4 host
  if (w[0] === 0x100 && zeroTo(4)) return 'internal'; // discard-only 100::/64
  const top = w[0]!;
  if ((top & 0xfe00) === 0xfc00) return 'internal'; // unique local fc00::/7
  if ((top & 0xffc0) === 0xfe80) return 'internal'; // link-local fe80::/10
  if ((top & 0xffc0) === 0xfec0) return 'internal'; // site-local fec0::/10 (deprecated, still routed)
  if ((top & 0xff00) === 0xff00) return 'internal'; // multicast
  return 'public';
}

/** What an IP address (IPv4 or IPv6, any spelling, brackets allowed) is. */
export function addressKind(address: string): AddressKind {
  const bare = address.replace(/^\[|\]$/g, '');
  const v4 = isIP(bare) === 4 ? v4Bytes(bare) : undefined;
  if (v4) return kindOfV4(v4);
  const v6 = v6Words(bare);
  return v6 ? kindOfV6(v6) : 'invalid';
}

/** Whether a connection to this address may go ahead (loopback only when allowed: the sandbox). */
export function addressAllowed(address: string, allowLoopback: boolean): boolean {
  const kind = addressKind(address);
  return kind === 'public' || (kind === 'loopback' && allowLoopback);
}

/**
 * What a URL's host is before any lookup: an IP literal's kind, `loopback` for localhost names, or
 * `name` for a host name (its addresses are judged when the connection resolves it).
 */
export function hostKind(hostname: string): AddressKind | 'name' {
  const bare = hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return 'loopback';
  if (isIP(bare) !== 0) return addressKind(bare);
  return 'name';
}

/** The shape of dns.lookup a connection uses (tests pass one that maps names of their own). */
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
 * A `lookup` for net/tls connect that applies addressAllowed to every address a name resolves to (a
 * round-robin answer must not smuggle an internal one in) and hands over exactly what it checked, so
 * the address checked is the address dialled (no DNS rebinding between a check and the connection).
 * IP literals skip the lookup: callers check those with hostKind before connecting.
 */
export function connectLookup(options: {
  allowLoopback: boolean;
  resolve?: Resolver;
  /** The error for a refused name (`address` undefined: it has no address). */
  refuse: (hostname: string, address?: string) => Error;
}) {
  const resolve = options.resolve ?? systemResolver;
  return (hostname: string, lookupOptions: LookupOptions, callback: LookupCallback) => {
    resolve(hostname, { ...lookupOptions, all: true }, (err, addresses) => {
      if (err) return callback(err, lookupOptions.all ? [] : '');
      const bad = addresses.find((a) => !addressAllowed(a.address, options.allowLoopback));
      if (bad || addresses.length === 0) {
        const error = options.refuse(hostname, bad?.address);
        return callback(error as NodeJS.ErrnoException, lookupOptions.all ? [] : '');
      }
      if (lookupOptions.all) callback(null, addresses);
      else callback(null, addresses[0]!.address, addresses[0]!.family);
    });
  };
}
