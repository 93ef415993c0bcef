// Drives the sandbox with Klaviyo's official Node SDK (`klaviyo-api`, unchanged). The SDK is pointed at the
// sandbox the way the SDK itself allows: each API object's `basePath`, and a subclass of `OAuthApi` setting its
// `authorizeUrl` / `tokenUrl`. A request hook on the SDK's own axios refuses any address outside the sandbox,
// so the suite can never reach the internet; a response hook checks every answer against stable.json.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { ApiKeySession, OAuthApi, RetryWithExponentialBackoff, type TokenStorage } from 'klaviyo-api';
import { type Sandbox, type SandboxOptions, startSandbox } from '../../src/sandbox/index.ts';
import { OPERATIONS } from '../../src/sandbox/operations.ts';
import { loadContract } from '../sandbox/helpers.ts';

const requireFromSdk = createRequire(createRequire(import.meta.url).resolve('klaviyo-api'));
interface SdkResponse {
  status: number;
  data: unknown;
  config: { url?: string; method?: string };
}
const sdkAxios = requireFromSdk('axios') as {
  interceptors: {
    request: {
      use(hook: (config: { url?: string }) => unknown): number;
      eject(id: number): void;
    };
    response: {
      use(
        ok: (response: SdkResponse) => unknown,
        failed: (error: { response?: SdkResponse }) => unknown,
      ): number;
      eject(id: number): void;
    };
  };
};

const contract = loadContract();
const routes = OPERATIONS.map((operation) => ({
  operationId: operation.operationId,
  method: operation.method,
  pattern: new RegExp(`^${operation.path.replace(/\{\w+\}/g, '[^/]+')}/?$`),
}));

/**
 * Checks one answer the SDK received against the operation's documented response in stable.json (the same
 * checker as test/sandbox/contract.test.ts). Returns whether it was an API operation.
 */
function checkAnswer(response: SdkResponse): boolean {
  const url = new URL(String(response.config.url));
  const method = String(response.config.method).toUpperCase();
  const route = routes.find((each) => each.method === method && each.pattern.test(url.pathname));
  if (!route || !contract) return false;
  const body = response.data === '' || response.data === undefined ? undefined : response.data;
  contract.check(route.operationId, { status: response.status, headers: new Headers(), body });
  return true;
}

/** No retries: a refused call fails the test at once instead of being retried with back-off. */
export const noRetries = () => new RetryWithExponentialBackoff({ numRetries: 0 });

export interface SdkSandbox {
  sandbox: Sandbox;
  session: ApiKeySession;
  /** urls the SDK called, in order */
  calls: string[];
  /** answers checked against stable.json */
  checked: { count: number };
  close(): Promise<void>;
}

export async function openSdkSandbox(options: SandboxOptions = {}): Promise<SdkSandbox> {
  const sandbox = await startSandbox({ rateLimits: false, ...options });
  const calls: string[] = [];
  const hook = sdkAxios.interceptors.request.use((config) => {
    const url = String(config.url);
    assert.ok(url.startsWith(`${sandbox.url}/`), `the SDK tried to reach ${url} instead of the sandbox`);
    calls.push(url);
    return config;
  });
  const checked = { count: 0 };
  const answers = sdkAxios.interceptors.response.use(
    (response) => {
      if (checkAnswer(response)) checked.count++;
      return response;
    },
    (error) => {
      if (error.response && checkAnswer(error.response)) checked.count++;
      return Promise.reject(error);
    },
  );
  return {
    sandbox,
    session: new ApiKeySession(sandbox.apiKey, noRetries()),
    calls,
    checked,
    close: async () => {
      sdkAxios.interceptors.request.eject(hook);
      sdkAxios.interceptors.response.eject(answers);
      await sandbox.close();
    },
  };
}

/** An SDK API object (ProfilesApi, ListsApi, …) pointed at the sandbox. */
export function at<T extends { basePath: string }>(sandbox: Sandbox, api: T): T {
  api.basePath = sandbox.url;
  return api;
}

/** The SDK's OAuth helper with its two Klaviyo addresses set to the sandbox's. */
export class SandboxOAuthApi extends OAuthApi {
  constructor(sandbox: Sandbox, tokenStorage: TokenStorage) {
    super(sandbox.oauthClient.clientId, sandbox.oauthClient.clientSecret, tokenStorage);
    this.authorizeUrl = `${sandbox.url}/oauth/authorize`;
    this.tokenUrl = `${sandbox.url}/oauth/token`;
  }
}

/** Walks the sandbox's consent pages (authorize → Continue → Allow) and returns the redirect's code. */
export async function consent(authorizeUrl: string): Promise<{ code: string; state: string }> {
  const first = await fetch(authorizeUrl);
  assert.equal(first.status, 200, await first.clone().text());
  const requestId = /name="request_id" value="([^"]+)"/.exec(await first.text())?.[1];
  assert.ok(requestId, 'the authorize page has a request id');
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    redirect: 'manual' as const,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  });
  const origin = new URL(authorizeUrl).origin;
  await (await fetch(`${origin}/oauth/authorize/continue`, form({ request_id: requestId }))).text();
  const decision = await fetch(
    `${origin}/oauth/authorize/decision`,
    form({ request_id: requestId, decision: 'allow' }),
  );
  assert.equal(decision.status, 302);
  const location = new URL(decision.headers.get('location')!);
  const code = location.searchParams.get('code');
  assert.ok(code, `consent redirected without a code: ${location}`);
  return { code, state: location.searchParams.get('state') ?? '' };
}

/** The SDK's errors are axios errors; this reads Klaviyo's error body from one. */
export function klaviyoError(error: unknown): { status: number; code: string; source?: unknown } {
  const response = (
    error as { response?: { status: number; data: { errors: Array<Record<string, unknown>> } } }
  ).response;
  assert.ok(response, `not an HTTP error: ${String(error)}`);
  const first = response.data.errors[0];
  return { status: response.status, code: String(first.code), source: first.source };
}

export function assertDate(value: unknown, what: string): void {
  assert.ok(
    value instanceof Date && !Number.isNaN(value.getTime()),
    `${what} is a valid Date: ${String(value)}`,
  );
}
