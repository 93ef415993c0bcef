// Request/response plumbing shared by the operation handlers: Klaviyo's error body, JSON:API documents,
// cursor pagination, sparse fieldsets and the `filter` expression language.
import { randomUUID } from 'node:crypto';
import { FILTER_RULES, type FilterFieldRule } from './filter-rules.ts';
import type { SandboxState } from './sandbox-state.ts';
import type { Account } from './state.ts';

export type Json = Record<string, unknown>;

export interface ApiRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  body: unknown;
  /** `http://host:port`, for links */
  base: string;
  account: Account;
  state: SandboxState;
  now: number;
}

export interface ApiResult {
  status: number;
  body?: unknown;
}

export interface ErrorSource {
  pointer?: string;
  parameter?: string;
}

/** An error answered in Klaviyo's format: `{"errors":[{id,status,code,title,detail,source,links,meta}]}`. */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly source: ErrorSource | undefined;
  readonly meta: Json;
  constructor(status: number, code: string, detail: string, source?: ErrorSource, meta: Json = {}) {
    super(detail);
    this.status = status;
    this.code = code;
    this.title = TITLES[status] ?? 'Error.';
    this.source = source;
    this.meta = meta;
  }
}

const TITLES: Record<number, string> = {
  400: 'Invalid input.',
  401: 'Authentication credentials were not provided.',
  403: 'You do not have permission to perform this action.',
  404: 'Not found.',
  405: 'Method not allowed.',
  409: 'Conflict.',
  410: 'Gone.',
  413: 'Request entity too large.',
  415: 'Unsupported media type.',
  429: 'Throttled.',
  500: 'A server error occurred.',
  503: 'Service unavailable.',
};

export function errorBody(error: ApiError): Json {
  const entry: Json = {
    id: randomUUID(),
    status: error.status,
    code: error.code,
    title: error.title,
    detail: error.message,
  };
  if (error.source) entry.source = error.source;
  entry.links = {};
  entry.meta = error.meta;
  return { errors: [entry] };
}

export const invalid = (detail: string, source?: ErrorSource): ApiError =>
  new ApiError(400, 'invalid', detail, source);
export const notFound = (detail: string): ApiError => new ApiError(404, 'not_found', detail);

export function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads `data` of a JSON:API body and checks its `type`. */
export function dataOf(body: unknown, type: string): Json {
  if (!isObject(body) || !isObject(body.data))
    throw invalid('The request body must contain a `data` object.', { pointer: '/data' });
  if (body.data.type !== type) {
    throw new ApiError(409, 'conflict', `The resource type must be '${type}'.`, { pointer: '/data/type' });
  }
  return body.data;
}

/** `data.attributes`; `required` where the operation's schema lists `attributes` as required. */
export function attributesOf(data: Json, pointer = '/data/attributes', required = false): Json {
  if (data.attributes === undefined) {
    if (required) throw invalid('`attributes` is required.', { pointer });
    return {};
  }
  if (!isObject(data.attributes)) throw invalid('`attributes` must be an object.', { pointer });
  return data.attributes;
}

/**
 * Refuses keys the operation's schema does not declare (Klaviyo answers 400 for undeclared fields), pointing
 * at the first one.
 */
export function checkDeclared(value: Json, declared: readonly string[], pointer: string, what: string): void {
  for (const key of Object.keys(value)) {
    if (!declared.includes(key))
      throw invalid(`'${key}' is not a valid field for ${what}.`, { pointer: `${pointer}/${key}` });
  }
}

export function iso(ms: number | undefined): string | null {
  return ms === undefined || ms === 0 ? null : new Date(ms).toISOString().replace('.000Z', '+00:00');
}

export function resourceLink(req: ApiRequest, path: string): string {
  return `${req.base}${path}`;
}

export function relationship(req: ApiRequest, selfPath: string, name: string, data: unknown): Json {
  const out: Json = {
    links: {
      self: `${req.base}${selfPath}/relationships/${name}/`,
      related: `${req.base}${selfPath}/${name}/`,
    },
  };
  if (data !== undefined) out.data = data;
  return out;
}

/** Applies `fields[type]=a,b` to an attributes object (nested names like `location.city` keep their parent). */
export function sparse(req: ApiRequest, type: string, attributes: Json): Json {
  const fields = req.query.get(`fields[${type}]`);
  if (!fields) return attributes;
  const out: Json = {};
  for (const field of fields.split(',')) {
    const [head, ...rest] = field.split('.');
    if (!(head in attributes))
      throw invalid(`'${field}' is not a valid field for the resource '${type}'.`, {
        parameter: `fields[${type}]`,
      });
    if (rest.length === 0 || !isObject(attributes[head])) out[head] = attributes[head];
    else {
      const parent = (out[head] as Json | undefined) ?? {};
      parent[rest.join('.')] = (attributes[head] as Json)[rest.join('.')] ?? null;
      out[head] = parent;
    }
  }
  return out;
}

export function pageSize(req: ApiRequest, fallback: number, max: number): number {
  const raw = req.query.get('page[size]');
  if (raw === null) return fallback;
  const size = Number(raw);
  if (!Number.isInteger(size) || size < 1 || size > max) {
    throw invalid(`page[size] must be an integer between 1 and ${max}.`, { parameter: 'page[size]' });
  }
  return size;
}

/** Cursors are opaque to clients; here they carry the offset into the (filtered, sorted) result. */
export function cursorOffset(req: ApiRequest): number {
  let raw = req.query.get('page[cursor]');
  if (raw === null) return 0;
  // Klaviyo's SDKs accept a whole `links.next` as the cursor but only unwrap `https://` ones; the sandbox's
  // links are `http://`, so it unwraps them itself (docs/sandbox.md).
  if (/^https?:\/\//.test(raw)) {
    try {
      raw = new URL(raw).searchParams.get('page[cursor]') ?? raw;
    } catch {
      // not a URL after all: the cursor check below refuses it
    }
  }
  const match = /^o(\d+)$/.exec(Buffer.from(raw, 'base64url').toString());
  if (!match) throw invalid('The page cursor is invalid.', { parameter: 'page[cursor]' });
  return Number(match[1]);
}

export function pageLinks(req: ApiRequest, offset: number, size: number, hasMore: boolean): Json {
  const link = (cursorAt: number | undefined) => {
    const query = new URLSearchParams(req.query);
    if (cursorAt === undefined || cursorAt === 0) query.delete('page[cursor]');
    else query.set('page[cursor]', Buffer.from(`o${cursorAt}`).toString('base64url'));
    const text = query.toString();
    return `${req.base}${req.path}${text ? `?${text}` : ''}`;
  };
  const links: Json = { self: link(offset) };
  if (hasMore) links.next = link(offset + size);
  if (offset > 0) links.prev = link(Math.max(0, offset - size));
  return links;
}

/** Pages through items that can be listed lazily; stops reading once one item past the page is seen. */
export function paginate<T>(req: ApiRequest, items: Iterable<T>, size: number): { page: T[]; links: Json } {
  const offset = cursorOffset(req);
  const page: T[] = [];
  let index = 0;
  let hasMore = false;
  for (const item of items) {
    if (index >= offset) {
      if (page.length === size) {
        hasMore = true;
        break;
      }
      page.push(item);
    }
    index++;
  }
  return { page, links: pageLinks(req, offset, size, hasMore) };
}

export interface FilterTerm {
  op: string;
  field: string;
  value: unknown;
}

/** Allowed forms per field: operators with a single value, a list or none, and the value's type. */
export type FilterRules = Readonly<Record<string, FilterFieldRule>>;

/**
 * The `filter` of a list operation, checked against the fields and operators Klaviyo's OpenAPI description
 * allows for that operation (src/sandbox/filter-rules.ts, generated from the spec; docs/sandbox.md).
 */
export function parseOperationFilter(req: ApiRequest, operationId: string): FilterTerm[] {
  return parseFilter(req, FILTER_RULES[operationId] ?? {});
}

/** Parses Klaviyo's filter language: `equals(email,"a@b.c"),any(id,["x","y"]),greater-than(updated,2024-01-01T00:00:00Z)`. */
export function parseFilter(req: ApiRequest, rules: FilterRules): FilterTerm[] {
  const text = req.query.get('filter');
  if (text === null || text === '') return [];
  const fail = (detail: string): never => {
    throw invalid(detail, { parameter: 'filter' });
  };
  let pos = 0;
  const terms: FilterTerm[] = [];
  const skipSpaces = () => {
    while (text[pos] === ' ') pos++;
  };
  const expect = (char: string) => {
    skipSpaces();
    if (text[pos] !== char) fail(`Invalid filter provided: expected '${char}' at position ${pos}.`);
    pos++;
  };
  const readValue = (): unknown => {
    skipSpaces();
    const char = text[pos];
    if (char === '"' || char === "'") {
      const end = text.indexOf(char, pos + 1);
      if (end < 0) fail('Invalid filter provided: unterminated string.');
      const value = text.slice(pos + 1, end);
      pos = end + 1;
      return value;
    }
    if (char === '[') {
      pos++;
      const values: unknown[] = [];
      skipSpaces();
      while (text[pos] !== ']') {
        values.push(readValue());
        skipSpaces();
        if (text[pos] === ',') pos++;
        else if (text[pos] !== ']') fail('Invalid filter provided: malformed list.');
      }
      pos++;
      return values;
    }
    const match = /^[^,)\]]+/.exec(text.slice(pos));
    if (!match) fail('Invalid filter provided: missing value.');
    pos += match![0].length;
    const raw = match![0].trim();
    if (raw === 'true' || raw === 'false') return raw === 'true';
    if (raw === 'null') return null;
    if (/^-?\d+(\.\d+)?$/.test(raw)) return Number(raw);
    const date = Date.parse(raw);
    if (Number.isNaN(date)) fail(`Invalid filter provided: '${raw}' is not a valid value.`);
    return new Date(date);
  };
  while (pos < text.length) {
    skipSpaces();
    const opMatch = /^[a-z-]+/.exec(text.slice(pos));
    if (!opMatch) fail(`Invalid filter provided: expected an operator at position ${pos}.`);
    const op = opMatch![0];
    pos += op.length;
    expect('(');
    skipSpaces();
    const fieldMatch = /^[A-Za-z_$][\w.$-]*/.exec(text.slice(pos));
    if (!fieldMatch) fail('Invalid filter provided: expected a field name.');
    const field = fieldMatch![0];
    pos += field.length;
    let value: unknown;
    skipSpaces();
    if (text[pos] === ',') {
      pos++;
      value = readValue();
    }
    expect(')');
    const rule = rules[field];
    if (!rule) fail(`'${field}' is not a valid field for this filter.`);
    const kind = value === undefined ? 'none' : Array.isArray(value) ? 'list' : 'single';
    const forms = rule!.operators;
    if (!(forms[kind] ?? []).includes(op)) {
      if (![...(forms.single ?? []), ...(forms.list ?? []), ...(forms.none ?? [])].includes(op))
        fail(`'${op}' is not a valid operator for '${field}'.`);
      fail(
        kind === 'none'
          ? `'${op}' needs a value for '${field}'.`
          : (forms.list ?? []).includes(op) && !(forms.single ?? []).includes(op)
            ? `'${op}' needs a list value for '${field}'.`
            : (forms.none ?? []).includes(op) && !(forms[kind] ?? []).includes(op)
              ? `'${op}' takes no value for '${field}'.`
              : `'${op}' needs a single value for '${field}'.`,
      );
    }
    const values = Array.isArray(value) ? value : value === undefined ? [] : [value];
    for (const [index, each] of values.entries()) {
      const checked = filterValue(rule!, each);
      if (checked === undefined) fail(`'${String(each)}' is not a valid value for '${field}'.`);
      values[index] = checked;
    }
    if (kind === 'single') value = values[0];
    terms.push({ op, field, value });
    skipSpaces();
    if (text[pos] === ',') pos++;
  }
  return terms;
}

/**
 * A filter value as the field's type in the spec wants it (a date-time, a number, a boolean, a quoted string,
 * one of an enum), or undefined when it is not one: Klaviyo refuses those with 400 (docs/sandbox.md).
 */
function filterValue(rule: FilterFieldRule, value: unknown): unknown {
  const type = rule.value?.type;
  if (rule.value?.format === 'date-time') {
    if (value instanceof Date) return value;
    if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(Date.parse(value));
    return undefined;
  }
  if (type === 'number' || type === 'integer') return typeof value === 'number' ? value : undefined;
  if (type === 'boolean') return typeof value === 'boolean' ? value : undefined;
  if (type === 'string') {
    if (typeof value !== 'string') return undefined;
    if (rule.value?.enum && !rule.value.enum.includes(value)) return undefined;
  }
  return value;
}

/** Compares one value with a filter term (strings, numbers, dates given as ms). */
export function matchTerm(term: FilterTerm, actual: unknown): boolean {
  const target = term.value instanceof Date ? term.value.getTime() : term.value;
  switch (term.op) {
    case 'equals':
      // `equals` over a list (`equals(name,["A"])`, the form some fields take) matches any of its values.
      return Array.isArray(target)
        ? target.some((each) => (each instanceof Date ? each.getTime() : each) === actual)
        : actual === target;
    case 'any':
      return (target as unknown[]).some((each) => (each instanceof Date ? each.getTime() : each) === actual);
    case 'greater-than':
      return actual !== undefined && actual !== null && (actual as number) > (target as number);
    case 'greater-or-equal':
      return actual !== undefined && actual !== null && (actual as number) >= (target as number);
    case 'less-than':
      return actual !== undefined && actual !== null && (actual as number) < (target as number);
    case 'less-or-equal':
      return actual !== undefined && actual !== null && (actual as number) <= (target as number);
    case 'contains':
      return typeof actual === 'string' && actual.includes(String(target));
    case 'has':
      return actual !== undefined && actual !== null;
    default:
      return false;
  }
}

/** Reads `sort` against the allowed fields; returns the field and direction, or undefined. */
export function parseSort(
  req: ApiRequest,
  allowed: string[],
): { field: string; descending: boolean } | undefined {
  const raw = req.query.get('sort');
  if (!raw) return undefined;
  const descending = raw.startsWith('-');
  const field = descending ? raw.slice(1) : raw;
  if (!allowed.includes(field))
    throw invalid(`'${raw}' is not a valid sort for this resource.`, { parameter: 'sort' });
  return { field, descending };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const E164 = /^\+[1-9]\d{6,14}$/;

export function checkEmail(value: unknown, pointer: string): string {
  if (typeof value !== 'string' || value.length > 254 || !EMAIL.test(value)) {
    throw invalid(`Invalid email address.`, { pointer });
  }
  return value;
}

export function checkPhone(value: unknown, pointer: string): string {
  if (typeof value !== 'string' || !E164.test(value)) {
    throw invalid('Invalid phone number format (Example of a valid format: +13239169023)', { pointer });
  }
  return value;
}

export function optionalString(attributes: Json, key: string, pointer: string): string | null | undefined {
  const value = attributes[key];
  if (value === undefined || value === null) return value;
  if (typeof value !== 'string')
    throw invalid(`'${key}' must be a string.`, { pointer: `${pointer}/${key}` });
  return value;
}
