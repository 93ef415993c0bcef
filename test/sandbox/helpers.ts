// Test helpers: a started sandbox with a small fetch client, and a validator that checks sandbox answers
// against the operation's response schema in Klaviyo's OpenAPI description (../shared/klaviyo-openapi).
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';
import { openApiToJsonSchema } from '../helpers/openapi.ts';

export const REVISION = '2026-07-15';
export const SPEC_PATH = fileURLToPath(
  new URL('../../../shared/klaviyo-openapi/stable.json', import.meta.url),
);

export interface Answer {
  status: number;
  headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test code reads arbitrary JSON:API documents
  body: any;
}

export interface Client {
  sandbox: Sandbox;
  call(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<Answer>;
  /** A call to the sandbox's own `/__sandbox/…` controls (plain JSON, no Klaviyo headers). */
  control(method: string, path: string, body?: unknown): Promise<Omit<Answer, 'headers'>>;
  close(): Promise<void>;
}

export async function openSandbox(options: SandboxOptions = {}): Promise<Client> {
  const sandbox = await startSandbox({ rateLimits: false, ...options });
  return {
    sandbox,
    async call(method, path, body, headers = {}) {
      const response = await fetch(sandbox.url + path, {
        method,
        headers: {
          authorization: `Klaviyo-API-Key ${sandbox.apiKey}`,
          revision: REVISION,
          accept: 'application/vnd.api+json',
          ...(body === undefined ? {} : { 'content-type': 'application/vnd.api+json' }),
          ...headers,
        },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await response.text();
      return {
        status: response.status,
        headers: response.headers,
        body: text ? JSON.parse(text) : undefined,
      };
    },
    async control(method, path, body) {
      const response = await fetch(sandbox.url + path, {
        method,
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, body: await response.json() };
    },
    close: () => sandbox.close(),
  };
}

type Node = Record<string, unknown>;

interface SpecOperation {
  responses: Record<string, Node>;
}

export interface ContractChecker {
  /** Asserts the answer matches the operation's documented response for its status. */
  check(operationId: string, answer: Answer): void;
  operationIds: Set<string>;
}

let cached: ContractChecker | undefined | null = null;

/** The contract checker, or undefined (with a printed reason) when the spec is absent; under CI=true absence fails. */
export function loadContract(): ContractChecker | undefined {
  if (cached !== null) return cached;
  if (!existsSync(SPEC_PATH)) {
    if (process.env.CI === 'true')
      throw new Error(
        `Klaviyo's OpenAPI description is missing at ${SPEC_PATH}; contract tests cannot run in CI`,
      );
    console.log(`# skipping contract validation: ${SPEC_PATH} is absent`);
    cached = undefined;
    return undefined;
  }
  const spec = JSON.parse(readFileSync(SPEC_PATH, 'utf8')) as {
    paths: Record<string, Record<string, SpecOperation & { operationId?: string }>>;
    components: Node;
  };
  const ajv = new Ajv({ strict: false, allErrors: true });
  (addFormatsModule as unknown as (ajv: Ajv) => void)(ajv);
  ajv.addSchema({ $id: 'klaviyo', components: openApiToJsonSchema(spec.components, false) });
  const operations = new Map<string, SpecOperation>();
  for (const methods of Object.values(spec.paths)) {
    for (const operation of Object.values(methods))
      if (operation.operationId) operations.set(operation.operationId, operation);
  }
  const responses = spec.components.responses as Record<string, Node>;
  const validators = new Map<string, ReturnType<Ajv['compile']> | 'empty'>();
  cached = {
    operationIds: new Set(operations.keys()),
    check(operationId, answer) {
      const operation = operations.get(operationId);
      assert.ok(operation, `unknown operation ${operationId}`);
      const status = String(answer.status);
      let response = operation.responses[status] ?? operation.responses[`${status[0]}XX`];
      assert.ok(
        response,
        `${operationId} does not document status ${status}: ${JSON.stringify(answer.body)}`,
      );
      const key = `${operationId} ${status}`;
      if (!validators.has(key)) {
        let pointer: string;
        if (typeof response.$ref === 'string') {
          const name = response.$ref.split('/').pop()!;
          response = responses[name];
          pointer = `klaviyo#/components/responses/${name}/content/application~1vnd.api+json/schema`;
        } else {
          const schema = (response.content as Record<string, { schema: Node }> | undefined)?.[
            'application/vnd.api+json'
          ]?.schema;
          pointer = schema ? `klaviyo#/components/schemas/${String(schema.$ref).split('/').pop()}` : '';
        }
        if (!response.content) validators.set(key, 'empty');
        else validators.set(key, ajv.compile({ $ref: pointer }));
      }
      const validate = validators.get(key)!;
      if (validate === 'empty') {
        assert.equal(answer.body, undefined, `${operationId} ${status} must have no body`);
        return;
      }
      const ok = validate(answer.body);
      assert.ok(
        ok,
        `${operationId} ${status} does not match the spec: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(answer.body).slice(0, 600)}`,
      );
    },
  };
  return cached;
}

export const profileBody = (attributes: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  data: { type: 'profile', attributes, ...extra },
});

export const eventBody = (email: string, metric: string, extra: Record<string, unknown> = {}) => ({
  data: {
    type: 'event',
    attributes: {
      properties: { source: 'test' },
      metric: { data: { type: 'metric', attributes: { name: metric } } },
      profile: { data: { type: 'profile', attributes: { email } } },
      ...extra,
    },
  },
});
