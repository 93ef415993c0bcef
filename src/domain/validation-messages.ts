// Plain-language validation messages: one zod issue as a sentence that names the field and says what it
// must be. The API's error handler (src/server/errors.ts), the hub and the flows all speak this way, so it
// lives in the shared vocabulary below them (docs/errors.md).
import { z } from 'zod';

/** The parts of a zod issue the plain message needs (zod's own issues and fastify's copies of them fit). */
export interface ValidationIssue {
  code: string;
  message: string;
  path?: ReadonlyArray<PropertyKey>;
}

/** An issue's code-specific details (maximum, origin, values, keys, format…). */
export type IssueDetails = Record<string, unknown>;

const zodDefaultMessage = z.locales.en().localeError;

/**
 * True when zod wrote the message itself; false when a schema set its own (those are kept as written).
 * zod's finished issues no longer carry the input, so the "received …" tail of a type message is ignored.
 */
function isZodDefault(issue: ValidationIssue): boolean {
  const made = zodDefaultMessage?.(issue as never);
  const text = typeof made === 'string' ? made : made?.message;
  if (!text) return false;
  if (issue.code === 'invalid_type')
    return issue.message.split(', received')[0] === text.split(', received')[0];
  return issue.message === text;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  bigint: 'a whole number',
  boolean: 'true or false',
  object: 'an object',
  array: 'a list',
  date: 'a date',
  null: 'null',
};

const FORMAT_EXAMPLES: Record<string, string> = {
  datetime: 'a date-time such as 2026-11-29T10:00:00Z',
  date: 'a date such as 2026-11-29',
  time: 'a time such as 10:00:00',
  duration: 'a duration such as PT15M',
  email: 'an email address such as ada@example.com',
  url: 'a URL such as https://example.com/path',
  uuid: 'a UUID such as 123e4567-e89b-42d3-a456-426614174000',
  e164: 'a phone number in E.164 form such as +14155550100',
  ipv4: 'an IPv4 address such as 192.0.2.1',
  ipv6: 'an IPv6 address',
  base64: 'base64 text',
  base64url: 'base64url text',
  jwt: 'a JWT',
};

/** `ids` → `id`, `addresses` → `address`: the noun one list element is called by in a sentence. */
function elementNoun(field: string | undefined, count: number): string {
  const last =
    field
      ?.split(/[.[\]]/)
      .filter(Boolean)
      .pop() ?? '';
  let one = 'item';
  if (/^[a-z_]+ies$/i.test(last)) one = `${last.slice(0, -3)}y`;
  else if (/^[a-z_]+(ss|x|ch|sh)es$/i.test(last)) one = last.slice(0, -2);
  else if (/^[a-z_]+[^s]s$/i.test(last)) one = last.slice(0, -1);
  one = one.replace(/_/g, ' ');
  if (count === 1) return one;
  return one === 'item' ? 'items' : `${last.replace(/_/g, ' ')}`;
}

function sizeLimit(
  issue: IssueDetails,
  field: string | undefined,
  subject: string,
  bound: 'max' | 'min',
): string {
  const n = Number(bound === 'max' ? issue.maximum : issue.minimum);
  const exact = issue.exact === true;
  const inclusive = issue.inclusive !== false;
  const word = exact
    ? 'exactly'
    : bound === 'max'
      ? inclusive
        ? 'at most'
        : 'fewer than'
      : inclusive
        ? 'at least'
        : 'more than';
  switch (issue.origin) {
    case 'string':
      if (bound === 'min' && n === 1 && inclusive && !exact) return `${subject} must not be empty`;
      return `${subject} must be ${word} ${n} character${n === 1 ? '' : 's'}`;
    case 'array':
    case 'set':
      return `${subject} must list ${word} ${n} ${elementNoun(field, n)}`;
    case 'file':
      return `${subject} must be ${word} ${n} bytes`;
    default: {
      const numberWord = exact
        ? 'exactly'
        : bound === 'max'
          ? inclusive
            ? 'at most'
            : 'less than'
          : inclusive
            ? 'at least'
            : 'greater than';
      const value = issue.origin === 'date' ? new Date(n).toISOString() : String(n);
      return `${subject} must be ${numberWord} ${value}`;
    }
  }
}

/**
 * One zod issue as a sentence that names the field and says what it must be (SPEC S12), e.g.
 * "limit must be at most 500" or "state must be one of: queued, running". A schema's own message is kept,
 * prefixed with the field as before. `field` is how the caller names the place (defaults to the issue path).
 */
export function plainIssueMessage(issue: ValidationIssue, field?: string): string {
  const detail = issue as unknown as IssueDetails;
  const at = field ?? fieldFromPath((issue.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p)));
  const subject = at ?? 'The request';
  if (issue.code === 'unrecognized_keys') {
    const keys = Array.isArray(detail.keys) ? detail.keys.map(String) : [];
    const parent = fieldFromPath((issue.path ?? []).map((p) => (typeof p === 'symbol' ? String(p) : p)));
    const names = keys.map((k) => (parent ? `${parent}.${k}` : k));
    if (names.length === 0) return `${subject} has a field that is not accepted here; remove it`;
    return names.length === 1
      ? `${names[0]} is not a field accepted here; remove it`
      : `${names.join(', ')} are not fields accepted here; remove them`;
  }
  if (!isZodDefault(issue)) {
    if (issue.code === 'custom' && issue.message === 'Invalid input') return `${subject} is not valid`;
    return at ? `${at}: ${issue.message}` : issue.message;
  }
  switch (issue.code) {
    case 'invalid_type': {
      const received = /received (\w+)$/.exec(issue.message)?.[1];
      if (received === 'undefined') return `${subject} is required`;
      const expected = TYPE_NAMES[String(detail.expected)] ?? `of type ${String(detail.expected)}`;
      // NaN comes from coercing text that is not a number: the sender gave text, not NaN.
      const got =
        received && received !== 'NaN' && !(received === 'number' && detail.expected === 'int')
          ? (TYPE_NAMES[received] ?? received)
          : undefined;
      return got && got !== expected
        ? `${subject} must be ${expected} (got ${got})`
        : `${subject} must be ${expected}`;
    }
    case 'too_big':
      return sizeLimit(detail, at, subject, 'max');
    case 'too_small':
      return sizeLimit(detail, at, subject, 'min');
    case 'invalid_format': {
      const format = String(detail.format);
      if (format === 'starts_with') return `${subject} must start with "${String(detail.prefix)}"`;
      if (format === 'ends_with') return `${subject} must end with "${String(detail.suffix)}"`;
      if (format === 'includes') return `${subject} must contain "${String(detail.includes)}"`;
      if (format === 'regex') return `${subject} is not in the expected format`;
      const example = FORMAT_EXAMPLES[format];
      return example ? `${subject} must be ${example}` : `${subject} must be a valid ${format}`;
    }
    case 'invalid_value': {
      const values = Array.isArray(detail.values) ? detail.values.map((v) => String(v)) : [];
      if (values.length === 1) return `${subject} must be ${values[0]}`;
      return `${subject} must be one of: ${values.join(', ')}`;
    }
    case 'not_multiple_of':
      return `${subject} must be a multiple of ${String(detail.divisor)}`;
    case 'invalid_union':
      return `${subject} does not match any accepted form`;
    case 'invalid_key':
      return `${subject} has a key that is not valid`;
    case 'invalid_element':
      return `${subject} has a value that is not valid`;
    default:
      return `${subject} is not valid`;
  }
}

/** `/addresses/0/city` → `addresses[0].city`, the path style the rest of the API uses. */
export function fieldFromPath(segments: ReadonlyArray<string | number>): string | undefined {
  let out = '';
  for (const s of segments) {
    if (s === '') continue;
    if (typeof s === 'number' || /^\d+$/.test(String(s))) out += `[${s}]`;
    else out += out ? `.${s}` : String(s);
  }
  return out || undefined;
}
