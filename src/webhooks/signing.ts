// The signature of an outbound hub webhook: HMAC-SHA256 over "<timestamp>.<raw body>" with the
// endpoint's secret, sent as `sha256=<hex>`. The timestamp is signed so a captured delivery cannot be
// replayed later unnoticed (receivers refuse old timestamps).
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-klaviyo-sync-signature';
export const TIMESTAMP_HEADER = 'x-klaviyo-sync-timestamp';
export const DELIVERY_HEADER = 'x-klaviyo-sync-delivery';

export function signWebhook(secret: string, timestamp: string, rawBody: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest('hex')}`;
}

/** A receiver's check (constant time); exported for tests and for anyone embedding a receiver. */
export function verifyWebhook(
  secret: string,
  timestamp: string,
  rawBody: string,
  signature: string,
): boolean {
  const expected = Buffer.from(signWebhook(secret, timestamp, rawBody));
  const given = Buffer.from(signature);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
