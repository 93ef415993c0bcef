// The Klaviyo sandbox: a local server that answers like Klaviyo's API (S11), for demos, tests and benchmarks.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { catalogHandlers } from './catalogs.ts';
import { consentHandlers } from './consent.ts';
import { createControlsHandler } from './controls.ts';
import { eventHandlers } from './events.ts';
import { importJobHandlers } from './import-jobs.ts';
import { jobHandlers } from './jobs.ts';
import { listHandlers } from './lists.ts';
import { createOAuthHandler } from './oauth.ts';
import { observeExchange } from './observer.ts';
import { profileHandlers } from './profiles.ts';
import { RateLimiter } from './ratelimit.ts';
import { SandboxState } from './sandbox-state.ts';
import { createApiHandler } from './server.ts';
import { secret } from './state.ts';

export { type ExchangeObserver, onExchange, type SandboxExchange } from './observer.ts';
export { SandboxState } from './sandbox-state.ts';

export interface SandboxOptions {
  /** default 0 (a free port) */
  port?: number;
  /** default 127.0.0.1 */
  host?: string;
  /** private key of the default account (default: generated `pk_sandbox_…`) */
  apiKey?: string;
  /** default 'Sandbox Store' */
  accountName?: string;
  /** a registered OAuth app (default: one is generated) */
  oauthClientId?: string;
  oauthClientSecret?: string;
  /** OAuth access token lifetime, default 3600 */
  accessTokenTtlSeconds?: number;
  /** rate-limit windows shortened n times, default 1 */
  timeScale?: number;
  /** default true */
  rateLimits?: boolean;
  /**
   * status of a refused API key or token: 401 (default, as Klaviyo answers today) or 400, which Klaviyo's
   * authentication guide says it may answer; the error codes are Klaviyo's either way
   */
  authFailureStatus?: 400 | 401;
  /** clock in ms, for tests that cross rate-limit windows or token expiry without sleeping (default Date.now) */
  now?: () => number;
}

export interface Sandbox {
  url: string;
  port: number;
  apiKey: string;
  accountId: string;
  oauthClient: { clientId: string; clientSecret: string };
  createAccount(name: string): { accountId: string; apiKey: string };
  /** direct in-process access to profiles, lists, events, jobs (for tests) */
  state: SandboxState;
  close(): Promise<void>;
}

const handlers = {
  ...profileHandlers,
  ...listHandlers,
  ...eventHandlers,
  ...jobHandlers,
  ...importJobHandlers,
  ...consentHandlers,
  ...catalogHandlers,
};

export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const state = new SandboxState(options.now ?? Date.now);
  const { accountId, apiKey } = state.createAccount(options.accountName ?? 'Sandbox Store', options.apiKey);
  const clientId = options.oauthClientId ?? secret('sandbox-app-', 9);
  const clientSecret = options.oauthClientSecret ?? secret('', 24);
  state.registerApp(clientId, clientSecret, 'Klaviyo Sync (sandbox app)');
  const limiter = options.rateLimits === false ? undefined : new RateLimiter(options.timeScale ?? 1);
  const api = createApiHandler({ state, limiter, handlers, authFailureStatus: options.authFailureStatus });
  const oauth = createOAuthHandler(state, options.accessTokenTtlSeconds ?? 3600);
  const controls = createControlsHandler(state, limiter);

  const server = createServer({ keepAliveTimeout: 65_000 }, (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://sandbox');
    const route = url.pathname.startsWith('/api/')
      ? api
      : url.pathname.startsWith('/oauth/')
        ? oauth
        : url.pathname.startsWith('/__sandbox/')
          ? controls
          : undefined;
    if (route === api) observeExchange(req, res, url);
    if (!route) {
      req.resume();
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found' }));
      return;
    }
    route(req, res, url).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            errors: [
              {
                id: 'internal',
                status: 500,
                code: 'error',
                title: 'A server error occurred.',
                detail: String(error),
              },
            ],
          }),
        );
      } else res.destroy();
    });
  });
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    apiKey,
    accountId,
    oauthClient: { clientId, clientSecret },
    createAccount: (name) => state.createAccount(name),
    state,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
