// The composition root: opens the store, brings its schema up to date, loads the secret key, builds
// the context every area receives, makes the first user, and builds the HTTP server.
import { existsSync } from 'node:fs';
import type { FastifyInstance } from 'fastify';
import pino, { type DestinationStream, type Logger } from 'pino';
import { collectDefaultMetrics, Registry } from 'prom-client';
import type { Config } from './config.ts';
import { registerServiceFlows } from './flows/service.ts';
import { createKlaviyoClientCache } from './oauth/clients.ts';
import { createSecretBox, loadSecretKey, type SecretBox, SecretKeyError } from './secrets/index.ts';
import { bootstrapAdmin } from './server/auth/bootstrap.ts';
import { buildServer, type ServerOptions } from './server/app.ts';
import type { ServiceContext } from './service/context.ts';
import { openStore } from './store/db.ts';
import { prepareDataDir, secureSqliteFiles } from './store/files.ts';
import { migrate } from './store/migrate.ts';
import { getSetting, setSettingIfAbsent } from './store/repositories/settings.ts';
import { startTransferServices } from './transfer/service.ts';
import { registerHubWebhooks } from './webhooks/index.ts';

/** Log paths that may hold secrets; pino replaces them before anything is written. */
export const LOG_REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.api_key',
  '*.apiKey',
  '*.access_token',
  '*.refresh_token',
  '*.client_secret',
  '*.token',
  '*.webhook_api_key',
];

export interface ServiceOptions {
  /** PostgreSQL schema to use (tests isolate themselves). */
  pgSchema?: string;
  /** Where logs go (default standard output). */
  logStream?: DestinationStream;
  /** Receives the one-time setup link (default: printed on standard output). */
  onSetupLink?: (url: string) => void;
  server?: ServerOptions;
  /** The service clock (epoch ms); tests move it to cross OAuth token expiry without sleeping. */
  now?: () => number;
  /** Run the transfer workers and the poll scheduler in this process (default true). */
  workers?: boolean;
}

export interface Service {
  ctx: ServiceContext;
  server: FastifyInstance;
  /** Listens on the configured host and port; answers the base URL. */
  start(): Promise<string>;
  stop(): Promise<void>;
}

/** Query parameters that carry one-time secrets (setup links, OAuth codes and state); their values never reach a log. */
const SECRET_QUERY_PARAMS = new Set(['token', 'access_token', 'refresh_token', 'api_key', 'key']);
const OAUTH_QUERY_PARAMS = new Set(['code', 'state']);

export function scrubUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const oauthPath = url.startsWith('/oauth/');
  const params = new URLSearchParams(url.slice(q + 1));
  for (const key of [...params.keys()]) {
    const k = key.toLowerCase();
    if (SECRET_QUERY_PARAMS.has(k) || (oauthPath && OAUTH_QUERY_PARAMS.has(k))) params.set(key, '[redacted]');
  }
  return `${url.slice(0, q)}?${params.toString()}`;
}

export function createLogger(config: Config, stream?: DestinationStream): Logger {
  return pino(
    {
      level: config.logLevel,
      redact: { paths: LOG_REDACT_PATHS, censor: '[redacted]' },
      serializers: {
        req: (req: { method?: string; url?: string; ip?: string; id?: string }) => ({
          method: req.method,
          url: scrubUrl(req.url ?? ''),
          remoteAddress: req.ip,
        }),
      },
    },
    stream,
  );
}

const CANARY_KEY = 'secret_key_canary';
const CANARY_TEXT = 'klaviyo-sync secret key check';

/** A wrong key would make every stored secret unreadable; fail at start with a clear message instead. */
async function checkSecretKey(secrets: SecretBox, ctxStore: ServiceContext['store'], source: string) {
  const stored =
    (await getSetting(ctxStore.db, CANARY_KEY)) ??
    (await setSettingIfAbsent(ctxStore.db, CANARY_KEY, secrets.encrypt(CANARY_TEXT)));
  try {
    if (secrets.decrypt(stored) === CANARY_TEXT) return;
  } catch {
    // fall through to the explanation below
  }
  throw new SecretKeyError(
    `The secret key from ${source} is not the one this store's secrets were encrypted with. Use the original KLAVIYO_SYNC_SECRET_KEY or key file.`,
  );
}

export async function createService(config: Config, options: ServiceOptions = {}): Promise<Service> {
  const log = createLogger(config, options.logStream);
  const store = openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    pgSchema: options.pgSchema,
  });
  const closeHooks: Array<() => Promise<void> | void> = [];
  try {
    await migrate(store);
    // The WAL and SHM exist once the store was written: checked like the key file (docs/security.md).
    const tightened = [...(store.tightened ?? []), ...(store.file ? secureSqliteFiles(store.file) : [])];
    if (store.kind === 'postgres' && existsSync(config.dataDir))
      tightened.push(...prepareDataDir(config.dataDir));
    for (const file of tightened)
      log.warn(
        { file },
        'the data folder or a store file was readable by other users; its mode was tightened',
      );
    const { key, source } = loadSecretKey({ envKey: config.secretKey, dataDir: config.dataDir });
    const secrets = createSecretBox(key);
    await checkSecretKey(secrets, store, source);

    const metrics = new Registry();
    collectDefaultMetrics({ register: metrics, prefix: 'klaviyo_sync_' });

    const ctx: ServiceContext = {
      config,
      store,
      log,
      secrets,
      metrics,
      now: options.now ?? Date.now,
      klaviyoFor: async () => {
        throw new Error('klaviyoFor used before the service was built');
      },
      onClose: (hook) => {
        closeHooks.push(hook);
      },
    };
    const clients = createKlaviyoClientCache(ctx);
    ctx.klaviyoFor = (subscriptionId) => clients.get(subscriptionId);
    await startTransferServices(ctx, { workers: options.workers });
    registerServiceFlows(ctx);
    registerHubWebhooks(ctx);

    const setupLink = await bootstrapAdmin(ctx);
    if (setupLink) {
      if (options.onSetupLink) options.onSetupLink(setupLink);
      else
        process.stdout.write(
          `\nNo user yet. Open this one-time link to set the admin password:\n  ${setupLink}\n\n`,
        );
    }

    const server = await buildServer(ctx, options.server);
    let stopped = false;
    return {
      ctx,
      server,
      async start() {
        await server.listen({ port: config.port, host: config.host });
        const address = server.server.address();
        const port = typeof address === 'object' && address ? address.port : config.port;
        const host = config.host.includes(':') ? `[${config.host}]` : config.host;
        const url = `http://${host}:${port}`;
        // With a free port chosen at listen time, the default public URL (for OAuth redirects) follows it.
        if (config.port === 0 && config.publicUrl.endsWith(':0')) config.publicUrl = url;
        return url;
      },
      async stop() {
        if (stopped) return;
        stopped = true;
        await server.close();
        for (const hook of closeHooks.reverse()) await hook();
        await store.close();
      },
    };
  } catch (err) {
    await store.close();
    throw err;
  }
}
