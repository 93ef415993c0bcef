// Turns every failure into the API's error body (SPEC S8.1): `{"error":{"code","message","field"?}}`.
// Validation failures name the field; 5xx answers never carry internals (the log has them, secrets
// redacted).
import type { FastifyError, FastifyInstance } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AppError } from '../domain/errors.ts';
import { assertStorableInput } from '../domain/input-limits.ts';

/** The parts of a zod issue the plain message needs (zod's own issues and fastify's copies of them fit). */
export interface ValidationIssue {
  code: string;
  message: string;
  path?: ReadonlyArray<PropertyKey>;
}

/** An issue's code-specific details (maximum, origin, values, keys, format…). */
type IssueDetails = Record<string, unknown>;

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

export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof AppError) {
      if (err.status >= 500) req.log.error({ err }, 'request failed');
      return reply.status(err.status).send(err.toJSON());
    }
    if (hasZodFastifySchemaValidationErrors(err)) {
      const first = err.validation[0];
      const issue = {
        ...(first.params as IssueDetails),
        code: first.keyword,
        message: first.message ?? '',
      };
      const where = err.validationContext && err.validationContext !== 'body' ? err.validationContext : '';
      const field = fieldFromPath(first.instancePath.split('/'));
      const params = first.params as { keys?: string[] };
      // An unknown key is reported on the object holding it; name the key itself.
      const named =
        first.keyword === 'unrecognized_keys' && params.keys?.length
          ? fieldFromPath([...(field ? [field] : []), params.keys[0]])
          : field;
      const message = plainIssueMessage(
        { ...issue, path: first.instancePath.split('/').filter(Boolean) },
        named ?? (where || undefined),
      );
      return reply
        .status(400)
        .send({ error: { code: 'VALIDATION_FAILED', message, ...(named ? { field: named } : {}) } });
    }
    const status = err.statusCode ?? 500;
    if (status === 413) {
      return reply.status(413).send({
        error: {
          code: 'BODY_TOO_LARGE',
          message: 'The request body is larger than this endpoint accepts.',
        },
      });
    }
    if (status === 429) {
      return reply.status(429).send({ error: { code: 'LOGIN_RATE_LIMITED', message: err.message } });
    }
    if (status >= 500) {
      req.log.error({ err }, 'request failed');
      return reply
        .status(500)
        .send({ error: { code: 'INTERNAL_ERROR', message: 'Internal error; see the service log.' } });
    }
    const message =
      err.code === 'FST_ERR_CTP_INVALID_JSON_BODY' || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY'
        ? 'The request body is not valid JSON.'
        : err.message;
    return reply
      .status(status)
      .send({ error: { code: status === 404 ? 'NOT_FOUND' : 'VALIDATION_FAILED', message } });
  });

  app.setNotFoundHandler((req, reply) => {
    reply
      .status(404)
      .send({ error: { code: 'NOT_FOUND', message: `No route ${req.method} ${req.url.split('?')[0]}.` } });
  });
}

/**
 * Every parsed body, query and path parameter meets the input limits (nesting depth; no NUL or unpaired
 * surrogate in any string or key) before a route sees it: a 400 naming the field, the same on SQLite and
 * PostgreSQL (docs/errors.md). Streamed bodies (NDJSON imports) are checked line by line by their route.
 */
export function installInputLimits(app: FastifyInstance): void {
  app.addHook('preValidation', async (req) => {
    assertStorableInput(req.params);
    assertStorableInput(req.query);
    const body = req.body as unknown;
    if (typeof body !== 'object' || body === null) {
      if (typeof body === 'string') assertStorableInput(body);
      return;
    }
    if (Buffer.isBuffer(body) || Symbol.asyncIterator in body) return;
    assertStorableInput(body);
  });
}
