// Where a webhook delivery may connect. The URL check when an endpoint is saved sees only the host
// name; a public-looking name can resolve to a loopback, private or cloud-metadata address, or change
// its answer between a check and the connection (DNS rebinding). So the check runs inside the lookup the
// connection itself uses: the address that was checked is the address that is dialled. Both checks use
// one rule (src/domain/addresses.ts), so no spelling of an address passes one and fails the other.
import { isIP } from 'node:net';
import { Agent } from 'undici';
import { addressAllowed, connectLookup, type Resolver } from '../domain/addresses.ts';

export const REFUSED_CODE = 'WEBHOOK_URL_NOT_ALLOWED';

/** Whether a delivery may connect to this IP address: the service-wide rule of src/domain/addresses.ts. */
export { addressAllowed };

export class EgressRefused extends Error {
  readonly code = REFUSED_CODE;
}

function refusal(host: string, address: string): EgressRefused {
  return new EgressRefused(
    `${host} resolves to ${address}, a loopback, private, link-local or otherwise internal address; deliveries go to public addresses only`,
  );
}

export type { Resolver } from '../domain/addresses.ts';

/**
 * A `lookup` for net/tls connect: resolves every address of the name and refuses the name if any of them
 * is internal (a round-robin answer must not smuggle one in), then hands over exactly what it checked.
 */
export function checkedLookup(allowLoopback: boolean, resolve?: Resolver) {
  return connectLookup({
    allowLoopback,
    resolve,
    refuse: (host, address) =>
      address === undefined ? new EgressRefused(`${host} has no address`) : refusal(host, address),
  });
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
