// The contract gate's judge: one sandbox exchange (request and answer) against Klaviyo's OpenAPI
// description. Written from stable.json alone, sharing nothing with the client (src/klaviyo) or the sandbox
// (src/sandbox), so neither side marks its own homework. See docs/contract-gate.md.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { SandboxExchange } from '../../src/sandbox/observer.ts';
import { openApiToJsonSchema } from '../helpers/openapi.ts';
import { SPEC_FILE } from './records.ts';

type Node = Record<string, unknown>;

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  description?: string;
  schema?: Node;
}

interface FilterRule {
  operators: { single?: string[]; list?: string[]; none?: string[] };
  value?: { type?: string; format?: string; enum?: unknown[] };
}

interface Operation {
  operationId: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema: unknown }> };
  responses: Record<string, Node>;
  'x-klaviyo-filters'?: Record<string, FilterRule>;
}

export interface OperationMatch {
  /** e.g. `GET /api/profiles` */
  key: string;
  operationId: string;
  method: string;
  template: string;
  operation: Operation;
}

export interface Verdict {
  /** the spec's operation (`METHOD /template`), or undefined when none matches */
  operation?: string;
  operationId?: string;
  /** what the request does wrong by the spec (empty: the request is one the spec allows) */
  requestProblems: string[];
  /** what makes the exchange non-compliant (empty: compliant) */
  violations: string[];
}

const JSON_API = 'application/vnd.api+json';
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

function pointerEscape(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

export interface ContractGate {
  check(exchange: SandboxExchange): Verdict;
  /** the operation a method and path belong to */
  match(method: string, path: string): OperationMatch | undefined;
}

/** Loads stable.json (or the given document) once; validators compile lazily, once per operation. */
export function createContractGate(specText?: string): ContractGate {
  const doc = JSON.parse(specText ?? readFileSync(SPEC_FILE, 'utf8')) as {
    paths: Record<string, Record<string, Operation>>;
    components: Node;
  };
  const routes: Array<OperationMatch & { pattern: RegExp; params: number }> = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, operation] of Object.entries(methods)) {
      if (!operation || typeof operation !== 'object' || !operation.operationId) continue;
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{\w+\\?\}/g, '[^/]+');
      routes.push({
        key: `${method.toUpperCase()} ${template}`,
        operationId: operation.operationId,
        method: method.toUpperCase(),
        template,
        operation,
        pattern: new RegExp(`^${source.replace(/\/$/, '')}/?$`),
        params: (template.match(/\{/g) ?? []).length,
      });
    }
  }
  // A literal segment wins over a parameter (`/api/profiles/{id}` vs a fixed sub-path).
  routes.sort((a, b) => a.params - b.params);

  // Two Ajv instances: requests against closed schemas, answers against open ones (see openApiToJsonSchema in test/helpers/openapi.ts).
  // Each built at its first use: a file that only reads never converts the document for requests.
  const ajvs: { request?: Ajv; response?: Ajv } = {};
  const ajvOf = (kind: 'request' | 'response'): Ajv => {
    let ajv = ajvs[kind];
    if (!ajv) {
      const closed = kind === 'request';
      ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
      addFormats(ajv);
      ajv.addSchema(
        {
          $id: 'klaviyo',
          paths: openApiToJsonSchema(doc.paths, closed),
          components: openApiToJsonSchema(doc.components, closed),
        },
        'klaviyo',
      );
      ajvs[kind] = ajv;
    }
    return ajv;
  };
  const validators = new Map<string, ValidateFunction | 'none'>();
  const validatorFor = (kind: 'request' | 'response', key: string, pointer: string): ValidateFunction => {
    let validate = validators.get(`${kind} ${key}`);
    if (!validate) {
      validate = ajvOf(kind).compile({ $ref: `klaviyo#${pointer}` });
      validators.set(`${kind} ${key}`, validate);
    }
    return validate as ValidateFunction;
  };
  const errorsOf = (validate: ValidateFunction): string[] =>
    (validate.errors ?? []).slice(0, 8).map((e) => {
      const extra =
        e.keyword === 'additionalProperties'
          ? ` (${String((e.params as { additionalProperty: string }).additionalProperty)})`
          : e.keyword === 'enum'
            ? ` (${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues).slice(0, 200)})`
            : '';
      return `${e.instancePath || '/'} ${e.message ?? e.keyword}${extra}`;
    });

  function match(method: string, path: string): OperationMatch | undefined {
    return routes.find((route) => route.method === method && route.pattern.test(path));
  }

  function checkHeaders(exchange: SandboxExchange, problems: string[]): void {
    const headers = exchange.requestHeaders;
    const revision = headers.revision;
    if (typeof revision !== 'string' || revision === '') problems.push('the `revision` header is missing');
    else if (!/^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$/.test(revision))
      problems.push(`the \`revision\` header '${revision}' is not YYYY-MM-DD[.suffix]`);
    const auth = headers.authorization;
    if (typeof auth !== 'string' || auth === '') problems.push('the `Authorization` header is missing');
    else if (!/^(Klaviyo-API-Key|Bearer) \S+$/.test(auth))
      problems.push(
        `the \`Authorization\` header is not 'Klaviyo-API-Key <key>' or 'Bearer <token>' (${auth.split(' ')[0]} …)`,
      );
  }

  function checkQuery(found: OperationMatch, query: URLSearchParams, problems: string[]): void {
    const declared = new Map(
      (found.operation.parameters ?? []).filter((p) => p.in === 'query').map((p) => [p.name, p]),
    );
    const seen = new Set<string>();
    for (const [name, value] of query) {
      if (seen.has(name)) problems.push(`query parameter ${name} is given twice`);
      seen.add(name);
      const parameter = declared.get(name);
      if (!parameter) {
        problems.push(`query parameter ${name} is not declared for ${found.operationId}`);
        continue;
      }
      if (name === 'filter') checkFilter(found, parameter, value, problems);
      else checkValue(name, parameter.schema ?? {}, value, problems);
    }
    for (const parameter of declared.values()) {
      if (parameter.required && !seen.has(parameter.name))
        problems.push(`required query parameter ${parameter.name} is missing`);
    }
  }

  function checkValue(name: string, schema: Node, value: string, problems: string[]): void {
    if (schema.type === 'array') {
      const items = (schema.items ?? {}) as Node;
      const values = value.split(',');
      for (const item of values) checkValue(name, items, item, problems);
      return;
    }
    if (schema.type === 'integer' || schema.type === 'number') {
      const number = Number(value);
      if (
        value.trim() === '' ||
        Number.isNaN(number) ||
        (schema.type === 'integer' && !Number.isInteger(number))
      )
        problems.push(`${name}=${value} is not ${schema.type === 'integer' ? 'an integer' : 'a number'}`);
      else if (
        (typeof schema.minimum === 'number' && number < schema.minimum) ||
        (typeof schema.maximum === 'number' && number > schema.maximum)
      )
        problems.push(`${name}=${value} is outside ${String(schema.minimum)}–${String(schema.maximum)}`);
      return;
    }
    if (Array.isArray(schema.enum) && !schema.enum.includes(value))
      problems.push(`${name}=${value} is not one of ${schema.enum.join(', ').slice(0, 300)}`);
  }

  /** The operation's allowed fields and operators: `x-klaviyo-filters`, else the parameter's description. */
  function filterRules(found: OperationMatch, parameter: Parameter): Record<string, FilterRule> {
    const rules = found.operation['x-klaviyo-filters'];
    if (rules) return rules;
    const out: Record<string, FilterRule> = {};
    for (const [, field, ops] of (parameter.description ?? '').matchAll(
      /`([^`]+)`:\s*((?:`[^`]+`(?:,\s*)?)+)/g,
    )) {
      const operators = [...ops.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      out[field] = { operators: { single: operators, list: operators.filter((op) => op === 'any') } };
    }
    return out;
  }

  function checkFilter(found: OperationMatch, parameter: Parameter, text: string, problems: string[]): void {
    const rules = filterRules(found, parameter);
    let terms: FilterExpression[];
    try {
      terms = parseFilter(text);
    } catch (error) {
      problems.push(`filter '${text}' does not parse: ${(error as Error).message}`);
      return;
    }
    for (const term of terms) {
      const rule = rules[term.field];
      if (!rule) {
        problems.push(
          `filter field '${term.field}' is not allowed for ${found.operationId} (allowed: ${Object.keys(rules).join(', ')})`,
        );
        continue;
      }
      const kind = term.value === undefined ? 'none' : Array.isArray(term.value) ? 'list' : 'single';
      const allowed = rule.operators[kind] ?? [];
      if (!allowed.includes(term.op)) {
        const forms = Object.entries(rule.operators)
          .map(([k, ops]) => `${k}: ${ops.join('/')}`)
          .join('; ');
        problems.push(
          `filter '${term.op}(${term.field}, ${kind} value)' is not allowed for ${found.operationId} (${term.field} allows ${forms})`,
        );
        continue;
      }
      const values = Array.isArray(term.value) ? term.value : term.value === undefined ? [] : [term.value];
      for (const value of values) {
        const problem = filterValueProblem(rule, value);
        if (problem) problems.push(`filter ${term.op}(${term.field}): ${problem}`);
      }
    }
  }

  function checkBody(found: OperationMatch, exchange: SandboxExchange, problems: string[]): void {
    const text = exchange.requestBody;
    const length = exchange.requestHeaders['content-length'];
    const sent =
      text !== undefined
        ? text.length > 0
        : length !== undefined
          ? length !== '0'
          : !!exchange.requestHeaders['transfer-encoding'];
    const content = found.operation.requestBody?.content;
    if (!content) {
      if (sent && text !== undefined && text.trim() !== '')
        problems.push(`${found.operationId} takes no body`);
      return;
    }
    if (!sent) {
      if (found.operation.requestBody?.required !== false) problems.push(`${found.operationId} needs a body`);
      return;
    }
    const type = String(exchange.requestHeaders['content-type'] ?? '')
      .split(';')[0]
      .trim()
      .toLowerCase();
    // Klaviyo's own SDK sends application/json and Klaviyo accepts it (see docs/contract-gate.md).
    if (type !== JSON_API && type !== 'application/json')
      problems.push(`the body's Content-Type is '${type}', not ${JSON_API}`);
    if (text === undefined) return; // the sandbox refused before reading it
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      problems.push('the body is not JSON');
      return;
    }
    const mediaType = content[JSON_API] ? JSON_API : Object.keys(content)[0];
    const pointer = `/paths/${pointerEscape(found.template)}/${found.method.toLowerCase()}/requestBody/content/${pointerEscape(mediaType)}/schema`;
    const validate = validatorFor('request', found.key, pointer);
    if (!validate(body)) for (const error of errorsOf(validate)) problems.push(`request body ${error}`);
  }

  function checkAnswer(found: OperationMatch | undefined, exchange: SandboxExchange, out: string[]): void {
    const status = String(exchange.status);
    let body: unknown;
    if (exchange.responseBody !== undefined) {
      try {
        body = JSON.parse(exchange.responseBody);
      } catch {
        out.push(`answer ${status}: the body is not JSON`);
        return;
      }
      const type = String(exchange.responseHeaders['content-type'] ?? '')
        .split(';')[0]
        .trim();
      if (type !== JSON_API) out.push(`answer ${status}: Content-Type is '${type}', not ${JSON_API}`);
    }
    if (!found) {
      // No operation: the answer must still be Klaviyo's error document.
      if (exchange.status < 400) return;
      const validate = validatorFor(
        'response',
        'ClientError',
        '/components/responses/ClientError/content/application~1vnd.api+json/schema',
      );
      if (!validate(body)) for (const error of errorsOf(validate)) out.push(`answer ${status} ${error}`);
      return;
    }
    const responses = found.operation.responses;
    const key = responses[status] ? status : responses[`${status[0]}XX`] ? `${status[0]}XX` : undefined;
    if (!key) {
      out.push(
        `answer ${status} is not a status ${found.operationId} documents (${Object.keys(responses).join(', ')})`,
      );
      return;
    }
    let response = responses[key];
    let pointer = `/paths/${pointerEscape(found.template)}/${found.method.toLowerCase()}/responses/${key}`;
    if (typeof response.$ref === 'string') {
      pointer = response.$ref.replace(/^#/, '');
      const name = response.$ref.split('/').pop()!;
      response = (doc.components.responses as Record<string, Node>)[name];
    }
    const content = response.content as Record<string, unknown> | undefined;
    if (!content?.[JSON_API]) {
      if (body !== undefined)
        out.push(`answer ${status} has a body where ${found.operationId} documents none`);
      return;
    }
    if (body === undefined) {
      out.push(`answer ${status} has no body where ${found.operationId} documents one`);
      return;
    }
    const validate = validatorFor(
      'response',
      `${found.key} ${key}`,
      `${pointer}/content/${pointerEscape(JSON_API)}/schema`,
    );
    if (!validate(body)) for (const error of errorsOf(validate)) out.push(`answer ${status} ${error}`);
  }

  return {
    match,
    check(exchange) {
      const found = match(exchange.method, exchange.path);
      const requestProblems: string[] = [];
      if (!found) requestProblems.push(`no operation in the spec for ${exchange.method} ${exchange.path}`);
      else {
        checkHeaders(exchange, requestProblems);
        checkQuery(found, new URLSearchParams(exchange.query), requestProblems);
        checkBody(found, exchange, requestProblems);
      }
      const violations: string[] = [];
      const answerProblems: string[] = [];
      checkAnswer(found, exchange, answerProblems);
      if (requestProblems.length > 0 && exchange.status >= 200 && exchange.status < 300) {
        // The sandbox took what Klaviyo's spec refuses: too lenient.
        violations.push(
          ...requestProblems.map((p) => `answered ${exchange.status} to a request the spec refuses: ${p}`),
        );
      } else if (requestProblems.length > 0 && exchange.status >= 500) {
        violations.push(
          ...requestProblems.map(
            (p) => `answered ${exchange.status} (not 4xx) to a request the spec refuses: ${p}`,
          ),
        );
      }
      violations.push(...answerProblems);
      return { operation: found?.key, operationId: found?.operationId, requestProblems, violations };
    },
  };
}

interface FilterExpression {
  op: string;
  field: string;
  /** undefined for operators without a value (`has(profile)`) */
  value?: FilterValue | FilterValue[];
}

type FilterValue = { kind: 'string'; text: string } | { kind: 'bare'; text: string };

/** Klaviyo's filter syntax: terms `op(field[,value])` joined by commas, optionally inside `and(...)`. */
export function parseFilter(text: string): FilterExpression[] {
  let pos = 0;
  const out: FilterExpression[] = [];
  const spaces = () => {
    while (text[pos] === ' ') pos++;
  };
  const fail = (why: string): never => {
    throw new Error(`${why} at position ${pos}`);
  };
  const value = (): FilterValue => {
    spaces();
    const quote = text[pos];
    if (quote === '"' || quote === "'") {
      let end = pos + 1;
      let raw = '';
      while (end < text.length && text[end] !== quote) {
        if (text[end] === '\\' && end + 1 < text.length) end++;
        raw += text[end];
        end++;
      }
      if (end >= text.length) fail('unterminated string');
      pos = end + 1;
      return { kind: 'string', text: raw };
    }
    const found = /^[^,)\]]+/.exec(text.slice(pos));
    if (!found) fail('missing value');
    pos += found![0].length;
    return { kind: 'bare', text: found![0].trim() };
  };
  const terms = (inside: boolean) => {
    for (;;) {
      spaces();
      const op = /^[a-z-]+/.exec(text.slice(pos))?.[0];
      if (!op) fail('expected an operator');
      pos += op!.length;
      spaces();
      if (text[pos] !== '(') fail(`expected '(' after ${op}`);
      pos++;
      if (op === 'and') terms(true);
      else {
        spaces();
        const field = /^[A-Za-z_$][\w.$-]*/.exec(text.slice(pos))?.[0];
        if (!field) fail('expected a field name');
        pos += field!.length;
        spaces();
        let v: FilterExpression['value'];
        if (text[pos] === ',') {
          pos++;
          spaces();
          if (text[pos] === '[') {
            pos++;
            const list: FilterValue[] = [];
            spaces();
            while (text[pos] !== ']') {
              list.push(value());
              spaces();
              if (text[pos] === ',') pos++;
              else if (text[pos] !== ']') fail('malformed list');
            }
            pos++;
            v = list;
          } else v = value();
        }
        spaces();
        if (text[pos] !== ')') fail(`expected ')' to close ${op}`);
        pos++;
        out.push({ op: op!, field: field!, value: v });
      }
      spaces();
      if (text[pos] === ',') {
        pos++;
        continue;
      }
      if (inside) {
        if (text[pos] !== ')') fail("expected ')' to close and");
        pos++;
        return;
      }
      if (pos < text.length) fail('unexpected text');
      return;
    }
  };
  terms(false);
  return out;
}

function filterValueProblem(rule: FilterRule, value: FilterValue): string | undefined {
  const type = rule.value?.type;
  const format = rule.value?.format;
  if (format === 'date-time') {
    return Number.isNaN(Date.parse(value.text)) ? `'${value.text}' is not a date-time` : undefined;
  }
  if (type === 'boolean')
    return value.kind === 'bare' && (value.text === 'true' || value.text === 'false')
      ? undefined
      : `'${value.text}' is not a boolean`;
  if (type === 'number' || type === 'integer')
    return value.kind === 'bare' && !Number.isNaN(Number(value.text))
      ? undefined
      : `'${value.text}' is not a number`;
  if (type === 'string') {
    if (value.kind !== 'string') return `'${value.text}' must be a quoted string`;
    if (rule.value?.enum && !rule.value.enum.includes(value.text))
      return `'${value.text}' is not one of ${rule.value.enum.join(', ')}`;
  }
  return undefined;
}
