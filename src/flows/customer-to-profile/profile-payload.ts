// A mapped Customer → Profile payload made safe to send (SPEC S5.1): the phone normalized to E.164 with the
// record's country or the subscription's default (dropped with a warning when impossible — the profile
// still goes on its other identifiers), empty identifiers left out (an empty string is not "no email" to
// Klaviyo, it is an invalid one), and Klaviyo's per-profile limits checked before a call is spent.
import type { ProfileAttributes } from '../../klaviyo/index.ts';
import { jsonBytes } from '../shared/batcher.ts';
import { normalizePhone } from '../shared/phone.ts';

/** Klaviyo's per-profile cap (create, update, import, and each profile of a bulk import). */
export const PROFILE_MAX_BYTES = 100 * 1024;

export type PreparedProfile =
  | { ok: true; attributes: ProfileAttributes; warnings: string[] }
  | { ok: false; code: 'MAPPING_REQUIRED_FIELD_MISSING' | 'KLAVIYO_PAYLOAD_TOO_LARGE'; message: string };

interface AddressLike {
  country?: unknown;
  is_primary_billing?: unknown;
}

/** The country a record's local phone numbers most likely belong to. */
export function recordCountry(payload: Record<string, unknown>, record: unknown): unknown {
  const location = payload.location as { country?: unknown } | null | undefined;
  if (location && typeof location.country === 'string' && location.country.trim()) return location.country;
  const addresses = (record as { addresses?: AddressLike[] } | null)?.addresses;
  if (!Array.isArray(addresses) || addresses.length === 0) return undefined;
  const primary = addresses.find((address) => address?.is_primary_billing === true) ?? addresses[0];
  return primary?.country ?? undefined;
}

function blank(value: unknown): boolean {
  return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
}

export function prepareProfileAttributes(
  payload: Record<string, unknown>,
  options: { record?: unknown; defaultCountry?: string | null; linkedProfileId?: string },
): PreparedProfile {
  const attributes: ProfileAttributes = { ...payload };
  const warnings: string[] = [];

  for (const identifier of ['email', 'external_id'] as const) {
    if (blank(attributes[identifier])) delete attributes[identifier];
    else attributes[identifier] = String(attributes[identifier]).trim();
  }

  if (blank(attributes.phone_number)) {
    delete attributes.phone_number;
  } else {
    const phone = normalizePhone(attributes.phone_number, {
      recordCountry: recordCountry(payload, options.record),
      defaultCountry: options.defaultCountry,
    });
    if (phone.ok) attributes.phone_number = phone.e164;
    else {
      delete attributes.phone_number;
      warnings.push(`Phone number dropped: ${phone.reason}. The profile is sent without it.`);
    }
  }

  if (!options.linkedProfileId && !attributes.email && !attributes.phone_number && !attributes.external_id) {
    return {
      ok: false,
      code: 'MAPPING_REQUIRED_FIELD_MISSING',
      message:
        'Klaviyo needs an email address, a valid phone number or an external id to create a profile, and this ' +
        `customer has none${warnings.length > 0 ? ' (its phone number could not be used)' : ''}. Add an email ` +
        'address to the customer or map one in the collection.',
    };
  }

  const bytes = jsonBytes({ data: { type: 'profile', attributes } });
  if (bytes > PROFILE_MAX_BYTES) {
    return {
      ok: false,
      code: 'KLAVIYO_PAYLOAD_TOO_LARGE',
      message:
        `The profile would be ${Math.ceil(bytes / 1024)} KB and Klaviyo accepts at most 100 KB per profile. ` +
        'Shorten long text fields or map fewer properties.',
    };
  }
  return { ok: true, attributes, warnings };
}
