// The helper functions formulas can call (docs/mappings.md). Each is a plain function of its arguments and the
// record being mapped: none touches the process, the file system, the network or the clock beyond what
// the record holds, so a formula stays a pure transformation.
import { getCountries, Metadata, parsePhoneNumberFromString } from 'libphonenumber-js/max';

export function isEmpty(value: unknown): boolean {
  if (value === undefined || value === null) return true;
  if (typeof value === 'string') return value.trim() === '';
  if (Array.isArray(value)) return value.length === 0;
  if (typeof value === 'object') return Object.keys(value).length === 0;
  return false;
}

/** The first argument that is not empty (null, missing, blank text); undefined when all are. */
export function coalesce(...values: unknown[]): unknown {
  for (const v of values) {
    if (v === undefined || v === null) continue;
    if (typeof v === 'string' && v.trim() === '') continue;
    return v;
  }
  return undefined;
}

export function truncate(value: unknown, length: unknown): unknown {
  if (value === undefined || value === null) return value;
  if (typeof length !== 'number' || !Number.isInteger(length) || length < 0) {
    throw new Error('$truncate needs a whole number length of 0 or more');
  }
  const text = typeof value === 'string' ? value : String(value);
  // Cut on code points so a surrogate pair (emoji) is never split in half.
  const points = Array.from(text);
  return points.length <= length ? text : points.slice(0, length).join('');
}

interface CustomFieldEntry {
  custom_field_name?: unknown;
  value?: unknown;
}

/** The value of the named entry in a hub record's `custom_fields` (exact name, then case-insensitive). */
export function customField(record: unknown, name: unknown): unknown {
  if (typeof name !== 'string' || record === null || typeof record !== 'object') return undefined;
  const list = (record as { custom_fields?: unknown }).custom_fields;
  if (!Array.isArray(list)) return undefined;
  const entries = list as CustomFieldEntry[];
  const exact = entries.find((f) => f?.custom_field_name === name);
  if (exact) return exact.value;
  const lower = name.toLowerCase();
  const loose = entries.find(
    (f) => typeof f?.custom_field_name === 'string' && f.custom_field_name.toLowerCase() === lower,
  );
  return loose?.value;
}

// Country names as hub records carry them ("United States", "Deutschland" is not covered) → ISO alpha-2.
let countryNames: Map<string, string> | undefined;
const COUNTRY_ALIASES: Record<string, string> = {
  USA: 'US',
  'UNITED STATES OF AMERICA': 'US',
  UK: 'GB',
  GBR: 'GB',
  'GREAT BRITAIN': 'GB',
  ENGLAND: 'GB',
  CAN: 'CA',
  AUS: 'AU',
  DEU: 'DE',
  FRA: 'FR',
  NLD: 'NL',
  HOLLAND: 'NL',
  MEX: 'MX',
  NZL: 'NZ',
  IRL: 'IE',
  ESP: 'ES',
  ITA: 'IT',
};

/** ISO 3166 alpha-2 code for a code, common alpha-3 code or English country name; undefined if unknown. */
export function countryCode(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  const key = value.trim().toUpperCase();
  if (key === '') return undefined;
  if (!countryNames) {
    countryNames = new Map();
    const names = new Intl.DisplayNames(['en'], { type: 'region' });
    for (const code of getCountries()) {
      countryNames.set(code, code);
      const name = names.of(code);
      if (name) countryNames.set(name.toUpperCase(), code);
    }
    for (const [alias, code] of Object.entries(COUNTRY_ALIASES)) countryNames.set(alias, code);
  }
  return countryNames.get(key);
}

// These two methods are part of libphonenumber's Metadata class but missing from its type declarations.
const phoneMetadata = new Metadata() as unknown as {
  hasCallingCode(code: string): boolean | undefined;
  getCountryCodesForCallingCode(code: string): string[] | undefined;
};

/**
 * " for +44 (GB)": the calling code a number in international form gives, and the main country of that
 * code (as libphonenumber lists it first), for messages about a number that is not valid there.
 */
export function callingCodeCountry(text: string): string {
  const digits = (text.startsWith('00') ? text.slice(2) : text.slice(1)).replace(/\D/g, '');
  for (const length of [1, 2, 3]) {
    const callingCode = digits.slice(0, length);
    if (!phoneMetadata.hasCallingCode(callingCode)) continue;
    const main = phoneMetadata.getCountryCodesForCallingCode(callingCode)?.[0];
    return ` for +${callingCode}${main ? ` (${main})` : ''}`;
  }
  return ' (its country code is unknown)';
}

export interface E164Result {
  number: string | null;
  /** Set when a non-empty phone could not be turned into E.164 (the caller logs it and drops the phone). */
  warning?: string;
}

/**
 * Normalizes a phone number to E.164 with the given country (code or name), falling back to the default
 * country. A number already starting with + needs no country.
 */
export function toE164(phone: unknown, country: unknown, defaultCountry?: string | null): E164Result {
  if (phone === undefined || phone === null) return { number: null };
  const text = String(phone).trim();
  if (text === '') return { number: null };
  // A number with its own country code (+44…, 0044…) is judged by that code alone: the record's country
  // says where the customer lives, not where their phone is from.
  const international = text.startsWith('+') || text.startsWith('00');
  if (international) {
    const parsed = parsePhoneNumberFromString(text.startsWith('00') ? `+${text.slice(2)}` : text);
    if (parsed?.isValid()) return { number: parsed.number };
    return {
      number: null,
      warning: `phone number '${text}' is not a valid phone number${callingCodeCountry(text)}; it was left out`,
    };
  }
  const code = countryCode(country) ?? countryCode(defaultCountry);
  const parsed = parsePhoneNumberFromString(text, code as Parameters<typeof parsePhoneNumberFromString>[1]);
  if (parsed?.isValid()) return { number: parsed.number };
  const where = code ? ` for country ${code}` : ' (no country given and no default phone country set)';
  return {
    number: null,
    warning: `phone number '${text}' is not a valid phone number${where}; it was left out`,
  };
}

// ---- dates -------------------------------------------------------------------------------------------

/** Turns an ISO 8601 string, a date-only string or epoch milliseconds into a Date; throws when it cannot. */
export function toDate(value: unknown): Date | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  let date: Date;
  if (typeof value === 'number') date = new Date(value);
  else if (typeof value === 'string') date = new Date(value.trim());
  else throw new Error(`${JSON.stringify(value)} is not a date`);
  if (Number.isNaN(date.getTime())) throw new Error(`'${String(value)}' is not a date`);
  return date;
}

export function toIso(value: unknown): string | undefined {
  return toDate(value)?.toISOString();
}

export function toUnix(value: unknown): number | undefined {
  const date = toDate(value);
  return date ? Math.floor(date.getTime() / 1000) : undefined;
}

export function addDays(value: unknown, days: unknown): string | undefined {
  const date = toDate(value);
  if (!date) return undefined;
  if (typeof days !== 'number' || !Number.isFinite(days)) throw new Error('$addDays needs a number of days');
  return new Date(date.getTime() + days * 86_400_000).toISOString();
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function partsIn(date: Date, timeZone: string): Record<string, string> {
  let fmt = formatters.get(timeZone);
  if (!fmt) {
    try {
      fmt = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: '2-digit',
        day: '2-digit',
        hour: '2-digit',
        minute: '2-digit',
        second: '2-digit',
      });
    } catch {
      throw new Error(`'${timeZone}' is not a time zone (use an IANA name such as Europe/Amsterdam)`);
    }
    formatters.set(timeZone, fmt);
  }
  const out: Record<string, string> = {};
  for (const p of fmt.formatToParts(date)) out[p.type] = p.value;
  return out;
}

/**
 * Formats a date with the tokens yyyy, yy, MM, M, dd, d, HH, H, mm, ss, SSS (other text is kept; quote
 * literal letters with single quotes), in UTC or the given IANA time zone.
 */
export function formatDate(value: unknown, pattern: unknown, timeZone?: unknown): string | undefined {
  const date = toDate(value);
  if (!date) return undefined;
  if (typeof pattern !== 'string') throw new Error('$formatDate needs a pattern such as "yyyy-MM-dd"');
  const zone = typeof timeZone === 'string' && timeZone !== '' ? timeZone : 'UTC';
  const p =
    zone === 'UTC'
      ? {
          year: String(date.getUTCFullYear()).padStart(4, '0'),
          month: String(date.getUTCMonth() + 1).padStart(2, '0'),
          day: String(date.getUTCDate()).padStart(2, '0'),
          hour: String(date.getUTCHours()).padStart(2, '0'),
          minute: String(date.getUTCMinutes()).padStart(2, '0'),
          second: String(date.getUTCSeconds()).padStart(2, '0'),
        }
      : partsIn(date, zone);
  const ms = String(date.getUTCMilliseconds()).padStart(3, '0');
  const tokens: Record<string, string> = {
    yyyy: p.year,
    yy: p.year.slice(-2),
    MM: p.month,
    M: String(Number(p.month)),
    dd: p.day,
    d: String(Number(p.day)),
    HH: p.hour,
    H: String(Number(p.hour)),
    mm: p.minute,
    ss: p.second,
    SSS: ms,
  };
  return pattern.replace(/'([^']*)'|yyyy|yy|MM|M|dd|d|HH|H|mm|ss|SSS/g, (match, literal) =>
    literal !== undefined ? literal : tokens[match],
  );
}
