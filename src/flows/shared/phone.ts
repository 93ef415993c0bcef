// Phone numbers to E.164 (SPEC S5.1). Klaviyo accepts only E.164; hub records hold whatever the shop typed,
// so a local number is read with the record's own country first and the subscription's default country
// second. A number that still cannot be made valid is dropped by the caller with a warning — never sent,
// because Klaviyo would refuse the whole profile for it.
import { getCountries, parsePhoneNumberFromString } from 'libphonenumber-js';
import type { CountryCode } from 'libphonenumber-js';

export type PhoneResult = { ok: true; e164: string; country?: string } | { ok: false; reason: string };

const SUPPORTED = new Set<string>(getCountries());

// The ISO alpha-3 codes shops most often put in address.country; names are resolved through Intl below.
const ALPHA3: Record<string, CountryCode> = {
  USA: 'US',
  CAN: 'CA',
  GBR: 'GB',
  IRL: 'IE',
  AUS: 'AU',
  NZL: 'NZ',
  DEU: 'DE',
  FRA: 'FR',
  ESP: 'ES',
  ITA: 'IT',
  NLD: 'NL',
  BEL: 'BE',
  CHE: 'CH',
  AUT: 'AT',
  SWE: 'SE',
  NOR: 'NO',
  DNK: 'DK',
  FIN: 'FI',
  POL: 'PL',
  PRT: 'PT',
  MEX: 'MX',
  BRA: 'BR',
  JPN: 'JP',
  IND: 'IN',
  ZAF: 'ZA',
};

let namesToCodes: Map<string, CountryCode> | undefined;

function countryNames(): Map<string, CountryCode> {
  if (namesToCodes) return namesToCodes;
  namesToCodes = new Map();
  const english = new Intl.DisplayNames(['en'], { type: 'region' });
  for (const code of getCountries()) {
    const name = english.of(code);
    if (name) namesToCodes.set(name.toLowerCase(), code);
  }
  // Common spellings Intl does not produce.
  for (const [alias, code] of [
    ['united states of america', 'US'],
    ['usa', 'US'],
    ['u.s.a.', 'US'],
    ['uk', 'GB'],
    ['great britain', 'GB'],
    ['england', 'GB'],
  ] as const) {
    namesToCodes.set(alias, code);
  }
  return namesToCodes;
}

/** An ISO alpha-2 code for a country written as alpha-2, alpha-3 or an English name; undefined if unknown. */
export function toCountryCode(country: unknown): CountryCode | undefined {
  if (typeof country !== 'string') return undefined;
  const trimmed = country.trim();
  if (!trimmed) return undefined;
  const upper = trimmed.toUpperCase();
  if (upper.length === 2 && SUPPORTED.has(upper)) return upper as CountryCode;
  if (upper.length === 3 && ALPHA3[upper]) return ALPHA3[upper];
  return countryNames().get(trimmed.toLowerCase());
}

/**
 * Normalize a phone number to E.164. Numbers already in international form ignore the countries; a local
 * number is tried with `recordCountry`, then `defaultCountry`.
 */
export function normalizePhone(
  raw: unknown,
  options: { recordCountry?: unknown; defaultCountry?: unknown } = {},
): PhoneResult {
  if (raw === null || raw === undefined) return { ok: false, reason: 'no phone number' };
  const text = String(raw).trim();
  if (!text) return { ok: false, reason: 'no phone number' };
  const international = text.startsWith('+') || text.startsWith('00');
  const candidates: (CountryCode | undefined)[] = international
    ? [undefined]
    : [toCountryCode(options.recordCountry), toCountryCode(options.defaultCountry)].filter(
        (code, index, all) => code !== undefined && all.indexOf(code) === index,
      );
  if (candidates.length === 0) {
    return {
      ok: false,
      reason: `'${text}' has no country code and neither the record nor the subscription gives a country`,
    };
  }
  for (const country of candidates) {
    const source = text.startsWith('00') ? `+${text.slice(2)}` : text;
    const parsed = parsePhoneNumberFromString(source, country ? { defaultCountry: country } : undefined);
    if (parsed?.isValid()) return { ok: true, e164: parsed.number, country: parsed.country };
  }
  const tried = candidates.filter(Boolean).join(', ');
  return {
    ok: false,
    reason: tried
      ? `'${text}' is not a valid phone number for ${tried}`
      : `'${text}' is not a valid phone number`,
  };
}
